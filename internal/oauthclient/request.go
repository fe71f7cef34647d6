package oauthclient

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
	// single-use code is never presented twice.
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

	GrantType GrantType
	AuthStyle AuthStyle
	Encoding  Encoding

	ClientID     string
	ClientSecret string

	// Scopes are joined with ScopeDelimiter into the scope parameter.
	Scopes         []string
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
}
