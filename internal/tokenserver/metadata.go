package tokenserver

import (
	"net/http"
	"slices"
)

// Metadata is the authorization server metadata document (RFC 8414 §2)
// served at MetadataPath and OpenIDConfigurationPath.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	// RevocationEndpoint is RFC 7009's, advertised as RFC 8414 §2 says.
	RevocationEndpoint string `json:"revocation_endpoint"`
	// DeviceAuthorizationEndpoint is RFC 8628 §4's addition.
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`

	// TokenEndpointAuthMethodsSupported uses the names of the IANA
	// registry (RFC 7591 §4.2): client_secret_basic, client_secret_post,
	// private_key_jwt, client_secret_jwt, tls_client_auth,
	// self_signed_tls_client_auth and none for public clients.
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported"`
	// ScopesSupported is Config.Scopes, omitted when any scope is taken.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// TLSClientCertificateBoundAccessTokens is set for a server started
	// with Config.TLS, whose tokens are bound to the certificate a client
	// authenticated with (RFC 8705 §3.3).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
}

// supportedGrantTypes are the grant types the token endpoint accepts, in the
// order their specifications appeared.
var supportedGrantTypes = []string{
	"authorization_code",
	"password",
	"client_credentials",
	"refresh_token",
	GrantTypeJWTBearer,
	GrantTypeTokenExchange,
	GrantTypeDeviceCode,
}

// authMethodOrder is the order token_endpoint_auth_methods_supported lists
// registered methods in, so the document is the same on every request
// whatever order the clients map iterates in.
var authMethodOrder = []string{
	"client_secret_basic",
	"client_secret_post",
	string(AuthClientSecretJWT),
	string(AuthPrivateKeyJWT),
	string(AuthTLSClient),
	string(AuthSelfSignedTLS),
	"none",
}

// registeredName is the IANA registry name of m (RFC 7591 §2).
func (m AuthMethod) registeredName() string {
	switch m {
	case AuthBasic:
		return "client_secret_basic"
	case AuthPost:
		return "client_secret_post"
	}
	return string(m)
}

// authMethodsSupported is Config.AuthMethodsSupported, or else the union of
// the methods the registered clients may use, as authenticateClient accepts
// them: public clients are "none", a client without AuthMethods may use
// either secret method.
func (s *Server) authMethodsSupported() []string {
	if len(s.cfg.AuthMethodsSupported) > 0 {
		return slices.Clone(s.cfg.AuthMethodsSupported)
	}
	used := map[string]bool{}
	for _, c := range s.cfg.Clients {
		switch {
		case c.isPublic():
			used["none"] = true
		case len(c.AuthMethods) == 0:
			used["client_secret_basic"] = true
			used["client_secret_post"] = true
		default:
			for _, m := range c.AuthMethods {
				used[m.registeredName()] = true
			}
		}
	}
	var out []string
	for _, m := range authMethodOrder {
		if used[m] {
			out = append(out, m)
		}
	}
	return out
}

// metadata builds the document for a request: endpoint URLs are built from
// the base URL the server knows itself by, which for a Handler mounted
// elsewhere is the one the request reached.
func (s *Server) metadata(r *http.Request) Metadata {
	base := s.issuerURL(r)
	issuer := base
	if s.cfg.MetadataIssuer != "" {
		issuer = s.cfg.MetadataIssuer
	}
	methods := s.authMethodsSupported()
	return Metadata{
		Issuer:                                 issuer,
		AuthorizationEndpoint:                  base + AuthorizePath,
		TokenEndpoint:                          base + TokenPath,
		RevocationEndpoint:                     base + RevocationPath,
		DeviceAuthorizationEndpoint:            base + DeviceAuthorizationPath,
		TokenEndpointAuthMethodsSupported:      methods,
		RevocationEndpointAuthMethodsSupported: slices.Clone(methods),
		GrantTypesSupported:                    slices.Clone(supportedGrantTypes),
		ResponseTypesSupported:                 []string{"code"},
		// Only S256: the authorization endpoint refuses "plain".
		CodeChallengeMethodsSupported:         []string{"S256"},
		ScopesSupported:                       slices.Clone(s.cfg.Scopes),
		TLSClientCertificateBoundAccessTokens: s.cfg.TLS,
	}
}

// handleMetadata serves the metadata document (RFC 8414 §3.2) to GET, or
// 404 with Config.DisableMetadata.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counters.MetadataRequests++
	s.mu.Unlock()

	if s.cfg.DisableMetadata {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "the metadata document is read with GET"})
		return
	}
	writeJSON(w, http.StatusOK, s.metadata(r))
}
