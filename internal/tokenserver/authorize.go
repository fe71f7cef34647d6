package tokenserver

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// handleAuthorize is the authorization endpoint (RFC 6749 §4.1.1). There is
// no login page: every valid request is approved on behalf of the user named
// by login_hint, or else the first configured user, and answered with a
// redirect carrying the code and state (RFC 6749 §4.1.2): at once, or with
// Config.ConsentPage once the user allows it on the consent page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counters.AuthorizeRequests++
	s.mu.Unlock()

	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "use GET or POST"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed query"})
		return
	}
	q := r.Form
	clientID := q.Get("client_id")
	client, ok := s.cfg.Clients[clientID]
	if !ok {
		// RFC 6749 §4.1.2.1: without a valid client and redirect URI the
		// user must not be redirected anywhere.
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "unknown client_id"})
		return
	}
	redirectURI, ok := resolveRedirect(client, q.Get("redirect_uri"))
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "redirect_uri is missing, not absolute or not registered for this client"})
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		redirect(w, r, redirectURI, url.Values{"error": {code}, "error_description": {description}}, state)
	}

	if rt := q.Get("response_type"); rt != "code" {
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && client.isPublic():
		fail("invalid_request", "public clients must send a PKCE code_challenge")
		return
	case challenge != "" && method != "S256":
		// RFC 7636 §4.2 defaults to "plain", which protects nothing when
		// the request itself leaks; only S256 is accepted.
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case challenge != "" && !validChallenge(challenge):
		fail("invalid_request", "code_challenge must be 43 base64url characters")
		return
	}
	scope, oerr := s.grantScope(q.Get("scope"))
	if oerr != nil {
		fail(oerr.code, oerr.description)
		return
	}

	s.mu.Lock()
	user := q.Get("login_hint")
	if _, known := s.cfg.Users[user]; !known {
		user = s.defaultUser()
	}
	s.mu.Unlock()
	if s.cfg.ConsentPage && !s.consent(w, r, q, clientID, user, scope, redirectURI, state) {
		return
	}
	s.mu.Lock()
	code := s.issueCodeLocked(clientID, user, redirectURI, challenge, scope)
	s.mu.Unlock()
	redirect(w, r, redirectURI, url.Values{"code": {code}}, state)
}

// Fields the consent form adds to the request's parameters.
const (
	consentCSRFField     = "csrf_token"
	consentDecisionField = "decision"
)

// consentForm is what an anti-CSRF token of a consent page was issued for:
// the request's parameters, encoded, until expiry.
type consentForm struct {
	params string
	expiry time.Time
}

type consentPageData struct {
	Message  string
	ClientID string
	User     string
	Scopes   []string
	Action   string
	Hidden   []hiddenField
	Form     bool
}

type hiddenField struct{ Name, Value string }

// Title is the page's title and heading.
func (d consentPageData) Title() string {
	if d.ClientID == "" {
		return "Authorize"
	}
	return "Authorize " + d.ClientID
}

// DecisionField names the buttons' field.
func (consentPageData) DecisionField() string { return consentDecisionField }

// consent asks the user about a valid authorization request (Config.
// ConsentPage). A GET answers the consent page; a POST from it answers the
// user's decision: true for Allow, for the caller to issue the code, and
// otherwise the answer is written here: a redirect with access_denied for
// Deny (RFC 6749 §4.1.2.1), 403 for a missing, wrong, used or expired
// anti-CSRF token, 400 for no decision.
func (s *Server) consent(w http.ResponseWriter, r *http.Request, q url.Values, clientID, user, scope, redirectURI, state string) bool {
	params := url.Values{}
	for k, v := range q {
		if k != consentCSRFField && k != consentDecisionField {
			params[k] = v
		}
	}
	encoded := params.Encode()
	data := consentPageData{ClientID: clientID, User: user, Scopes: splitScope(scope), Action: AuthorizePath, Form: true}

	if r.Method == http.MethodGet {
		token := newID("csrf_")
		now := s.now()
		s.mu.Lock()
		for t, f := range s.consents {
			if !now.Before(f.expiry) {
				delete(s.consents, t)
			}
		}
		s.consents[token] = consentForm{params: encoded, expiry: now.Add(codeLifetime)}
		s.mu.Unlock()
		keys := slices.Sorted(maps.Keys(params))
		for _, k := range keys {
			for _, v := range params[k] {
				data.Hidden = append(data.Hidden, hiddenField{k, v})
			}
		}
		data.Hidden = append(data.Hidden, hiddenField{consentCSRFField, token})
		renderPage(w, http.StatusOK, "consent", data)
		return false
	}

	// A token is good for one answer to the very request it was issued
	// for: a forged or replayed POST, or one whose parameters were changed
	// (another redirect_uri, more scope), is refused.
	token := q.Get(consentCSRFField)
	s.mu.Lock()
	f, ok := s.consents[token]
	delete(s.consents, token)
	s.mu.Unlock()
	if !ok || len(q[consentCSRFField]) != 1 || f.params != encoded || !s.now().Before(f.expiry) {
		renderPage(w, http.StatusForbidden, "consent", consentPageData{ClientID: clientID,
			Message: "This form was not issued by this server for this request, or was already used or has expired. Start the authorization again."})
		return false
	}
	switch q.Get(consentDecisionField) {
	case "allow":
		return true
	case "deny":
		redirect(w, r, redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"the user denied the request"}}, state)
		return false
	}
	renderPage(w, http.StatusBadRequest, "consent", consentPageData{ClientID: clientID, Message: "Choose Allow or Deny. Start the authorization again."})
	return false
}

// resolveRedirect picks the redirect URI for a request: the one given, if
// registered (or absolute, for clients that registered none), or the only
// registered one when none is given (RFC 6749 §3.1.2.3).
func resolveRedirect(c Client, given string) (string, bool) {
	if given == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], true
		}
		return "", false
	}
	if len(c.RedirectURIs) > 0 {
		return given, slices.Contains(c.RedirectURIs, given)
	}
	u, err := url.Parse(given)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return "", false
	}
	return given, true
}

// redirect answers 302 to target with params and state added to its query,
// keeping any query it already has (RFC 6749 §3.1.2).
func redirect(w http.ResponseWriter, r *http.Request, target string, params url.Values, state string) {
	u, err := url.Parse(target)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "redirect_uri is not a URL"})
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// validChallenge checks the form of an S256 code_challenge: the unpadded
// base64url encoding of a SHA-256 digest.
func validChallenge(c string) bool {
	return len(c) == 43 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}
