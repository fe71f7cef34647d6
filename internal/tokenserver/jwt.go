package tokenserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// URNs of the JWT profiles (RFC 7521, RFC 7523) and of token exchange (RFC
// 8693) that the token endpoint understands.
const (
	// ClientAssertionTypeJWT is the client_assertion_type of JWT client
	// authentication (RFC 7523 §2.2).
	ClientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// GrantTypeJWTBearer is the grant_type of the JWT bearer grant (RFC
	// 7523 §2.1).
	GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantTypeTokenExchange is the grant_type of token exchange (RFC 8693
	// §2.1).
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

	// TokenTypeAccessToken, TokenTypeJWT and TokenTypeIDToken are token type
	// identifiers of RFC 8693 §3.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
)

// clockSkew is how far the clocks of an assertion's signer and this server
// may disagree when exp, nbf and iat are checked.
const clockSkew = 30 * time.Second

// maxClientAssertionLifetime bounds exp - iat of a client assertion. The jti
// of every accepted assertion is remembered until it expires, so a long
// lifetime would make the replay set grow without need; real servers cap it
// for the same reason.
const maxClientAssertionLifetime = time.Hour

// AssertionIssuer is a party whose signed JWTs the server trusts: as
// assertions for the JWT bearer grant (Config.AssertionIssuers) or as subject
// and actor tokens of token exchange (Config.TrustedIssuers).
type AssertionIssuer struct {
	// PublicKeys verify the issuer's signatures: *rsa.PublicKey (RS256,
	// PS256), *ecdsa.PublicKey on P-256 (ES256) or P-384 (ES384), or
	// ed25519.PublicKey (EdDSA). Any one of them may have signed.
	PublicKeys []crypto.PublicKey
	// Subjects, when not empty, are the only sub values accepted from this
	// issuer.
	Subjects []string
	// Audiences, when not empty, must share at least one value with a
	// token's aud. Only token exchange checks it: a JWT bearer assertion
	// must always name this server's token endpoint instead (RFC 7523 §3).
	Audiences []string
}

// asymmetricAlgs are the signature algorithms accepted with public keys.
// "none" and the HMAC algorithms are left out, so a public key can never be
// misused as an HMAC secret.
var asymmetricAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// allAssertionAlgs are the algorithms accepted when a JWS is first parsed,
// before it is known which client or issuer signed it.
var allAssertionAlgs = append(slices.Clone(asymmetricAlgs), jose.HS256)

// jwtClaims are the registered claims of RFC 7519 §4.1 that the server reads,
// plus the scope claim some providers put in JWT bearer assertions.
type jwtClaims struct {
	jwt.Claims
	// Scope is a space-delimited string, as Google service accounts send it.
	Scope string `json:"scope,omitempty"`
}

// parsedJWS is a compact JWS whose claims have been read but not yet
// trusted.
type parsedJWS struct {
	jws    *jose.JSONWebSignature
	alg    jose.SignatureAlgorithm
	claims jwtClaims
}

// parseJWT parses a compact JWS and reads its claims without verifying the
// signature, which can only be checked once iss has said whose key to use.
// The error never contains the token.
func parseJWT(raw string, algs []jose.SignatureAlgorithm) (*parsedJWS, error) {
	if strings.Count(raw, ".") != 2 {
		return nil, fmt.Errorf("is not a compact JWS")
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		// go-jose says which algorithm it refused; anything else it says
		// might quote a part of the token.
		if alg := headerAlg(raw); alg != "" && !slices.Contains(algs, jose.SignatureAlgorithm(alg)) {
			return nil, fmt.Errorf("is signed with %q; accepted algorithms are %s", alg, joinAlgs(algs))
		}
		return nil, fmt.Errorf("is not a valid JWS")
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("must carry exactly one signature")
	}
	p := &parsedJWS{jws: jws, alg: jose.SignatureAlgorithm(jws.Signatures[0].Header.Algorithm)}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &p.claims); err != nil {
		return nil, fmt.Errorf("does not carry a JSON claims set with well-formed registered claims")
	}
	return p, nil
}

// headerAlg returns the alg header of a compact JWS, or "" when it cannot be
// read.
func headerAlg(raw string) string {
	head, _, _ := strings.Cut(raw, ".")
	var h struct {
		Alg string `json:"alg"`
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil || json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

func joinAlgs(algs []jose.SignatureAlgorithm) string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// verifyWithKeys checks the signature against each key that suits the JWS's
// algorithm and reports whether one of them verified it.
func (p *parsedJWS) verifyWithKeys(keys []crypto.PublicKey) bool {
	for _, k := range keys {
		if !keyFitsAlg(k, p.alg) {
			continue
		}
		if _, err := p.jws.Verify(k); err == nil {
			return true
		}
	}
	return false
}

// keyFitsAlg reports whether key is of the kind alg signs with, so that for
// instance an ES256 signature is never checked against a P-384 key (RFC 7518
// §3.4 ties each ECDSA algorithm to one curve).
func keyFitsAlg(key crypto.PublicKey, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == jose.RS256 || alg == jose.PS256
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return k.Curve == elliptic.P256()
		case jose.ES384:
			return k.Curve == elliptic.P384()
		}
		return false
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// checkTimes applies exp, nbf and iat (RFC 7519 §4.1.4-6) with clockSkew of
// tolerance. exp is required, as RFC 7523 §3 demands of assertions; a
// positive maxLifetime also bounds how far exp may lie after iat (or after
// now, when there is no iat).
func checkTimes(c jwtClaims, now time.Time, maxLifetime time.Duration) error {
	if c.Expiry == nil {
		return fmt.Errorf("has no exp claim")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(clockSkew)) {
		return fmt.Errorf("has expired")
	}
	if c.NotBefore != nil && now.Add(clockSkew).Before(c.NotBefore.Time()) {
		return fmt.Errorf("is not valid yet (nbf is in the future)")
	}
	start := now
	if c.IssuedAt != nil {
		iat := c.IssuedAt.Time()
		if now.Add(clockSkew).Before(iat) {
			return fmt.Errorf("was issued in the future (iat)")
		}
		start = iat
	}
	if maxLifetime > 0 && exp.Sub(start) > maxLifetime {
		return fmt.Errorf("is valid for longer than the %v this server accepts (exp - iat)", maxLifetime)
	}
	return nil
}

// endpointAudiences are the aud values that name this server: the token
// endpoint URL and the base URL (RFC 7523 §3 item 3), both as the server
// knows itself after Start and as the request reached it, which is all a
// Handler mounted elsewhere can know. A client authenticating at the
// revocation or device authorization endpoint may also name that endpoint.
func (s *Server) endpointAudiences(r *http.Request) []string {
	var bases []string
	if u := s.URL(); u != "" {
		bases = append(bases, u)
	}
	if r.Host != "" {
		bases = append(bases, requestBaseURL(r))
	}
	out := make([]string, 0, 4*len(bases))
	for _, b := range bases {
		out = append(out, b, b+"/", b+TokenPath)
		if r.URL != nil && r.URL.Path != TokenPath && r.URL.Path != "" {
			out = append(out, b+r.URL.Path)
		}
	}
	return out
}

// requestBaseURL is the scheme and host the request was sent to.
func requestBaseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// audienceIntersects reports whether aud shares a value with want.
func audienceIntersects(aud jwt.Audience, want []string) bool {
	return slices.ContainsFunc(want, aud.Contains)
}

// useJTILocked records that the JWT iss issued with jti has been accepted
// until exp, and reports false when it already was: the replay protection of
// RFC 7523 §3 item 7. Entries whose assertion has expired are dropped, since
// such an assertion is refused for its exp anyway.
func (s *Server) useJTILocked(iss, jti string, exp time.Time) bool {
	now := s.now()
	for k, until := range s.usedJTIs {
		if now.After(until.Add(clockSkew)) {
			delete(s.usedJTIs, k)
		}
	}
	key := iss + "\x00" + jti
	if _, used := s.usedJTIs[key]; used {
		return false
	}
	s.usedJTIs[key] = exp
	return true
}
