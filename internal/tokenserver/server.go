// Package tokenserver is a small OAuth 2.0 authorization server (RFC 6749)
// that only ever listens on the loopback interface. It issues opaque bearer
// tokens for the client credentials, resource owner password, refresh token
// and authorization code (with PKCE, RFC 7636) grants, the JWT bearer grant
// (RFC 7523), token exchange (RFC 8693) and the device authorization grant
// (RFC 8628), revokes them (RFC 7009), publishes its metadata (RFC 8414) and
// serves one protected resource, /api/me, that accepts them. Clients
// authenticate with a secret, a signed JWT (RFC 7523 §2.2) or, when started
// with Config.TLS, a TLS client certificate (RFC 8705), which also binds
// their tokens.
//
// The demo, the benchmarks and the tests talk to it instead of a real
// identity provider, so they run offline and can count every request. Config
// also has knobs that make the server misbehave the way real providers do (no
// expires_in, expires_in as a string, form-encoded answers, secrets echoed in
// error descriptions) so clients can be tested against them.
package tokenserver

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Paths served by the Handler.
const (
	// TokenPath is the token endpoint (RFC 6749 §3.2).
	TokenPath = "/oauth2/token"
	// AuthorizePath is the authorization endpoint (RFC 6749 §3.1).
	AuthorizePath = "/oauth2/authorize"
	// APIPath is the protected resource: it answers who a bearer token
	// belongs to (RFC 6750 §2.1).
	APIPath = "/api/me"
	// MetadataPath serves the authorization server metadata (RFC 8414
	// §3), from which clients discover every other endpoint.
	MetadataPath = "/.well-known/oauth-authorization-server"
	// OpenIDConfigurationPath serves the same document under the name
	// OpenID Connect Discovery 1.0 §4 uses, which many clients try first.
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	// RevocationPath is the token revocation endpoint (RFC 7009 §2).
	RevocationPath = "/oauth2/revoke"
	// DeviceAuthorizationPath is the device authorization endpoint (RFC
	// 8628 §3.1).
	DeviceAuthorizationPath = "/oauth2/device_authorization"
	// DeviceVerificationPath is the verification URI of the device
	// authorization grant (RFC 8628 §3.3): a page where the user enters
	// the user code and approves or denies the device.
	DeviceVerificationPath = "/device"
)

// DefaultTokenLifetime is the access token lifetime when Config.TokenLifetime
// is zero.
const DefaultTokenLifetime = time.Hour

// codeLifetime bounds how long an authorization code can be exchanged; RFC
// 6749 §4.1.2 recommends at most ten minutes.
const codeLifetime = 10 * time.Minute

// AuthMethod is a way a confidential client authenticates to the token
// endpoint (RFC 6749 §2.3.1).
type AuthMethod string

// Client authentication methods.
const (
	// AuthBasic is client_secret_basic: an HTTP Basic Authorization header
	// carrying the form-encoded client id and secret.
	AuthBasic AuthMethod = "basic"
	// AuthPost is client_secret_post: client_id and client_secret in the
	// request body.
	AuthPost AuthMethod = "post"
	// AuthPrivateKeyJWT is private_key_jwt (OIDC Core §9, RFC 7523 §2.2): a
	// JWT signed with a key in Client.PublicKeys, sent as client_assertion.
	AuthPrivateKeyJWT AuthMethod = "private_key_jwt"
	// AuthClientSecretJWT is client_secret_jwt (OIDC Core §9): a JWT signed
	// with HS256 keyed by Client.Secret, sent as client_assertion. RFC 7518
	// §3.2 requires that key to have at least 32 bytes.
	AuthClientSecretJWT AuthMethod = "client_secret_jwt"
	// AuthTLSClient is tls_client_auth (RFC 8705 §2.1): the client presents
	// an X.509 certificate in the TLS handshake and names itself with
	// client_id in the body. Real servers validate the certificate chain
	// and match a registered subject DN or SAN; this server pins the
	// certificate through Client.TLSClientCertSHA256 instead, which needs
	// no CA and proves the same thing to a test.
	AuthTLSClient AuthMethod = "tls_client_auth"
	// AuthSelfSignedTLS is self_signed_tls_client_auth (RFC 8705 §2.2): as
	// AuthTLSClient, with the certificate matched against the registered
	// ones (Client.TLSClientCertSHA256) rather than a CA.
	AuthSelfSignedTLS AuthMethod = "self_signed_tls_client_auth"
)

// needsCredential reports whether m authenticates with something other than
// the client secret alone, so a client listing it is never public.
func (m AuthMethod) needsCredential() bool {
	switch m {
	case AuthPrivateKeyJWT, AuthClientSecretJWT, AuthTLSClient, AuthSelfSignedTLS:
		return true
	}
	return false
}

// usesTLS reports whether m authenticates with a TLS client certificate.
func (m AuthMethod) usesTLS() bool { return m == AuthTLSClient || m == AuthSelfSignedTLS }

// Client is a registered OAuth client (RFC 6749 §2).
type Client struct {
	// Secret is the client secret. An empty Secret makes a public client
	// (RFC 6749 §2.1): it identifies itself with client_id alone, may not use
	// the client credentials grant and must use PKCE with authorization codes.
	Secret string
	// AuthMethods lists how a confidential client may authenticate. Empty
	// means both AuthBasic and AuthPost; the JWT and TLS methods must be
	// listed to be allowed, so clients registered before they existed keep
	// authenticating exactly as they did. A client that lists a JWT or TLS
	// method is confidential even when Secret is empty.
	AuthMethods []AuthMethod
	// PublicKeys verify the client assertions of AuthPrivateKeyJWT:
	// *rsa.PublicKey (RS256, PS256), *ecdsa.PublicKey on P-256 (ES256) or
	// P-384 (ES384), or ed25519.PublicKey (EdDSA).
	PublicKeys []crypto.PublicKey
	// TLSClientCertSHA256 are the hex SHA-256 digests of the DER encoding
	// of the certificates the client may present with AuthTLSClient or
	// AuthSelfSignedTLS. Colons and case are ignored, so the output of
	// "openssl x509 -fingerprint -sha256" may be pasted as is.
	TLSClientCertSHA256 []string
	// RedirectURIs are the registered redirection endpoints (RFC 6749
	// §3.1.2.2). Empty accepts any absolute http or https URI, which keeps
	// tests that start their own callback listener simple.
	RedirectURIs []string
}

// Config describes the clients, users and behaviour of a Server. The zero
// value is a working server with no clients, which answers invalid_client to
// every token request.
type Config struct {
	// Addr is the listen address for Start. Empty means 127.0.0.1:0; any
	// other value must be a loopback IP address with a port.
	Addr string

	// Clients maps client ids to registrations.
	Clients map[string]Client
	// Users maps resource owner usernames to passwords, for the password
	// grant and as the user who approves authorization requests.
	Users map[string]string

	// Scopes, when not empty, is the set of scopes the server knows; a
	// request for any other scope answers invalid_scope (RFC 6749 §5.2).
	Scopes []string
	// PasswordWithoutClient accepts password grants that carry no client
	// authentication at all, as the token endpoints of integration
	// platforms' webhook senders do: the body holds only username, password,
	// grant_type and scope. Such grants get no refresh token, because a
	// refresh must authenticate a client (RFC 6749 §6).
	PasswordWithoutClient bool

	// DefaultScope is granted when a request names no scope (RFC 6749 §3.3).
	DefaultScope string

	// AssertionIssuers maps the iss of JWT bearer grant assertions (RFC
	// 7523 §2.1) to the keys that verify them. A request for that grant
	// need not authenticate a client (RFC 7523 §3.1); when it does, the
	// client is authenticated as for any other grant.
	AssertionIssuers map[string]AssertionIssuer
	// TrustedIssuers maps the iss of JWTs accepted as subject_token or
	// actor_token in token exchange (RFC 8693) to the keys that verify them.
	TrustedIssuers map[string]AssertionIssuer
	// TokenExchangeWithoutClient accepts token exchange requests that carry
	// no client authentication at all (RFC 8693 §2.1 leaves client
	// authentication to the server's policy). A request that identifies a
	// client is still authenticated.
	TokenExchangeWithoutClient bool

	// TLS makes Start serve HTTPS with a freshly generated self-signed
	// certificate (see CACertPEM) and ask every client for a certificate,
	// which the mutual-TLS client authentication of RFC 8705 needs. The
	// certificate is requested, not required: clients without one still
	// connect and authenticate in other ways.
	TLS bool

	// TokenLifetime is how long access tokens stay valid. Zero means
	// DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Latency is slept before every token request is answered, so
	// benchmarks can model a remote identity provider.
	Latency time.Duration
	// RotateRefreshTokens makes every refresh issue a new refresh token and
	// retire the presented one. Presenting a retired refresh token again
	// answers invalid_grant and revokes every token descended from the same
	// grant, the reuse detection of RFC 9700 §4.14.2.
	RotateRefreshTokens bool

	// OmitExpiresIn leaves expires_in out of token responses; the tokens
	// still expire after TokenLifetime.
	OmitExpiresIn bool
	// ExpiresInAsString sends expires_in as a JSON string ("3600"), as some
	// providers do.
	ExpiresInAsString bool
	// FormEncodedResponse answers token requests, errors included, with an
	// application/x-www-form-urlencoded body instead of JSON.
	FormEncodedResponse bool
	// EchoSecretsInErrors copies the presented client secret, password,
	// refresh token or code into error_description, so clients can prove
	// they redact what a careless server reflects.
	EchoSecretsInErrors bool

	// MetadataIssuer, when set, is the issuer the metadata document (RFC
	// 8414 §2) names instead of the server's base URL, so clients can be
	// tested against the issuer mismatch RFC 8414 §3.3 tells them to
	// refuse. The endpoint URLs in the document are unaffected.
	MetadataIssuer string
	// AuthMethodsSupported, when not empty, is published as
	// token_endpoint_auth_methods_supported and
	// revocation_endpoint_auth_methods_supported (RFC 8414 §2) verbatim,
	// so a test can advertise methods the clients were not registered
	// with. Empty publishes what the registered clients accept.
	AuthMethodsSupported []string
	// DisableMetadata answers 404 at MetadataPath and
	// OpenIDConfigurationPath, as servers without discovery do.
	DisableMetadata bool

	// DeviceCodeLifetime is how long a device code of the device
	// authorization grant (RFC 8628) may be polled with. Zero means
	// DefaultDeviceCodeLifetime.
	DeviceCodeLifetime time.Duration
	// DevicePollInterval is the minimum time between a device's polls of
	// the token endpoint (RFC 8628 §3.2 interval); a sooner poll answers
	// slow_down. Zero means DefaultDevicePollInterval; a negative value
	// means no minimum at all, for tests that poll in a tight loop.
	DevicePollInterval time.Duration

	// ConsentPage makes the authorization endpoint ask the user first: a
	// GET answers an HTML page naming the client, the scopes to be granted
	// and the user, with Allow and Deny buttons in a form that POSTs the
	// request's parameters back with a single-use anti-CSRF token. Allow
	// redirects with the code, Deny with error=access_denied (RFC 6749
	// §4.1.2.1); a POST without a valid token is refused with 403. Without
	// it every valid request is approved at once.
	ConsentPage bool

	// Now is the clock; nil means time.Now. Tests move it to expire tokens.
	Now func() time.Time
}

// Server is an OAuth 2.0 authorization server and protected resource. Its
// methods are safe for concurrent use.
type Server struct {
	cfg     Config
	now     func() time.Time
	handler http.Handler

	mu       sync.Mutex
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	codes    map[string]*authCode
	devices  map[string]*deviceGrant // by device code
	ucodes   map[string]string       // normalized user code to device code
	revoked  map[string]bool         // grant families revoked by reuse detection or RFC 7009
	usedJTIs map[string]time.Time    // iss + NUL + jti of accepted JWTs, until their exp
	consents map[string]consentForm  // anti-CSRF token of a consent page to what it was issued for
	counters Stats

	lifeMu sync.Mutex
	srv    *http.Server
	url    string
	caPEM  string
	done   chan struct{}
}

// New returns a Server for cfg. It serves nothing until Start is called or
// its Handler is mounted elsewhere (httptest.NewServer). The maps in cfg are
// copied, so later changes to them have no effect.
func New(cfg Config) *Server {
	cfg.Clients = cloneClients(cfg.Clients)
	cfg.Users = maps.Clone(cfg.Users)
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.AuthMethodsSupported = slices.Clone(cfg.AuthMethodsSupported)
	cfg.AssertionIssuers = cloneIssuers(cfg.AssertionIssuers)
	cfg.TrustedIssuers = cloneIssuers(cfg.TrustedIssuers)
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	if cfg.DeviceCodeLifetime <= 0 {
		cfg.DeviceCodeLifetime = DefaultDeviceCodeLifetime
	}
	switch {
	case cfg.DevicePollInterval == 0:
		cfg.DevicePollInterval = DefaultDevicePollInterval
	case cfg.DevicePollInterval < 0:
		cfg.DevicePollInterval = 0
	}
	s := &Server{
		cfg:      cfg,
		now:      cfg.Now,
		access:   map[string]*accessToken{},
		refresh:  map[string]*refreshToken{},
		codes:    map[string]*authCode{},
		devices:  map[string]*deviceGrant{},
		ucodes:   map[string]string{},
		revoked:  map[string]bool{},
		usedJTIs: map[string]time.Time{},
		consents: map[string]consentForm{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.counters.Grants = map[string]int64{}

	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, s.handleToken)
	mux.HandleFunc(AuthorizePath, s.handleAuthorize)
	mux.HandleFunc(APIPath, s.handleAPI)
	mux.HandleFunc(RevocationPath, s.handleRevoke)
	mux.HandleFunc(DeviceAuthorizationPath, s.handleDeviceAuthorization)
	mux.HandleFunc(DeviceVerificationPath, s.handleDevice)
	mux.HandleFunc(MetadataPath, s.handleMetadata)
	mux.HandleFunc(OpenIDConfigurationPath, s.handleMetadata)
	s.handler = mux
	return s
}

// Handler returns the server's HTTP handler, for mounting on an
// httptest.Server or another mux. Endpoint URLs are then the mount's base URL
// plus TokenPath, AuthorizePath, APIPath and the other paths above; the
// metadata document at MetadataPath lists them all.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Config.Addr (127.0.0.1:0 when empty) and serves in the
// background until Close. It refuses any address that is not a loopback IP,
// because the server hands out tokens to whoever asks with the demo
// credentials.
func (s *Server) Start() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.srv != nil {
		return errors.New("tokenserver: already started")
	}
	addr := s.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tokenserver: listen on %q: %w", addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Slow answers are deliberate when Latency is set; the write
		// deadline must leave room for them.
		WriteTimeout: 30*time.Second + s.cfg.Latency,
		IdleTimeout:  60 * time.Second,
	}
	scheme := "http"
	if s.cfg.TLS {
		cert, certPEM, err := selfSignedCert(ln.Addr())
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{cert},
			// RFC 8705 §2: the client certificate is checked by the
			// token endpoint against the client's registration, not by
			// the TLS stack against a CA, so any certificate is taken.
			ClientAuth: tls.RequestClientCert,
			MinVersion: tls.VersionTLS12,
		})
		s.caPEM = certPEM
		scheme = "https"
	}
	s.url = scheme + "://" + ln.Addr().String()
	s.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln) // always ErrServerClosed after Close
	}(s.srv, s.done)
	return nil
}

// Close stops a started server, waiting up to five seconds for requests in
// flight. It is safe to call more than once and on a server never started.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	srv, done := s.srv, s.done
	s.lifeMu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		err = srv.Close()
	}
	<-done
	return err
}

// URL returns the base URL, such as http://127.0.0.1:41234 (https with
// Config.TLS), or "" before Start.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.url
}

// TokenURL returns the token endpoint URL, or "" before Start.
func (s *Server) TokenURL() string { return s.endpoint(TokenPath) }

// AuthorizeURL returns the authorization endpoint URL, or "" before Start.
func (s *Server) AuthorizeURL() string { return s.endpoint(AuthorizePath) }

// APIURL returns the protected resource URL, or "" before Start.
func (s *Server) APIURL() string { return s.endpoint(APIPath) }

// MetadataURL returns the authorization server metadata URL (RFC 8414 §3),
// or "" before Start.
func (s *Server) MetadataURL() string { return s.endpoint(MetadataPath) }

// RevocationURL returns the revocation endpoint URL (RFC 7009 §2), or ""
// before Start.
func (s *Server) RevocationURL() string { return s.endpoint(RevocationPath) }

func (s *Server) endpoint(path string) string {
	u := s.URL()
	if u == "" {
		return ""
	}
	return u + path
}

// checkLoopback accepts host:port only when host is a literal loopback IP.
// Names such as "localhost" are refused too: what they resolve to is up to
// the machine's configuration.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("tokenserver: listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("tokenserver: refusing to listen on %q: only loopback IP addresses such as 127.0.0.1 are allowed", addr)
	}
	return nil
}

// isPublic reports whether c is a public client (RFC 6749 §2.1): it has no
// secret and lists no method that authenticates with a key or certificate.
func (c Client) isPublic() bool {
	return c.Secret == "" && !slices.ContainsFunc(c.AuthMethods, AuthMethod.needsCredential)
}

func cloneClients(in map[string]Client) map[string]Client {
	out := make(map[string]Client, len(in))
	for id, c := range in {
		c.AuthMethods = slices.Clone(c.AuthMethods)
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		c.PublicKeys = slices.Clone(c.PublicKeys)
		c.TLSClientCertSHA256 = slices.Clone(c.TLSClientCertSHA256)
		out[id] = c
	}
	return out
}

func cloneIssuers(in map[string]AssertionIssuer) map[string]AssertionIssuer {
	out := make(map[string]AssertionIssuer, len(in))
	for iss, ai := range in {
		ai.PublicKeys = slices.Clone(ai.PublicKeys)
		ai.Subjects = slices.Clone(ai.Subjects)
		ai.Audiences = slices.Clone(ai.Audiences)
		out[iss] = ai
	}
	return out
}
