// Package cli is the companion command-line tool, oauth2: it authorizes a
// connection in a browser or with the device flow and leaves the refresh
// token where the provider reads it, prints access tokens, and manages the
// token store. It is built on the token engine and the token store, never on
// Terraform types, so that it runs where the provider's store lives without
// Terraform.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Env is what the tool reads from and writes to, so that tests run it in
// process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// OpenBrowser opens url in the user's browser; nil uses the system's
	// opener (xdg-open, open, rundll32).
	OpenBrowser func(url string) error
	// HTTPClient is used for the token requests' transport in tests; nil
	// uses the default.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// OSEnv is the process's own environment.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// errUsage marks an error whose message is a usage problem: the command's
// help follows it.
var errUsage = errors.New("usage")

const usage = `oauth2 authorizes OAuth 2.0 connections declared with the Terraform / OpenTofu oauth2 provider,
prints their access tokens and manages the provider's token store.

Usage:
  oauth2 authorize [flags]   authorize a connection in a browser (or --device) and store its refresh token
  oauth2 token [flags]       print an access token for a connection
  oauth2 store list          list the entries of the token store (never a token)
  oauth2 store show KEY      show one entry
  oauth2 store rm KEY        remove one entry
  oauth2 store verify        check that every entry decrypts with the store's key

Secrets are never taken from the command line: the client secret comes from the environment
variable --client-secret-env names (OAUTH2_CLIENT_SECRET by default) or, with --prompt-secret,
from a prompt. Run "oauth2 <command> -h" for a command's flags.
`

// Main runs the tool with args (without the program name) and returns the
// process's exit code: 0 on success, 1 on failure, 2 on a usage error.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "authorize":
		err = runAuthorize(ctx, args[1:], env)
	case "token":
		err = runToken(ctx, args[1:], env)
	case "store":
		err = runStore(ctx, args[1:], env)
	default:
		fmt.Fprintf(env.Stderr, "oauth2: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.Stderr, "oauth2 %s: %s\n", args[0], strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	}
	fmt.Fprintf(env.Stderr, "oauth2 %s: %s\n", args[0], err)
	return 1
}

// usageError reports a usage problem.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
