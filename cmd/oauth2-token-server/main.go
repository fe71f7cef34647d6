// Command oauth2-token-server runs the project's local OAuth 2.0
// authorization server (internal/tokenserver) as its own process, for
// benchmarks and manual experiments with the provider.
//
// It listens on a loopback address only and prints one JSON line to stdout
// once it accepts connections:
//
//	{"url":"http://127.0.0.1:41234","token_url":".../oauth2/token","authorize_url":".../oauth2/authorize","api_url":".../api/me","pid":1234}
//
// It serves until SIGINT or SIGTERM, or, with -exit-on-stdin-eof, until its
// standard input closes, so a parent that dies cannot leave it behind. With
// -exit-on-stdin-eof, each line "stats" on standard input is answered with
// one JSON line of counters on standard output, such as
//
//	{"TokenRequests":500,"Grants":{"client_credentials":500},"TokensIssued":500,...}
//
// so a benchmark that runs it in its own process can count requests.
//
// Usage:
//
//	oauth2-token-server [-addr 127.0.0.1:0] [-latency 0] [-rotate]
//	    [-client id:secret]... [-user name:password]... [-token-lifetime 1h]
//	    [-password-without-client=true] [-exit-on-stdin-eof]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// pairs collects repeated "name:value" flags.
type pairs map[string]string

func (p pairs) String() string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	return strings.Join(names, ",")
}

func (p pairs) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return errors.New(`want "name:value"`)
	}
	p[name] = value
	return nil
}

// ready is the line printed once the server listens.
type ready struct {
	URL          string `json:"url"`
	TokenURL     string `json:"token_url"`
	AuthorizeURL string `json:"authorize_url"`
	APIURL       string `json:"api_url"`
	PID          int    `json:"pid"`
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oauth2-token-server:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("oauth2-token-server", flag.ContinueOnError)
	clients, users := pairs{}, pairs{}
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on")
	latency := fs.Duration("latency", 0, "delay before answering each token request")
	rotate := fs.Bool("rotate", false, "issue a new refresh token on every refresh and detect reuse of old ones")
	lifetime := fs.Duration("token-lifetime", tokenserver.DefaultTokenLifetime, "access token lifetime")
	anonymous := fs.Bool("password-without-client", true, "accept password grants without client authentication, as webhook senders send them")
	exitOnEOF := fs.Bool("exit-on-stdin-eof", false, "shut down when standard input closes")
	fs.Var(clients, "client", "registered client `id:secret`, repeatable; an empty secret makes a public client (default demo-client:demo-secret)")
	fs.Var(users, "user", "resource owner `name:password`, repeatable (default demo-user:demo-password)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(clients) == 0 {
		clients["demo-client"] = "demo-secret"
	}
	if len(users) == 0 {
		users["demo-user"] = "demo-password"
	}

	cfg := tokenserver.Config{
		Addr:                *addr,
		Clients:             map[string]tokenserver.Client{},
		Users:               users,
		Latency:             *latency,
		TokenLifetime:       *lifetime,
		RotateRefreshTokens: *rotate,

		PasswordWithoutClient: *anonymous,
	}
	for id, secret := range clients {
		cfg.Clients[id] = tokenserver.Client{Secret: secret}
	}
	srv := tokenserver.New(cfg)
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()

	line, err := json.Marshal(ready{
		URL:          srv.URL(),
		TokenURL:     srv.TokenURL(),
		AuthorizeURL: srv.AuthorizeURL(),
		APIURL:       srv.APIURL(),
		PID:          os.Getpid(),
	})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	eof := make(chan struct{})
	if *exitOnEOF {
		go func() {
			defer close(eof)
			lines := bufio.NewScanner(stdin)
			for lines.Scan() {
				if strings.TrimSpace(lines.Text()) != "stats" {
					continue
				}
				line, err := json.Marshal(srv.Stats())
				if err != nil {
					fmt.Fprintln(os.Stderr, "oauth2-token-server: stats:", err)
					continue
				}
				if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
					return
				}
			}
		}()
	}
	select {
	case <-stop:
	case <-eof:
	}

	err = srv.Close()
	st := srv.Stats()
	fmt.Fprintf(os.Stderr, "oauth2-token-server: stopped; %d token requests (%d issued, %d errors), %d API calls\n",
		st.TokenRequests, st.TokensIssued, st.TokenErrors, st.APICalls)
	return err
}
