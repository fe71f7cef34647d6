package oauthclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrBodyTooLarge is wrapped by the error returned when a token endpoint
// answers with more than MaxResponseBytes. The rest of such a body is never
// read.
var ErrBodyTooLarge = errors.New("oauthclient: token response exceeded 1 MiB")

// maxExpiresIn caps the lifetime used to compute Token.Expiry (100 years),
// so that absurd values cannot overflow time.Duration.
const maxExpiresIn = 100 * 365 * 24 * 60 * 60

// snippetBytes bounds how much of an unexpected body an error quotes.
const snippetBytes = 200

// bodyKind is what a response body turned out to be.
type bodyKind int

const (
	kindEmpty bodyKind = iota
	kindJSON
	kindForm
	kindMarkup
	kindOther
)

// parseTokenResponse turns a token endpoint answer into a Token (RFC 6749
// §5.1) or an *Error (§5.2, or a plain reason when the answer is not a
// token response at all). rd, when not nil, learns the tokens the answer
// carried and scrubs quoted excerpts; the caller scrubs the *Error fields.
func parseTokenResponse(status int, contentType string, body []byte, now time.Time, rd *redactor) (*Token, *Error) {
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")

	kind := kindOther
	var fields map[string]any
	switch {
	case len(trimmed) == 0:
		kind = kindEmpty
	case mt == "text/html" || mt == "application/xhtml+xml" || trimmed[0] == '<':
		kind = kindMarkup
	case trimmed[0] == '{' || mt == "application/json" || strings.HasSuffix(mt, "+json"):
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		if err := d.Decode(&fields); err == nil && fields != nil && !d.More() {
			kind = kindJSON
		} else {
			fields = nil
		}
	case mt == "application/x-www-form-urlencoded" || mt == "text/plain":
		// Form-encoded answers predate JSON (RFC 6749 drafts; GitHub and
		// Facebook used them, some with text/plain).
		if vals, err := url.ParseQuery(string(body)); err == nil && (vals.Has("access_token") || vals.Has("error")) {
			kind = kindForm
			fields = make(map[string]any, len(vals))
			for k, v := range vals {
				fields[k] = v[0]
			}
		}
	}
	fail := func(reason string, quote bool) (*Token, *Error) {
		rd.addAnswer(fields)
		if quote && len(trimmed) > 0 {
			// A body that did not parse may still carry tokens (a JSON
			// object with trailing text, a truncated answer): find them
			// by name before quoting it.
			if fields == nil {
				rd.addLoose(string(trimmed))
			}
			reason += ": " + strconv.Quote(snippet(rd.scrub(string(trimmed))))
		}
		return nil, &Error{StatusCode: status, Reason: reason}
	}
	switch kind {
	case kindEmpty:
		return fail(fmt.Sprintf("the token endpoint answered with status %d and an empty body, not a token response", status), false)
	case kindMarkup:
		what := "HTML"
		if strings.Contains(mt, "xml") && !strings.Contains(mt, "html") {
			what = "XML"
		}
		return fail(fmt.Sprintf("the token endpoint answered with %s (status %d), not a token response", what, status), false)
	case kindOther:
		if trimmed[0] == '{' || mt == "application/json" || strings.HasSuffix(mt, "+json") {
			return fail(fmt.Sprintf("the token endpoint answered with status %d and a body that is not a valid JSON object", status), true)
		}
		return fail(fmt.Sprintf("the token endpoint answered with status %d and a non-JSON body", status), true)
	}

	// RFC 6749 §5.2. A 200 carrying "error" is an error too: some servers
	// answer every request with 200.
	if v, ok := fields["error"]; ok && v != nil && v != "" {
		code, isString := v.(string)
		if !isString {
			return fail(fmt.Sprintf("the token endpoint answered with status %d and an error that is not an RFC 6749 error code", status), true)
		}
		rd.addAnswer(fields)
		return nil, &Error{
			StatusCode:  status,
			Code:        code,
			Description: fieldString(fields["error_description"]),
			URI:         fieldString(fields["error_uri"]),
		}
	}
	if status < 200 || status > 299 {
		return fail(fmt.Sprintf("the token endpoint answered with status %d and no OAuth error code", status), true)
	}

	tok := &Token{Raw: fields}
	at, ok := fields["access_token"]
	if !ok || at == nil || at == "" {
		return fail(fmt.Sprintf("the token endpoint answered with status %d but the response has no access_token", status), false)
	}
	if tok.AccessToken, ok = at.(string); !ok {
		return fail(fmt.Sprintf("the token endpoint answered with status %d but access_token is not a string", status), false)
	}
	tok.TokenType = fieldString(fields["token_type"])
	tok.RefreshToken = fieldString(fields["refresh_token"])
	tok.IDToken = fieldString(fields["id_token"])
	switch s := fields["scope"].(type) {
	case string:
		tok.Scope = s
	case []any: // non-standard: a JSON array of scopes
		parts := make([]string, 0, len(s))
		for _, p := range s {
			parts = append(parts, fieldString(p))
		}
		tok.Scope = strings.Join(parts, " ")
	}
	if v, ok := fields["expires_in"]; ok && v != nil && v != "" {
		secs, err := parseExpiresIn(v)
		if err != nil {
			return fail(fmt.Sprintf("the token endpoint answered with status %d but %v", status, err), false)
		}
		// RFC 6749 §5.1: the lifetime in seconds. Zero is treated as
		// unknown, as several servers send it to mean "no expiry".
		if secs > 0 {
			tok.ExpiresIn = secs
			tok.Expiry = now.Add(time.Duration(min(secs, maxExpiresIn)) * time.Second)
		}
	}
	return tok, nil
}

// parseExpiresIn accepts a JSON number, a numeric string, or a float with no
// fraction worth keeping ("3600", 3600, 3600.0).
func parseExpiresIn(v any) (int64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, fmt.Errorf("expires_in is not a number (%T)", v)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("expires_in %q is negative", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("expires_in %q is not a number of seconds", snippet(s))
	}
	if f < 0 {
		return 0, fmt.Errorf("expires_in %q is negative", s)
	}
	if f >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(f), nil
}

func fieldString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return string(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// snippet cuts s to snippetBytes on a rune boundary.
func snippet(s string) string {
	if len(s) <= snippetBytes {
		return s
	}
	cut := snippetBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
