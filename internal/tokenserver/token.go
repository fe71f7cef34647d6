package tokenserver

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes caps token request bodies; real ones are a few hundred bytes.
const maxBodyBytes = 64 << 10

// oauthError is an error answer from the token endpoint (RFC 6749 §5.2).
type oauthError struct {
	status      int
	code        string
	description string
	// basic is set when the client tried HTTP Basic authentication; an
	// invalid_client answer must then carry WWW-Authenticate (RFC 6749 §5.2).
	basic bool
}

func badRequest(code, format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: fmt.Sprintf(format, args...)}
}

func invalidClient(basic bool, format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: fmt.Sprintf(format, args...), basic: basic}
}

// tokenAnswer is a successful access token response (RFC 6749 §5.1).
type tokenAnswer struct {
	accessToken  string
	refreshToken string
	scope        string
	// issuedTokenType is set by token exchange (RFC 8693 §2.2.1).
	issuedTokenType string
}

// authenticatedClient is the client a token request was authenticated as.
type authenticatedClient struct {
	id     string
	public bool
	// basic records that HTTP Basic was used, for WWW-Authenticate.
	basic bool
	// anonymous is a request without client authentication, allowed for
	// the password grant by Config.PasswordWithoutClient, for token exchange
	// by Config.TokenExchangeWithoutClient, and always for the JWT bearer
	// grant.
	anonymous bool
	// certSHA256 is the digest of the TLS client certificate the client
	// authenticated with (RFC 8705 §2); access tokens issued to it are
	// bound to that certificate (RFC 8705 §3).
	certSHA256 string
}

// presentsClient reports whether a request carries any client
// identification; one that does is always authenticated, even when the grant
// would let it through without.
func presentsClient(r *http.Request, params map[string]string) bool {
	_, hasID := params["client_id"]
	_, hasSecret := params["client_secret"]
	return hasID || hasSecret || hasClientAssertion(params) || r.Header.Get("Authorization") != ""
}

// clientOptional reports whether grant may be requested without client
// authentication.
func (s *Server) clientOptional(grant string) bool {
	switch grant {
	case "password":
		return s.cfg.PasswordWithoutClient
	case GrantTypeJWTBearer:
		// RFC 7523 §3.1: client authentication is optional for this grant;
		// Google's and Salesforce's token endpoints expect none.
		return true
	case GrantTypeTokenExchange:
		return s.cfg.TokenExchangeWithoutClient
	}
	return false
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counters.TokenRequests++
	s.mu.Unlock()

	if s.cfg.Latency > 0 {
		// The body is read before sleeping: net/http only notices a client
		// that hangs up once the handler has consumed the body, and a
		// benchmark that gives up must not leave sleepers behind.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(s.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up; nobody is left to answer.
			t.Stop()
			return
		}
	}

	ans, oerr := s.token(r)
	if oerr != nil {
		s.mu.Lock()
		s.counters.TokenErrors++
		if oerr.code == "invalid_grant" {
			s.counters.InvalidGrants++
		}
		s.mu.Unlock()
		s.writeTokenError(w, oerr)
		return
	}
	s.mu.Lock()
	s.counters.TokensIssued++
	s.mu.Unlock()
	s.writeToken(w, ans)
}

// token validates one token request and issues tokens for it.
func (s *Server) token(r *http.Request) (tokenAnswer, *oauthError) {
	if r.Method != http.MethodPost {
		// RFC 6749 §3.2: the client MUST use POST.
		return tokenAnswer{}, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "the token endpoint accepts POST only"}
	}
	params, values, oerr := readParams(r)
	if oerr != nil {
		s.countGrant("")
		return tokenAnswer{}, oerr
	}
	grant := params["grant_type"]
	s.countGrant(grant)

	var client authenticatedClient
	if s.clientOptional(grant) && !presentsClient(r, params) {
		client.anonymous = true
	} else {
		client, oerr = s.authenticateClient(r, params)
		if oerr != nil {
			return tokenAnswer{}, oerr
		}
	}

	var ans tokenAnswer
	switch grant {
	case "":
		return tokenAnswer{}, badRequest("invalid_request", "grant_type is required")
	case "client_credentials":
		ans, oerr = s.grantClientCredentials(client, params)
	case "password":
		ans, oerr = s.grantPassword(client, params)
	case "refresh_token":
		ans, oerr = s.grantRefresh(client, params)
	case "authorization_code":
		ans, oerr = s.grantAuthorizationCode(client, params)
	case GrantTypeJWTBearer:
		ans, oerr = s.grantJWTBearer(r, client, params)
	case GrantTypeTokenExchange:
		ans, oerr = s.grantTokenExchange(r, client, params, values)
	case GrantTypeDeviceCode:
		ans, oerr = s.grantDeviceCode(client, params)
	default:
		return tokenAnswer{}, badRequest("unsupported_grant_type", "grant_type %q is not supported", grant)
	}
	if oerr == nil && client.certSHA256 != "" {
		// RFC 8705 §3: a token issued to a client that authenticated with
		// a certificate is only good together with that certificate.
		s.mu.Lock()
		if at, ok := s.access[ans.accessToken]; ok {
			at.certSHA256 = client.certSHA256
		}
		s.mu.Unlock()
	}
	return ans, oerr
}

func (s *Server) countGrant(grant string) {
	s.mu.Lock()
	s.counters.Grants[grant]++
	s.mu.Unlock()
}

// repeatable are the parameters that may appear more than once: RFC 8693
// §2.1 allows several audience and resource values, and RFC 8707 §2 several
// resource values.
var repeatable = map[string]bool{"audience": true, "resource": true}

// readParams reads a form or JSON body. params holds one value per
// parameter, the first for a repeatable one; values holds every value, for
// the parameters that may repeat.
func readParams(r *http.Request) (params map[string]string, values url.Values, oerr *oauthError) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, nil, badRequest("invalid_request", "Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, nil, badRequest("invalid_request", "reading the request body: %v", err)
	}
	if len(body) > maxBodyBytes {
		return nil, nil, badRequest("invalid_request", "request body larger than %d bytes", maxBodyBytes)
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		return formParams(body)
	case "application/json":
		return jsonParams(body)
	default:
		return nil, nil, badRequest("invalid_request", "Content-Type %q is not supported; use application/x-www-form-urlencoded or application/json", mediaType)
	}
}

func formParams(body []byte) (map[string]string, url.Values, *oauthError) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, badRequest("invalid_request", "malformed form body: %v", err)
	}
	params := make(map[string]string, len(values))
	for k, v := range values {
		// RFC 6749 §3.2: parameters MUST NOT be included more than once.
		if len(v) > 1 && !repeatable[k] {
			return nil, nil, badRequest("invalid_request", "parameter %q is repeated", k)
		}
		params[k] = v[0]
	}
	return params, values, nil
}

// jsonParams accepts the integration-platform convention of a flat JSON
// object. Numbers and booleans are taken as their text; a scope may also be
// an array of strings, joined with spaces (RFC 6749 §3.3), and a repeatable
// parameter an array of its values.
func jsonParams(body []byte) (map[string]string, url.Values, *oauthError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, nil, badRequest("invalid_request", "malformed JSON body: %v", err)
	}
	params := make(map[string]string, len(obj))
	values := make(url.Values, len(obj))
	for k, v := range obj {
		switch v := v.(type) {
		case nil:
		case string:
			params[k] = v
		case json.Number:
			params[k] = v.String()
		case bool:
			params[k] = strconv.FormatBool(v)
		case []any:
			parts := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := e.(string)
				if !ok {
					return nil, nil, badRequest("invalid_request", "parameter %q must be a string or an array of strings", k)
				}
				parts = append(parts, str)
			}
			if repeatable[k] {
				if len(parts) > 0 {
					params[k] = parts[0]
					values[k] = parts
				}
				continue
			}
			params[k] = strings.Join(parts, " ")
		default:
			return nil, nil, badRequest("invalid_request", "parameter %q must be a string", k)
		}
		if p, ok := params[k]; ok {
			values[k] = []string{p}
		}
	}
	return params, values, nil
}

// authenticateClient identifies the client by HTTP Basic, by client_id and
// client_secret in the body, or, for a public client, by client_id alone
// (RFC 6749 §2.3.1, §3.2.1).
//
// A client_assertion in the body is JWT client authentication instead (RFC
// 7523 §2.2), and client_id without a secret from a client registered for
// mutual TLS is certificate authentication (RFC 8705 §2).
func (s *Server) authenticateClient(r *http.Request, params map[string]string) (authenticatedClient, *oauthError) {
	if hasClientAssertion(params) {
		return s.authenticateAssertion(r, params)
	}
	var (
		id, secret string
		method     AuthMethod
		basic      bool
	)
	if r.Header.Get("Authorization") != "" {
		rawID, rawSecret, ok := r.BasicAuth()
		if !ok {
			return authenticatedClient{}, invalidClient(true, "the Authorization header is not valid HTTP Basic authentication")
		}
		basic = true
		// RFC 6749 §2.3.1: the id and secret are form-encoded before they
		// are put in the header, so they are decoded here.
		var err1, err2 error
		id, err1 = url.QueryUnescape(rawID)
		secret, err2 = url.QueryUnescape(rawSecret)
		if err := errors.Join(err1, err2); err != nil {
			return authenticatedClient{}, invalidClient(true, "the Basic credentials are not form-encoded: %v", err)
		}
		// RFC 6749 §2.3: a client MUST NOT use more than one method.
		if _, ok := params["client_secret"]; ok {
			return authenticatedClient{}, badRequest("invalid_request", "the client authenticated with both HTTP Basic and client_secret in the body")
		}
		if bodyID, ok := params["client_id"]; ok && bodyID != id {
			return authenticatedClient{}, badRequest("invalid_request", "client_id in the body does not match the HTTP Basic client")
		}
		method = AuthBasic
	} else {
		id = params["client_id"]
		secret = params["client_secret"]
		method = AuthPost
	}
	if id == "" {
		return authenticatedClient{}, invalidClient(basic, "client authentication is required")
	}
	c, ok := s.cfg.Clients[id]
	if !ok {
		return authenticatedClient{}, invalidClient(basic, "unknown client %q", id)
	}
	if c.isPublic() {
		if secret != "" {
			return authenticatedClient{}, invalidClient(basic, "client %q is public and has no secret", id)
		}
		return authenticatedClient{id: id, public: true, basic: basic}, nil
	}
	if secret == "" {
		if !basic && slices.ContainsFunc(c.AuthMethods, AuthMethod.usesTLS) {
			return s.authenticateTLS(r, id, c)
		}
		if c.Secret == "" {
			return authenticatedClient{}, invalidClient(basic, "client %q must authenticate with one of %s", id, joinMethods(c.AuthMethods))
		}
		return authenticatedClient{}, invalidClient(basic, "client %q must authenticate with its secret", id)
	}
	if len(c.AuthMethods) > 0 && !slices.Contains(c.AuthMethods, method) {
		return authenticatedClient{}, invalidClient(basic, "client %q may not authenticate with client_secret_%s", id, method)
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		if s.cfg.EchoSecretsInErrors {
			return authenticatedClient{}, invalidClient(basic, "client %q presented the wrong secret %q", id, secret)
		}
		return authenticatedClient{}, invalidClient(basic, "client %q presented the wrong secret", id)
	}
	return authenticatedClient{id: id, basic: basic}, nil
}

func joinMethods(ms []AuthMethod) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// grantClientCredentials is RFC 6749 §4.4. No refresh token is issued
// (§4.4.3).
func (s *Server) grantClientCredentials(c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	if c.public {
		return tokenAnswer{}, badRequest("unauthorized_client", "public client %q may not use the client_credentials grant", c.id)
	}
	scope, oerr := s.grantScope(params["scope"])
	if oerr != nil {
		return tokenAnswer{}, oerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return tokenAnswer{
		accessToken: s.issueAccessLocked(c.id, "", scope, newID("fam_")),
		scope:       scope,
	}, nil
}

// grantPassword is RFC 6749 §4.3.
func (s *Server) grantPassword(c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	username, password := params["username"], params["password"]
	if username == "" || password == "" {
		return tokenAnswer{}, badRequest("invalid_request", "username and password are required")
	}
	want, ok := s.cfg.Users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		if s.cfg.EchoSecretsInErrors {
			return tokenAnswer{}, badRequest("invalid_grant", "user %q with password %q is not valid", username, password)
		}
		return tokenAnswer{}, badRequest("invalid_grant", "the username or password is not valid")
	}
	scope, oerr := s.grantScope(params["scope"])
	if oerr != nil {
		return tokenAnswer{}, oerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	family := newID("fam_")
	ans := tokenAnswer{
		accessToken: s.issueAccessLocked(c.id, username, scope, family),
		scope:       scope,
	}
	if !c.anonymous {
		ans.refreshToken = s.issueRefreshLocked(c.id, username, scope, family)
	}
	return ans, nil
}

// grantRefresh is RFC 6749 §6, with rotation and reuse detection when
// Config.RotateRefreshTokens is set.
func (s *Server) grantRefresh(c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	presented := params["refresh_token"]
	if presented == "" {
		return tokenAnswer{}, badRequest("invalid_request", "refresh_token is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[presented]
	if !ok || rt.clientID != c.id {
		// A token issued to another client is reported exactly like an
		// unknown one, so it reveals nothing about other clients.
		if s.cfg.EchoSecretsInErrors {
			return tokenAnswer{}, badRequest("invalid_grant", "refresh token %q is not valid", presented)
		}
		return tokenAnswer{}, badRequest("invalid_grant", "the refresh token is not valid")
	}
	if s.revoked[rt.family] {
		return tokenAnswer{}, badRequest("invalid_grant", "the refresh token was revoked")
	}
	if rt.retired {
		// A retired token is only presented again by someone who copied
		// it; nobody can tell which party is legitimate, so the whole grant
		// goes (RFC 9700 §4.14.2).
		s.revokeFamilyLocked(rt.family)
		return tokenAnswer{}, badRequest("invalid_grant", "the refresh token was already used; every token issued from the same grant has been revoked")
	}

	scope := rt.scope
	if requested := params["scope"]; requested != "" {
		// RFC 6749 §6: the requested scope MUST NOT include any scope not
		// originally granted.
		if !scopeSubset(requested, rt.scope) {
			return tokenAnswer{}, badRequest("invalid_scope", "scope %q exceeds the originally granted scope %q", requested, rt.scope)
		}
		scope = requested
	}
	ans := tokenAnswer{
		accessToken: s.issueAccessLocked(c.id, rt.username, scope, rt.family),
		scope:       scope,
	}
	if s.cfg.RotateRefreshTokens {
		rt.retired = true
		ans.refreshToken = s.issueRefreshLocked(c.id, rt.username, rt.scope, rt.family)
	}
	s.counters.Refreshes++
	return ans, nil
}

// grantAuthorizationCode is RFC 6749 §4.1.3 with the PKCE check of RFC 7636
// §4.6.
func (s *Server) grantAuthorizationCode(c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	code := params["code"]
	if code == "" {
		return tokenAnswer{}, badRequest("invalid_request", "code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac, ok := s.codes[code]
	if !ok || ac.clientID != c.id {
		if s.cfg.EchoSecretsInErrors {
			return tokenAnswer{}, badRequest("invalid_grant", "authorization code %q is not valid", code)
		}
		return tokenAnswer{}, badRequest("invalid_grant", "the authorization code is not valid")
	}
	if ac.used {
		// RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens
		// issued from it.
		s.revokeFamilyLocked(ac.family)
		return tokenAnswer{}, badRequest("invalid_grant", "the authorization code was already used; the tokens issued from it have been revoked")
	}
	if !s.now().Before(ac.expiry) {
		return tokenAnswer{}, badRequest("invalid_grant", "the authorization code has expired")
	}
	if ac.redirectURI != "" && params["redirect_uri"] != ac.redirectURI {
		return tokenAnswer{}, badRequest("invalid_grant", "redirect_uri does not match the one given to the authorization endpoint")
	}
	verifier := params["code_verifier"]
	switch {
	case ac.challenge != "" && verifier == "":
		return tokenAnswer{}, badRequest("invalid_grant", "code_verifier is required: the authorization request carried a code_challenge")
	case ac.challenge != "" && s256(verifier) != ac.challenge:
		return tokenAnswer{}, badRequest("invalid_grant", "code_verifier does not match the code_challenge")
	case ac.challenge == "" && c.public:
		return tokenAnswer{}, badRequest("invalid_grant", "public clients must use PKCE")
	}
	ac.used = true
	return tokenAnswer{
		accessToken:  s.issueAccessLocked(c.id, ac.username, ac.scope, ac.family),
		refreshToken: s.issueRefreshLocked(c.id, ac.username, ac.scope, ac.family),
		scope:        ac.scope,
	}, nil
}

// grantScope checks a requested scope against Config.Scopes and returns the
// scope to grant: the request verbatim, or Config.DefaultScope when it named
// none (RFC 6749 §3.3).
func (s *Server) grantScope(requested string) (string, *oauthError) {
	if requested == "" {
		return s.cfg.DefaultScope, nil
	}
	if len(s.cfg.Scopes) > 0 {
		for _, sc := range splitScope(requested) {
			if !slices.Contains(s.cfg.Scopes, sc) {
				return "", badRequest("invalid_scope", "scope %q is not known", sc)
			}
		}
	}
	return requested, nil
}

// splitScope splits on spaces (RFC 6749 §3.3) and on commas, which some
// platforms use instead.
func splitScope(scope string) []string {
	return strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == ',' })
}

func scopeSubset(requested, granted string) bool {
	have := splitScope(granted)
	for _, sc := range splitScope(requested) {
		if !slices.Contains(have, sc) {
			return false
		}
	}
	return true
}

// s256 is the S256 code challenge of a verifier (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// expiresIn is the token lifetime in whole seconds, rounded up so a short
// test lifetime is never reported as zero.
func (s *Server) expiresIn() int64 {
	return int64((s.cfg.TokenLifetime + time.Second - 1) / time.Second)
}

func (s *Server) writeToken(w http.ResponseWriter, ans tokenAnswer) {
	fields := [][2]string{
		{"access_token", ans.accessToken},
		{"token_type", "Bearer"},
	}
	if ans.refreshToken != "" {
		fields = append(fields, [2]string{"refresh_token", ans.refreshToken})
	}
	if ans.scope != "" {
		fields = append(fields, [2]string{"scope", ans.scope})
	}
	if ans.issuedTokenType != "" {
		fields = append(fields, [2]string{"issued_token_type", ans.issuedTokenType})
	}
	var expires any
	if !s.cfg.OmitExpiresIn {
		expires = s.expiresIn()
		if s.cfg.ExpiresInAsString {
			expires = strconv.FormatInt(s.expiresIn(), 10)
		}
	}
	s.writeFields(w, http.StatusOK, fields, expires)
}

func (s *Server) writeTokenError(w http.ResponseWriter, e *oauthError) {
	errorHeaders(w, e)
	s.writeFields(w, e.status, [][2]string{{"error", e.code}, {"error_description", e.description}}, nil)
}

// writeEndpointError answers an error from the revocation and device
// authorization endpoints in the JSON of RFC 6749 §5.2, which RFC 7009 §2.2.1
// and RFC 8628 §3.2 adopt. Config.FormEncodedResponse is a token endpoint
// quirk and does not apply.
func writeEndpointError(w http.ResponseWriter, e *oauthError) {
	errorHeaders(w, e)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// errorHeaders sets the headers an error answer needs: Allow for 405, and
// WWW-Authenticate for invalid_client after HTTP Basic (RFC 6749 §5.2).
func errorHeaders(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if e.code == "invalid_client" && e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2", charset="UTF-8"`)
	}
}

// writeFields writes a token endpoint answer as JSON (RFC 6749 §5.1) or, with
// Config.FormEncodedResponse, as a form. expiresIn, when not nil, is added as
// expires_in with its own JSON type.
func (s *Server) writeFields(w http.ResponseWriter, status int, fields [][2]string, expiresIn any) {
	h := w.Header()
	// RFC 6749 §5.1: token responses must not be cached.
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if s.cfg.FormEncodedResponse {
		v := url.Values{}
		for _, f := range fields {
			v.Set(f[0], f[1])
		}
		if expiresIn != nil {
			v.Set("expires_in", fmt.Sprint(expiresIn))
		}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, v.Encode())
		return
	}
	obj := make(map[string]any, len(fields)+1)
	for _, f := range fields {
		obj[f[0]] = f[1]
	}
	if expiresIn != nil {
		obj["expires_in"] = expiresIn
	}
	writeJSON(w, status, obj)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
