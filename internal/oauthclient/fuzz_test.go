package oauthclient

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The secret the parse fuzz target redacts: every probe encoding changes it.
const (
	fuzzClientID = "client:id/+"
	fuzzSecret   = `Zm9v/YmFy+=~%&<>"\é雪😀`
)

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r","scope":"x y"}`))
	f.Add(200, "application/json", []byte(`{"access_token":"a","expires_in":"3599"}`))
	f.Add(200, "application/json", []byte(`{"access_token":"a","expires_in":3600.0}`))
	f.Add(200, "application/json", []byte(`{"access_token":"a","expires_in":1e400}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte(`access_token=a&expires_in=60&scope=a%2Cb`))
	f.Add(200, "text/plain", []byte(`access_token=a&token_type=bearer`))
	f.Add(400, "application/json", []byte(`{"error":"invalid_client","error_description":"bad secret-value"}`))
	f.Add(200, "application/json", []byte(`{"error":{"code":1}}`))
	f.Add(200, "text/html", []byte(`<html><body>login</body></html>`))
	f.Add(502, "", []byte(`Bad Gateway `+fuzzSecret))
	f.Add(200, "application/json; charset=\"", []byte("\xef\xbb\xbf{\"access_token\":\"\xff\"}"))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// The secret holds characters every encoding changes; a body that
	// echoes it in a probe encoding must not leak it.
	for _, form := range probeForms(fuzzClientID, fuzzSecret) {
		f.Add(400, "application/json", []byte(`{"error":"invalid_client","error_description":`+jsonValue(form)+`}`))
		f.Add(500, "application/json", []byte(`{"input":{"client_secret":`+jsonValue(form)+`},"message":`+jsonValue(form)+`}`))
		f.Add(502, "text/plain", []byte("upstream said "+form))
	}
	forms := probeForms(fuzzClientID, fuzzSecret)
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		rd := newRedactor(&Request{ClientID: fuzzClientID, ClientSecret: fuzzSecret})
		tok, e := parseTokenResponse(status, contentType, body, now, rd)
		if (tok == nil) == (e == nil) {
			t.Fatalf("parse returned token %v and error %v; want exactly one", tok, e)
		}
		if tok != nil {
			if tok.AccessToken == "" {
				t.Fatal("token without access token")
			}
			if tok.ExpiresIn < 0 || tok.ExpiryKnown() != (tok.ExpiresIn > 0) {
				t.Fatalf("ExpiresIn = %d, ExpiryKnown = %v", tok.ExpiresIn, tok.ExpiryKnown())
			}
			if tok.ExpiryKnown() && tok.Expiry.Before(now) {
				t.Fatalf("Expiry %v before now", tok.Expiry)
			}
			return
		}
		msg := e.Error()
		if found := leaks(msg, forms); len(found) > 0 {
			t.Fatalf("error leaks the secret as %q: %s", found, msg)
		}
		if !isCleanText(msg) {
			t.Fatalf("error holds control or format characters: %q", msg)
		}
		if e.Code == "" && e.Reason == "" {
			t.Fatalf("error without code or reason: %+v", e)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"0", "120", " 7 ", "99999999999999999999999", "-1", "1.5",
		now.Add(time.Minute).Format(http.TimeFormat), "Sunday, 01-Jun-25 12:00:30 GMT", "Sun Jun  1 12:00:30 2025", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, negative", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("parseRetryAfter(%q) = %v, false; want 0 when not ok", s, d)
		}
	})
}

// FuzzRedaction draws a secret from probeSecretAlphabet, echoes it in every
// probe encoding between fuzzed text, in every shape an answer can take,
// and fails when any probe encoding of the secret survives in the error.
func FuzzRedaction(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, uint8(0), "client ", " | ")
	f.Add([]byte{9, 9, 9, 9}, uint8(1), "", "")
	f.Add([]byte{4, 5, 4, 5, 4}, uint8(2), "\x1b[31m", "%")
	f.Add([]byte{12, 11, 10, 0}, uint8(3), "&#", "\\u")
	f.Add([]byte{1, 1, 1, 1, 1, 1}, uint8(4), "+", "=")
	f.Add([]byte{2, 0, 3, 0, 8}, uint8(5), "access_token=", "\u202e")
	f.Fuzz(func(t *testing.T, seed []byte, shape uint8, prefix, sep string) {
		if len(seed) < 4 || len(seed) > 64 {
			return // a secret of 4 to 64 characters
		}
		var b strings.Builder
		for _, c := range seed {
			b.WriteRune(probeSecretAlphabet[int(c)%len(probeSecretAlphabet)])
		}
		secret := b.String()
		const id = "fuzz:client"
		forms := probeForms(id, secret)
		parts := []string{prefix}
		for _, e := range probeEncodings {
			parts = append(parts, forms[e.name])
		}
		echo := strings.Join(parts, sep)

		var (
			status      = 400
			contentType = "application/json"
			body        string
		)
		switch shape % 7 {
		case 0:
			body = `{"error":"invalid_client","error_description":` + jsonValue(echo) + `,"error_uri":` + jsonValue("https://idp.example/e?"+echo) + `}`
		case 1:
			status, body = 500, `{"input":{"client_secret":`+jsonValue(echo)+`},"message":`+jsonValue(echo)+`,"detail":`+jsonValue(sep)+`}`
		case 2:
			body = `{"error":{"message":` + jsonValue(echo) + `,"status":` + jsonValue(prefix) + `}}`
		case 3:
			status, contentType, body = 502, "text/plain", echo
		case 4:
			contentType, body = "application/x-www-form-urlencoded", "error="+url.QueryEscape(echo)+"&error_description="+url.QueryEscape(echo)
		case 5:
			status, body = 200, `{"access_token":"a","expires_in":`+jsonValue(echo)+`}`
		case 6:
			// The error code itself echoes the secret.
			body = `{"error":` + jsonValue(echo) + `}`
		}
		rd := newRedactor(&Request{ClientID: id, ClientSecret: secret})
		_, e := parseTokenResponse(status, contentType, []byte(body), time.Unix(0, 0), rd)
		if e == nil {
			t.Fatalf("parse of %q succeeded, want an error", body)
		}
		e.TokenURL = "https://idp.example/token"
		msg := e.Error()
		if found := leaks(msg, forms); len(found) > 0 {
			t.Fatalf("secret %q leaks as %q: %s", secret, found, msg)
		}
		// The same text in a redirect's Location header.
		p := &prepared{tokenURL: "https://idp.example/token", host: "idp.example", hostPort: "idp.example"}
		reason := redirectReason(p, 302, "https://"+url.PathEscape(echo)+".example/", rd)
		if found := leaks(reason, forms); len(found) > 0 {
			t.Fatalf("secret %q leaks as %q from a redirect: %s", secret, found, reason)
		}
	})
}
