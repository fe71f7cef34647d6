package oauthclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Secrets with characters that every encoding changes.
const (
	rClientID     = "client:id"
	rClientSecret = `cs/+= &:"<x>`
	rPassword     = `pw "quoted" <tag>&amp`
	rRefreshToken = "rt+/=refresh"
	rCode         = "authcode123"
	rVerifier     = "verifier-ABC~._"
	rAccessToken  = "AT.secret-9"
)

// secretForms lists every form in which the request's secrets could leak.
func secretForms() []string {
	return formsOf(rClientSecret, rPassword, rRefreshToken, rCode, rVerifier, rAccessToken)
}

func formsOf(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		j, _ := json.Marshal(s)
		q := strconv.Quote(s)
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s), string(j[1:len(j)-1]), q[1:len(q)-1])
	}
	out = append(out,
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(rClientID)+":"+url.QueryEscape(rClientSecret))),
		base64.StdEncoding.EncodeToString([]byte(rClientID+":"+rClientSecret)),
	)
	return out
}

// echoAll is a body that repeats every secret of the request in every
// form, plus the request exactly as received.
func echoAll(r *http.Request, body string) string {
	forms := formsOf(rClientSecret, rPassword, rRefreshToken, rCode, rVerifier)
	return "received " + body + " auth " + r.Header.Get("Authorization") + " forms " + strings.Join(forms, " | ")
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, f := range secretForms() {
		if strings.Contains(text, f) {
			t.Errorf("%s leaks %q: %s", where, f, text)
		}
	}
}

func TestRedaction(t *testing.T) {
	scenarios := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, body string)
		want    string
	}{
		{"error_description", func(w http.ResponseWriter, r *http.Request, body string) {
			b, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": echoAll(r, body), "error_uri": "https://idp.example/e?s=" + url.QueryEscape(rClientSecret) + "&c=" + rCode})
			writeJSON(w, http.StatusBadRequest, string(b))
		}, "invalid_request"},
		{"error code", func(w http.ResponseWriter, r *http.Request, body string) {
			b, _ := json.Marshal(map[string]string{"error": rPassword + rRefreshToken})
			writeJSON(w, http.StatusBadRequest, string(b))
		}, "[REDACTED][REDACTED]"},
		{"plain body", func(w http.ResponseWriter, r *http.Request, body string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, echoAll(r, body))
		}, "non-JSON body"},
		{"json body without error", func(w http.ResponseWriter, r *http.Request, body string) {
			writeJSON(w, http.StatusForbidden, `{"echo":`+strconv.Quote(echoAll(r, body))+`}`)
		}, "status 403 and no OAuth error code"},
		{"secret cut by the excerpt limit", func(w http.ResponseWriter, r *http.Request, body string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, strings.Repeat("x", snippetBytes-4)+rPassword+rClientSecret)
		}, "non-JSON body"},
		{"location header", func(w http.ResponseWriter, r *http.Request, body string) {
			w.Header().Set("Location", "https://"+rCode+".evil.example/steal?b="+url.QueryEscape(body)+"&s="+url.QueryEscape(rClientSecret))
			w.WriteHeader(http.StatusFound)
			fmt.Fprint(w, echoAll(r, body))
		}, `to host "[REDACTED].evil.example"`},
		{"access token in a 200 error", func(w http.ResponseWriter, r *http.Request, body string) {
			writeJSON(w, http.StatusOK, `{"access_token":"`+rAccessToken+`","error":"server_error","error_description":"issued `+rAccessToken+`"}`)
		}, "server_error: issued [REDACTED]"},
		{"access token with bad expiry", func(w http.ResponseWriter, r *http.Request, body string) {
			writeJSON(w, http.StatusOK, `{"access_token":"`+rAccessToken+`","expires_in":"`+rAccessToken+`"}`)
		}, "is not a number of seconds"},
	}
	for _, enc := range []Encoding{EncodingForm, EncodingJSON} {
		for _, style := range []AuthStyle{AuthBasic, AuthPost} {
			for _, sc := range scenarios {
				t.Run(fmt.Sprintf("%s/%s/%s", enc, style, sc.name), func(t *testing.T) {
					srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
						sc.handler(w, r, record(r).body)
					})
					var logs logSink
					c := newTestClient(t, Options{Logger: logs.logger()})
					_, err := c.Exchange(context.Background(), Request{
						TokenURL: srv.URL, GrantType: "urn:example:all", AuthStyle: style, Encoding: enc,
						ClientID: rClientID, ClientSecret: rClientSecret, Username: "user", Password: rPassword,
						RefreshToken: rRefreshToken, Code: rCode, CodeVerifier: rVerifier,
					})
					if err == nil {
						t.Fatal("Exchange succeeded, want an error")
					}
					if !strings.Contains(err.Error(), sc.want) {
						t.Errorf("err = %q, want it to contain %q", err, sc.want)
					}
					assertNoSecret(t, "error", err.Error())
					events := logs.all()
					if len(events) == 0 {
						t.Fatal("no log events")
					}
					for _, ev := range events {
						for k, v := range ev.fields {
							assertNoSecret(t, "log field "+k, fmt.Sprint(v))
						}
					}
				})
			}
		}
	}
}

// TestRedaction_logFields checks the fields of a successful request's log.
func TestRedaction_logFields(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"access_token":"`+rAccessToken+`","expires_in":3600}`)
	})
	var logs logSink
	c := newTestClient(t, Options{Logger: logs.logger()})
	req := Request{TokenURL: srv.URL + "/token", GrantType: GrantPassword, AuthStyle: AuthPost, ClientID: rClientID, ClientSecret: rClientSecret, Username: "user", Password: rPassword}
	if _, err := c.Token(context.Background(), req); err != nil {
		t.Fatalf("Token: %v", err)
	}
	if _, err := c.Token(context.Background(), req); err != nil {
		t.Fatalf("Token: %v", err)
	}
	events := logs.all()
	if len(events) != 2 || events[0].msg != "token request" || events[1].msg != "token cache hit" {
		t.Fatalf("events = %+v, want a token request then a cache hit", events)
	}
	want := map[string]any{"token_url": srv.URL + "/token", "grant_type": "password", "auth_style": "post", "encoding": "form", "attempt": 1, "status": 200}
	for k, v := range want {
		if got := events[0].fields[k]; got != v {
			t.Errorf("field %s = %v, want %v", k, got, v)
		}
	}
	if _, ok := events[0].fields["duration_ms"]; !ok {
		t.Error("no duration_ms field")
	}
	for _, ev := range events {
		for k, v := range ev.fields {
			assertNoSecret(t, "log field "+k, fmt.Sprint(v))
		}
	}
}

func TestRedactor_shortSecret(t *testing.T) {
	rd := newRedactor(&Request{ClientSecret: "a"})
	if got, want := rd.scrub("a cat"), "[REDACTED] c[REDACTED]t"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}
