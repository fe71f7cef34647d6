package idtoken

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jwtWith builds a compact JWS whose payload is the given JSON text; the
// signature is not a real one, which is all Claims and looksLikeJWS need.
func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("not a real signature"))
}

// jwt builds a compact JWS carrying claims.
func jwt(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return jwtWith(string(b))
}

// unsigned cuts the signature off a compact JWS, leaving "header.payload.".
func unsigned(token string) string { return token[:strings.LastIndex(token, ".")+1] }

func TestClaims(t *testing.T) {
	const iss, sub = "https://token.actions.githubusercontent.com", "repo:acme/infra:ref:refs/heads/main"
	tests := []struct {
		name   string
		token  string
		want   Identity
		wantOK bool
	}{
		{
			name:   "aud string",
			token:  jwtWith(`{"iss":"` + iss + `","sub":"` + sub + `","aud":"api://AzureADTokenExchange","exp":1}`),
			want:   Identity{Issuer: iss, Subject: sub, Audience: []string{"api://AzureADTokenExchange"}},
			wantOK: true,
		},
		{
			name:   "aud array",
			token:  jwtWith(`{"iss":"` + iss + `","sub":"` + sub + `","aud":["a","b"]}`),
			want:   Identity{Issuer: iss, Subject: sub, Audience: []string{"a", "b"}},
			wantOK: true,
		},
		{name: "aud missing", token: jwtWith(`{"iss":"i","sub":"s"}`), want: Identity{Issuer: "i", Subject: "s"}, wantOK: true},
		{name: "aud null", token: jwtWith(`{"iss":"i","sub":"s","aud":null}`), want: Identity{Issuer: "i", Subject: "s"}, wantOK: true},
		{name: "aud number", token: jwtWith(`{"iss":"i","sub":"s","aud":3}`)},
		{name: "aud array of numbers", token: jwtWith(`{"iss":"i","sub":"s","aud":[3]}`)},
		{name: "iss missing", token: jwtWith(`{"sub":"s","aud":"a"}`)},
		{name: "sub missing", token: jwtWith(`{"iss":"i"}`)},
		{name: "both missing", token: jwtWith(`{"aud":"a"}`)},
		{name: "iss not a string", token: jwtWith(`{"iss":1,"sub":"s"}`)},
		{name: "payload not an object", token: jwtWith(`["iss","sub"]`)},
		{name: "payload not JSON", token: jwtWith(`iss=i&sub=s`)},
		{name: "empty", token: ""},
		{name: "opaque access token", token: "gho_16C7e42F292c6912E7710c838347Ae178B4a"},
		{name: "two parts", token: "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJpIiwic3ViIjoicyJ9"},
		{name: "four parts", token: jwtWith(`{"iss":"i","sub":"s"}`) + ".x"},
		{name: "empty signature", token: unsigned(jwtWith(`{"iss":"i","sub":"s"}`))},
		{name: "padded base64", token: "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJpIiwic3ViIjoicyJ9==.c2ln"},
		{name: "standard base64 alphabet", token: "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJp+/ic3ViIjoicyJ9.c2ln"},
		{name: "whitespace", token: " " + jwtWith(`{"iss":"i","sub":"s"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Claims(tt.token)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Claims() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLooksLikeJWS(t *testing.T) {
	good := jwt(t, map[string]any{"iss": "i", "sub": "s"})
	for _, s := range []string{good, "ab.cd.ef", "eyJ.eyJ.c2ln", "A-_0.b_-9.c2l"} {
		if !looksLikeJWS(s) {
			t.Errorf("looksLikeJWS(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "..", "a..c", "a.b.", ".b.c", "a.b", "a.b.c.d", "ab.cd.ef\n", "ab.cd=.ef", "ab.cd.e f", "abcde.cd.ef", "a.cd.ef", unsigned(good)} {
		if looksLikeJWS(s) {
			t.Errorf("looksLikeJWS(%q) = true, want false", s)
		}
	}
}
