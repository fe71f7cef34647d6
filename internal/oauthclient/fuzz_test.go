package oauthclient

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
	f.Add(502, "", []byte(`Bad Gateway secret-value`))
	f.Add(200, "application/json; charset=\"", []byte("\xef\xbb\xbf{\"access_token\":\"\xff\"}"))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		rd := newRedactor(&Request{ClientSecret: "secret-value"})
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
		if strings.Contains(msg, "secret-value") {
			t.Fatalf("error leaks the secret: %s", msg)
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
