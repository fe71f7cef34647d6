package oauthclient_test

// Interoperability of the JWT client authentication methods (RFC 7523 §2.2,
// OpenID Connect Core §9) and of the JWT bearer grant (RFC 7523 §2.1) with
// github.com/ory/fosite, which verifies every assertion with its own JOSE
// code (go-jose v3) against keys registered in its store.
//
// What fosite v0.49.0 verifies, read from its source
// (client_authentication.go, handler/rfc7523):
//   - private_key_jwt: RS256/384/512, PS256/384/512 and ES256/384/512, with
//     the algorithm the client registered; EdDSA is refused as an
//     unsupported signing algorithm; a jti is accepted once.
//   - client_secret_jwt: not supported at all; an HS256 assertion or a
//     client registered for the method is refused with invalid_client.
//   - the JWT bearer grant: any algorithm go-jose v3 verifies, EdDSA
//     included, against a key registered for the issuer and subject, with
//     the scopes allowed for that key; a jti is accepted once; client
//     authentication is required unless GrantTypeJWTBearerCanSkipClientAuth.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

const (
	// interopSecretJWTClientID is registered for client_secret_jwt, whose
	// HS256 key must be at least 32 bytes (RFC 7518 §3.2).
	interopSecretJWTClientID     = "interop-secret-jwt"
	interopSecretJWTClientSecret = "interop-secret-jwt-0123456789-abcdefghij"

	grantJWTBearer = string(oauthclient.GrantJWTBearer)
)

// interopKeys holds the private keys of these tests, generated once per
// run: RSA generation is slow.
var interopKeys = sync.OnceValues(func() (map[string]crypto.Signer, error) {
	keys := map[string]crypto.Signer{}
	var err error
	if keys["rsa"], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	for _, name := range []string{"ec256", "ec256-other"} {
		if keys[name], err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	if keys["ec384"], err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return nil, err
	}
	if _, keys["ed25519"], err = ed25519.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	return keys, nil
})

func interopKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	keys, err := interopKeys()
	if err != nil {
		t.Fatalf("generating the test keys: %v", err)
	}
	k, ok := keys[kind]
	if !ok {
		t.Fatalf("no test key %q", kind)
	}
	return k
}

// interopSigningKey is the client's view of a test key: PKCS#8 PEM read by
// oauthclient.ParseSigningKey, as a user would configure it.
func interopSigningKey(t *testing.T, kind, alg, kid string) *oauthclient.SigningKey {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(interopKey(t, kind))
	if err != nil {
		t.Fatal(err)
	}
	pemData := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	k, err := oauthclient.ParseSigningKey(pemData, oauthclient.KeyOptions{Algorithm: alg, KeyID: kid})
	if err != nil {
		t.Fatalf("ParseSigningKey(%s, %s): %v", kind, alg, err)
	}
	if k.Algorithm() != alg {
		t.Fatalf("signing key algorithm = %s, want %s", k.Algorithm(), alg)
	}
	return k
}

// publicJWK is the public half of a test key as a JSON Web Key for
// signatures (fosite looks only at keys with use "sig").
func publicJWK(t *testing.T, kind, alg, kid string) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: interopKey(t, kind).Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		t.Fatalf("encoding the public JWK: %v", err)
	}
	return b
}

// keyClient is a client that authenticates with a JWT (or, with a secret
// and client_secret_basic, one allowed the JWT bearer grant).
type keyClient struct {
	id, method, alg string
	// kind and kid name the registered public key; kind "" registers none.
	kind, kid string
	secret    string
}

// registerKeyClients registers clients whose keys fosite reads from a
// registered JWKS. The JWKS is decoded by fosite's own JOSE types from
// JSON, so these tests need not import the go-jose version fosite uses.
func registerKeyClients(t *testing.T, s *fositeSetup, clients []keyClient) {
	t.Helper()
	for _, c := range clients {
		oc := &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{
				ID:         c.id,
				GrantTypes: []string{"client_credentials", grantJWTBearer},
				Scopes:     []string{"read", "write"},
			},
			TokenEndpointAuthMethod:           c.method,
			TokenEndpointAuthSigningAlgorithm: c.alg,
		}
		if c.secret != "" {
			hashed, err := (&fosite.BCrypt{Config: s.cfg}).Hash(t.Context(), []byte(c.secret))
			if err != nil {
				t.Fatalf("hashing a client secret: %v", err)
			}
			oc.Secret = hashed
		}
		if c.kind != "" {
			set := `{"keys":[` + string(publicJWK(t, c.kind, c.alg, c.kid)) + `]}`
			if err := json.Unmarshal([]byte(set), &oc.JSONWebKeys); err != nil {
				t.Fatalf("fosite cannot read the JWKS: %v", err)
			}
		}
		s.mem.Clients[c.id] = oc
	}
}

// sentRequest is one token request as it left the client.
type sentRequest struct {
	header http.Header
	form   url.Values
}

// recordingTransport records the token requests a client sends, so a test
// can see the assertions the client signed and present them again by hand.
type recordingTransport struct {
	mu   sync.Mutex
	sent []sentRequest
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("recording transport: the body is not a form: %w", err)
	}
	rt.mu.Lock()
	rt.sent = append(rt.sent, sentRequest{header: r.Header.Clone(), form: form})
	rt.mu.Unlock()
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(out)
}

// last returns the last request sent.
func (rt *recordingTransport) last(t *testing.T) sentRequest {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.sent) == 0 {
		t.Fatal("the client sent no request")
	}
	return rt.sent[len(rt.sent)-1]
}

func newRecordingClient(t *testing.T) (*oauthclient.Client, *recordingTransport) {
	t.Helper()
	rt := &recordingTransport{}
	c, err := oauthclient.New(oauthclient.Options{Timeout: 10 * time.Second, MaxRetries: -1, Transport: rt})
	if err != nil {
		t.Fatalf("oauthclient.New: %v", err)
	}
	return c, rt
}

// postForm presents form to the token endpoint by hand and returns the
// status and the RFC 6749 §5.2 error code of the answer.
func postForm(t *testing.T, tokenURL string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("posting to the token endpoint: %v", err)
	}
	defer resp.Body.Close()
	var answer struct {
		Error       string `json:"error"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("decoding the token endpoint's answer (status %d): %v", resp.StatusCode, err)
	}
	if answer.AccessToken != "" {
		t.Errorf("the token endpoint issued an access token for a replayed request")
	}
	return resp.StatusCode, answer.Error
}

// assertClientAssertion checks that a request carried a client assertion
// for clientID (RFC 7523 §2.2) and no other client credential, and returns
// the assertion.
func assertClientAssertion(t *testing.T, sent sentRequest, clientID string) string {
	t.Helper()
	if got := sent.form.Get("client_assertion_type"); got != oauthclient.ClientAssertionType {
		t.Errorf("client_assertion_type = %q, want %q", got, oauthclient.ClientAssertionType)
	}
	if got := sent.form.Get("client_id"); got != clientID {
		t.Errorf("client_id = %q, want %q", got, clientID)
	}
	if sent.form.Has("client_secret") || sent.header.Get("Authorization") != "" {
		t.Error("a client secret or an Authorization header was sent beside the client assertion")
	}
	a := sent.form.Get("client_assertion")
	if strings.Count(a, ".") != 2 {
		t.Fatalf("client_assertion = %q, want a signed JWT", a)
	}
	return a
}

// keyClientID names the private_key_jwt client of a row.
func keyClientID(alg, kid string) string {
	if kid == "" {
		return "interop-pkjwt-" + strings.ToLower(alg) + "-nokid"
	}
	return "interop-pkjwt-" + strings.ToLower(alg)
}

// private_key_jwt rows fosite verifies: the algorithm the client
// registered, the key picked by kid or, without one, the only key.
var fositePrivateKeyJWTRows = []struct {
	alg, kind, kid string
}{
	{oauthclient.AlgRS256, "rsa", "rsa-1"},
	{oauthclient.AlgRS256, "rsa", ""},
	{oauthclient.AlgPS256, "rsa", "rsa-pss-1"},
	{oauthclient.AlgES256, "ec256", "ec-1"},
	{oauthclient.AlgES384, "ec384", "ec384-1"},
}

func scenarioPrivateKeyJWT(t *testing.T, tg interopTarget) {
	var clients []keyClient
	for _, row := range fositePrivateKeyJWTRows {
		clients = append(clients, keyClient{
			id: keyClientID(row.alg, row.kid), method: "private_key_jwt", alg: row.alg, kind: row.kind, kid: row.kid,
		})
	}
	as := tg.start(t, serverConfig{keyClients: clients})

	for _, row := range fositePrivateKeyJWTRows {
		clientID := keyClientID(row.alg, row.kid)
		for _, style := range []oauthclient.AuthStyle{oauthclient.AuthPrivateKeyJWT, oauthclient.AuthAuto} {
			t.Run(clientID+"/"+string(style), func(t *testing.T) {
				c, rt := newRecordingClient(t)
				tok, err := c.Exchange(t.Context(), oauthclient.Request{
					TokenURL:  as.tokenURL,
					GrantType: oauthclient.GrantClientCredentials,
					AuthStyle: style,
					ClientID:  clientID,
					ClientKey: interopSigningKey(t, row.kind, row.alg, row.kid),
					Scopes:    []string{"read", "write"},
				})
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				assertClientAssertion(t, rt.last(t), clientID)
				checkBearer(t, tok, fositeExpiresIn())
				if tok.Scope != "read write" {
					t.Errorf("Scope = %q, want %q", tok.Scope, "read write")
				}
				if ans := assertAccepted(t, as.resourceURL, tok, clientID, ""); ans.Scope != "read write" {
					t.Errorf("server recorded scope %q, want %q", ans.Scope, "read write")
				}
			})
		}
	}
}

// fosite keeps the jti of every client assertion until it expires and
// refuses it a second time (RFC 7523 §3 item 7); the client signs a fresh
// assertion for every request, so it is never refused for its own reuse.
func scenarioPrivateKeyJWTReplayRefused(t *testing.T, tg interopTarget) {
	const clientID = "interop-pkjwt-es256"
	as := tg.start(t, serverConfig{keyClients: []keyClient{{
		id: clientID, method: "private_key_jwt", alg: oauthclient.AlgES256, kind: "ec256", kid: "ec-1",
	}}})
	c, rt := newRecordingClient(t)
	req := oauthclient.Request{
		TokenURL:  as.tokenURL,
		GrantType: oauthclient.GrantClientCredentials,
		AuthStyle: oauthclient.AuthPrivateKeyJWT,
		ClientID:  clientID,
		ClientKey: interopSigningKey(t, "ec256", oauthclient.AlgES256, "ec-1"),
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, clientID, "")
	first := rt.last(t)
	firstAssertion := assertClientAssertion(t, first, clientID)

	// The same request, assertion and all, presented again by hand.
	status, code := postForm(t, as.tokenURL, first.form)
	if status != http.StatusBadRequest || code != "jti_known" {
		t.Errorf("replayed client assertion: status %d error %q, want 400 jti_known", status, code)
	}

	// The client itself signs anew and is accepted.
	again, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	if a := assertClientAssertion(t, rt.last(t), clientID); a == firstAssertion {
		t.Error("the client sent the same client assertion twice")
	}
	assertAccepted(t, as.resourceURL, again, clientID, "")
}

func scenarioClientAssertionRefused(t *testing.T, tg interopTarget) {
	as := tg.start(t, serverConfig{keyClients: []keyClient{
		{id: "interop-pkjwt-rs256", method: "private_key_jwt", alg: oauthclient.AlgRS256, kind: "rsa", kid: "rsa-1"},
		{id: "interop-pkjwt-es256", method: "private_key_jwt", alg: oauthclient.AlgES256, kind: "ec256", kid: "ec-1"},
		{id: "interop-pkjwt-eddsa", method: "private_key_jwt", alg: oauthclient.AlgEdDSA, kind: "ed25519", kid: "ed-1"},
		{id: interopSecretJWTClientID, method: "client_secret_jwt", alg: "HS256", secret: interopSecretJWTClientSecret},
	}})
	for _, tc := range []struct {
		name string
		req  oauthclient.Request
		// why is part of fosite's error_description: the refusal is for
		// the reason the row is about.
		why string
	}{
		{
			// The kid names the registered key, but another key signed.
			name: "signed by an unregistered key",
			req: oauthclient.Request{
				ClientID: "interop-pkjwt-es256", AuthStyle: oauthclient.AuthPrivateKeyJWT,
				ClientKey: interopSigningKey(t, "ec256-other", oauthclient.AlgES256, "ec-1"),
			},
			why: "Unable to verify the integrity of the 'client_assertion' value",
		},
		{
			name: "audience is not the token endpoint",
			req: oauthclient.Request{
				ClientID: "interop-pkjwt-es256", AuthStyle: oauthclient.AuthPrivateKeyJWT,
				ClientKey:               interopSigningKey(t, "ec256", oauthclient.AlgES256, "ec-1"),
				ClientAssertionAudience: "https://elsewhere.example/token",
			},
			why: "Claim 'audience' from 'client_assertion' must match",
		},
		{
			// The registered key, but not the registered algorithm.
			name: "PS256 for a client registered for RS256",
			req: oauthclient.Request{
				ClientID: "interop-pkjwt-rs256", AuthStyle: oauthclient.AuthPrivateKeyJWT,
				ClientKey: interopSigningKey(t, "rsa", oauthclient.AlgPS256, "rsa-1"),
			},
			why: "enforces signing algorithm 'RS256'",
		},
		{
			// fosite verifies client assertions signed with RSA and ECDSA
			// keys only.
			name: "EdDSA is not supported by fosite",
			req: oauthclient.Request{
				ClientID: "interop-pkjwt-eddsa", AuthStyle: oauthclient.AuthPrivateKeyJWT,
				ClientKey: interopSigningKey(t, "ed25519", oauthclient.AlgEdDSA, "ed-1"),
			},
			why: "unsupported signing algorithm 'EdDSA'",
		},
		{
			// fosite has no client_secret_jwt: a client registered for it
			// is refused before its assertion is looked at (and an HS256
			// assertion for any other client is refused as well).
			name: "client_secret_jwt is not supported by fosite",
			req: oauthclient.Request{
				ClientID: interopSecretJWTClientID, ClientSecret: interopSecretJWTClientSecret,
				AuthStyle: oauthclient.AuthClientSecretJWT,
			},
			why: "method is not supported by this server",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rt := newRecordingClient(t)
			req := tc.req
			req.TokenURL = as.tokenURL
			req.GrantType = oauthclient.GrantClientCredentials
			_, err := c.Exchange(t.Context(), req)
			assertion := assertClientAssertion(t, rt.last(t), req.ClientID)
			if status := assertServerError(t, err, "invalid_client", assertion, interopSecretJWTClientSecret); status != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d, want 401", status)
			}
			var oe *oauthclient.Error
			if errors.As(err, &oe) && !strings.Contains(oe.Description, tc.why) {
				t.Errorf("fosite refused for another reason: %q, want one containing %q", oe.Description, tc.why)
			}
			rt.mu.Lock()
			n := len(rt.sent)
			rt.mu.Unlock()
			if n != 1 {
				t.Errorf("the client sent %d requests, want 1", n)
			}
		})
	}
}
