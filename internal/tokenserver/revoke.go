package tokenserver

import (
	"net/http"
)

// handleRevoke is the token revocation endpoint (RFC 7009 §2). The client
// authenticates exactly as at the token endpoint, a public client by its
// client_id (§2.1). A refresh token takes every token issued from the same
// grant with it, as §2.1 says it SHOULD; an access token goes alone.
//
// Every well-formed request from an authenticated client is answered 200
// with an empty body, whether the token was live, unknown, expired, already
// revoked or another client's (§2.2): the answer must not tell a client
// anything about tokens it does not hold, and a client retrying a
// revocation must not see it fail. Another client's token is left alone.
// token_type_hint is ignored, as §2.1 allows: the two kinds of token are
// told apart without it, so an unknown hint is no reason to refuse either.
//
// Tokens issued without client authentication (Config.PasswordWithoutClient,
// Config.TokenExchangeWithoutClient, the JWT bearer grant) belong to no
// client and so cannot be revoked.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counters.RevocationRequests++
	s.mu.Unlock()

	if oerr := s.revoke(r); oerr != nil {
		writeEndpointError(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(r *http.Request) *oauthError {
	if r.Method != http.MethodPost {
		return &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "the revocation endpoint accepts POST only"}
	}
	params, _, oerr := readParams(r)
	if oerr != nil {
		return oerr
	}
	client, oerr := s.authenticateClient(r, params)
	if oerr != nil {
		return oerr
	}
	tok := params["token"]
	if tok == "" {
		return badRequest("invalid_request", "token is required")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revokeLocked(client.id, tok) {
		s.counters.Revocations++
	}
	return nil
}

// revokeLocked revokes tok if it is a live token of clientID and reports
// whether it did.
func (s *Server) revokeLocked(clientID, tok string) bool {
	if rt, ok := s.refresh[tok]; ok {
		// A retired refresh token is no longer live: rotation replaced it.
		if rt.clientID != clientID || rt.retired || s.revoked[rt.family] {
			return false
		}
		// Not revokeFamilyLocked: FamiliesRevoked counts reuse detection.
		s.revoked[rt.family] = true
		return true
	}
	if at, ok := s.access[tok]; ok {
		if at.clientID != clientID || at.revoked || s.revoked[at.family] || !s.now().Before(at.expiry) {
			return false
		}
		at.revoked = true
		return true
	}
	return false
}
