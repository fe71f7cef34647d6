package oauthclient

import (
	"context"
	"net/http"
	"testing"
)

const okToken = `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`

// TestExchange_grantsStylesEncodings checks the exact request of every
// grant × client authentication × encoding combination.
func TestExchange_grantsStylesEncodings(t *testing.T) {
	tests := []struct {
		grant, style, enc, auth, ctype, body string
	}{
		{grant: "client_credentials", style: "basic", enc: "form", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&grant_type=client_credentials&scope=read+write`},
		{grant: "client_credentials", style: "basic", enc: "json", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/json", body: `{"audience":"api://x","grant_type":"client_credentials","scope":"read write"}`},
		{grant: "client_credentials", style: "post", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&client_secret=se%3Acr%26et&grant_type=client_credentials&scope=read+write`},
		{grant: "client_credentials", style: "post", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","client_secret":"se:cr&et","grant_type":"client_credentials","scope":"read write"}`},
		{grant: "client_credentials", style: "none", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&grant_type=client_credentials&scope=read+write`},
		{grant: "client_credentials", style: "none", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","grant_type":"client_credentials","scope":"read write"}`},
		{grant: "password", style: "basic", enc: "form", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&grant_type=password&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "password", style: "basic", enc: "json", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/json", body: `{"audience":"api://x","grant_type":"password","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
		{grant: "password", style: "post", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&client_secret=se%3Acr%26et&grant_type=password&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "password", style: "post", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","client_secret":"se:cr&et","grant_type":"password","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
		{grant: "password", style: "none", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&grant_type=password&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "password", style: "none", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","grant_type":"password","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
		{grant: "refresh_token", style: "basic", enc: "form", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&grant_type=refresh_token&refresh_token=rt-1&scope=read+write`},
		{grant: "refresh_token", style: "basic", enc: "json", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/json", body: `{"audience":"api://x","grant_type":"refresh_token","refresh_token":"rt-1","scope":"read write"}`},
		{grant: "refresh_token", style: "post", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&client_secret=se%3Acr%26et&grant_type=refresh_token&refresh_token=rt-1&scope=read+write`},
		{grant: "refresh_token", style: "post", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","client_secret":"se:cr&et","grant_type":"refresh_token","refresh_token":"rt-1","scope":"read write"}`},
		{grant: "refresh_token", style: "none", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&grant_type=refresh_token&refresh_token=rt-1&scope=read+write`},
		{grant: "refresh_token", style: "none", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","grant_type":"refresh_token","refresh_token":"rt-1","scope":"read write"}`},
		{grant: "authorization_code", style: "basic", enc: "form", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&code=co%2Fde&code_verifier=ver-ifier&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write`},
		{grant: "authorization_code", style: "basic", enc: "json", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/json", body: `{"audience":"api://x","code":"co/de","code_verifier":"ver-ifier","grant_type":"authorization_code","redirect_uri":"https://app.example/cb","scope":"read write"}`},
		{grant: "authorization_code", style: "post", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&client_secret=se%3Acr%26et&code=co%2Fde&code_verifier=ver-ifier&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write`},
		{grant: "authorization_code", style: "post", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","client_secret":"se:cr&et","code":"co/de","code_verifier":"ver-ifier","grant_type":"authorization_code","redirect_uri":"https://app.example/cb","scope":"read write"}`},
		{grant: "authorization_code", style: "none", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&code=co%2Fde&code_verifier=ver-ifier&grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write`},
		{grant: "authorization_code", style: "none", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","code":"co/de","code_verifier":"ver-ifier","grant_type":"authorization_code","redirect_uri":"https://app.example/cb","scope":"read write"}`},
		{grant: "urn:example:webhook", style: "basic", enc: "form", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&grant_type=urn%3Aexample%3Awebhook&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "urn:example:webhook", style: "basic", enc: "json", auth: "Basic Y2xpK2VudDpzZSUzQWNyJTI2ZXQ=", ctype: "application/json", body: `{"audience":"api://x","grant_type":"urn:example:webhook","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
		{grant: "urn:example:webhook", style: "post", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&client_secret=se%3Acr%26et&grant_type=urn%3Aexample%3Awebhook&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "urn:example:webhook", style: "post", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","client_secret":"se:cr&et","grant_type":"urn:example:webhook","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
		{grant: "urn:example:webhook", style: "none", enc: "form", auth: "", ctype: "application/x-www-form-urlencoded", body: `audience=api%3A%2F%2Fx&client_id=cli+ent&grant_type=urn%3Aexample%3Awebhook&password=p%40ss+w0rd&scope=read+write&username=ann%40example.com`},
		{grant: "urn:example:webhook", style: "none", enc: "json", auth: "", ctype: "application/json", body: `{"audience":"api://x","client_id":"cli ent","grant_type":"urn:example:webhook","password":"p@ss w0rd","scope":"read write","username":"ann@example.com"}`},
	}
	for _, tt := range tests {
		t.Run(tt.grant+"/"+tt.style+"/"+tt.enc, func(t *testing.T) {
			var got seen
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = record(r)
				writeJSON(w, http.StatusOK, okToken)
			})
			c := newTestClient(t, Options{})
			tok, err := c.Exchange(context.Background(), Request{
				TokenURL:     srv.URL + "/oauth/token",
				GrantType:    GrantType(tt.grant),
				AuthStyle:    AuthStyle(tt.style),
				Encoding:     Encoding(tt.enc),
				ClientID:     "cli ent",
				ClientSecret: "se:cr&et",
				Scopes:       []string{"read", "write"},
				Username:     "ann@example.com",
				Password:     "p@ss w0rd",
				RefreshToken: "rt-1",
				Code:         "co/de",
				RedirectURI:  "https://app.example/cb",
				CodeVerifier: "ver-ifier",
				ExtraParams:  map[string]string{"audience": "api://x"},
			})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.AccessToken != "at-1" {
				t.Errorf("AccessToken = %q, want %q", tok.AccessToken, "at-1")
			}
			if got.method != http.MethodPost {
				t.Errorf("method = %q, want %q", got.method, http.MethodPost)
			}
			if got.path != "/oauth/token" {
				t.Errorf("path = %q, want %q", got.path, "/oauth/token")
			}
			if got.auth != tt.auth {
				t.Errorf("Authorization = %q, want %q", got.auth, tt.auth)
			}
			if got.ctype != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got.ctype, tt.ctype)
			}
			if got.accept != "application/json" {
				t.Errorf("Accept = %q, want %q", got.accept, "application/json")
			}
			if got.body != tt.body {
				t.Errorf("body = %q, want %q", got.body, tt.body)
			}
		})
	}
}
