package oauthclient

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// revokeServer records every revocation request and answers with answer.
func revokeServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) (string, *[]seen) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []seen
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		s := record(r)
		mu.Lock()
		got = append(got, s)
		n := len(got)
		mu.Unlock()
		answer(w, r, n)
	})
	return srv.URL + "/revoke", &got
}

func answer200(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) }

func TestRevoke_wire(t *testing.T) {
	const secret = "s3cret/with+reserved chars:&="
	tests := []struct {
		name     string
		req      RevokeRequest
		wantAuth string
		wantBody string
	}{
		{
			name:     "basic with a secret (auto)",
			req:      RevokeRequest{Token: "rt-1", TokenTypeHint: TokenTypeHintRefreshToken, ClientID: "app id", ClientSecret: secret},
			wantAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("app id")+":"+url.QueryEscape(secret))),
			wantBody: "token=rt-1&token_type_hint=refresh_token",
		},
		{
			name:     "post",
			req:      RevokeRequest{Token: "at-1", TokenTypeHint: TokenTypeHintAccessToken, ClientID: "app", ClientSecret: secret, AuthStyle: AuthPost},
			wantBody: "client_id=app&client_secret=" + url.QueryEscape(secret) + "&token=at-1&token_type_hint=access_token",
		},
		{
			name:     "none without hint (auto)",
			req:      RevokeRequest{Token: "at-2", ClientID: "public-app"},
			wantBody: "client_id=public-app&token=at-2",
		},
		{
			name:     "none without a client id",
			req:      RevokeRequest{Token: "at-3", AuthStyle: AuthNone},
			wantBody: "token=at-3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, got := revokeServer(t, answer200)
			tt.req.RevocationURL = u
			if err := newTestClient(t, Options{}).Revoke(t.Context(), tt.req); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if len(*got) != 1 {
				t.Fatalf("%d requests, want 1", len(*got))
			}
			s := (*got)[0]
			if s.method != http.MethodPost || s.path != "/revoke" || s.ctype != "application/x-www-form-urlencoded" || s.accept != "application/json" {
				t.Errorf("request = %+v", s)
			}
			if s.auth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", s.auth, tt.wantAuth)
			}
			if s.body != tt.wantBody {
				t.Errorf("body = %q, want %q", s.body, tt.wantBody)
			}
		})
	}
}

func TestRevoke_privateKeyJWT(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	setClock(t, now)
	priv := testPrivateKey(t, "ec256")
	key := testSigningKey(t, "ec256", KeyOptions{KeyID: "k1"})
	u, got := revokeServer(t, answer200)
	err := newTestClient(t, Options{}).Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "rt-9", TokenTypeHint: "refresh_token", ClientID: "app", ClientKey: key})
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	s := (*got)[0]
	f, err := url.ParseQuery(s.body)
	if err != nil {
		t.Fatal(err)
	}
	if s.auth != "" || f.Get("token") != "rt-9" || f.Get("token_type_hint") != "refresh_token" || f.Get("client_id") != "app" ||
		f.Get("client_assertion_type") != ClientAssertionType || f.Has("client_secret") {
		t.Errorf("auth %q form %v", s.auth, f)
	}
	h, claims := verifyJWT(t, f.Get("client_assertion"), priv.Public(), jose.ES256)
	if h.KeyID != "k1" {
		t.Errorf("kid = %q", h.KeyID)
	}
	for k, v := range map[string]any{"iss": "app", "sub": "app", "aud": u, "iat": float64(now.Unix())} {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v (the revocation URL is the audience)", k, claims[k], v)
		}
	}
}

func TestRevoke_successWhateverTheBody(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"junk", 200, "<html>not json at all\x1b[2J"},
		{"error field in a 200", 200, `{"error":"invalid_token"}`},
		{"empty", 200, ""},
		{"no content", 204, ""},
		{"oversize", 200, strings.Repeat("x", MaxResponseBytes+10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			if err := newTestClient(t, Options{}).Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "t", ClientID: "a", ClientSecret: "s"}); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
		})
	}
}

func TestRevoke_refused(t *testing.T) {
	u, got := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeJSON(w, http.StatusBadRequest, `{"error":"unsupported_token_type","error_description":"cannot revoke \u001b[31maccess tokens","error_uri":"https://docs.example/revoke"}`)
	})
	err := newTestClient(t, Options{}).Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "at", TokenTypeHint: "access_token", ClientID: "a", ClientSecret: "s3cr3t"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	if e.StatusCode != 400 || e.Code != "unsupported_token_type" || e.Description != "cannot revoke access tokens" || e.URI != "https://docs.example/revoke" || e.TokenURL != u {
		t.Errorf("Error = %+v", e)
	}
	want := "oauthclient: revocation endpoint " + u + " refused the request (status 400): unsupported_token_type: cannot revoke access tokens (see https://docs.example/revoke)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if len(*got) != 1 {
		t.Errorf("%d requests, want 1: a refusal is not retried nor sent with another style", len(*got))
	}
}

func TestRevoke_otherAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"401 without code", "application/json", `{"message":"bad client"}`, 401, `status 401 and a JSON object {"message":"bad client"}, no OAuth error code`},
		{"HTML", "text/html", "<html>denied</html>", 403, "status 403 and an HTML page"},
		{"redirect", "", "", 302, "never redirected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				if tc.status == 302 {
					w.Header().Set("Location", "https://login.example.com/revoke")
				}
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			err := newTestClient(t, Options{}).Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "token-value-1", ClientID: "a", ClientSecret: "secret-value-1"})
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "oauthclient: revocation endpoint ") {
				t.Fatalf("err = %v, want an *Error with %q", err, tc.want)
			}
		})
	}
}

func TestRevoke_echoedSecretsScrubbed(t *testing.T) {
	const (
		token  = "rt.eyJhbGciOi.sig-Very+Secret/Token="
		secret = "client-secret-XYZ/+"
	)
	var logs logSink
	u, _ := revokeServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		b, _ := url.ParseQuery(string(mustBody(t, r)))
		echo := "token " + b.Get("token") + " enc " + url.QueryEscape(token) + " auth " + r.Header.Get("Authorization") +
			" b64 " + base64.StdEncoding.EncodeToString([]byte(token)) + " secret " + secret
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":`+jsonQuote(echo)+`,"access_token":"`+token+`"}`)
	})
	c := newTestClient(t, Options{Logger: logs.logger()})
	err := c.Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: token, ClientID: "app", ClientSecret: secret})
	if err == nil {
		t.Fatal("Revoke succeeded")
	}
	texts := []string{err.Error()}
	for _, e := range logs.all() {
		for _, v := range e.fields {
			if s, ok := v.(string); ok {
				texts = append(texts, s)
			}
		}
	}
	leaks := []string{token, url.QueryEscape(token), "sig-Very", base64.StdEncoding.EncodeToString([]byte(token)), secret, url.QueryEscape(secret),
		base64.StdEncoding.EncodeToString([]byte("app:" + url.QueryEscape(secret)))}
	for _, text := range texts {
		for _, l := range leaks {
			if strings.Contains(text, l) {
				t.Errorf("text leaks %q: %s", l, text)
			}
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %q shows no redaction; was the echo read?", err)
	}
}

func mustBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if err := r.ParseForm(); err != nil {
		t.Error(err)
	}
	return []byte(r.PostForm.Encode())
}

func jsonQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func TestRevoke_retry(t *testing.T) {
	u, got := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "3")
			writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	c := newTestClient(t, Options{})
	waits := recordSleeps(c)
	if err := c.Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "t", ClientID: "a", ClientSecret: "s"}); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if len(*got) != 2 || len(*waits) != 1 || (*waits)[0] != 3*time.Second {
		t.Errorf("%d requests, waits %v; want 2 and one wait of the Retry-After 3s", len(*got), *waits)
	}
}

func TestRevoke_freshAssertionEveryAttempt(t *testing.T) {
	var n atomic.Int32
	u, got := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	c := newTestClient(t, Options{})
	recordSleeps(c)
	if err := c.Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "t", ClientID: "a", ClientKey: testSigningKey(t, "ec256", KeyOptions{})}); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	a, _ := url.ParseQuery((*got)[0].body)
	b, _ := url.ParseQuery((*got)[1].body)
	if a.Get("client_assertion") == "" || a.Get("client_assertion") == b.Get("client_assertion") {
		t.Error("the retry replayed the client assertion")
	}
}

func TestRevoke_givesUp(t *testing.T) {
	u, got := revokeServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	})
	c := newTestClient(t, Options{MaxRetries: 2})
	recordSleeps(c)
	err := c.Revoke(t.Context(), RevokeRequest{RevocationURL: u, Token: "token-value-1"})
	var e *Error
	if !errors.As(err, &e) || e.Code != "temporarily_unavailable" || e.StatusCode != 503 || len(*got) != 3 {
		t.Errorf("err = %v after %d requests; want the 503 after 3", err, len(*got))
	}
}

func TestRevoke_validation(t *testing.T) {
	c := newTestClient(t, Options{Transport: failTransport{t}})
	key := testSigningKey(t, "ec256", KeyOptions{})
	for _, tc := range []struct {
		name string
		req  RevokeRequest
		want string
	}{
		{"no url", RevokeRequest{Token: "t"}, "revocation url is required"},
		{"plain http", RevokeRequest{RevocationURL: "http://login.example.com/revoke", Token: "t"}, `plain http to host "login.example.com"`},
		{"no token", RevokeRequest{RevocationURL: "https://h/revoke"}, "needs the token to revoke"},
		{"secret without id", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientSecret: "s"}, "client id is empty"},
		{"basic without secret", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientID: "a", AuthStyle: AuthBasic}, "needs a client id and secret"},
		{"key without style", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientID: "a", ClientKey: key, AuthStyle: AuthPost, ClientSecret: "s"}, `use "private_key_jwt"`},
		{"private_key_jwt without key", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientID: "a", AuthStyle: AuthPrivateKeyJWT}, "needs a client id and a signing key"},
		{"short HMAC secret", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientID: "a", ClientSecret: "short", AuthStyle: AuthClientSecretJWT}, "at least 32 bytes"},
		{"tls without certificate", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", ClientID: "a", AuthStyle: AuthTLSClient}, "needs a client certificate"},
		{"unknown style", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", AuthStyle: "magic"}, "unknown client authentication style"},
		{"hint with spaces", RevokeRequest{RevocationURL: "https://h/revoke", Token: "t", TokenTypeHint: "refresh token"}, "not a token type name"},
	} {
		err := c.Revoke(t.Context(), tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), `"t"`) {
			t.Errorf("%s: error quotes the token: %v", tc.name, err)
		}
	}
}
