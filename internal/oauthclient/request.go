package oauthclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// GrantType names an OAuth 2.0 grant (RFC 6749 §4). Values other than the
// constants below are sent verbatim and carry client credentials and, when
// set, the username and password.
type GrantType string

// The grant types this package knows how to build a request for.
const (
	// GrantClientCredentials is the client credentials grant (RFC 6749 §4.4).
	GrantClientCredentials GrantType = "client_credentials"
	// GrantPassword is the resource owner password credentials grant (RFC 6749 §4.3).
	GrantPassword GrantType = "password"
	// GrantRefreshToken refreshes an access token (RFC 6749 §6).
	GrantRefreshToken GrantType = "refresh_token"
	// GrantAuthorizationCode exchanges an authorization code (RFC 6749 §4.1.3).
	GrantAuthorizationCode GrantType = "authorization_code"
)

// AuthStyle says how the client authenticates to the token endpoint (RFC 6749 §2.3).
type AuthStyle string

// Client authentication styles.
const (
	// AuthAuto tries AuthBasic first and falls back to AuthPost when the server
	// answers 401 or invalid_client, remembering the winner per token URL and
	// client. For the authorization code grant it means AuthBasic, so a
	// single-use code is never presented twice. When both are refused, the
	// error (an *AuthFallbackError) reports the Basic refusal as the cause.
	// A wrong secret is then presented twice, which counts twice toward a
	// server's lockout threshold: prefer AuthBasic or AuthPost when the
	// server's method is known.
	AuthAuto AuthStyle = "auto"
	// AuthBasic sends the form-encoded client id and secret in an HTTP Basic
	// Authorization header (client_secret_basic, RFC 6749 §2.3.1).
	AuthBasic AuthStyle = "basic"
	// AuthPost sends client_id and client_secret in the request body
	// (client_secret_post, RFC 6749 §2.3.1).
	AuthPost AuthStyle = "post"
	// AuthNone is a public client: client_id in the body, no secret (RFC 6749 §2.1).
	AuthNone AuthStyle = "none"
)

// Encoding is the body encoding of a token request.
type Encoding string

// Request encodings.
const (
	// EncodingForm is application/x-www-form-urlencoded, as RFC 6749 §4 specifies.
	EncodingForm Encoding = "form"
	// EncodingJSON is a JSON object of the same parameters, as several
	// integration platforms expect.
	EncodingJSON Encoding = "json"
)

// DefaultScopeDelimiter joins Scopes when Request.ScopeDelimiter is empty
// (RFC 6749 §3.3: a space-delimited list).
const DefaultScopeDelimiter = " "

// Request describes one token request. The zero values of AuthStyle,
// Encoding and ScopeDelimiter mean AuthAuto, EncodingForm and a space.
type Request struct {
	// TokenURL is the token endpoint; a "{tenant_id}" placeholder is
	// replaced with TenantID.
	TokenURL string
	// TenantID fills "{tenant_id}" placeholders in TokenURL.
	TenantID string

	// GrantType is sent as grant_type (RFC 6749 §4); required.
	GrantType GrantType
	// AuthStyle is how the client authenticates (RFC 6749 §2.3); empty
	// means AuthAuto.
	AuthStyle AuthStyle
	// Encoding is the body encoding; empty means EncodingForm.
	Encoding Encoding

	// ClientID and ClientSecret are the client credentials (RFC 6749 §2.3.1).
	// With AuthAuto and neither set, the request is sent as a public client.
	ClientID     string
	ClientSecret string

	// Scopes are joined with ScopeDelimiter into the scope parameter
	// (RFC 6749 §3.3); none means no scope parameter.
	Scopes []string
	// ScopeDelimiter joins Scopes; empty means DefaultScopeDelimiter. Any
	// string is allowed, e.g. "," for platforms that want commas.
	ScopeDelimiter string
	// Scope, when not empty, is sent verbatim as the scope parameter. It
	// cannot be combined with Scopes.
	Scope string

	// Username and Password are the resource owner credentials (RFC 6749 §4.3.2).
	Username string
	Password string

	// RefreshToken is presented by the refresh token grant (RFC 6749 §6).
	RefreshToken string

	// Code, RedirectURI and CodeVerifier complete the authorization code
	// grant (RFC 6749 §4.1.3, RFC 7636 §4.5).
	Code         string
	RedirectURI  string
	CodeVerifier string

	// ExtraParams are added to the request (audience, resource, …). A key that
	// the request already sets is an error, never a silent override.
	ExtraParams map[string]string

	// AlsoRedact lists secrets the request does not send but that must not
	// appear in errors or logs either, such as the configured refresh token
	// that a stored, rotated one stands in for. They are not part of the
	// request's identity.
	AlsoRedact []string
}

// tenantPlaceholder is replaced with the url.PathEscape'd tenant id in
// token and authorization URLs.
const tenantPlaceholder = "{tenant_id}"

// Validate reports the first problem that makes r impossible to send: a
// missing or malformed token URL (RFC 6749 §3.2), a grant without the fields
// RFC 6749 §4 requires of it, an unknown AuthStyle or Encoding, Scope and
// Scopes both set, or an ExtraParams key the request already sets. It does
// not apply a Client's rule on plain http; see ValidateTokenURL.
func (r Request) Validate() error {
	_, err := r.prepare()
	return err
}

// ValidateTokenURL checks a token endpoint URL before any tenant id is known:
// it must be absolute, carry no user information and no fragment (RFC 6749
// §3.2), and use https, or http for a loopback host (127.0.0.0/8, ::1,
// "localhost") unless allowInsecureHTTP. A "{tenant_id}" placeholder is
// accepted.
func ValidateTokenURL(rawURL string, allowInsecureHTTP bool) error {
	if rawURL == "" {
		return errors.New("oauthclient: token url is required")
	}
	u, err := parseEndpoint("token url", strings.ReplaceAll(rawURL, tenantPlaceholder, "tenant"))
	if err != nil {
		return err
	}
	return checkScheme("token url", u, allowInsecureHTTP)
}

// prepared is a validated request with its defaults applied.
type prepared struct {
	req      *Request
	tokenURL string
	// display is tokenURL as RedactURL shows it; see shownURL.
	display  string
	shown    bool      // display is scrubbed
	rd       *redactor // set by Client.exchange
	host     string    // for the http/loopback rule
	hostPort string    // the URL's host and port, shown as they are
	scheme   string
	grant    string
	style    AuthStyle // after defaults; AuthAuto still possible
	encoding Encoding
	scope    string
}

// shownURL is the token URL as errors and logs show it: RedactURL's form,
// scrubbed of the request's secrets wherever they appear (a path can hold
// one) but for its host and port. It is computed on first use: a request
// that succeeds without logging never needs it.
func (p *prepared) shownURL() string {
	if !p.shown {
		p.display, p.shown = p.rd.scrub(p.display), true
	}
	return p.display
}

func (r *Request) prepare() (*prepared, error) {
	p := &prepared{req: r, grant: string(r.GrantType), style: r.AuthStyle, encoding: r.Encoding}
	if r.TokenURL == "" {
		return nil, errors.New("oauthclient: token url is required")
	}
	tokenURL, err := fillTenant("token url", r.TokenURL, r.TenantID)
	if err != nil {
		return nil, err
	}
	u, err := parseEndpoint("token url", tokenURL)
	if err != nil {
		return nil, err
	}
	p.tokenURL, p.display, p.host, p.hostPort, p.scheme = tokenURL, RedactURL(tokenURL), u.Hostname(), u.Host, u.Scheme

	if r.GrantType == "" {
		return nil, errors.New("oauthclient: grant type is required")
	}
	switch p.style {
	case "":
		p.style = AuthAuto
	case AuthAuto, AuthBasic, AuthPost, AuthNone:
	default:
		return nil, fmt.Errorf("oauthclient: unknown client authentication style %q (want %q, %q, %q or %q)", r.AuthStyle, AuthAuto, AuthBasic, AuthPost, AuthNone)
	}
	switch p.encoding {
	case "":
		p.encoding = EncodingForm
	case EncodingForm, EncodingJSON:
	default:
		return nil, fmt.Errorf("oauthclient: unknown request encoding %q (want %q or %q)", r.Encoding, EncodingForm, EncodingJSON)
	}

	switch r.GrantType {
	case GrantPassword:
		if r.Username == "" {
			return nil, errors.New("oauthclient: the password grant needs a username (RFC 6749 §4.3.2)")
		}
		if r.Password == "" {
			return nil, errors.New("oauthclient: the password grant needs a password (RFC 6749 §4.3.2)")
		}
	case GrantRefreshToken:
		if r.RefreshToken == "" {
			return nil, errors.New("oauthclient: the refresh_token grant needs a refresh token (RFC 6749 §6)")
		}
	case GrantAuthorizationCode:
		if r.Code == "" {
			return nil, errors.New("oauthclient: the authorization_code grant needs an authorization code (RFC 6749 §4.1.3)")
		}
		if r.ClientID == "" {
			return nil, errors.New("oauthclient: the authorization_code grant needs a client id (RFC 6749 §4.1.3)")
		}
	}

	switch p.style {
	case AuthBasic, AuthPost:
		if r.ClientID == "" {
			return nil, fmt.Errorf("oauthclient: client authentication style %q needs a client id (RFC 6749 §2.3.1)", p.style)
		}
	case AuthAuto:
		// With neither a client id nor a secret there is nothing to
		// authenticate with: behave as a public client.
		if r.ClientID == "" {
			if r.ClientSecret != "" {
				return nil, errors.New("oauthclient: a client secret is set but the client id is empty")
			}
			p.style = AuthNone
		}
	}

	if r.Scope != "" && len(r.Scopes) > 0 {
		return nil, errors.New("oauthclient: set either scope or scopes, not both")
	}
	p.scope = r.Scope
	if p.scope == "" && len(r.Scopes) > 0 {
		delim := r.ScopeDelimiter
		if delim == "" {
			delim = DefaultScopeDelimiter
		}
		p.scope = strings.Join(r.Scopes, delim)
	}

	// Check extra parameters against the largest body this request can
	// send: for AuthAuto that is the AuthPost variant.
	if len(r.ExtraParams) > 0 {
		check := p.style
		if check == AuthAuto {
			check = AuthPost
		}
		if _, err := p.params(check); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// params returns the body parameters (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6)
// for client authentication style (AuthBasic, AuthPost or AuthNone).
func (p *prepared) params(style AuthStyle) (map[string]string, error) {
	r := p.req
	m := make(map[string]string, 6+len(r.ExtraParams))
	m["grant_type"] = p.grant
	switch r.GrantType {
	case GrantClientCredentials:
	case GrantPassword:
		m["username"] = r.Username
		m["password"] = r.Password
	case GrantRefreshToken:
		m["refresh_token"] = r.RefreshToken
	case GrantAuthorizationCode:
		m["code"] = r.Code
		if r.RedirectURI != "" {
			m["redirect_uri"] = r.RedirectURI
		}
		if r.CodeVerifier != "" {
			m["code_verifier"] = r.CodeVerifier
		}
	default:
		// Unknown grants (webhook conventions, extensions per RFC 6749
		// §4.5) carry the resource owner credentials when given.
		if r.Username != "" {
			m["username"] = r.Username
		}
		if r.Password != "" {
			m["password"] = r.Password
		}
	}
	if p.scope != "" {
		m["scope"] = p.scope
	}
	switch style {
	case AuthPost:
		m["client_id"] = r.ClientID
		if r.ClientSecret != "" {
			m["client_secret"] = r.ClientSecret
		}
	case AuthNone:
		if r.ClientID != "" {
			m["client_id"] = r.ClientID
		}
	}
	for k, v := range r.ExtraParams {
		if k == "" {
			return nil, errors.New("oauthclient: extra parameter with an empty name")
		}
		if _, ok := m[k]; ok {
			return nil, fmt.Errorf("oauthclient: extra parameter %q conflicts with a parameter the request already sets", k)
		}
		m[k] = v
	}
	return m, nil
}

// encodeBody returns the request body and its content type. Both encodings
// are deterministic: url.Values.Encode and encoding/json sort the keys.
func encodeBody(enc Encoding, m map[string]string) ([]byte, string, error) {
	if enc == EncodingJSON {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if err := e.Encode(m); err != nil {
			return nil, "", fmt.Errorf("oauthclient: encoding the request as JSON: %w", err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json", nil
	}
	v := make(url.Values, len(m))
	for k, s := range m {
		v[k] = []string{s}
	}
	return []byte(v.Encode()), "application/x-www-form-urlencoded", nil
}

func fillTenant(what, raw, tenant string) (string, error) {
	if !strings.Contains(raw, tenantPlaceholder) {
		return raw, nil
	}
	if tenant == "" {
		return "", fmt.Errorf("oauthclient: %s %q has a %q placeholder but the tenant id is empty", what, RedactURL(raw), tenantPlaceholder)
	}
	return strings.ReplaceAll(raw, tenantPlaceholder, url.PathEscape(tenant)), nil
}

func parseEndpoint(what, raw string) (*url.URL, error) {
	// Messages show the URL without user information or query values.
	shown := RedactURL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("oauthclient: %s %q is not a valid URL: %w", what, shown, errors.Unwrap(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		if u.Scheme == "" {
			return nil, fmt.Errorf("oauthclient: %s %q is not an absolute URL (want https://host/path)", what, shown)
		}
		return nil, fmt.Errorf("oauthclient: %s %q has scheme %q; only https (and http for loopback) is supported", what, shown, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("oauthclient: %s %q has no host", what, shown)
	}
	if u.User != nil {
		return nil, fmt.Errorf("oauthclient: %s for host %q must not contain user information; set the client id and secret instead", what, u.Hostname())
	}
	if u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return nil, fmt.Errorf("oauthclient: %s %q must not contain a fragment (RFC 6749 §3.1)", what, shown)
	}
	return u, nil
}

// checkScheme enforces TLS (RFC 6749 §3.2): plain http only for loopback
// hosts unless allowed explicitly.
func checkScheme(what string, u *url.URL, allowInsecureHTTP bool) error {
	if u.Scheme == "https" || allowInsecureHTTP || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("oauthclient: %s uses plain http to host %q; use https, or allow insecure http explicitly (RFC 6749 §3.2 requires TLS)", what, u.Hostname())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
