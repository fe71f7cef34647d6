package tokenserver

import (
	"net/http"
	"strings"
)

// Me is the body of a 200 answer from the protected resource at APIPath: who
// the bearer token was issued to.
type Me struct {
	ClientID string `json:"client_id"`
	// Username is empty for tokens from the client credentials grant. For
	// the JWT bearer grant and token exchange it is the subject's sub.
	Username string `json:"username"`
	Scope    string `json:"scope"`

	// Subject and Issuer are the sub and iss of the JWT bearer assertion or
	// the token exchange subject token the token was issued for. For a
	// subject token this server issued, Issuer is the server's base URL.
	Subject string `json:"sub,omitempty"`
	Issuer  string `json:"iss,omitempty"`
	// Audience and Resource are the audience and resource values of the
	// token exchange request (RFC 8693 §2.1).
	Audience []string `json:"aud,omitempty"`
	Resource []string `json:"resource,omitempty"`
	// Actor is who the token exchange's actor_token named: the party the
	// subject delegated to (RFC 8693 §4.1).
	Actor *Actor `json:"act,omitempty"`
	// Confirmation is set for tokens bound to a TLS client certificate
	// (RFC 8705 §3.1).
	Confirmation *Confirmation `json:"cnf,omitempty"`
}

// Actor is the act claim of RFC 8693 §4.1.
type Actor struct {
	Subject string `json:"sub"`
	Issuer  string `json:"iss,omitempty"`
}

// Confirmation is the cnf member of RFC 8705 §3.1.
type Confirmation struct {
	// X5TS256 is the base64url SHA-256 of the DER of the certificate the
	// token is bound to.
	X5TS256 string `json:"x5t#S256"`
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
	if at.certSHA256 != "" && requestCertSHA256(r) != at.certSHA256 {
		// RFC 8705 §3: a certificate-bound token is refused unless the
		// request comes over TLS with the same certificate.
		s.rejectAPI(w, `Bearer realm="api", error="invalid_token", error_description="the access token is bound to a TLS client certificate that this request did not present"`)
		return
	}
	me := Me{
		ClientID: at.clientID,
		Username: at.username,
		Scope:    at.scope,
		Subject:  at.subject,
		Issuer:   at.issuer,
		Audience: at.audience,
		Resource: at.resource,
		Actor:    at.actor,
	}
	if at.certSHA256 != "" {
		me.Confirmation = &Confirmation{X5TS256: x5tS256(at.certSHA256)}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, me)
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
