package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

const storeUsage = `Usage: oauth2 store list | show KEY | rm KEY | verify [flags]

Shows and manages the entries of the token store the provider uses (the same default file, or
the backend the flags and the OAUTH2_* variables choose). No command ever prints a token: an
entry shows its labels, revision, expiry, scopes and whether it holds a refresh token.

Flags:
`

func runStore(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError("store needs a command: list, show KEY, rm KEY or verify")
	}
	cmd, args := args[0], args[1:]
	var store storeFlags
	fs := flag.NewFlagSet("store "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, storeUsage)
		fs.PrintDefaults()
	}
	store.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, where, err := store.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	switch cmd {
	case "list":
		return storeList(ctx, env, st, where)
	case "show", "rm":
		if fs.NArg() != 1 {
			return usageError("store %s needs one KEY, as store list prints it", cmd)
		}
		key, err := parseKey(fs.Arg(0))
		if err != nil {
			return err
		}
		if cmd == "rm" {
			if err := st.Delete(ctx, key); err != nil {
				return fmt.Errorf("removing %s from the %s: %w", key, where, err)
			}
			fmt.Fprintf(env.Stdout, "Removed %s from the %s.\n", key, where)
			return nil
		}
		e, err := st.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("reading %s from the %s: %w", key, where, err)
		}
		if e == nil {
			return fmt.Errorf("the %s has no entry %s", where, key)
		}
		describe(env, key, e)
		return nil
	case "verify":
		return storeVerify(ctx, env, st, where)
	}
	return usageError("unknown store command %q: list, show KEY, rm KEY or verify", cmd)
}

func storeList(ctx context.Context, env Env, st tokenstore.Store, where string) error {
	entries, err := st.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the %s: %w", where, err)
	}
	fmt.Fprintf(env.Stderr, "%s: %d entries\n", where, len(entries))
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY\tKIND\tLABEL\tHOST\tCLIENT\tGRANT\tREVISION\tEXPIRES\tREFRESH TOKEN")
	for _, l := range entries {
		if l.Err != nil {
			fmt.Fprintf(w, "%s\t(unreadable: %s)\t\t\t\t\t\t\t\n", l.Key, oneLine(l.Err))
			continue
		}
		e := l.Entry
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", l.Key, dash(e.Kind), dash(e.Label), dash(e.TokenURLHost),
			dash(e.ClientID), dash(e.Grant), e.Revision, expiry(env, e), yesNo(e.RefreshToken != ""))
	}
	return w.Flush()
}

func storeVerify(ctx context.Context, env Env, st tokenstore.Store, where string) error {
	entries, err := st.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the %s: %w", where, err)
	}
	bad := 0
	for _, l := range entries {
		if l.Err != nil {
			bad++
			fmt.Fprintf(env.Stdout, "%s: does not decrypt: %s\n", l.Key, oneLine(l.Err))
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d entries in the %s do not decrypt with its key; check %s, or remove them with oauth2 store rm", bad, len(entries), where, tokenstore.KeyEnv)
	}
	fmt.Fprintf(env.Stdout, "All %d entries in the %s decrypt with its key.\n", len(entries), where)
	return nil
}

func describe(env Env, key tokenstore.Key, e *tokenstore.Entry) {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"key", key.String()}, {"kind", dash(e.Kind)}, {"label", dash(e.Label)}, {"token url host", dash(e.TokenURLHost)},
		{"client id", dash(e.ClientID)}, {"grant", dash(e.Grant)}, {"revision", fmt.Sprint(e.Revision)},
		{"updated", stamp(e.UpdatedAt)}, {"obtained", stamp(e.ObtainedAt)}, {"expires", expiry(env, e)},
		{"scope", dash(e.Scope)}, {"token type", dash(e.TokenType)}, {"access token", yesNo(e.AccessToken != "")},
		{"refresh token", yesNo(e.RefreshToken != "")}, {"links to", dash(e.Chain)},
	} {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	_ = w.Flush()
}

func parseKey(s string) (tokenstore.Key, error) {
	var k tokenstore.Key
	if len(s) != 2*len(k) {
		return k, usageError("%q is not an entry key: store list prints them (64 hexadecimal digits)", s)
	}
	for i := range k {
		var b byte
		if _, err := fmt.Sscanf(s[2*i:2*i+2], "%02x", &b); err != nil {
			return k, usageError("%q is not an entry key: store list prints them (64 hexadecimal digits)", s)
		}
		k[i] = b
	}
	return k, nil
}

func expiry(env Env, e *tokenstore.Entry) string {
	if e.AccessToken == "" {
		return "-"
	}
	if e.Expiry.IsZero() {
		return "unknown"
	}
	left := e.Expiry.Sub(env.Now()).Round(time.Second)
	if left <= 0 {
		return "expired " + stamp(e.Expiry)
	}
	return stamp(e.Expiry) + " (in " + left.String() + ")"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func oneLine(err error) string {
	var e interface{ Unwrap() error }
	if errors.As(err, &e) && e.Unwrap() != nil {
		return strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
