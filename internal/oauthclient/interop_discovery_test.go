package oauthclient_test

// The discovery scenario of TestInterop (interop_test.go). Neither server
// under test serves a metadata document, so the test serves one on the
// server itself (issuer = the server's origin) that describes its real
// endpoints; what is proven is that Discover reads it and that the
// discovered token endpoint, with the client authentication AuthStyleFor
// picks from the document, issues a token the server validates.

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

func scenarioDiscoveryClientCredentials(t *testing.T, tg interopTarget) {
	// The post client is refused with HTTP Basic: only the method the
	// document lists works.
	as := tg.start(t, serverConfig{auth: authPostOnly})
	issuer := as.baseURL
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                as.authorizeURL,
		"token_endpoint":                        as.tokenURL,
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token", "password"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if as.revocationURL != "" {
		doc["revocation_endpoint"] = as.revocationURL
		doc["revocation_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// An OpenID provider (fosite) is discovered at the OpenID Connect
	// address, after the RFC 8414 one answers 404; the other at RFC 8414's.
	path := "/.well-known/oauth-authorization-server"
	if tg.issuesIDToken {
		path = "/.well-known/openid-configuration"
	}
	var served atomic.Int32
	as.mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})

	c := newInteropClient(t)
	m, err := c.Discover(t.Context(), issuer)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if m.Issuer != issuer || m.TokenEndpoint != as.tokenURL || m.MetadataURL != issuer+path {
		t.Errorf("metadata issuer %q token endpoint %q from %q", m.Issuer, m.TokenEndpoint, m.MetadataURL)
	}
	style, ok := oauthclient.AuthStyleFor(m.TokenEndpointAuthMethodsSupported, true, false, false)
	if !ok || style != oauthclient.AuthPost {
		t.Fatalf("AuthStyleFor(%v, secret) = %q, %v; want %q", m.TokenEndpointAuthMethodsSupported, style, ok, oauthclient.AuthPost)
	}

	tok, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     m.TokenEndpoint,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    style,
		ClientID:     as.postClient,
		ClientSecret: interopClientSecret,
		Scope:        "read",
	})
	if err != nil {
		t.Fatalf("Exchange at the discovered token endpoint: %v", err)
	}
	checkBearer(t, tok, tg.expiresIn(oauthclient.GrantClientCredentials))
	assertAccepted(t, as.resourceURL, tok, as.postClient, "")
	if n := as.tokenRequests.Load(); n != 1 {
		t.Errorf("token endpoint saw %d requests, want 1: the listed method works at once", n)
	}

	// The document is read once per client.
	if again, err := c.Discover(t.Context(), issuer); err != nil || again != m || served.Load() != 1 {
		t.Errorf("second Discover: %v, document served %d times; want the cached one", err, served.Load())
	}

	if m.RevocationEndpoint == "" {
		return
	}
	rstyle, ok := oauthclient.AuthStyleFor(m.RevocationEndpointAuthMethodsSupported, true, false, false)
	if !ok {
		t.Fatalf("AuthStyleFor(%v) found no revocation method", m.RevocationEndpointAuthMethodsSupported)
	}
	if err := c.Revoke(t.Context(), oauthclient.RevokeRequest{
		RevocationURL: m.RevocationEndpoint,
		Token:         tok.AccessToken,
		ClientID:      as.postClient,
		ClientSecret:  interopClientSecret,
		AuthStyle:     rstyle,
	}); err != nil {
		t.Fatalf("Revoke at the discovered revocation endpoint: %v", err)
	}
	assertRejected(t, as.resourceURL, tok.AccessToken)
}
