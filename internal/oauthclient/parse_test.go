package oauthclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseTokenResponse(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	type want struct {
		access, tokenType, refresh, idToken, scope string
		expiresIn                                  int64
		expiryKnown                                bool
		err                                        string // substring of the *Error text
		code                                       string
	}
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   want
	}{
		{"json number", 200, "application/json", `{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r","id_token":"i","scope":"x y"}`,
			want{access: "a", tokenType: "Bearer", refresh: "r", idToken: "i", scope: "x y", expiresIn: 3600, expiryKnown: true}},
		{"json string expires", 200, "application/json; charset=utf-8", `{"access_token":"a","expires_in":"3599"}`,
			want{access: "a", expiresIn: 3599, expiryKnown: true}},
		{"json float expires", 200, "application/json", `{"access_token":"a","expires_in":3600.0}`,
			want{access: "a", expiresIn: 3600, expiryKnown: true}},
		{"json string float expires", 200, "application/json", `{"access_token":"a","expires_in":"60.5"}`,
			want{access: "a", expiresIn: 60, expiryKnown: true}},
		{"no expires_in", 200, "application/json", `{"access_token":"a","token_type":"bearer"}`,
			want{access: "a", tokenType: "bearer"}},
		{"null expires_in", 200, "application/json", `{"access_token":"a","expires_in":null}`,
			want{access: "a"}},
		{"zero expires_in", 200, "application/json", `{"access_token":"a","expires_in":0}`,
			want{access: "a"}},
		{"no token_type", 200, "application/json", `{"access_token":"a","expires_in":10}`,
			want{access: "a", expiresIn: 10, expiryKnown: true}},
		{"json without content type", 200, "", ` {"access_token":"a"}`, want{access: "a"}},
		{"json scope array", 200, "application/json", `{"access_token":"a","scope":["x","y"]}`, want{access: "a", scope: "x y"}},
		{"form", 200, "application/x-www-form-urlencoded", `access_token=a&token_type=bearer&expires_in=120&scope=x%2Cy`,
			want{access: "a", tokenType: "bearer", scope: "x,y", expiresIn: 120, expiryKnown: true}},
		{"text plain form", 200, "text/plain; charset=utf-8", `access_token=a&expires_in=5`,
			want{access: "a", expiresIn: 5, expiryKnown: true}},
		{"huge expires_in", 200, "application/json", `{"access_token":"a","expires_in":99999999999999999999}`,
			want{access: "a", expiresIn: 1<<63 - 1, expiryKnown: true}},
		{"negative expires_in", 200, "application/json", `{"access_token":"a","expires_in":-5}`,
			want{err: `expires_in "-5" is negative`}},
		{"garbage expires_in", 200, "application/json", `{"access_token":"a","expires_in":"soon"}`,
			want{err: `expires_in "soon" is not a number of seconds`}},
		{"bool expires_in", 200, "application/json", `{"access_token":"a","expires_in":true}`,
			want{err: "expires_in is not a number (bool)"}},
		{"200 with error", 200, "application/json", `{"error":"invalid_grant","error_description":"expired","error_uri":"https://idp.example/e"}`,
			want{err: "refused the request (status 200): invalid_grant: expired (see https://idp.example/e)", code: "invalid_grant"}},
		{"400 rfc error", 400, "application/json", `{"error":"invalid_client"}`,
			want{err: "(status 400): invalid_client", code: "invalid_client"}},
		{"form error", 400, "application/x-www-form-urlencoded", `error=invalid_scope&error_description=nope`,
			want{err: "invalid_scope: nope", code: "invalid_scope"}},
		{"non-standard error object", 400, "application/json", `{"error":{"message":"bad"}}`,
			want{err: `status 400 and an error that is not an RFC 6749 error code: {"error.message":"bad"}`}},
		{"blank error code", 400, "application/json", "{\"error\":\" \\r\\n\\u202e\"}",
			want{err: `status 400 and an error that is not an RFC 6749 error code: {"error":""}`}},
		{"missing access_token", 200, "application/json", `{"token_type":"bearer","expires_in":3600}`,
			want{err: "answered with status 200 but the response has no access_token"}},
		{"empty access_token", 200, "application/json", `{"access_token":""}`,
			want{err: "no access_token"}},
		{"numeric access_token", 200, "application/json", `{"access_token":12}`,
			want{err: "access_token is not a string"}},
		{"html 200", 200, "text/html; charset=utf-8", `<!doctype html><title>Login</title>`,
			want{err: "the token endpoint answered with HTML (status 200), not a token response"}},
		{"html without type", 200, "", "\n  <html>", want{err: "answered with HTML (status 200)"}},
		{"xml", 500, "application/xml", "<e/>", want{err: "answered with XML (status 500)"}},
		{"502 text", 502, "text/plain", "Bad Gateway", want{err: `answered with status 502 and a non-JSON body: "Bad Gateway"`}},
		{"502 no type", 502, "", "upstream connect error", want{err: "answered with status 502 and a non-JSON body"}},
		{"empty 200", 200, "application/json", "", want{err: "status 200 and an empty body"}},
		{"bad json", 200, "application/json", `{"access_token":`, want{err: "status 200 and a body that is not a valid JSON object"}},
		{"json array", 200, "application/json", `["a"]`, want{err: "not a valid JSON object"}},
		{"json trailing", 200, "application/json", `{"access_token":"a"}{}`, want{err: "not a valid JSON object"}},
		{"500 json without error", 500, "application/json", `{"message":"boom"}`, want{err: `status 500 and no OAuth error code: {"message":"boom"}`}},
		{"text plain no token", 200, "text/plain", "hello", want{err: "status 200 and a non-JSON body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, e := parseTokenResponse(tt.status, tt.ctype, []byte(tt.body), now, nil)
			if tt.want.err != "" {
				if e == nil {
					t.Fatalf("parse = %+v, want error containing %q", tok, tt.want.err)
				}
				e.TokenURL = "https://idp.example/token"
				if !strings.Contains(e.Error(), tt.want.err) {
					t.Errorf("err = %q, want it to contain %q", e.Error(), tt.want.err)
				}
				if e.Code != tt.want.code {
					t.Errorf("Code = %q, want %q", e.Code, tt.want.code)
				}
				if e.StatusCode != tt.status {
					t.Errorf("StatusCode = %d, want %d", e.StatusCode, tt.status)
				}
				return
			}
			if e != nil {
				t.Fatalf("parse error = %v", e)
			}
			w := tt.want
			got := want{access: tok.AccessToken, tokenType: tok.TokenType, refresh: tok.RefreshToken, idToken: tok.IDToken, scope: tok.Scope, expiresIn: tok.ExpiresIn, expiryKnown: tok.ExpiryKnown()}
			if got != w {
				t.Errorf("token = %+v, want %+v", got, w)
			}
			if w.expiryKnown && w.expiresIn < maxExpiresIn {
				if wantExp := now.Add(time.Duration(w.expiresIn) * time.Second); !tok.Expiry.Equal(wantExp) {
					t.Errorf("Expiry = %v, want %v", tok.Expiry, wantExp)
				}
			}
			if !w.expiryKnown && !tok.Expiry.IsZero() {
				t.Errorf("Expiry = %v, want zero", tok.Expiry)
			}
			if tok.Raw["access_token"] != w.access {
				t.Errorf("Raw[access_token] = %v, want %q", tok.Raw["access_token"], w.access)
			}
		})
	}
}

func TestParseTokenResponse_rawKeepsAllFields(t *testing.T) {
	tok, e := parseTokenResponse(200, "application/json", []byte(`{"access_token":"a","instance_url":"https://acme.my.example","ext":{"n":1},"expires_in":"60"}`), time.Now(), nil)
	if e != nil {
		t.Fatal(e)
	}
	if got := tok.Raw["instance_url"]; got != "https://acme.my.example" {
		t.Errorf("Raw[instance_url] = %v, want %q", got, "https://acme.my.example")
	}
	if got := tok.Raw["expires_in"]; got != "60" {
		t.Errorf("Raw[expires_in] = %v, want %q", got, "60")
	}
	if got, ok := tok.Raw["ext"].(map[string]any); !ok || got["n"] != json.Number("1") {
		t.Errorf("Raw[ext] = %#v, want {n:1}", tok.Raw["ext"])
	}
}

// TestExchange_expiryUnknownIsNotExpired checks that a token without
// expires_in is usable and reported as unknown, never as expired.
func TestExchange_expiryUnknownIsNotExpired(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"access_token":"a"}`)
	})
	tok, err := newTestClient(t, Options{}).Token(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.ExpiryKnown() || tok.ExpiresIn != 0 || !tok.ValidFor(time.Now(), time.Hour) {
		t.Errorf("ExpiryKnown = %v, ExpiresIn = %d, ValidFor = %v; want false, 0, true", tok.ExpiryKnown(), tok.ExpiresIn, tok.ValidFor(time.Now(), time.Hour))
	}
}

func TestExchange_refreshRotation(t *testing.T) {
	tests := []struct {
		name        string
		answer      string
		wantRefresh string
		wantRotated bool
	}{
		{"kept", `{"access_token":"a"}`, "old-rt", false},
		{"same", `{"access_token":"a","refresh_token":"old-rt"}`, "old-rt", false},
		{"rotated", `{"access_token":"a","refresh_token":"new-rt"}`, "new-rt", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = record(r)
				writeJSON(w, http.StatusOK, tt.answer)
			})
			tok, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantRefreshToken, AuthStyle: AuthNone, ClientID: "id", RefreshToken: "old-rt"})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if want := "client_id=id&grant_type=refresh_token&refresh_token=old-rt"; got.body != want {
				t.Errorf("body = %q, want %q", got.body, want)
			}
			if tok.RefreshToken != tt.wantRefresh || tok.RefreshTokenRotated != tt.wantRotated {
				t.Errorf("RefreshToken, Rotated = %q, %v; want %q, %v", tok.RefreshToken, tok.RefreshTokenRotated, tt.wantRefresh, tt.wantRotated)
			}
		})
	}
}

func TestExchange_errorTyped(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"bad code","error_uri":"https://idp.example/doc"}`)
	})
	_, err := newTestClient(t, Options{}).Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, AuthStyle: AuthBasic, ClientID: "id", ClientSecret: "secret-value"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	want := Error{TokenURL: srv.URL, StatusCode: 400, Code: "invalid_grant", Description: "bad code", URI: "https://idp.example/doc"}
	if *e != want {
		t.Errorf("err = %+v, want %+v", *e, want)
	}
	if s := err.Error(); !strings.HasPrefix(s, "oauthclient: ") {
		t.Errorf("err = %q, want the oauthclient: prefix", s)
	}
}
