package oauthclient

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func benchServer(b *testing.B) string {
	return newServer(b, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			b.Error(err)
		}
		writeJSON(w, http.StatusOK, `{"access_token":"bench-token","token_type":"Bearer","expires_in":3600,"scope":"api"}`)
	}).URL
}

func BenchmarkTokenCacheHit(b *testing.B) {
	c := newTestClient(b, Options{})
	req := Request{
		TokenURL: benchServer(b), GrantType: GrantClientCredentials, AuthStyle: AuthBasic,
		ClientID: "id", ClientSecret: "secret", Scopes: []string{"api", "read"},
		ExtraParams: map[string]string{"audience": "https://api.example"},
	}
	ctx := context.Background()
	if _, err := c.Token(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Token(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchClientCredentials and BenchmarkFetchClientCredentialsXOAuth2
// perform the same request (Basic, form, scope) against the same loopback
// server.
func BenchmarkFetchClientCredentials(b *testing.B) {
	c := newTestClient(b, Options{})
	req := Request{TokenURL: benchServer(b), GrantType: GrantClientCredentials, AuthStyle: AuthBasic, ClientID: "id", ClientSecret: "secret", Scopes: []string{"api"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Exchange(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFetchClientCredentialsXOAuth2(b *testing.B) {
	cfg := clientcredentials.Config{ClientID: "id", ClientSecret: "secret", TokenURL: benchServer(b), Scopes: []string{"api"}, AuthStyle: oauth2.AuthStyleInHeader}
	hc := &http.Client{Transport: defaultTransport(b).Clone()}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
