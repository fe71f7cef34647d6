package oauthclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
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
			fmt.Fprint(w, strings.Repeat("x", maxServerText-4)+rPassword+rClientSecret)
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

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://login.example.com/oauth2/token", "https://login.example.com/oauth2/token"},
		{"https://user:pass@login.example.com/token", "https://[REDACTED]@login.example.com/token"},
		{"https://apikey@login.example.com/token", "https://[REDACTED]@login.example.com/token"},
		// Query values are hidden by name or by length, and shown
		// otherwise.
		{"https://login.example.com/token?client_secret=s3cr3t&p=B2C_1", "https://login.example.com/token?client_secret=[REDACTED]&p=B2C_1"},
		{"https://login.example.com/token?x=1", "https://login.example.com/token?x=1"},
		{"https://login.example.com/token?api-version=2019-01-01&tenant=acme", "https://login.example.com/token?api-version=2019-01-01&tenant=acme"},
		{"https://login.example.com/token?X-Api-Key=1&SIG=2&access_token=3&Password=4&code=5&authz=6", "https://login.example.com/token?X-Api-Key=[REDACTED]&SIG=[REDACTED]&access_token=[REDACTED]&Password=[REDACTED]&code=[REDACTED]&authz=[REDACTED]"},
		{"https://login.example.com/token?x=0123456789abcdef&y=0123456789abcde", "https://login.example.com/token?x=[REDACTED]&y=0123456789abcde"},
		{"https://login.example.com/token?x=%30123456789abcde", "https://login.example.com/token?x=%30123456789abcde"},
		{"https://login.example.com/token?s3cr3t", "https://login.example.com/token?s3cr3t"},
		{"https://login.example.com/token?s3cr3t-0123456789", "https://login.example.com/token?[REDACTED]"},
		{"https://login.example.com/token?apikey", "https://login.example.com/token?[REDACTED]"},
		{"https://login.example.com/token#s3cr3t", "https://login.example.com/token#[REDACTED]"},
		{"http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token"},
		// Not parseable: invalid port, a space, a placeholder host.
		{"https://user:pass@host:bad/token?x=s3cr3t", "https://[REDACTED]@host:bad/token?[REDACTED]"},
		{"https://user:pa ss@host/token", "https://[REDACTED]@host/token"},
		{"https://{tenant_id}.example.com/token?k=s3cr3t", "https://{tenant_id}.example.com/token?[REDACTED]"},
		// No scheme, or an opaque one.
		{"user:pass@host/token", "[REDACTED]@host/token"},
		{"pass@host/token", "[REDACTED]@host/token"},
		{"ftp://user:pass@host/", "ftp://[REDACTED]@host/"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedaction_tokenURL checks that credentials written into the token URL
// itself, as user information or a query, reach no error and no log field.
func TestRedaction_tokenURL(t *testing.T) {
	// Long enough to be hidden whatever the parameter's name.
	const urlSecret = "URLs3cr3t-0123456789"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// The server echoes the URL it was called with.
		b, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": "bad " + r.URL.String()})
		writeJSON(w, http.StatusUnauthorized, string(b))
	})
	for _, tokenURL := range []string{
		srv.URL + "/token?client_secret=" + urlSecret,
		srv.URL + "/token?" + urlSecret,
		"http://user:" + urlSecret + "@" + strings.TrimPrefix(srv.URL, "http://") + "/token",
		"http://user:" + urlSecret + "@127.0.0.1:bad/token",
		"ftp://user:" + urlSecret + "@127.0.0.1/token",
		"https://{tenant_id}.example.com/token?k=" + urlSecret,
		"https://example.com/token?k=" + urlSecret + "#frag",
	} {
		t.Run(tokenURL, func(t *testing.T) {
			var logs logSink
			c := newTestClient(t, Options{Logger: logs.logger(), MaxRetries: -1})
			_, err := c.Exchange(context.Background(), Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, AuthStyle: AuthPost, ClientID: "id", ClientSecret: "cs"})
			if err == nil {
				t.Fatal("Exchange succeeded, want an error")
			}
			if strings.Contains(err.Error(), urlSecret) {
				t.Errorf("error leaks the URL secret: %s", err)
			}
			var oe *Error
			if errors.As(err, &oe) && strings.Contains(oe.TokenURL, urlSecret) {
				t.Errorf("Error.TokenURL leaks the URL secret: %s", oe.TokenURL)
			}
			for _, ev := range logs.all() {
				for k, v := range ev.fields {
					if strings.Contains(fmt.Sprint(v), urlSecret) {
						t.Errorf("log field %s leaks the URL secret: %v", k, v)
					}
				}
			}
			if err := ValidateTokenURL(tokenURL, false); err != nil && strings.Contains(err.Error(), urlSecret) {
				t.Errorf("ValidateTokenURL leaks the URL secret: %s", err)
			}
		})
	}
}

// TestRedaction_unparsedAnswer checks that tokens in an answer that is not
// a well-formed token response are not quoted back.
func TestRedaction_unparsedAnswer(t *testing.T) {
	for _, tt := range []struct{ name, contentType, body string }{
		{"json with trailing text", "application/json", `{"access_token":"` + rAccessToken + `","expires_in":3600} trailing`},
		{"json cut short", "application/json", `{"refresh_token":"` + rAccessToken},
		{"json escaped", "application/json", `{"id_token": "AT.secret\/9"}{}`},
		{"form without access_token", "text/plain", "refresh_token=" + rAccessToken + "&x=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(http.StatusOK)
				fmt.Fprint(w, tt.body)
			})
			c := newTestClient(t, Options{MaxRetries: -1})
			_, err := c.Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, AuthStyle: AuthPost, ClientID: "id", ClientSecret: "cs"})
			if err == nil {
				t.Fatal("Exchange succeeded, want an error")
			}
			// Every token here starts so, whatever its escaping.
			if strings.Contains(err.Error(), "AT.secret") {
				t.Errorf("error quotes a token: %s", err)
			}
		})
	}
}

// A refresh token that a rotated one replaced is not sent, but a server that
// remembers it may still echo it; AlsoRedact keeps it out of the error.
func TestRedaction_alsoRedact(t *testing.T) {
	const retired = "retired/refresh+token"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"error":"invalid_grant","error_description":"family of %s was revoked (%s)"}`,
			retired, url.QueryEscape(retired)))
	})
	c := newTestClient(t, Options{})
	req := Request{
		TokenURL: srv.URL, GrantType: GrantRefreshToken, AuthStyle: AuthPost,
		ClientID: "id", ClientSecret: "secret", RefreshToken: "current-refresh",
		AlsoRedact: []string{retired},
	}
	_, err := c.Exchange(context.Background(), req)
	if err == nil {
		t.Fatal("Exchange succeeded, want invalid_grant")
	}
	for _, form := range formsOf(retired) {
		if strings.Contains(err.Error(), form) {
			t.Errorf("error %q contains the retired refresh token as %q", err, form)
		}
	}
	if !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("error %q lost the server's error code", err)
	}
}
