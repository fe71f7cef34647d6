package oauthclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

const basicIDSecret = "Basic aWQ6c2VjcmV0" // base64("id:secret")

// postOnlyServer refuses Basic with invalid_client and accepts the secret in
// the body, recording every request.
func postOnlyServer(t *testing.T, status int, got *[]seen) string {
	t.Helper()
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		s := record(r)
		*got = append(*got, s)
		if s.auth != "" {
			writeJSON(w, status, `{"error":"invalid_client","error_description":"client authentication failed"}`)
			return
		}
		writeJSON(w, http.StatusOK, okToken)
	}).URL
}

func TestExchange_autoFallsBackToPost(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var got []seen
			url := postOnlyServer(t, status, &got)
			c := newTestClient(t, Options{})
			req := Request{TokenURL: url, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret"}
			if _, err := c.Exchange(context.Background(), req); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			want := []seen{
				{method: "POST", path: "/", auth: basicIDSecret, ctype: "application/x-www-form-urlencoded", accept: "application/json", body: "grant_type=client_credentials"},
				{method: "POST", path: "/", ctype: "application/x-www-form-urlencoded", accept: "application/json", body: "client_id=id&client_secret=secret&grant_type=client_credentials"},
			}
			if len(got) != len(want) {
				t.Fatalf("server saw %d requests, want %d: %q", len(got), len(want), got)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("request %d = %q, want %q", i, got[i], want[i])
				}
			}

			// The winner is remembered: the second call goes straight to post.
			got = nil
			if _, err := c.Exchange(context.Background(), req); err != nil {
				t.Fatalf("second Exchange: %v", err)
			}
			if len(got) != 1 || got[0].auth != "" || got[0].body != want[1].body {
				t.Errorf("second call sent %q, want one post request", got)
			}
		})
	}
}

func TestExchange_autoBasicWinsFirst(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != basicIDSecret {
			t.Errorf("Authorization = %q, want %q", r.Header.Get("Authorization"), basicIDSecret)
		}
		writeJSON(w, http.StatusOK, okToken)
	})
	c := newTestClient(t, Options{})
	req := Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret"}
	for range 2 {
		if _, err := c.Exchange(context.Background(), req); err != nil {
			t.Fatalf("Exchange: %v", err)
		}
	}
	if got := n.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

func TestExchange_autoBothFail(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != "" {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"basic not accepted"}`)
			return
		}
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_client","error_description":"unknown client"}`)
	})
	c := newTestClient(t, Options{})
	_, err := c.Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret"})
	if err == nil {
		t.Fatal("Exchange succeeded, want an error")
	}
	// The HTTP Basic refusal is the cause, and comes first; the body
	// attempt is mentioned after it.
	if want := "(status 401): invalid_client: basic not accepted (with HTTP Basic"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want the Basic refusal first: %q", err, want)
	}
	for _, want := range []string{"also tried the secret in the request body, client_secret_post", "status 400, invalid_client: unknown client"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	var fe *AuthFallbackError
	if !errors.As(err, &fe) {
		t.Fatalf("err is %T, want *AuthFallbackError", err)
	}
	var oe *Error
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusUnauthorized || oe.Description != "basic not accepted" {
		t.Errorf("errors.As(*Error) = %+v, want the Basic failure", oe)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
	if strings.Count(err.Error(), "oauthclient:") != 1 {
		t.Errorf("err = %q, want a single oauthclient: prefix", err)
	}
}

// TestExchange_autoNoFallbackOnOtherErrors checks that only client
// authentication failures trigger the fallback.
func TestExchange_autoNoFallbackOnOtherErrors(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_scope"}`)
	})
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret"})
	var oe *Error
	if !errors.As(err, &oe) || oe.Code != "invalid_scope" {
		t.Fatalf("err = %v, want invalid_scope", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

// TestExchange_authCodeAutoUsesBasicOnce checks that a single-use code is
// never presented twice, even when Basic is refused.
func TestExchange_authCodeAutoUsesBasicOnce(t *testing.T) {
	var got []seen
	url := postOnlyServer(t, http.StatusUnauthorized, &got)
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{
		TokenURL: url, GrantType: GrantAuthorizationCode, ClientID: "id", ClientSecret: "secret",
		Code: "the-code", RedirectURI: "https://app.example/cb", CodeVerifier: "verifier-1234",
	})
	var oe *Error
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401", err)
	}
	if len(got) != 1 {
		t.Fatalf("server saw %d requests, want 1: %q", len(got), got)
	}
	if got[0].auth != basicIDSecret {
		t.Errorf("Authorization = %q, want %q", got[0].auth, basicIDSecret)
	}
	if want := "code=the-code&code_verifier=verifier-1234&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"; got[0].body != want {
		t.Errorf("body = %q, want %q", got[0].body, want)
	}
}

// TestExchange_authCodeNotRetriedOn5xx checks that a code is not presented
// again after an answer that may mean the server consumed it.
func TestExchange_authCodeNotRetriedOn5xx(t *testing.T) {
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	})
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{
		TokenURL: srv.URL, GrantType: GrantAuthorizationCode, ClientID: "id", Code: "c", AuthStyle: AuthNone,
	})
	if err == nil {
		t.Fatal("Exchange succeeded, want an error")
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestExchange_basicEscapesCredentials(t *testing.T) {
	var got seen
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = record(r)
		id, secret, _ := r.BasicAuth()
		if id != "a%3Ab" || secret != "p%C3%A4ss+word" {
			t.Errorf("BasicAuth = %q, %q, want %q, %q", id, secret, "a%3Ab", "p%C3%A4ss+word")
		}
		writeJSON(w, http.StatusOK, okToken)
	})
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, AuthStyle: AuthBasic, ClientID: "a:b", ClientSecret: "päss word"})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if want := "Basic YSUzQWI6cCVDMyVBNHNzK3dvcmQ="; got.auth != want {
		t.Errorf("Authorization = %q, want %q", got.auth, want)
	}
}

// Some servers answer a bad grant with 401. That refuses the grant, not the
// client's authentication, so auto must not present the grant a second time.
func TestExchange_autoDoesNotFallBackOnGrantError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		requests int32
	}{
		{"invalid_grant 401", http.StatusUnauthorized, `{"error":"invalid_grant"}`, 1},
		{"invalid_grant 400", http.StatusBadRequest, `{"error":"invalid_grant"}`, 1},
		{"bare 401", http.StatusUnauthorized, `{}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				writeJSON(w, tc.status, tc.body)
			})
			c := newTestClient(t, Options{})
			req := Request{TokenURL: srv.URL, GrantType: GrantPassword, ClientID: "id", ClientSecret: "secret", Username: "u", Password: "p"}
			if _, err := c.Exchange(context.Background(), req); err == nil {
				t.Fatal("Exchange succeeded, want an error")
			}
			if got := n.Load(); got != tc.requests {
				t.Errorf("server saw %d requests, want %d", got, tc.requests)
			}
		})
	}
}
