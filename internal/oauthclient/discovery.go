package oauthclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The well-known addresses of a metadata document.
const (
	// wellKnownOAuth is inserted between an issuer's host and its path
	// (RFC 8414 §3.1).
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
	// wellKnownOpenID is appended to an issuer (OpenID Connect Discovery
	// 1.0 §4.1).
	wellKnownOpenID = "/.well-known/openid-configuration"
)

// ServerMetadata is an authorization server's metadata (RFC 8414 §2, OpenID
// Connect Discovery 1.0 §3), as Discover found and checked it: the issuer is
// the configured one, and every endpoint is an absolute https URL (or plain
// http where the Client allows it). A ServerMetadata is shared by every
// caller of Discover for its issuer: treat it as read-only.
type ServerMetadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	// TokenEndpoint is empty when the server lists none, which RFC 8414 §2
	// allows for a server that only supports the implicit grant; a caller
	// that needs one reports that discovery found none.
	TokenEndpoint               string `json:"token_endpoint,omitempty"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint,omitempty"`
	RevocationEndpoint          string `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint       string `json:"introspection_endpoint,omitempty"`
	JWKSURI                     string `json:"jwks_uri,omitempty"`
	UserinfoEndpoint            string `json:"userinfo_endpoint,omitempty"`

	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	ResponseTypesSupported []string `json:"response_types_supported,omitempty"`
	GrantTypesSupported    []string `json:"grant_types_supported,omitempty"`
	// TokenEndpointAuthMethodsSupported lists client authentication
	// methods (see AuthStyleFor); empty means client_secret_basic
	// (RFC 8414 §2).
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported,omitempty"`

	// MTLSEndpointAliases are the endpoints a client authenticating with
	// mutual TLS uses instead (RFC 8705 §5), by metadata name.
	MTLSEndpointAliases map[string]string `json:"mtls_endpoint_aliases,omitempty"`

	// MetadataURL is the address the document was read from.
	MetadataURL string `json:"-"`
	// Raw is the whole JSON object as the server sent it, fields this type
	// does not name included, for a data source to expose.
	Raw json.RawMessage `json:"-"`
	// FetchedAt is when the document was read.
	FetchedAt time.Time `json:"-"`
}

// Discover returns the metadata of the authorization server identified by
// issuer (RFC 8414, OpenID Connect Discovery 1.0), read once per issuer for
// the Client's life (a provider run) and shared by concurrent callers.
//
// The issuer must be an https URL (plain http only for a loopback host, or
// where the Client allows insecure http) without query or fragment (RFC 8414
// §2); otherwise Discover fails without a request. It reads the RFC 8414
// address first (https://host/.well-known/oauth-authorization-server/path),
// then, when that answers 404 or 410 (no document there) or 400 or 405
// (what some servers and gateways answer for a path they do not route), the
// OpenID Connect address (the issuer, without a trailing slash, followed by
// /.well-known/openid-configuration). A redirect is never followed. Network
// errors, 429 and 5xx are retried as for a token request. The document's
// issuer must equal the configured one exactly (RFC 8414 §3.3, OpenID
// Connect Discovery §4.3), and every endpoint in it must be an absolute
// https URL under the same rule as the issuer. A failed discovery is not
// kept: the next call asks again.
func (c *Client) Discover(ctx context.Context, issuer string) (*ServerMetadata, error) {
	u, err := parseIssuer(issuer, c.opts.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if m, ok := c.metadata.Load(issuer); ok {
		if m, ok := m.(*ServerMetadata); ok {
			return m, nil
		}
	}
	for {
		ch := c.discoverGroup.DoChan(issuer, func() (any, error) {
			// Another flight may have just stored the document.
			if m, ok := c.metadata.Load(issuer); ok {
				return m, nil
			}
			m, err := c.discover(ctx, issuer, u)
			if err != nil {
				if ctx.Err() != nil {
					return nil, &leaderGone{err: err}
				}
				return nil, err
			}
			c.metadata.Store(issuer, m)
			return m, nil
		})
		select {
		case <-ctx.Done():
			return nil, &scrubbedError{msg: fmt.Sprintf("oauthclient: discovery for issuer %q stopped: %v", issuer, ctx.Err()), err: ctx.Err()}
		case res := <-ch:
			if res.Err != nil {
				var lg *leaderGone
				if errors.As(res.Err, &lg) {
					if ctx.Err() == nil {
						// The caller that started the fetch gave up;
						// this one has not.
						continue
					}
					return nil, lg.err
				}
				return nil, res.Err
			}
			m, ok := res.Val.(*ServerMetadata)
			if !ok {
				return nil, fmt.Errorf("oauthclient: internal error: shared discovery returned %T, not *ServerMetadata", res.Val)
			}
			return m, nil
		}
	}
}

// parseIssuer checks an issuer identifier (RFC 8414 §2): an https URL, or
// http to loopback or where allowed, with a host and no user information,
// query or fragment.
func parseIssuer(issuer string, allowInsecureHTTP bool) (*url.URL, error) {
	if issuer == "" {
		return nil, errors.New("oauthclient: discovery needs an issuer, such as https://login.example.com (RFC 8414 §2)")
	}
	shown := RedactURL(issuer)
	u, err := url.Parse(issuer)
	var why string
	switch {
	case err != nil:
		why = "is not a valid URL"
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		why = "is not an absolute https URL (want https://host or https://host/path)"
	case u.User != nil:
		return nil, fmt.Errorf("oauthclient: the issuer for host %q must not contain user information (RFC 8414 §2)", u.Hostname())
	case u.RawQuery != "" || u.ForceQuery:
		why = "must not contain a query"
	case u.Fragment != "" || strings.Contains(issuer, "#"):
		why = "must not contain a fragment"
	case u.Scheme == "http" && !allowInsecureHTTP && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("oauthclient: the issuer %q uses plain http to host %q; use https, or allow insecure http explicitly (RFC 8414 §2 requires the https scheme)", shown, u.Hostname())
	}
	if why != "" {
		return nil, fmt.Errorf("oauthclient: the issuer %q %s (RFC 8414 §2)", shown, why)
	}
	return u, nil
}

// wellKnownURLs returns the addresses of issuer's metadata document: RFC
// 8414 §3.1 inserts the well-known path between the host and the issuer's
// path, without the path's terminating "/"; OpenID Connect Discovery §4.1
// appends it to the issuer without its trailing "/".
func wellKnownURLs(issuer string, u *url.URL) (oauth, openid string) {
	oauth = u.Scheme + "://" + u.Host + wellKnownOAuth + strings.TrimSuffix(u.EscapedPath(), "/")
	openid = strings.TrimSuffix(issuer, "/") + wellKnownOpenID
	return oauth, openid
}

// discoveryFallback reports an answer at the RFC 8414 address after which
// the OpenID Connect address is tried: 404 and 410 say no document is
// there; 400 and 405 are what some servers and gateways answer for a path
// they do not route (a tenant-aware server reading the well-known segment
// as a tenant, an API gateway allowing only the methods of its routes).
func discoveryFallback(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return true
	}
	return false
}

// discover reads and checks issuer's metadata from its well-known addresses.
func (c *Client) discover(ctx context.Context, issuer string, u *url.URL) (*ServerMetadata, error) {
	// No secret goes into a discovery request; the redactor only cleans
	// server text and keeps the issuer's host readable.
	rd := &redactor{}
	rd.keepHost(u.Host, u.Hostname())
	oauthURL, openidURL := wellKnownURLs(issuer, u)

	m, status, err := c.fetchMetadata(ctx, issuer, oauthURL, rd)
	if err == nil || !discoveryFallback(status) {
		return m, err
	}
	if c.opts.Logger != nil {
		c.opts.Logger(ctx, "discovery fallback", map[string]any{"issuer": issuer, "from": oauthURL, "status": status, "to": openidURL})
	}
	m, status2, err2 := c.fetchMetadata(ctx, issuer, openidURL, rd)
	switch {
	case err2 == nil:
		return m, nil
	case discoveryFallback(status2):
		return nil, fmt.Errorf("oauthclient: discovery found no metadata for issuer %q: %q (RFC 8414) answered status %d and %q (OpenID Connect) answered status %d; "+
			"check the issuer (the exact value the server puts in its tokens' iss claim), or configure the endpoints instead", issuer, oauthURL, status, openidURL, status2)
	}
	return nil, &scrubbedError{msg: fmt.Sprintf("%s (the RFC 8414 address %q had answered status %d)", err2.Error(), oauthURL, status), err: err2}
}

// fetchMetadata reads and checks the document at addr. Besides an error it
// returns the status of an answer that is no document (not 200, not a
// redirect), for discover to decide on the fallback.
func (c *Client) fetchMetadata(ctx context.Context, issuer, addr string, rd *redactor) (*ServerMetadata, int, error) {
	au, err := url.Parse(addr)
	if err != nil {
		return nil, 0, fmt.Errorf("oauthclient: the metadata address %q for issuer %q is not a valid URL: %v", RedactURL(addr), issuer, errors.Unwrap(err))
	}
	ec := &endpointCall{
		what: "discovery request", method: http.MethodGet, url: addr, shown: RedactURL(addr), hc: c.hc, rd: rd,
		build: func() ([]byte, func(*http.Request), error) {
			return nil, func(r *http.Request) { r.Header.Set("Accept", "application/json") }, nil
		},
		logFields: map[string]any{"issuer": issuer},
	}
	ans, err := c.do(ctx, ec)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case ans.tooLarge:
		return nil, 0, &scrubbedError{
			msg: fmt.Sprintf("oauthclient: the metadata document at %q exceeded the 1 MiB limit (status %d) and was not read further; check the issuer", ec.shown, ans.status),
			err: ErrBodyTooLarge,
		}
	case ans.status >= 300 && ans.status < 400:
		return nil, 0, fmt.Errorf("oauthclient: the metadata address %q answered with a redirect (status %d) to %s; discovery never follows redirects, "+
			"because the document's issuer must be the configured one exactly (RFC 8414 §3.3): set the issuer to the server's final address",
			ec.shown, ans.status, redirectTarget(au, ans.header.Get("Location"), rd))
	case ans.status != http.StatusOK:
		_, detail := answerDetail(ans.header.Get("Content-Type"), ans.data, rd)
		return nil, ans.status, fmt.Errorf("oauthclient: the metadata address %q answered with status %d and %s, not a metadata document", ec.shown, ans.status, detail)
	}
	m, err := parseMetadata(ans.data, ans.header.Get("Content-Type"), ec.shown, rd)
	if err != nil {
		return nil, 0, err
	}
	if m.Issuer != issuer {
		if m.Issuer == "" {
			return nil, 0, fmt.Errorf("oauthclient: the metadata at %q names no issuer; it must name the configured issuer %q (RFC 8414 §3.3)", ec.shown, issuer)
		}
		return nil, 0, fmt.Errorf("oauthclient: the metadata at %q names issuer %s, not the configured issuer %q; the two must be identical, a trailing slash included "+
			"(RFC 8414 §3.3, OpenID Connect Discovery §4.3): if that server is the one meant, set the issuer to its value",
			ec.shown, rd.quoteServerText(m.Issuer, maxServerText), issuer)
	}
	if err := c.checkMetadataEndpoints(m, ec.shown, rd); err != nil {
		return nil, 0, err
	}
	m.MetadataURL = addr
	m.FetchedAt = timeNow()
	return m, 0, nil
}

// parseMetadata reads a metadata document: a JSON object (RFC 8414 §3.2).
// Members are matched by their exact names, unlike encoding/json's
// case-insensitive matching, so that no "Issuer" can stand in for "issuer";
// a null member counts as absent.
func parseMetadata(data []byte, contentType, shown string, rd *redactor) (*ServerMetadata, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	var obj map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &obj) != nil || obj == nil {
		_, detail := answerDetail(contentType, data, rd)
		return nil, fmt.Errorf("oauthclient: the metadata address %q answered with status 200 and %s, not a JSON metadata document (RFC 8414 §3.2); check the issuer", shown, detail)
	}
	m := &ServerMetadata{Raw: json.RawMessage(bytes.TrimRight(trimmed, " \t\r\n"))}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"issuer", &m.Issuer},
		{"authorization_endpoint", &m.AuthorizationEndpoint},
		{"token_endpoint", &m.TokenEndpoint},
		{"device_authorization_endpoint", &m.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", &m.RevocationEndpoint},
		{"introspection_endpoint", &m.IntrospectionEndpoint},
		{"jwks_uri", &m.JWKSURI},
		{"userinfo_endpoint", &m.UserinfoEndpoint},
	} {
		if err := member(obj, f.name, f.dst); err != nil {
			return nil, fmt.Errorf("oauthclient: the metadata at %q has a %s that is not a string (RFC 8414 §2)", shown, f.name)
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{
		{"scopes_supported", &m.ScopesSupported},
		{"response_types_supported", &m.ResponseTypesSupported},
		{"grant_types_supported", &m.GrantTypesSupported},
		{"token_endpoint_auth_methods_supported", &m.TokenEndpointAuthMethodsSupported},
		{"token_endpoint_auth_signing_alg_values_supported", &m.TokenEndpointAuthSigningAlgValuesSupported},
		{"revocation_endpoint_auth_methods_supported", &m.RevocationEndpointAuthMethodsSupported},
		{"code_challenge_methods_supported", &m.CodeChallengeMethodsSupported},
	} {
		if err := member(obj, f.name, f.dst); err != nil {
			return nil, fmt.Errorf("oauthclient: the metadata at %q has a %s that is not an array of strings (RFC 8414 §2)", shown, f.name)
		}
	}
	if err := member(obj, "mtls_endpoint_aliases", &m.MTLSEndpointAliases); err != nil {
		return nil, fmt.Errorf("oauthclient: the metadata at %q has an mtls_endpoint_aliases that is not an object of URLs (RFC 8705 §5)", shown)
	}
	return m, nil
}

// member decodes obj[name] into dst when it is present and not null.
func member(obj map[string]json.RawMessage, name string, dst any) error {
	v, ok := obj[name]
	if !ok || string(v) == "null" {
		return nil
	}
	return json.Unmarshal(v, dst)
}

// checkMetadataEndpoints requires every endpoint of m to be an absolute
// https URL, plain http only where the Client allows it for the issuer
// (RFC 8414 §2: jwks_uri and the endpoints use the https scheme), so that
// discovery never points a credential at a plain http address.
func (c *Client) checkMetadataEndpoints(m *ServerMetadata, shown string, rd *redactor) error {
	for _, f := range []struct{ name, value string }{
		{"authorization_endpoint", m.AuthorizationEndpoint},
		{"token_endpoint", m.TokenEndpoint},
		{"device_authorization_endpoint", m.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", m.RevocationEndpoint},
		{"introspection_endpoint", m.IntrospectionEndpoint},
		{"jwks_uri", m.JWKSURI},
		{"userinfo_endpoint", m.UserinfoEndpoint},
	} {
		if err := c.checkMetadataURL(f.name, f.value, shown, rd); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(m.MTLSEndpointAliases))
	for k := range m.MTLSEndpointAliases {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if err := c.checkMetadataURL("mtls_endpoint_aliases."+rd.serverText(k, 80), m.MTLSEndpointAliases[k], shown, rd); err != nil {
			return err
		}
	}
	return nil
}

// checkMetadataURL checks one endpoint of a document; an empty value is
// absent. The value is server text: the error shows it cleaned.
func (c *Client) checkMetadataURL(field, value, shown string, rd *redactor) error {
	if value == "" {
		return nil
	}
	u, err := url.Parse(value)
	var why string
	switch {
	case err != nil:
		why = "is not a valid URL"
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		why = "is not an absolute https URL"
	case u.User != nil:
		why = "holds user information"
	case u.Fragment != "" || strings.Contains(value, "#"):
		why = "has a fragment"
	case u.Scheme == "http" && !c.opts.AllowInsecureHTTP && !isLoopback(u.Hostname()):
		why = "uses plain http to a host that is not loopback, and insecure http is not allowed"
	default:
		return nil
	}
	return fmt.Errorf("oauthclient: the metadata at %q has a %s %s that %s (RFC 8414 §2); the server's metadata is wrong, or configure the endpoints instead of discovering them",
		shown, field, rd.quoteServerText(RedactURL(value), maxServerText), why)
}

// Client authentication method names of the OAuth Token Endpoint
// Authentication Methods registry (RFC 7591 §2, RFC 8705 §2, OpenID Connect
// Core §9), as metadata lists them.
const (
	methodClientSecretBasic = "client_secret_basic"
	methodClientSecretPost  = "client_secret_post"
	methodClientSecretJWT   = "client_secret_jwt"
	methodPrivateKeyJWT     = "private_key_jwt"
	methodTLSClientAuth     = "tls_client_auth"
	methodSelfSignedTLS     = "self_signed_tls_client_auth"
	methodNone              = "none"
)

// AuthStyleFor picks the client authentication for a token endpoint that
// lists methods (RFC 8414 token_endpoint_auth_methods_supported, or
// revocation_endpoint_auth_methods_supported) given what the caller holds.
// Empty methods means the RFC 8414 default, client_secret_basic.
//
// The strongest credential held wins: a key gives private_key_jwt; a
// certificate tls_client_auth, then self_signed_tls_client_auth; a secret
// client_secret_basic, then client_secret_post, then client_secret_jwt
// (whose need for a secret of at least 32 bytes the request itself checks);
// nothing held gives none. A credential whose methods are not listed falls
// through to the next one held. When nothing fits, it returns AuthAuto and
// false: the caller keeps AuthAuto.
func AuthStyleFor(methods []string, hasSecret, hasKey, hasCertificate bool) (AuthStyle, bool) {
	if len(methods) == 0 {
		methods = []string{methodClientSecretBasic}
	}
	listed := func(m string) bool { return slices.Contains(methods, m) }
	if hasKey && listed(methodPrivateKeyJWT) {
		return AuthPrivateKeyJWT, true
	}
	if hasCertificate {
		switch {
		case listed(methodTLSClientAuth):
			return AuthTLSClient, true
		case listed(methodSelfSignedTLS):
			return AuthSelfSignedTLS, true
		}
	}
	if hasSecret {
		switch {
		case listed(methodClientSecretBasic):
			return AuthBasic, true
		case listed(methodClientSecretPost):
			return AuthPost, true
		case listed(methodClientSecretJWT):
			return AuthClientSecretJWT, true
		}
	}
	if !hasSecret && !hasKey && !hasCertificate && listed(methodNone) {
		return AuthNone, true
	}
	return AuthAuto, false
}
