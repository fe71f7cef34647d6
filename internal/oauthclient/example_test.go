package oauthclient_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// A client credentials grant (RFC 6749 §4.4) against a token endpoint.
func ExampleClient_Token() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.PostFormValue("grant_type") != "client_credentials" || id != "my-client" || secret != "my-secret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"example-token","token_type":"Bearer","expires_in":3600,"scope":%q}`, r.PostFormValue("scope"))
	}))
	defer srv.Close()

	client, err := oauthclient.New(oauthclient.Options{})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.Token(context.Background(), oauthclient.Request{
		TokenURL:     srv.URL + "/oauth2/token",
		GrantType:    oauthclient.GrantClientCredentials,
		ClientID:     "my-client",
		ClientSecret: "my-secret",
		Scopes:       []string{"api", "refresh_token"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.AccessToken, tok.ExpiresIn, tok.Scope)
	// Output: Bearer example-token 3600 api refresh_token
}

// Building the URL a user opens for the authorization code grant with PKCE
// (RFC 6749 §4.1.1, RFC 7636 §4.3).
func ExampleAuthCodeURL() {
	u, err := oauthclient.AuthCodeURL(oauthclient.AuthCodeRequest{
		AuthorizationURL: "https://login.example.com/{tenant_id}/oauth2/authorize",
		TenantID:         "contoso",
		ClientID:         "my-app",
		RedirectURI:      "http://127.0.0.1:8080/callback",
		Scopes:           []string{"openid", "offline_access"},
		State:            "af0ifjsldkj",
		CodeVerifier:     "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output: https://login.example.com/contoso/oauth2/authorize?client_id=my-app&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&response_type=code&scope=openid+offline_access&state=af0ifjsldkj
}
