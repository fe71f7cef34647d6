package tokenserver

import (
	"net/http"
	"slices"
)

// grantJWTBearer is the JWT bearer grant of RFC 7523 §2.1, processed by the
// rules of §3: the assertion is signed by a Config.AssertionIssuers entry,
// names this server's token endpoint as an audience, has not expired and,
// when it has a jti, was not used before. The token is issued to the
// assertion's sub; no refresh token is issued, since the client can sign a
// new assertion whenever it needs one. Errors are invalid_grant (§3.1) and
// never quote the assertion.
func (s *Server) grantJWTBearer(r *http.Request, c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	raw := params["assertion"]
	if raw == "" {
		return tokenAnswer{}, badRequest("invalid_request", "assertion is required")
	}
	p, err := parseJWT(raw, asymmetricAlgs)
	if err != nil {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion %v", err)
	}
	iss := p.claims.Issuer
	if iss == "" {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion has no iss claim")
	}
	issuer, ok := s.cfg.AssertionIssuers[iss]
	if !ok {
		return tokenAnswer{}, badRequest("invalid_grant", "assertion issuer %q is not trusted", iss)
	}
	if !p.verifyWithKeys(issuer.PublicKeys) {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion's signature does not verify with any key of issuer %q", iss)
	}
	sub := p.claims.Subject
	if sub == "" {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion has no sub claim")
	}
	if len(issuer.Subjects) > 0 && !slices.Contains(issuer.Subjects, sub) {
		return tokenAnswer{}, badRequest("invalid_grant", "issuer %q may not assert subject %q", iss, sub)
	}
	if !audienceIntersects(p.claims.Audience, s.endpointAudiences(r)) {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion's aud does not name this server's token endpoint %s", requestBaseURL(r)+TokenPath)
	}
	if err := checkTimes(p.claims, s.now(), 0); err != nil {
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion %v", err)
	}
	// The scope parameter wins; a scope claim is how Google service
	// accounts ask instead.
	requested := params["scope"]
	if requested == "" {
		requested = p.claims.Scope
	}
	scope, oerr := s.grantScope(requested)
	if oerr != nil {
		return tokenAnswer{}, oerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// RFC 7523 §3 item 7: a jti, when present, may be used only once.
	if p.claims.ID != "" && !s.useJTILocked(iss, p.claims.ID, p.claims.Expiry.Time()) {
		s.counters.AssertionReplays++
		return tokenAnswer{}, badRequest("invalid_grant", "the assertion was already used: its jti has been seen before")
	}
	s.counters.AssertionsAccepted++
	return tokenAnswer{
		accessToken: s.issueAccessRecordLocked(&accessToken{
			clientID: c.id,
			username: sub,
			scope:    scope,
			family:   newID("fam_"),
			subject:  sub,
			issuer:   iss,
		}),
		scope: scope,
	}, nil
}
