package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/endpoints"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// connectionFlags identify a connection and its non-secret settings: by its
// resource address, read from the CLI's `show -json`, or by flags, which win
// over what the state says.
type connectionFlags struct {
	address, dir, tfCLI string

	id, label, tokenURL, authorizationURL, clientID, redirectURI   string
	scopeDelimiter, clientAuth, encoding, tenantID, preset, issuer string
	deviceAuthorizationURL                                         string
	scopes                                                         listFlag
	params, presetParams                                           mapFlag

	secretEnv    string
	promptSecret bool
}

func (c *connectionFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.address, "address", "", "`ADDRESS` of an oauth2_connection in the root module, such as oauth2_connection.hubspot; its id and settings are read from `tofu show -json` (or terraform)")
	fs.StringVar(&c.dir, "dir", ".", "root module `DIRECTORY` for --address")
	fs.StringVar(&c.tfCLI, "cli", "", "the Terraform-compatible `BINARY` for --address; default tofu, else terraform, from PATH")
	fs.StringVar(&c.id, "connection-id", "", "the connection's `ID` (its id attribute): names its token store entry")
	fs.StringVar(&c.label, "label", "", "a `LABEL` for the store entry, shown by store list")
	fs.StringVar(&c.tokenURL, "token-url", "", "the token endpoint `URL`")
	fs.StringVar(&c.authorizationURL, "authorization-url", "", "the authorization endpoint `URL`")
	fs.StringVar(&c.deviceAuthorizationURL, "device-authorization-url", "", "the device authorization endpoint `URL` (RFC 8628)")
	fs.StringVar(&c.clientID, "client-id", "", "the client `ID`")
	fs.StringVar(&c.redirectURI, "redirect-uri", "", "the registered loopback redirect `URI`, such as http://127.0.0.1:8765/callback")
	fs.Var(&c.scopes, "scope", "a `SCOPE` to request; repeat for more")
	fs.StringVar(&c.scopeDelimiter, "scope-delimiter", "", "what joins the scopes (default a space)")
	fs.StringVar(&c.clientAuth, "client-auth", "", "client authentication: auto, basic, post or none")
	fs.StringVar(&c.encoding, "request-encoding", "", "form or json")
	fs.StringVar(&c.tenantID, "tenant-id", "", "fills {tenant_id} placeholders")
	fs.StringVar(&c.preset, "preset", "", "a platform `NAME` the provider knows (see the presets guide)")
	fs.Var(&c.presetParams, "preset-param", "a preset parameter `NAME=VALUE`; repeat for more")
	fs.StringVar(&c.issuer, "issuer", "", "the authorization server's issuer `URL`, whose metadata names its endpoints")
	fs.Var(&c.params, "param", "an extra request parameter `NAME=VALUE`; repeat for more")
	fs.StringVar(&c.secretEnv, "client-secret-env", "OAUTH2_CLIENT_SECRET", "the environment `VARIABLE` holding the client secret")
	fs.BoolVar(&c.promptSecret, "prompt-secret", false, "prompt for the client secret when the environment has none")
}

// connection is a resolved connection: its id and the request settings.
type connection struct {
	id, label              string
	req                    oauthclient.Request
	authorizationURL       string
	deviceAuthorizationURL string
	resolved               endpoints.Resolved
}

// resolve fills the flags from state when --address is given, resolves the
// endpoints (preset, issuer metadata) and reads the client secret.
func (c *connectionFlags) resolve(ctx context.Context, env Env, client *oauthclient.Client) (*connection, error) {
	if c.address != "" {
		if err := c.fromState(ctx, env); err != nil {
			return nil, err
		}
	}
	in := endpoints.Settings{
		GrantType: string(oauthclient.GrantAuthorizationCode), TokenURL: c.tokenURL, AuthorizationURL: c.authorizationURL,
		ClientAuth: c.clientAuth, ScopeDelimiter: c.scopeDelimiter, RequestEncoding: c.encoding,
		Preset: c.preset, PresetParams: c.presetParams.m, Issuer: c.issuer,
	}
	var discoverer endpoints.Discoverer
	if client != nil {
		discoverer = client
	}
	r, err := endpoints.Resolve(ctx, in, discoverer)
	if err != nil {
		var ee *endpoints.Error
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("the %s setting: %w", ee.Setting, err)
		}
		return nil, err
	}
	if r.TokenURL == "" {
		return nil, usageError("no token endpoint: give --address, --token-url, --preset or --issuer")
	}
	secret, err := c.secret(env)
	if err != nil {
		return nil, err
	}
	conn := &connection{
		id: c.id, label: c.label, authorizationURL: r.AuthorizationURL, resolved: r,
		deviceAuthorizationURL: firstNonEmpty(c.deviceAuthorizationURL, r.DeviceAuthorizationURL),
		req: oauthclient.Request{
			TokenURL: r.TokenURL, TenantID: c.tenantID, ClientID: c.clientID, ClientSecret: secret,
			AuthStyle: oauthclient.AuthStyle(r.ClientAuth), Encoding: oauthclient.Encoding(r.RequestEncoding),
			Scopes: c.scopes.values, ScopeDelimiter: r.ScopeDelimiter, RedirectURI: c.redirectURI,
			ExtraParams: c.params.m,
		},
	}
	if conn.label == "" {
		conn.label = firstNonEmpty(c.address, c.id)
	}
	r.ApplyAuthMethods(&conn.req, false)
	return conn, nil
}

// secret reads the client secret from the environment or a prompt; never
// from the command line.
func (c *connectionFlags) secret(env Env) (string, error) {
	if v := env.Getenv(c.secretEnv); v != "" {
		return v, nil
	}
	if !c.promptSecret {
		return "", nil
	}
	fmt.Fprintf(env.Stderr, "Client secret for %s: ", firstNonEmpty(c.clientID, "the client"))
	// On a terminal the secret is read without echo.
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("reading the client secret: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the client secret from standard input: %w", err)
	}
	fmt.Fprintln(env.Stderr)
	return strings.TrimRight(line, "\r\n"), nil
}

// fromState reads the connection at c.address from the CLI's `show -json`
// and fills every flag the command line left empty. Secrets are never read
// from it.
func (c *connectionFlags) fromState(ctx context.Context, env Env) error {
	bin := c.tfCLI
	if bin == "" {
		for _, name := range []string{"tofu", "terraform"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		return usageError("--address needs tofu or terraform on PATH, or --cli")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "show", "-json", "-no-color")
	cmd.Dir = c.dir
	cmd.Stderr = env.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s show -json in %s: %w", bin, c.dir, err)
	}
	attrs, err := findResource(out, c.address)
	if err != nil {
		return err
	}
	str := func(dst *string, name string) {
		if v, ok := attrs[name].(string); ok && *dst == "" {
			*dst = v
		}
	}
	str(&c.id, "id")
	str(&c.label, "label")
	str(&c.tokenURL, "token_url")
	str(&c.authorizationURL, "authorization_url")
	str(&c.clientID, "client_id")
	str(&c.redirectURI, "redirect_uri")
	str(&c.scopeDelimiter, "scope_delimiter")
	str(&c.encoding, "request_encoding")
	str(&c.tenantID, "tenant_id")
	str(&c.preset, "preset")
	str(&c.issuer, "issuer")
	// A schema default is no choice: leave client_auth to the preset or the
	// metadata when state says auto.
	if c.clientAuth == "" {
		if v, _ := attrs["client_auth"].(string); v != string(oauthclient.AuthAuto) {
			c.clientAuth = v
		}
	}
	if len(c.scopes.values) == 0 {
		c.scopes.values = append(c.scopes.values, anyStrings(attrs["scopes"])...)
	}
	for _, m := range []struct {
		dst  *mapFlag
		name string
	}{{&c.params, "extra_params"}, {&c.presetParams, "preset_params"}} {
		if len(m.dst.m) > 0 {
			continue
		}
		if values, ok := attrs[m.name].(map[string]any); ok {
			for k, v := range values {
				if s, ok := v.(string); ok {
					m.dst.set(k, s)
				}
			}
		}
	}
	if c.id == "" {
		return fmt.Errorf("%s has no id in state; apply it first", c.address)
	}
	return nil
}

// findResource returns the attribute values of the resource at address in a
// `show -json` document (root module only).
func findResource(doc []byte, address string) (map[string]any, error) {
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Type    string         `json:"type"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(doc, &state); err != nil {
		return nil, fmt.Errorf("reading show -json: %w", err)
	}
	var known []string
	for _, r := range state.Values.RootModule.Resources {
		if r.Type != "oauth2_connection" {
			continue
		}
		if r.Address == address {
			return r.Values, nil
		}
		known = append(known, r.Address)
	}
	sort.Strings(known)
	if len(known) == 0 {
		return nil, fmt.Errorf("the state has no oauth2_connection in its root module; apply the configuration first")
	}
	return nil, fmt.Errorf("the state has no %s; it has %s", address, strings.Join(known, ", "))
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// listFlag collects a repeated flag.
type listFlag struct{ values []string }

func (l *listFlag) String() string     { return strings.Join(l.values, ",") }
func (l *listFlag) Set(v string) error { l.values = append(l.values, v); return nil }

// mapFlag collects repeated NAME=VALUE flags.
type mapFlag struct{ m map[string]string }

func (m *mapFlag) String() string {
	var parts []string
	for k, v := range m.m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (m *mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	m.set(k, val)
	return nil
}

func (m *mapFlag) set(k, v string) {
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[k] = v
}
