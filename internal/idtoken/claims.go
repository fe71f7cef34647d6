package idtoken

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Identity is who an ID token names: enough to key a cache of access tokens
// by the workload they were issued for.
type Identity struct {
	Issuer   string
	Subject  string
	Audience []string
}

// Claims decodes iss, sub and aud (a string or an array of strings) from a
// compact JWT's payload without verifying it: the token server that receives
// the token verifies it, and the caller only needs a stable identity. ok is
// false when the token is not a compact JWS, its payload is not a JSON
// object with claims of the types RFC 7519 gives them, or it lacks iss or
// sub (either alone does not identify a workload).
//
// Decoding is done with encoding/base64 and encoding/json rather than a JOSE
// library: it is a few lines, and a library would want a list of accepted
// signature algorithms, which is the verifier's business, not ours.
func Claims(token string) (Identity, bool) {
	if !looksLikeJWS(token) {
		return Identity{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		return Identity{}, false
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Iss == "" || c.Sub == "" {
		return Identity{}, false
	}
	id := Identity{Issuer: c.Iss, Subject: c.Sub}
	if len(c.Aud) > 0 && string(c.Aud) != "null" {
		var one string
		if err := json.Unmarshal(c.Aud, &one); err == nil {
			id.Audience = []string{one}
		} else if err := json.Unmarshal(c.Aud, &id.Audience); err != nil {
			return Identity{}, false
		}
	}
	return id, true
}

// looksLikeJWS reports whether s has the shape of a compact JWS (RFC 7515
// §7.1): three non-empty base64url parts separated by dots. ID tokens are
// always signed, so an empty signature (an unsecured JWT) or an empty
// payload (a detached one) is refused too. It catches a variable or file
// that holds something else, such as an access token or a path, before a
// token server gives a vaguer answer.
func looksLikeJWS(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p)%4 == 1 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !isBase64URL(p[i]) {
				return false
			}
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
