package tokenserver

import (
	"net/http"
	"strings"
)

// Me is the body of a 200 answer from the protected resource at APIPath: who
// the bearer token was issued to.
type Me struct {
	ClientID string `json:"client_id"`
	// Username is empty for tokens from the client credentials grant.
	Username string `json:"username"`
	Scope    string `json:"scope"`
}

// handleAPI is the protected resource. It accepts a bearer token in the
// Authorization header only (RFC 6750 §2.1) and answers 401 with a
// WWW-Authenticate challenge otherwise (RFC 6750 §3).
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counters.APICalls++
	s.mu.Unlock()

	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		s.rejectAPI(w, `Bearer realm="api"`)
		return
	}
	at, ok := s.lookupAccess(tok)
	if !ok {
		s.rejectAPI(w, `Bearer realm="api", error="invalid_token", error_description="the access token is unknown, expired or revoked"`)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, Me{ClientID: at.clientID, Username: at.username, Scope: at.scope})
}

func (s *Server) rejectAPI(w http.ResponseWriter, challenge string) {
	s.mu.Lock()
	s.counters.APIRejected++
	s.mu.Unlock()
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
}

// bearerToken extracts the token from "Bearer <token>"; the scheme name is
// case-insensitive (RFC 9110 §11.1).
func bearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
