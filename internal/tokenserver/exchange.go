package tokenserver

import (
	"net/http"
	"net/url"
	"slices"
)

// exchangeParty is who a subject_token or actor_token stands for.
type exchangeParty struct {
	sub, iss string
	// scope is the scope of a subject token this server issued, which
	// bounds the scope of the token exchanged for it; "" for a JWT.
	scope string
	local bool
}

// grantTokenExchange is OAuth 2.0 Token Exchange (RFC 8693 §2). Subject and
// actor tokens are either JWTs (token types jwt and id_token) signed by a
// Config.TrustedIssuers entry, or access tokens this server issued. Only
// access tokens are issued in return. RFC 8693 §2.2.2 makes every problem
// with the request or its tokens invalid_request, and a refused audience or
// resource invalid_target; descriptions never quote a token.
func (s *Server) grantTokenExchange(r *http.Request, c authenticatedClient, params map[string]string, values url.Values) (tokenAnswer, *oauthError) {
	subjectToken, subjectType := params["subject_token"], params["subject_token_type"]
	actorToken, actorType := params["actor_token"], params["actor_token_type"]
	switch {
	case subjectToken == "":
		return tokenAnswer{}, badRequest("invalid_request", "subject_token is required")
	case subjectType == "":
		return tokenAnswer{}, badRequest("invalid_request", "subject_token_type is required")
	case actorToken != "" && actorType == "":
		return tokenAnswer{}, badRequest("invalid_request", "actor_token_type is required with actor_token")
	case actorToken == "" && actorType != "":
		return tokenAnswer{}, badRequest("invalid_request", "actor_token_type must not be sent without actor_token")
	}
	if rt := params["requested_token_type"]; rt != "" && rt != TokenTypeAccessToken {
		return tokenAnswer{}, badRequest("invalid_request", "requested_token_type %q is not supported; this server issues only %s", rt, TokenTypeAccessToken)
	}
	resources := slices.Clone(values["resource"])
	for _, res := range resources {
		// RFC 8693 §2.1: a resource is an absolute URI without a fragment.
		u, err := url.Parse(res)
		if err != nil || !u.IsAbs() || u.Fragment != "" || res == "" {
			return tokenAnswer{}, badRequest("invalid_target", "resource %q is not an absolute URI without a fragment", res)
		}
	}
	audiences := slices.Clone(values["audience"])
	if slices.Contains(audiences, "") {
		return tokenAnswer{}, badRequest("invalid_target", "audience must not be empty")
	}

	subject, oerr := s.exchangeToken(r, "subject_token", subjectToken, subjectType)
	if oerr != nil {
		return tokenAnswer{}, oerr
	}
	var actor *Actor
	if actorToken != "" {
		a, oerr := s.exchangeToken(r, "actor_token", actorToken, actorType)
		if oerr != nil {
			return tokenAnswer{}, oerr
		}
		actor = &Actor{Subject: a.sub, Issuer: a.iss}
	}

	requested := params["scope"]
	var scope string
	switch {
	case requested == "" && subject.local:
		// Exchanging one of this server's tokens keeps its scope.
		scope = subject.scope
	case subject.local && !scopeSubset(requested, subject.scope):
		return tokenAnswer{}, badRequest("invalid_scope", "scope %q exceeds the scope %q of the subject token", requested, subject.scope)
	default:
		scope, oerr = s.grantScope(requested)
		if oerr != nil {
			return tokenAnswer{}, oerr
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	return tokenAnswer{
		accessToken: s.issueAccessRecordLocked(&accessToken{
			clientID: c.id,
			username: subject.sub,
			scope:    scope,
			family:   newID("fam_"),
			subject:  subject.sub,
			issuer:   subject.iss,
			audience: audiences,
			resource: resources,
			actor:    actor,
		}),
		scope:           scope,
		issuedTokenType: TokenTypeAccessToken,
	}, nil
}

// exchangeToken validates a subject_token or actor_token (named by param)
// of the given RFC 8693 §3 type and says whom it stands for.
func (s *Server) exchangeToken(r *http.Request, param, raw, typ string) (exchangeParty, *oauthError) {
	switch typ {
	case TokenTypeAccessToken:
		at, ok := s.lookupAccess(raw)
		if !ok {
			return exchangeParty{}, badRequest("invalid_request", "the %s is not an access token this server issued, or it has expired or been revoked", param)
		}
		// Exchanging a certificate-bound token must not shed the binding
		// (RFC 8705 §3): only its holder may do it.
		if at.certSHA256 != "" && requestCertSHA256(r) != at.certSHA256 {
			return exchangeParty{}, badRequest("invalid_request", "the %s is bound to a TLS client certificate that this request did not present", param)
		}
		p := exchangeParty{sub: at.subject, iss: at.issuer, scope: at.scope, local: true}
		if p.sub == "" {
			// A client credentials token acts for the client itself.
			p.sub = at.username
			if p.sub == "" {
				p.sub = at.clientID
			}
		}
		if p.iss == "" {
			p.iss = s.issuerURL(r)
		}
		return p, nil
	case TokenTypeJWT, TokenTypeIDToken:
		return s.exchangeJWT(param, raw)
	default:
		return exchangeParty{}, badRequest("invalid_request", "%s_type %q is not supported; use %s, %s or %s", param, typ, TokenTypeJWT, TokenTypeIDToken, TokenTypeAccessToken)
	}
}

// exchangeJWT validates a JWT subject or actor token against
// Config.TrustedIssuers. Unlike an assertion it is not bound to this server
// (its aud is the issuer's business, checked only against
// AssertionIssuer.Audiences) and it may be exchanged more than once, so jti
// is not tracked.
func (s *Server) exchangeJWT(param, raw string) (exchangeParty, *oauthError) {
	p, err := parseJWT(raw, asymmetricAlgs)
	if err != nil {
		return exchangeParty{}, badRequest("invalid_request", "the %s %v", param, err)
	}
	iss := p.claims.Issuer
	if iss == "" {
		return exchangeParty{}, badRequest("invalid_request", "the %s has no iss claim", param)
	}
	issuer, ok := s.cfg.TrustedIssuers[iss]
	if !ok {
		return exchangeParty{}, badRequest("invalid_request", "the %s issuer %q is not trusted", param, iss)
	}
	if !p.verifyWithKeys(issuer.PublicKeys) {
		return exchangeParty{}, badRequest("invalid_request", "the %s's signature does not verify with any key of issuer %q", param, iss)
	}
	if err := checkTimes(p.claims, s.now(), 0); err != nil {
		return exchangeParty{}, badRequest("invalid_request", "the %s %v", param, err)
	}
	sub := p.claims.Subject
	if sub == "" {
		return exchangeParty{}, badRequest("invalid_request", "the %s has no sub claim", param)
	}
	if len(issuer.Subjects) > 0 && !slices.Contains(issuer.Subjects, sub) {
		return exchangeParty{}, badRequest("invalid_request", "issuer %q is not trusted for subject %q", iss, sub)
	}
	if len(issuer.Audiences) > 0 && !audienceIntersects(p.claims.Audience, issuer.Audiences) {
		return exchangeParty{}, badRequest("invalid_request", "the %s's aud names none of the audiences issuer %q is trusted for", param, iss)
	}
	return exchangeParty{sub: sub, iss: iss}, nil
}

// issuerURL is this server's base URL: the one Start listened on, or the one
// the request reached when the Handler is mounted elsewhere.
func (s *Server) issuerURL(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	return requestBaseURL(r)
}
