package tokenserver

import (
	"net/http"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// hasClientAssertion reports whether the body attempts JWT client
// authentication (RFC 7521 §4.2).
func hasClientAssertion(params map[string]string) bool {
	_, hasType := params["client_assertion_type"]
	_, hasAssertion := params["client_assertion"]
	return hasType || hasAssertion
}

// authenticateAssertion is JWT client authentication: private_key_jwt and
// client_secret_jwt (OIDC Core §9), with the processing rules of RFC 7523 §3
// and the error code of RFC 7521 §4.2.1. The client is whoever iss names;
// the algorithm says which of the two methods is in use, and the client must
// list that method. Descriptions say what was wrong but never quote the
// assertion.
func (s *Server) authenticateAssertion(r *http.Request, params map[string]string) (authenticatedClient, *oauthError) {
	// RFC 6749 §2.3: a client MUST NOT use more than one method.
	if _, ok := params["client_secret"]; ok || r.Header.Get("Authorization") != "" {
		return authenticatedClient{}, badRequest("invalid_request", "the client sent a client_assertion and also a client secret or Authorization header")
	}
	typ, raw := params["client_assertion_type"], params["client_assertion"]
	switch {
	case typ == "":
		return authenticatedClient{}, invalidClient(false, "client_assertion_type is required with client_assertion")
	case typ != ClientAssertionTypeJWT:
		return authenticatedClient{}, invalidClient(false, "client_assertion_type %q is not supported; use %q", typ, ClientAssertionTypeJWT)
	case raw == "":
		return authenticatedClient{}, invalidClient(false, "client_assertion is required with client_assertion_type")
	}
	p, err := parseJWT(raw, allAssertionAlgs)
	if err != nil {
		return authenticatedClient{}, invalidClient(false, "the client assertion %v", err)
	}
	id := p.claims.Issuer
	if id == "" {
		return authenticatedClient{}, invalidClient(false, "the client assertion has no iss claim; it must be the client id")
	}
	// RFC 7523 §3 item 2 with OIDC Core §9: for client authentication sub
	// is the client id too.
	if p.claims.Subject != id {
		return authenticatedClient{}, invalidClient(false, "the client assertion's sub must equal its iss, the client id")
	}
	if bodyID, ok := params["client_id"]; ok && bodyID != id {
		return authenticatedClient{}, invalidClient(false, "client_id in the body does not match the client assertion's iss")
	}
	c, ok := s.cfg.Clients[id]
	if !ok {
		return authenticatedClient{}, invalidClient(false, "unknown client %q", id)
	}

	method := AuthPrivateKeyJWT
	if p.alg == jose.HS256 {
		method = AuthClientSecretJWT
	}
	if !slices.Contains(c.AuthMethods, method) {
		return authenticatedClient{}, invalidClient(false, "client %q may not authenticate with %s", id, method)
	}
	if method == AuthClientSecretJWT {
		// RFC 7518 §3.2: an HS256 key must be at least as long as the hash.
		if len(c.Secret) < 32 {
			return authenticatedClient{}, invalidClient(false, "client %q has a secret shorter than the 32 bytes HS256 needs", id)
		}
		if _, err := p.jws.Verify([]byte(c.Secret)); err != nil {
			return authenticatedClient{}, invalidClient(false, "the client assertion's signature does not verify with the secret of client %q", id)
		}
	} else if !p.verifyWithKeys(c.PublicKeys) {
		return authenticatedClient{}, invalidClient(false, "the client assertion's signature does not verify with any public key registered for client %q", id)
	}

	// RFC 7523 §3 item 3: the token endpoint must be an audience.
	if !audienceIntersects(p.claims.Audience, s.endpointAudiences(r)) {
		return authenticatedClient{}, invalidClient(false, "the client assertion's aud does not name this server's token endpoint %s", requestBaseURL(r)+TokenPath)
	}
	if err := checkTimes(p.claims, s.now(), maxClientAssertionLifetime); err != nil {
		return authenticatedClient{}, invalidClient(false, "the client assertion %v", err)
	}
	if p.claims.ID == "" {
		return authenticatedClient{}, invalidClient(false, "the client assertion has no jti claim; one is required so it cannot be replayed")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.useJTILocked(id, p.claims.ID, p.claims.Expiry.Time()) {
		s.counters.AssertionReplays++
		return authenticatedClient{}, invalidClient(false, "the client assertion was already used: its jti has been seen before")
	}
	s.counters.AssertionsAccepted++
	return authenticatedClient{id: id}, nil
}
