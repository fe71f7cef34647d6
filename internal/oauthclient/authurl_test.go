package oauthclient

import (
	"net/url"
	"strings"
	"testing"
)

func TestAuthCodeURL(t *testing.T) {
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 Appendix B
	tests := []struct {
		name string
		req  AuthCodeRequest
		want string
	}{
		{
			name: "full",
			req: AuthCodeRequest{
				AuthorizationURL: "https://login.example/{tenant_id}/authorize", TenantID: "acme corp",
				ClientID: "app", RedirectURI: "http://127.0.0.1:8080/cb", Scopes: []string{"openid", "offline_access"},
				State: "xyz", CodeVerifier: verifier, ExtraParams: map[string]string{"prompt": "consent"},
			},
			want: "https://login.example/acme%20corp/authorize?client_id=app&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&prompt=consent&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb&response_type=code&scope=openid+offline_access&state=xyz",
		},
		{
			name: "comma scopes, existing query",
			req:  AuthCodeRequest{AuthorizationURL: "https://idp.example/auth?x=1", ClientID: "app", Scopes: []string{"a", "b"}, ScopeDelimiter: ","},
			want: "https://idp.example/auth?x=1&client_id=app&response_type=code&scope=a%2Cb",
		},
		{
			name: "minimal",
			req:  AuthCodeRequest{AuthorizationURL: "https://idp.example/auth", ClientID: "app"},
			want: "https://idp.example/auth?client_id=app&response_type=code",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AuthCodeURL(tt.req)
			if err != nil {
				t.Fatalf("AuthCodeURL: %v", err)
			}
			if got != tt.want {
				t.Errorf("AuthCodeURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuthCodeURL_errors(t *testing.T) {
	ok := AuthCodeRequest{AuthorizationURL: "https://idp.example/auth", ClientID: "app", State: "s", CodeVerifier: "v"}
	tests := []struct {
		name   string
		mutate func(*AuthCodeRequest)
		want   string
	}{
		{"no url", func(r *AuthCodeRequest) { r.AuthorizationURL = "" }, "authorization url is required"},
		{"no client", func(r *AuthCodeRequest) { r.ClientID = "" }, "needs a client id"},
		{"tenant missing", func(r *AuthCodeRequest) { r.AuthorizationURL = "https://idp.example/{tenant_id}/auth" }, "tenant id is empty"},
		{"bad scheme", func(r *AuthCodeRequest) { r.AuthorizationURL = "javascript:alert(1)" }, `has scheme "javascript"`},
		{"conflict state", func(r *AuthCodeRequest) { r.ExtraParams = map[string]string{"state": "x"} }, `extra parameter "state" conflicts`},
		{"conflict challenge", func(r *AuthCodeRequest) { r.ExtraParams = map[string]string{"code_challenge": "x"} }, `extra parameter "code_challenge" conflicts`},
		{"conflict response_type", func(r *AuthCodeRequest) { r.ExtraParams = map[string]string{"response_type": "token"} }, `extra parameter "response_type" conflicts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mutate(&r)
			_, err := AuthCodeURL(r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNewCodeVerifierAndState(t *testing.T) {
	v1, v2 := NewCodeVerifier(), NewCodeVerifier()
	if len(v1) != 43 || v1 == v2 {
		t.Errorf("NewCodeVerifier = %q, %q; want two different 43-character values", v1, v2)
	}
	s1, s2 := NewState(), NewState()
	if len(s1) < 32 || s1 == s2 || url.QueryEscape(s1) != s1 {
		t.Errorf("NewState = %q, %q; want two different URL-safe values", s1, s2)
	}
	if got, want := CodeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; got != want {
		t.Errorf("CodeChallengeS256 = %q, want %q", got, want)
	}
}
