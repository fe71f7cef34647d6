package oauthclient

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestExchange_scopes checks the scope parameter: joined with the
// delimiter, sent verbatim, or absent.
func TestExchange_scopes(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		body string
	}{
		{"space", Request{Scopes: []string{"a", "b"}}, "grant_type=client_credentials&scope=a+b"},
		{"comma", Request{Scopes: []string{"a", "b"}, ScopeDelimiter: ","}, "grant_type=client_credentials&scope=a%2Cb"},
		{"verbatim", Request{Scope: "api://x/.default openid"}, "grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default+openid"},
		{"none", Request{}, "grant_type=client_credentials"},
		{"empty list", Request{Scopes: []string{}}, "grant_type=client_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = record(r)
				writeJSON(w, http.StatusOK, okToken)
			})
			req := tt.req
			req.TokenURL, req.GrantType, req.AuthStyle, req.ClientID, req.ClientSecret = srv.URL, GrantClientCredentials, AuthBasic, "id", "secret"
			if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got.body != tt.body {
				t.Errorf("body = %q, want %q", got.body, tt.body)
			}
		})
	}
}

// TestExchange_webhookConventions checks the two JSON bodies webhook
// senders use.
func TestExchange_webhookConventions(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		body string
	}{
		{
			name: "username_password",
			req:  Request{GrantType: GrantPassword, AuthStyle: AuthNone, Encoding: EncodingJSON, Username: "hook", Password: "pw", Scope: "webhook"},
			body: `{"grant_type":"password","password":"pw","scope":"webhook","username":"hook"}`,
		},
		{
			name: "client_credentials",
			req:  Request{GrantType: GrantClientCredentials, AuthStyle: AuthPost, Encoding: EncodingJSON, ClientID: "id", ClientSecret: "sec", Scope: "webhook"},
			body: `{"client_id":"id","client_secret":"sec","grant_type":"client_credentials","scope":"webhook"}`,
		},
		{
			name: "auto without client is public",
			req:  Request{GrantType: GrantPassword, Encoding: EncodingJSON, Username: "hook", Password: "pw"},
			body: `{"grant_type":"password","password":"pw","username":"hook"}`,
		},
		{
			name: "html characters kept",
			req:  Request{GrantType: GrantPassword, AuthStyle: AuthNone, Encoding: EncodingJSON, Username: "a<b>&c", Password: "p\"w"},
			body: `{"grant_type":"password","password":"p\"w","username":"a<b>&c"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = record(r)
				writeJSON(w, http.StatusOK, okToken)
			})
			req := tt.req
			req.TokenURL = srv.URL
			if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got.body != tt.body {
				t.Errorf("body = %q, want %q", got.body, tt.body)
			}
			if got.auth != "" {
				t.Errorf("Authorization = %q, want %q", got.auth, "")
			}
			if got.ctype != "application/json" {
				t.Errorf("Content-Type = %q, want %q", got.ctype, "application/json")
			}
		})
	}
}

func TestExchange_tenantPlaceholder(t *testing.T) {
	var got seen
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = record(r)
		got.path = r.URL.EscapedPath()
		writeJSON(w, http.StatusOK, okToken)
	})
	req := Request{TokenURL: srv.URL + "/{tenant_id}/oauth2/v2.0/token", TenantID: "contoso/eu 1", GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "s", AuthStyle: AuthPost}
	if _, err := newTestClient(t, Options{}).Exchange(context.Background(), req); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if want := "/contoso%2Feu%201/oauth2/v2.0/token"; got.path != want {
		t.Errorf("path = %q, want %q", got.path, want)
	}

	req.TenantID = ""
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `"{tenant_id}" placeholder but the tenant id is empty`) {
		t.Errorf("err = %v, want the empty tenant id named", err)
	}
}

func TestRequest_Validate(t *testing.T) {
	ok := Request{TokenURL: "https://idp.example/token", GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "s"}
	tests := []struct {
		name   string
		mutate func(*Request)
		want   string // substring; empty means valid
	}{
		{"valid", func(*Request) {}, ""},
		{"no token url", func(r *Request) { r.TokenURL = "" }, "token url is required"},
		{"relative url", func(r *Request) { r.TokenURL = "/token" }, `token url "/token" is not an absolute URL`},
		{"bad scheme", func(r *Request) { r.TokenURL = "ftp://idp.example/token" }, `has scheme "ftp"`},
		{"no host", func(r *Request) { r.TokenURL = "https:///token" }, "has no host"},
		{"bad url", func(r *Request) { r.TokenURL = "https://idp.example/%zz" }, "is not a valid URL"},
		{"user info", func(r *Request) { r.TokenURL = "https://u:p@idp.example/token" }, "must not contain user information"},
		{"fragment", func(r *Request) { r.TokenURL = "https://idp.example/token#x" }, "must not contain a fragment"},
		{"tenant missing", func(r *Request) { r.TokenURL = "https://idp.example/{tenant_id}/token" }, "tenant id is empty"},
		{"no grant", func(r *Request) { r.GrantType = "" }, "grant type is required"},
		{"bad style", func(r *Request) { r.AuthStyle = "header" }, `unknown client authentication style "header"`},
		{"bad encoding", func(r *Request) { r.Encoding = "xml" }, `unknown request encoding "xml"`},
		{"password no username", func(r *Request) { r.GrantType, r.Password = GrantPassword, "p" }, "needs a username"},
		{"password no password", func(r *Request) { r.GrantType, r.Username = GrantPassword, "u" }, "needs a password"},
		{"refresh without token", func(r *Request) { r.GrantType = GrantRefreshToken }, "needs a refresh token"},
		{"code without code", func(r *Request) { r.GrantType = GrantAuthorizationCode }, "needs an authorization code"},
		{"code without client", func(r *Request) {
			r.GrantType, r.Code, r.ClientID, r.ClientSecret = GrantAuthorizationCode, "c", "", ""
		}, "needs a client id"},
		{"basic without client", func(r *Request) { r.AuthStyle, r.ClientID = AuthBasic, "" }, `style "basic" needs a client id`},
		{"post without client", func(r *Request) { r.AuthStyle, r.ClientID = AuthPost, "" }, `style "post" needs a client id`},
		{"auto secret without client", func(r *Request) { r.ClientID = "" }, "client id is empty"},
		{"none without client", func(r *Request) { r.AuthStyle, r.ClientID = AuthNone, "" }, ""},
		{"scope and scopes", func(r *Request) { r.Scope, r.Scopes = "a", []string{"b"} }, "either scope or scopes"},
		{"extra conflict grant_type", func(r *Request) { r.ExtraParams = map[string]string{"grant_type": "x"} }, `extra parameter "grant_type" conflicts`},
		{"extra conflict client_secret under auto", func(r *Request) { r.ExtraParams = map[string]string{"client_secret": "x"} }, `extra parameter "client_secret" conflicts`},
		{"extra conflict scope", func(r *Request) { r.Scopes, r.ExtraParams = []string{"a"}, map[string]string{"scope": "x"} }, `extra parameter "scope" conflicts`},
		{"extra scope without scopes", func(r *Request) { r.ExtraParams = map[string]string{"scope": "x"} }, ""},
		{"extra client_id under basic", func(r *Request) { r.AuthStyle, r.ExtraParams = AuthBasic, map[string]string{"client_id": "id"} }, ""},
		{"extra empty key", func(r *Request) { r.ExtraParams = map[string]string{"": "x"} }, "empty name"},
		{"unknown grant", func(r *Request) { r.GrantType = "urn:example:custom" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mutate(&r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.want)
			case err != nil && !strings.HasPrefix(err.Error(), "oauthclient: "):
				t.Errorf("Validate() = %q, want the oauthclient: prefix", err)
			}
		})
	}
}

// TestExchange_insecureHTTP checks that plain http is refused for
// non-loopback hosts before anything is sent.
func TestExchange_insecureHTTP(t *testing.T) {
	var hits int
	c := newTestClient(t, Options{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		hits++
		return nil, context.Canceled
	})})
	req := Request{TokenURL: "http://idp.example/token", GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "s"}
	_, err := c.Exchange(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `plain http to host "idp.example"`) {
		t.Fatalf("err = %v, want plain http refused", err)
	}
	if hits != 0 {
		t.Errorf("transport saw %d requests, want 0", hits)
	}
	for _, u := range []string{"http://idp.example/token", "http://10.0.0.1/token"} {
		if err := ValidateTokenURL(u, false); err == nil {
			t.Errorf("ValidateTokenURL(%q, false) = nil, want an error", u)
		}
		if err := ValidateTokenURL(u, true); err != nil {
			t.Errorf("ValidateTokenURL(%q, true) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080/token", "http://127.9.9.9/t", "http://[::1]:80/t", "http://localhost/t", "http://LOCALHOST:1/t", "https://{tenant_id}.idp.example/token", "https://idp.example/{tenant_id}/token"} {
		if err := ValidateTokenURL(u, false); err != nil {
			t.Errorf("ValidateTokenURL(%q, false) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"", "ftp://idp.example/x", "idp.example/token", "http://128.0.0.1/t"} {
		if err := ValidateTokenURL(u, false); err == nil {
			t.Errorf("ValidateTokenURL(%q, false) = nil, want an error", u)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNew_badCACert(t *testing.T) {
	_, err := New(Options{CACertPEM: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"})
	if err == nil || !strings.Contains(err.Error(), "holds no certificate") {
		t.Fatalf("New = %v, want a PEM error", err)
	}
	_, err = New(Options{CACertPEM: "x", Transport: roundTripFunc(nil)})
	if err == nil {
		t.Fatalf("New with a bad PEM and custom transport = nil error")
	}
}

// TestExchange_refusedBeforeSending checks that invalid requests never
// reach the server.
func TestExchange_refusedBeforeSending(t *testing.T) {
	var hits int
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		writeJSON(w, http.StatusOK, okToken)
	})
	c := newTestClient(t, Options{})
	for _, req := range []Request{
		{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret", ExtraParams: map[string]string{"client_id": "other"}},
		{TokenURL: srv.URL, GrantType: GrantPassword, AuthStyle: AuthNone, Encoding: EncodingJSON, Username: "u", Password: "p", ExtraParams: map[string]string{"username": "x"}},
		{TokenURL: srv.URL + "/{tenant_id}", GrantType: GrantClientCredentials, ClientID: "id"},
	} {
		_, err := c.Exchange(context.Background(), req)
		if err == nil {
			t.Errorf("Exchange(%+v) succeeded, want an error", req.ExtraParams)
		}
	}
	if hits != 0 {
		t.Errorf("server saw %d requests, want 0", hits)
	}
}

func TestExchange_htmlAnswer(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><html><body>Sign in</body></html>"))
	})
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "secret"})
	want := "oauthclient: token endpoint " + srv.URL + ": the token endpoint answered with HTML (status 200), not a token response"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
