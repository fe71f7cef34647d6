package oauthclient

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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

// BenchmarkServerText_adversarial measures the redaction of a 1 MiB body
// built to make matching slow: every byte starts an escaped form and the
// secret's first characters repeat. Only the start of the text is examined,
// so the cost does not grow with the body.
func BenchmarkServerText_adversarial(b *testing.B) {
	rd := newRedactor(&Request{ClientID: "id", ClientSecret: `%%%%%%%%/+=~&<>"\é雪😀-0123456789`})
	body := strings.Repeat(`%25%25%\u0025&#37;`, (1<<20)/18)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = rd.serverText(body, maxServerText)
	}
}

// BenchmarkParseTokenResponse_errorEcho measures parsing a 400 answer whose
// error_description echoes the client secret in several encodings.
func BenchmarkParseTokenResponse_errorEcho(b *testing.B) {
	const secret = `Zm9v/YmFy+=~%&<>"\é雪😀`
	forms := probeForms("id", secret)
	var echo []string
	for _, f := range forms {
		echo = append(echo, f)
	}
	body := []byte(`{"error":"invalid_client","error_description":` + jsonValue(strings.Join(echo, " ")) + `}`)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		rd := newRedactor(&Request{ClientID: "id", ClientSecret: secret})
		if _, e := parseTokenResponse(400, "application/json", body, now, rd); e == nil {
			b.Fatal("no error")
		}
	}
}
