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
)

// ErrBodyTooLarge is wrapped by the error returned when a token endpoint
// answers with more than MaxResponseBytes. The rest of such a body is never
// read.
var ErrBodyTooLarge = errors.New("oauthclient: token response exceeded 1 MiB")

// maxExpiresIn caps the lifetime used to compute Token.Expiry (100 years),
// so that absurd values cannot overflow time.Duration.
const maxExpiresIn = 100 * 365 * 24 * 60 * 60

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
// token response at all). rd learns the tokens the answer carried; every
// server-supplied part of the *Error is cleaned, capped and scrubbed by it
// (see serverText), so the caller only adds the token URL.
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
	// fail builds the error for an answer that is not a token. With show,
	// it says what the answer held, never by quoting the server's bytes
	// (see describeFields, serverText).
	fail := func(reason string, show bool) (*Token, *Error) {
		rd.addAnswer(fields)
		if show && len(trimmed) > 0 {
			// Tokens may sit where parsing did not reach them (a JSON
			// object with trailing text, a truncated answer, a nested
			// object): find them by name.
			rd.addLoose(string(trimmed))
			switch {
			case fields != nil:
				reason += ": " + rd.describeFields(fields)
			case trimmed[0] == '{' || trimmed[0] == '[':
				// JSON that did not parse cannot be re-encoded, and
				// an excerpt could cut a secret's escaped form.
				reason += fmt.Sprintf(" (%d bytes, not shown)", len(trimmed))
			default:
				reason += ": " + rd.quoteServerText(string(trimmed), maxServerText)
			}
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
		// A code that is not a string, or that cleaning leaves empty
		// (only spaces or control characters), is no RFC 6749 error code.
		code := ""
		if s, isString := v.(string); isString {
			code = errorCode(rd.serverText(s, maxServerText))
		}
		if code == "" {
			return fail(fmt.Sprintf("the token endpoint answered with status %d and an error that is not an RFC 6749 error code", status), true)
		}
		rd.addAnswer(fields)
		return nil, &Error{
			StatusCode:  status,
			Code:        code,
			Description: rd.serverText(scalarString(fields["error_description"]), maxServerText),
			URI:         rd.serverText(scalarString(fields["error_uri"]), maxServerText),
		}
	}
	if status < 200 || status > 299 {
		return fail(fmt.Sprintf("the token endpoint answered with status %d and no OAuth error code", status), true)
	}

	tok := &Token{Raw: fields}
	at, ok := fields["access_token"]
	if !ok || at == nil || at == "" {
		return fail(fmt.Sprintf("the token endpoint answered with status %d but the response has no access_token", status), true)
	}
	if tok.AccessToken, ok = at.(string); !ok {
		return fail(fmt.Sprintf("the token endpoint answered with status %d but access_token is not a string", status), false)
	}
	tok.TokenType = fieldString(fields["token_type"])
	tok.RefreshToken = fieldString(fields["refresh_token"])
	tok.IDToken = fieldString(fields["id_token"])
	tok.IssuedTokenType = fieldString(fields["issued_token_type"])
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
			rd.addAnswer(fields)
			return fail(fmt.Sprintf("the token endpoint answered with status %d but %v", status, err(rd)), false)
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
// fraction worth keeping ("3600", 3600, 3600.0). Its error is a function of
// the redactor, which quotes the server's value cleaned and scrubbed.
func parseExpiresIn(v any) (int64, func(*redactor) string) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, func(*redactor) string { return fmt.Sprintf("expires_in is not a number (%T)", v) }
	}
	quoted := func(rd *redactor) string { return rd.quoteServerText(s, 40) }
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, func(rd *redactor) string { return "expires_in " + quoted(rd) + " is negative" }
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, func(rd *redactor) string { return "expires_in " + quoted(rd) + " is not a number of seconds" }
	}
	if f < 0 {
		return 0, func(rd *redactor) string { return "expires_in " + quoted(rd) + " is negative" }
	}
	if f >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(f), nil
}

// scalarString is a string, number or boolean field as text, and "" for
// anything else: an object or array in error_description is not shown.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
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
