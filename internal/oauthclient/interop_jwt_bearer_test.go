package oauthclient_test

// Interoperability of the JWT bearer grant (RFC 7523 §2.1) with
// github.com/ory/fosite's rfc7523 handler: the client signs an assertion
// with Request.AssertionKey and AssertionClaims, and fosite verifies it
// against a key it trusts for the issuer and subject, with the scopes
// allowed for that key. The helpers are in interop_jwt_test.go.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ory/fosite/storage"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

const (
	// interopAssertionIssuer and interopAssertionSubject are the issuer
	// and subject of JWT bearer grant assertions fosite trusts.
	interopAssertionIssuer  = "https://issuer.interop.example"
	interopAssertionSubject = "service-account-7"
)

// issuerKey is a key trusted for JWT bearer grant assertions from
// interopAssertionIssuer about interopAssertionSubject, for scopes.
type issuerKey struct {
	kind, alg, kid string
	scopes         []string
}

// registerIssuerKey registers k in fosite's store; as for client keys, the
// JWK is decoded by fosite's own JOSE types from JSON.
func registerIssuerKey(t *testing.T, s *fositeSetup, k issuerKey) {
	t.Helper()
	var entry storage.PublicKeyScopes
	if err := json.Unmarshal(publicJWK(t, k.kind, k.alg, k.kid), &entry.Key); err != nil {
		t.Fatalf("fosite cannot read the JWK: %v", err)
	}
	entry.Scopes = k.scopes
	issuer, ok := s.mem.IssuerPublicKeys[interopAssertionIssuer]
	if !ok {
		issuer = storage.IssuerPublicKeys{Issuer: interopAssertionIssuer, KeysBySub: map[string]storage.SubjectPublicKeys{}}
		s.mem.IssuerPublicKeys[interopAssertionIssuer] = issuer
	}
	sub, ok := issuer.KeysBySub[interopAssertionSubject]
	if !ok {
		sub = storage.SubjectPublicKeys{Subject: interopAssertionSubject, Keys: map[string]storage.PublicKeyScopes{}}
		issuer.KeysBySub[interopAssertionSubject] = sub
	}
	sub.Keys[k.kid] = entry
}

// jwtBearerRequest is a JWT bearer grant request for interopAssertionSubject
// signed by key, asking for scope "read".
func jwtBearerRequest(tokenURL string, key *oauthclient.SigningKey) oauthclient.Request {
	return oauthclient.Request{
		TokenURL:     tokenURL,
		GrantType:    oauthclient.GrantJWTBearer,
		AssertionKey: key,
		AssertionClaims: oauthclient.AssertionClaims{
			Issuer:   interopAssertionIssuer,
			Subject:  interopAssertionSubject,
			Audience: tokenURL,
		},
		Scopes: []string{"read"},
	}
}

// assertGrantAssertion checks that a request carried a signed JWT bearer
// grant assertion and returns it.
func assertGrantAssertion(t *testing.T, sent sentRequest) string {
	t.Helper()
	if got := sent.form.Get("grant_type"); got != grantJWTBearer {
		t.Errorf("grant_type = %q, want %q", got, grantJWTBearer)
	}
	a := sent.form.Get("assertion")
	if strings.Count(a, ".") != 2 {
		t.Fatalf("assertion = %q, want a signed JWT", a)
	}
	return a
}

// assertNoClientAuth checks that a request authenticated no client: no
// client_id, secret or client assertion, no Authorization header.
func assertNoClientAuth(t *testing.T, sent sentRequest) {
	t.Helper()
	for _, p := range []string{"client_id", "client_secret", "client_assertion", "client_assertion_type"} {
		if sent.form.Has(p) {
			t.Errorf("the request carries %s; want no client authentication", p)
		}
	}
	if sent.header.Get("Authorization") != "" {
		t.Error("the request carries an Authorization header; want no client authentication")
	}
}

// JWT bearer grant rows fosite verifies. Unlike client assertions, grant
// assertions are verified by go-jose for whatever key is registered, so
// EdDSA works here.
var fositeJWTBearerRows = []struct {
	alg, kind, kid string
}{
	{oauthclient.AlgRS256, "rsa", "iss-rsa"},
	{oauthclient.AlgPS256, "rsa", "iss-rsa-pss"},
	{oauthclient.AlgES256, "ec256", "iss-ec"},
	{oauthclient.AlgES384, "ec384", ""},
	{oauthclient.AlgEdDSA, "ed25519", "iss-ed"},
}

// jwtBearerIssuerKeys trusts the key of every row for scopes read and write.
func jwtBearerIssuerKeys() []issuerKey {
	var keys []issuerKey
	for _, row := range fositeJWTBearerRows {
		keys = append(keys, issuerKey{kind: row.kind, alg: row.alg, kid: row.kid, scopes: []string{"read", "write"}})
	}
	return keys
}

// With GrantTypeJWTBearerCanSkipClientAuth the assertion is the whole
// proof: the client sends no client authentication when it has no secret
// (AuthAuto), and the token speaks for the assertion's subject.
func scenarioJWTBearerWithoutClientAuth(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{issuerKeys: jwtBearerIssuerKeys(), jwtBearerWithoutClientAuth: true})

	for _, row := range fositeJWTBearerRows {
		t.Run(row.alg+"/"+row.kid, func(t *testing.T) {
			c, rt := newRecordingClient(t)
			tok, err := c.Exchange(t.Context(), jwtBearerRequest(as.tokenURL, interopSigningKey(t, row.kind, row.alg, row.kid)))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			sent := rt.last(t)
			assertGrantAssertion(t, sent)
			assertNoClientAuth(t, sent)
			checkBearer(t, tok, fositeExpiresIn())
			if tok.Scope != "read" {
				t.Errorf("Scope = %q, want %q", tok.Scope, "read")
			}
			if tok.RefreshToken != "" {
				t.Error("the JWT bearer grant returned a refresh token; fosite issues none for it")
			}
			if ans := assertAccepted(t, as.resourceURL, tok, "", interopAssertionSubject); ans.Scope != "read" {
				t.Errorf("server recorded scope %q, want %q", ans.Scope, "read")
			}
		})
	}

	t.Run("audience defaults to the token endpoint", func(t *testing.T) {
		c, _ := newRecordingClient(t)
		req := jwtBearerRequest(as.tokenURL, interopSigningKey(t, "ec256", oauthclient.AlgES256, "iss-ec"))
		req.AssertionClaims.Audience = ""
		tok, err := c.Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, "", interopAssertionSubject)
	})

	// fosite marks the jti of an accepted assertion used until it expires
	// (RFC 7523 §3 item 7); the client signs anew for every request.
	t.Run("replayed assertion is refused", func(t *testing.T) {
		c, rt := newRecordingClient(t)
		req := jwtBearerRequest(as.tokenURL, interopSigningKey(t, "ec256", oauthclient.AlgES256, "iss-ec"))
		if _, err := c.Exchange(t.Context(), req); err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		first := rt.last(t)
		firstAssertion := assertGrantAssertion(t, first)

		status, code := postForm(t, as.tokenURL, first.form)
		if status != http.StatusBadRequest || code != "jti_known" {
			t.Errorf("replayed grant assertion: status %d error %q, want 400 jti_known", status, code)
		}

		tok, err := c.Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("second Exchange: %v", err)
		}
		if assertGrantAssertion(t, rt.last(t)) == firstAssertion {
			t.Error("the client sent the same grant assertion twice")
		}
		assertAccepted(t, as.resourceURL, tok, "", interopAssertionSubject)
	})

	for _, tc := range []struct {
		name   string
		adjust func(*oauthclient.Request)
		code   string
		// why is part of fosite's error_description as it reaches the
		// client's error: quotes made single, long text shortened.
		why string
	}{
		{
			name:   "scope not allowed for the key",
			adjust: func(r *oauthclient.Request) { r.Scopes = []string{"read", "admin"} },
			code:   "invalid_scope",
			why:    "is not allowed to request scope 'admin'",
		},
		{
			name:   "audience is not the token endpoint",
			adjust: func(r *oauthclient.Request) { r.AssertionClaims.Audience = "https://elsewhere.example/token" },
			code:   "invalid_grant",
			why:    "MUST contain an 'aud'",
		},
		{
			name:   "subject without a registered key",
			adjust: func(r *oauthclient.Request) { r.AssertionClaims.Subject = "someone-else" },
			code:   "invalid_grant",
			why:    "No public JWK was registered",
		},
		{
			// The kid names the registered key, but another key signed.
			name: "signed by an unregistered key",
			adjust: func(r *oauthclient.Request) {
				r.AssertionKey = interopSigningKey(t, "ec256-other", oauthclient.AlgES256, "iss-ec")
			},
			code: "invalid_grant",
			why:  "Unable to verify the integrity of the 'assertion' value",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rt := newRecordingClient(t)
			req := jwtBearerRequest(as.tokenURL, interopSigningKey(t, "ec256", oauthclient.AlgES256, "iss-ec"))
			tc.adjust(&req)
			_, err := c.Exchange(t.Context(), req)
			assertion := assertGrantAssertion(t, rt.last(t))
			if status := assertServerError(t, err, tc.code, assertion); status != http.StatusBadRequest {
				t.Errorf("StatusCode = %d, want 400", status)
			}
			var oe *oauthclient.Error
			if errors.As(err, &oe) && !strings.Contains(oe.Description, tc.why) {
				t.Errorf("fosite refused for another reason: %q, want one containing %q", oe.Description, tc.why)
			}
		})
	}
}

// By default fosite's rfc7523 handler wants the client authenticated and
// allowed the grant; the token then belongs to that client and speaks for
// the assertion's subject.
func scenarioJWTBearerWithClientAuth(t *testing.T, tg interopTarget) {
	const (
		basicClientID = "interop-jwt-grant-basic"
		keyClientID   = "interop-pkjwt-es256"
	)
	as := tg.start(t, serverConfig{issuerKeys: jwtBearerIssuerKeys(), keyClients: []keyClient{
		{id: basicClientID, method: "client_secret_basic", secret: interopClientSecret},
		{id: keyClientID, method: "private_key_jwt", alg: oauthclient.AlgES256, kind: "ec256", kid: "ec-1"},
	}})
	grantKey := interopSigningKey(t, "rsa", oauthclient.AlgRS256, "iss-rsa")

	for _, style := range []oauthclient.AuthStyle{oauthclient.AuthBasic, oauthclient.AuthAuto} {
		t.Run("client secret/"+string(style), func(t *testing.T) {
			c, rt := newRecordingClient(t)
			req := jwtBearerRequest(as.tokenURL, grantKey)
			req.AuthStyle, req.ClientID, req.ClientSecret = style, basicClientID, interopClientSecret
			tok, err := c.Exchange(t.Context(), req)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			sent := rt.last(t)
			assertGrantAssertion(t, sent)
			if id, _, ok := (&http.Request{Header: sent.header}).BasicAuth(); !ok || id != basicClientID {
				t.Errorf("HTTP Basic client id = %q (sent %v), want %q", id, ok, basicClientID)
			}
			rt.mu.Lock()
			n := len(rt.sent)
			rt.mu.Unlock()
			if n != 1 {
				t.Errorf("the client sent %d requests, want 1", n)
			}
			checkBearer(t, tok, fositeExpiresIn())
			assertAccepted(t, as.resourceURL, tok, basicClientID, interopAssertionSubject)
		})
	}

	// Two assertions in one request, each signed by its own key: the
	// client's (RFC 7523 §2.2) and the grant's (§2.1).
	t.Run("private_key_jwt", func(t *testing.T) {
		c, rt := newRecordingClient(t)
		req := jwtBearerRequest(as.tokenURL, grantKey)
		req.AuthStyle, req.ClientID = oauthclient.AuthPrivateKeyJWT, keyClientID
		req.ClientKey = interopSigningKey(t, "ec256", oauthclient.AlgES256, "ec-1")
		tok, err := c.Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		sent := rt.last(t)
		if assertGrantAssertion(t, sent) == assertClientAssertion(t, sent, keyClientID) {
			t.Error("the grant assertion and the client assertion are the same JWT")
		}
		checkBearer(t, tok, fositeExpiresIn())
		assertAccepted(t, as.resourceURL, tok, keyClientID, interopAssertionSubject)
	})

	t.Run("no client authentication", func(t *testing.T) {
		c, rt := newRecordingClient(t)
		_, err := c.Exchange(t.Context(), jwtBearerRequest(as.tokenURL, grantKey))
		sent := rt.last(t)
		assertNoClientAuth(t, sent)
		assertServerError(t, err, "invalid_request", assertGrantAssertion(t, sent))
	})

	// interopClientID may use the default grants, not this one.
	t.Run("client not allowed the grant", func(t *testing.T) {
		c, rt := newRecordingClient(t)
		req := jwtBearerRequest(as.tokenURL, grantKey)
		req.AuthStyle, req.ClientID, req.ClientSecret = oauthclient.AuthBasic, interopClientID, interopClientSecret
		_, err := c.Exchange(t.Context(), req)
		assertServerError(t, err, "unauthorized_client", assertGrantAssertion(t, rt.last(t)), interopClientSecret)
	})
}
