package oauthclient

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
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
	// GrantTokenExchange trades a subject token, such as a CI job's OpenID
	// Connect token, for an access token (RFC 8693 §2.1).
	GrantTokenExchange GrantType = "urn:ietf:params:oauth:grant-type:token-exchange"
	// GrantJWTBearer presents a signed JWT as the authorization grant
	// (RFC 7523 §2.1): Salesforce's JWT bearer flow, Google service accounts.
	GrantJWTBearer GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantDeviceCode polls for the token of a device authorization (RFC
	// 8628 §3.4) with the device code; see Client.AuthorizeDevice and
	// Client.PollDeviceToken.
	GrantDeviceCode GrantType = "urn:ietf:params:oauth:grant-type:device_code"
)

// Token types of RFC 8693 §3, for SubjectTokenType and its kin.
const (
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeSAML2        = "urn:ietf:params:oauth:token-type:saml2"
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
	// AuthPrivateKeyJWT sends a client assertion (RFC 7523 §2.2, OpenID
	// Connect Core §9): a JWT signed afresh with Request.ClientKey for every
	// attempt, or Request.ClientAssertion as given (a workload identity token).
	AuthPrivateKeyJWT AuthStyle = "private_key_jwt"
	// AuthClientSecretJWT sends a client assertion signed with HMAC SHA-256
	// keyed by the client secret (OpenID Connect Core §9), so the secret
	// itself never travels.
	AuthClientSecretJWT AuthStyle = "client_secret_jwt"
	// AuthTLSClient authenticates with the client certificate presented in
	// the TLS handshake, checked against a CA-issued subject (RFC 8705 §2.1);
	// the body carries client_id.
	AuthTLSClient AuthStyle = "tls_client_auth"
	// AuthSelfSignedTLS is AuthTLSClient with a self-signed certificate the
	// server has registered (RFC 8705 §2.2).
	AuthSelfSignedTLS AuthStyle = "self_signed_tls_client_auth"
	// authOmitted sends no client authentication and no client_id: what
	// AuthAuto means for a JWT bearer or token exchange grant that has no
	// client credential, where the assertion or subject token is the whole
	// proof (RFC 7523 §3.1, RFC 8693 §2.1).
	authOmitted AuthStyle = "omitted"
)

// AuthStyles lists every client authentication style a Request accepts, in
// the order documentation shows them.
func AuthStyles() []AuthStyle {
	return []AuthStyle{AuthAuto, AuthBasic, AuthPost, AuthNone, AuthPrivateKeyJWT, AuthClientSecretJWT, AuthTLSClient, AuthSelfSignedTLS}
}

func authStyleNames() []string {
	var out []string
	for _, s := range AuthStyles() {
		out = append(out, strconv.Quote(string(s)))
	}
	return out
}

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

	// DeviceCode is the device_code of a device authorization (RFC 8628
	// §3.4), presented by the GrantDeviceCode grant; a secret.
	DeviceCode string

	// ClientKey signs a fresh client assertion for every attempt
	// (AuthPrivateKeyJWT); its iss and sub are ClientID.
	ClientKey *SigningKey
	// ClientAssertion is a ready client assertion sent as is
	// (AuthPrivateKeyJWT): the OpenID Connect token a CI system issued to
	// the job, for workload identity federation.
	ClientAssertion string
	// ClientAssertionAudience is the aud of a signed client assertion;
	// empty means the token endpoint URL (RFC 7523 §3 item 3).
	ClientAssertionAudience string
	// ClientCertificate is presented in the TLS handshake (RFC 8705 §2),
	// besides or instead of the Client's own certificates.
	ClientCertificate *tls.Certificate

	// Assertion is a ready JWT bearer grant assertion (RFC 7523 §2.1).
	Assertion string
	// AssertionKey signs a fresh JWT bearer grant assertion with
	// AssertionClaims for every attempt, when Assertion is empty.
	AssertionKey    *SigningKey
	AssertionClaims AssertionClaims

	// SubjectToken and SubjectTokenType (both required), ActorToken and
	// ActorTokenType (the type required when the token is set) and
	// RequestedTokenType are the token exchange parameters (RFC 8693 §2.1).
	SubjectToken       string
	SubjectTokenType   string
	ActorToken         string
	ActorTokenType     string
	RequestedTokenType string

	// Audiences and Resources are sent as repeated audience and resource
	// parameters (RFC 8693 §2.1, RFC 8707 §2), with any grant.
	Audiences []string
	Resources []string

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
	case AuthAuto, AuthBasic, AuthPost, AuthNone, AuthPrivateKeyJWT, AuthClientSecretJWT, AuthTLSClient, AuthSelfSignedTLS:
	default:
		return nil, fmt.Errorf("oauthclient: unknown client authentication style %q (want one of %s)", r.AuthStyle, strings.Join(authStyleNames(), ", "))
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
	case GrantDeviceCode:
		if r.DeviceCode == "" {
			return nil, errors.New("oauthclient: the device code grant needs a device code (RFC 8628 §3.4)")
		}
	case GrantTokenExchange:
		if r.SubjectToken == "" || r.SubjectTokenType == "" {
			return nil, errors.New("oauthclient: the token exchange grant needs a subject token and its type (RFC 8693 §2.1)")
		}
		if r.ActorToken != "" && r.ActorTokenType == "" {
			return nil, errors.New("oauthclient: an actor token needs its type (RFC 8693 §2.1)")
		}
	case GrantJWTBearer:
		if (r.Assertion == "") == (r.AssertionKey == nil) {
			return nil, errors.New("oauthclient: the JWT bearer grant needs either a ready assertion or a key to sign one, not both (RFC 7523 §2.1)")
		}
		if r.AssertionKey != nil && r.AssertionClaims.Issuer == "" && r.ClientID == "" {
			return nil, errors.New("oauthclient: a signed JWT bearer assertion needs an issuer: set the assertion issuer or the client id (RFC 7523 §3)")
		}
	}
	if r.ActorTokenType != "" && r.ActorToken == "" {
		return nil, errors.New("oauthclient: an actor token type is set without an actor token")
	}
	if r.GrantType != GrantTokenExchange && (r.SubjectToken != "" || r.ActorToken != "" || r.RequestedTokenType != "") {
		return nil, fmt.Errorf("oauthclient: subject, actor and requested token types belong to the token exchange grant, not %q", r.GrantType)
	}
	if r.GrantType != GrantDeviceCode && r.DeviceCode != "" {
		return nil, fmt.Errorf("oauthclient: a device code belongs to the device code grant, not %q", r.GrantType)
	}
	if r.GrantType != GrantJWTBearer && (r.Assertion != "" || r.AssertionKey != nil) {
		return nil, fmt.Errorf("oauthclient: an assertion belongs to the JWT bearer grant, not %q", r.GrantType)
	}
	if err := p.resolveAssertionAuth(); err != nil {
		return nil, err
	}

	switch p.style {
	case AuthBasic, AuthPost:
		if r.ClientID == "" {
			return nil, fmt.Errorf("oauthclient: client authentication style %q needs a client id (RFC 6749 §2.3.1)", p.style)
		}
	case AuthPrivateKeyJWT, AuthClientSecretJWT, AuthTLSClient, AuthSelfSignedTLS:
		if r.ClientID == "" {
			return nil, fmt.Errorf("oauthclient: client authentication style %q needs a client id", p.style)
		}
	case AuthAuto:
		switch {
		case r.ClientID == "" && r.ClientSecret != "":
			return nil, errors.New("oauthclient: a client secret is set but the client id is empty")
		case r.ClientSecret == "" && (r.GrantType == GrantJWTBearer || r.GrantType == GrantTokenExchange):
			// The assertion or subject token is the whole proof: Salesforce
			// and security token services want no client_id beside it.
			p.style = authOmitted
		case r.ClientID == "":
			// With neither a client id nor a secret there is nothing to
			// authenticate with: behave as a public client.
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

	if err := checkAssertionRequest(r, p.style); err != nil {
		return nil, err
	}

	// Check extra parameters against the largest body this request can
	// send: for AuthAuto that is the AuthPost variant.
	if len(r.ExtraParams) > 0 {
		check := p.style
		if check == AuthAuto {
			check = AuthPost
		}
		if _, err := p.params(check, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// resolveAssertionAuth settles AuthAuto for requests that carry an
// assertion or a certificate, and refuses credentials the chosen style would
// silently leave unsent.
func (p *prepared) resolveAssertionAuth() error {
	r := p.req
	if r.ClientKey != nil && r.ClientAssertion != "" {
		return errors.New("oauthclient: set either a client signing key or a ready client assertion, not both")
	}
	hasAssertion := r.ClientKey != nil || r.ClientAssertion != ""
	switch p.style {
	case AuthAuto:
		switch {
		case hasAssertion:
			p.style = AuthPrivateKeyJWT
		case r.ClientCertificate != nil && r.ClientSecret == "" && r.ClientID != "":
			p.style = AuthTLSClient
		}
	case AuthPrivateKeyJWT:
		if !hasAssertion {
			return errors.New("oauthclient: client authentication private_key_jwt needs a signing key or a client assertion (RFC 7523 §2.2)")
		}
	case AuthClientSecretJWT:
		if r.ClientSecret == "" {
			return errors.New("oauthclient: client authentication client_secret_jwt needs a client secret to sign with")
		}
	}
	if hasAssertion && p.style != AuthPrivateKeyJWT {
		return fmt.Errorf("oauthclient: a client signing key or client assertion is set but client authentication is %q; use %q", p.style, AuthPrivateKeyJWT)
	}
	if r.ClientAssertionAudience != "" && r.ClientKey == nil && p.style != AuthClientSecretJWT {
		return errors.New("oauthclient: a client assertion audience applies only to an assertion the client signs (private_key_jwt with a key, or client_secret_jwt)")
	}
	return nil
}

// signs reports whether the request's body holds a JWT signed at send time,
// so that every attempt needs a body of its own.
func (p *prepared) signs(style AuthStyle) bool {
	return (style == AuthPrivateKeyJWT && p.req.ClientKey != nil) || style == AuthClientSecretJWT ||
		(p.req.GrantType == GrantJWTBearer && p.req.AssertionKey != nil)
}

// params returns the body parameters (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6,
// RFC 7523, RFC 8628 §3.4, RFC 8693) for a resolved client authentication
// style. sign, when not nil, signs the assertions the request asks the client
// to make; nil leaves placeholders, which is enough to check parameter names.
func (p *prepared) params(style AuthStyle, sign *assertionSigner) (url.Values, error) {
	r := p.req
	m := make(url.Values, 8+len(r.ExtraParams))
	set := func(k, v string) { m[k] = []string{v} }
	set("grant_type", p.grant)
	switch r.GrantType {
	case GrantClientCredentials:
	case GrantPassword:
		set("username", r.Username)
		set("password", r.Password)
	case GrantRefreshToken:
		set("refresh_token", r.RefreshToken)
	case GrantAuthorizationCode:
		set("code", r.Code)
		if r.RedirectURI != "" {
			set("redirect_uri", r.RedirectURI)
		}
		if r.CodeVerifier != "" {
			set("code_verifier", r.CodeVerifier)
		}
	case GrantDeviceCode:
		set("device_code", r.DeviceCode)
	case GrantTokenExchange:
		set("subject_token", r.SubjectToken)
		set("subject_token_type", r.SubjectTokenType)
		if r.ActorToken != "" {
			set("actor_token", r.ActorToken)
			set("actor_token_type", r.ActorTokenType)
		}
		if r.RequestedTokenType != "" {
			set("requested_token_type", r.RequestedTokenType)
		}
	case GrantJWTBearer:
		assertion := r.Assertion
		if r.AssertionKey != nil {
			a, err := sign.grantAssertion(p)
			if err != nil {
				return nil, err
			}
			assertion = a
		}
		set("assertion", assertion)
	default:
		// Unknown grants (webhook conventions, extensions per RFC 6749
		// §4.5) carry the resource owner credentials when given.
		if r.Username != "" {
			set("username", r.Username)
		}
		if r.Password != "" {
			set("password", r.Password)
		}
	}
	if p.scope != "" {
		set("scope", p.scope)
	}
	if len(r.Audiences) > 0 {
		m["audience"] = slices.Clone(r.Audiences)
	}
	if len(r.Resources) > 0 {
		m["resource"] = slices.Clone(r.Resources)
	}
	if err := p.addClientAuth(m, style, sign); err != nil {
		return nil, err
	}
	for k, v := range r.ExtraParams {
		if k == "" {
			return nil, errors.New("oauthclient: extra parameter with an empty name")
		}
		if _, ok := m[k]; ok {
			return nil, fmt.Errorf("oauthclient: extra parameter %q conflicts with a parameter the request already sets", k)
		}
		set(k, v)
	}
	return m, nil
}

// addClientAuth adds the body parameters of client authentication style to
// m: client_id and client_secret (RFC 6749 §2.3.1), client_id alone (a public
// or mutual-TLS client), or a client assertion (RFC 7523 §2.2). HTTP Basic
// adds nothing here: it travels in a header (see roundTrip). Token requests
// and revocation requests (RFC 7009 §2.1) share it.
func (p *prepared) addClientAuth(m url.Values, style AuthStyle, sign *assertionSigner) error {
	r := p.req
	set := func(k, v string) { m[k] = []string{v} }
	switch style {
	case AuthPost:
		set("client_id", r.ClientID)
		if r.ClientSecret != "" {
			set("client_secret", r.ClientSecret)
		}
	case AuthNone, AuthTLSClient, AuthSelfSignedTLS:
		// RFC 8705 §2: a mutual-TLS client names itself with client_id.
		if r.ClientID != "" {
			set("client_id", r.ClientID)
		}
	case AuthPrivateKeyJWT, AuthClientSecretJWT:
		assertion := r.ClientAssertion
		if assertion == "" {
			a, err := sign.clientAssertion(p, style)
			if err != nil {
				return err
			}
			assertion = a
		}
		// client_id is optional beside an assertion (RFC 7521 §4.2) but
		// Microsoft Entra requires it.
		set("client_id", r.ClientID)
		set("client_assertion_type", ClientAssertionType)
		set("client_assertion", assertion)
	}
	return nil
}

// encodeBody returns the request body and its content type. Both encodings
// are deterministic: url.Values.Encode and encoding/json sort the keys. In
// JSON a repeated parameter becomes an array.
func encodeBody(enc Encoding, m url.Values) ([]byte, string, error) {
	if enc == EncodingJSON {
		obj := make(map[string]any, len(m))
		for k, v := range m {
			if len(v) == 1 {
				obj[k] = v[0]
			} else {
				obj[k] = v
			}
		}
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		if err := e.Encode(obj); err != nil {
			return nil, "", fmt.Errorf("oauthclient: encoding the request as JSON: %w", err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json", nil
	}
	return []byte(m.Encode()), "application/x-www-form-urlencoded", nil
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
