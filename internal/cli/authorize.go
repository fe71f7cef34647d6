package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

const authorizeUsage = `Usage: oauth2 authorize [flags]

Authorizes a connection and writes its refresh token to the token store entry the
oauth2_connection (and an oauth2_access_token with its connection_id) reads: the next apply
finds the connection authorized, with no code to copy.

In a browser (the default): listens on the redirect URI's loopback port (RFC 8252 §7.3),
opens the authorization URL (or prints it with --no-browser), checks state, and exchanges the
code with PKCE (S256). With --device: the device authorization grant (RFC 8628), for machines
without a browser: open the printed URL anywhere and enter the code.

Identify the connection with --address (its settings and id are read from "tofu show -json"
or "terraform show -json" in --dir) or with --connection-id and the settings flags.

Flags:
`

type authorizeFlags struct {
	conn            connectionFlags
	store           storeFlags
	noBrowser       bool
	device          bool
	timeout         time.Duration
	successRedirect string
}

func runAuthorize(ctx context.Context, args []string, env Env) error {
	var f authorizeFlags
	fs := flag.NewFlagSet("authorize", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, authorizeUsage)
		fs.PrintDefaults()
	}
	f.conn.register(fs)
	f.store.register(fs)
	fs.BoolVar(&f.noBrowser, "no-browser", false, "print the authorization URL instead of opening a browser")
	fs.BoolVar(&f.device, "device", false, "use the device authorization grant (RFC 8628) instead of a browser redirect")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long to wait for the consent")
	fs.StringVar(&f.successRedirect, "success-redirect", "", "a `URL` to send the browser to after success, instead of the tool's own page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; secrets are never given on the command line", fs.Arg(0))
	}

	engine, client, st, where, err := f.store.engine(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	conn, err := f.conn.resolve(ctx, env, client)
	if err != nil {
		return err
	}
	if conn.id == "" {
		return usageError("the token store entry is named by the connection's id: give --address or --connection-id")
	}
	if conn.req.ClientID == "" {
		return usageError("no client id: give --address or --client-id")
	}
	fmt.Fprintf(env.Stderr, "Token store: %s\n", where)

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var code, verifier string
	if f.device {
		return authorizeDevice(ctx, env, engine, client, conn, where)
	}
	code, verifier, err = browserConsent(ctx, env, conn, f)
	if err != nil {
		return err
	}
	req := conn.req
	req.GrantType = oauthclient.GrantAuthorizationCode
	req.Code = code
	req.CodeVerifier = verifier
	// The scope was granted in the authorization request (RFC 6749 §4.1.3).
	req.Scopes, req.Scope = nil, ""
	return saveGrant(ctx, env, engine, conn, req, where)
}

// saveGrant runs the grant that starts the connection's refresh chain and
// saves it under the connection's entry, where the provider reads it.
func saveGrant(ctx context.Context, env Env, engine *tokens.Engine, conn *connection, req oauthclient.Request, where string) error {
	res, err := engine.Token(ctx, tokens.Request{Token: req, Connection: conn.id, Label: conn.label}, tokens.Policy{Fresh: true})
	if err != nil {
		return fmt.Errorf("exchanging the grant at %s: %w", oauthclient.RedactURL(req.TokenURL), err)
	}
	if res.Token.RefreshToken == "" {
		return fmt.Errorf("the token endpoint %s issued no refresh token, so there is nothing for the connection to use later; ask for offline access (a scope such as offline_access, or the platform's own parameter)", oauthclient.RedactURL(req.TokenURL))
	}
	fmt.Fprintf(env.Stdout, "Authorized %s: its refresh token is in the %s. The next apply finds the connection authorized.\n", conn.label, where)
	return nil
}

// browserConsent runs the browser part of the authorization code grant and
// returns the code and the PKCE verifier it was requested with.
func browserConsent(ctx context.Context, env Env, conn *connection, f authorizeFlags) (string, string, error) {
	if conn.authorizationURL == "" {
		return "", "", usageError("no authorization endpoint: give --address, --authorization-url, --preset or --issuer")
	}
	redirect, err := loopbackRedirect(conn.req.RedirectURI)
	if err != nil {
		return "", "", err
	}
	ln, err := net.Listen("tcp", redirect.Host)
	if err != nil {
		return "", "", fmt.Errorf("listening on %s for the redirect: %w; free the port, or register another loopback redirect URI and give it with --redirect-uri", redirect.Host, err)
	}
	defer ln.Close()

	state, verifier := oauthclient.NewState(), oauthclient.NewCodeVerifier()
	authURL, err := oauthclient.AuthCodeURL(oauthclient.AuthCodeRequest{
		AuthorizationURL: conn.authorizationURL, TenantID: conn.req.TenantID, ClientID: conn.req.ClientID,
		RedirectURI: redirect.String(), Scopes: conn.req.Scopes, ScopeDelimiter: conn.req.ScopeDelimiter,
		State: state, CodeVerifier: verifier, ExtraParams: conn.req.ExtraParams,
	})
	if err != nil {
		return "", "", err
	}

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(firstNonEmpty(redirect.Path, "/"), func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res result
		switch {
		case q.Get("state") != state:
			res.err = errors.New("the redirect carried another state than the request sent (RFC 6749 §10.12): it did not come from this authorization; start again")
		case q.Get("error") == "access_denied":
			res.err = errors.New("consent was denied (access_denied); nothing was saved")
		case q.Get("error") != "":
			res.err = fmt.Errorf("the authorization server answered %s: %s", cleanText(q.Get("error")), cleanText(q.Get("error_description")))
		case q.Get("code") == "":
			res.err = errors.New("the redirect carried no code")
		default:
			res.code = q.Get("code")
		}
		if res.err == nil && f.successRedirect != "" {
			http.Redirect(w, r, f.successRedirect, http.StatusFound)
		} else {
			writePage(w, res.err)
		}
		select {
		case done <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	fmt.Fprintf(env.Stderr, "Open this URL to authorize %s:\n\n  %s\n\nWaiting for the redirect to %s ...\n", conn.label, authURL, redirect.String())
	if !f.noBrowser {
		open := env.OpenBrowser
		if open == nil {
			open = openBrowser
		}
		if err := open(authURL); err != nil {
			fmt.Fprintf(env.Stderr, "Could not open a browser (%v); open the URL yourself.\n", err)
		}
	}
	select {
	case res := <-done:
		return res.code, verifier, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", "", fmt.Errorf("no redirect arrived within --timeout; nothing was saved")
		}
		return "", "", fmt.Errorf("stopped before the consent arrived; nothing was saved")
	}
}

// loopbackRedirect checks that the redirect URI is an http loopback address
// the tool can listen on (RFC 8252 §7.3).
func loopbackRedirect(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, usageError("no redirect URI: give --address or --redirect-uri, such as http://127.0.0.1:8765/callback, registered with the client")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return nil, usageError("the redirect URI %q must be http on a loopback address with a port, such as http://127.0.0.1:8765/callback (RFC 8252 §7.3)", raw)
	}
	switch h := u.Hostname(); h {
	case "127.0.0.1", "::1", "localhost":
	default:
		return nil, usageError("the redirect URI's host %q is not a loopback address; the tool can only receive redirects on 127.0.0.1, [::1] or localhost", h)
	}
	return u, nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#116611}.err{color:#aa1111}</style></head>
<body><h1 id="{{.ID}}" class="{{.Class}}">{{.Title}}</h1><p>{{.Message}}</p></body></html>`))

// writePage answers the browser with the outcome; the terminal says the
// rest.
func writePage(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	data := struct{ ID, Class, Title, Message string }{"success", "ok", "Authorized", "You can close this window and return to the terminal."}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		data = struct{ ID, Class, Title, Message string }{"failure", "err", "Not authorized", err.Error()}
	}
	_ = pageTemplate.Execute(w, data)
}

// cleanText keeps server text printable and short.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// openBrowser opens url with the system's opener.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}
