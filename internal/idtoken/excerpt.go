package idtoken

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxExcerpt is how much of a server's body an error quotes: enough for a
// message such as "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable",
// not a page of HTML.
const maxExcerpt = 200

// jwtShaped matches anything that looks like a JWS or JWE (a base64url JSON
// header starting with `{"`), so that a token the server echoes is removed
// even when it is not one we know of.
var jwtShaped = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){2,4}`)

const redacted = "[redacted]"

// excerpt returns a short, printable part of a server's body with every
// secret removed, as written, JSON-escaped or percent-encoded, and with
// anything shaped like a JWT removed. It returns "" for an empty body.
func excerpt(body []byte, secrets ...string) string {
	s := string(body)
	// Redact before and after cleaning: a secret may contain characters
	// that cleaning changes, and cleaning must not join a secret split by
	// a control character.
	s = redact(s, secrets)
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = redact(s, secrets)
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
		if b, err := json.Marshal(secret); err == nil {
			forms = append(forms, strings.Trim(string(b), `"`))
		}
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	return jwtShaped.ReplaceAllString(s, redacted)
}
