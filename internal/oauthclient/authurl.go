package oauthclient

// AuthCodeRequest describes an authorization request (RFC 6749 §4.1.1).
type AuthCodeRequest struct {
	// AuthorizationURL is the authorization endpoint; "{tenant_id}" is
	// replaced with TenantID.
	AuthorizationURL string
	TenantID         string
	ClientID         string
	RedirectURI      string
	Scopes           []string
	ScopeDelimiter   string
	// State is the opaque anti-CSRF value (RFC 6749 §10.12).
	State string
	// CodeVerifier, when set, adds code_challenge and
	// code_challenge_method=S256 (RFC 7636 §4.3).
	CodeVerifier string
	ExtraParams  map[string]string
}

// AuthCodeURL builds the URL a user opens to grant access.
func AuthCodeURL(r AuthCodeRequest) (string, error) {
	return "", nil
}

// NewCodeVerifier returns a fresh PKCE code verifier (RFC 7636 §4.1).
func NewCodeVerifier() string { return "" }

// NewState returns a random state value.
func NewState() string { return "" }
