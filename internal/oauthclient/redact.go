package oauthclient

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces every secret in error strings and log fields.
const redacted = "[REDACTED]"

// redactor scrubs the secrets of one request, and the tokens of its answer,
// from text. Every non-empty secret is scrubbed, however short: a one-letter
// secret makes messages hard to read, which is better than leaking it.
//
// A secret may reach text in another form than the one configured: form or
// query escaped (a server echoing the body or a Location header), JSON
// escaped (a server echoing a JSON body), Go-quoted, or as the base64 of the
// HTTP Basic credentials (RFC 6749 §2.3.1, RFC 7617). All are scrubbed.
type redactor struct {
	// pending are raw secrets whose forms are not computed yet: a request
	// that succeeds never needs them.
	pending []string
	// basicID and basicSecret give the HTTP Basic credentials.
	basicID, basicSecret string
	secrets              []string
	r                    *strings.Replacer // built lazily, reset by add
}

func newRedactor(req *Request) *redactor {
	rd := &redactor{basicID: req.ClientID, basicSecret: req.ClientSecret}
	rd.add(req.ClientSecret, req.Password, req.RefreshToken, req.Code, req.CodeVerifier)
	return rd
}

// add registers secrets; their escaped forms are computed on first use.
func (rd *redactor) add(secrets ...string) {
	for _, s := range secrets {
		if s != "" {
			rd.pending = append(rd.pending, s)
			rd.r = nil
		}
	}
}

// expand computes every form of the pending secrets.
func (rd *redactor) expand() {
	if rd.basicSecret != "" {
		rd.addForm(
			base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(rd.basicID)+":"+url.QueryEscape(rd.basicSecret))),
			base64.StdEncoding.EncodeToString([]byte(rd.basicID+":"+rd.basicSecret)),
		)
		rd.basicSecret = ""
	}
	for _, s := range rd.pending {
		q := strconv.Quote(s)
		rd.addForm(s, url.QueryEscape(s), url.PathEscape(s), q[1:len(q)-1], jsonEscape(s, true), jsonEscape(s, false))
	}
	rd.pending = rd.pending[:0]
}

func (rd *redactor) addForm(forms ...string) {
	for _, f := range forms {
		if f != "" && !slices.Contains(rd.secrets, f) {
			rd.secrets = append(rd.secrets, f)
		}
	}
}

// addAnswer registers the tokens an answer carried, so that an error built
// from that answer never repeats them.
func (rd *redactor) addAnswer(fields map[string]any) {
	if rd == nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, ok := fields[k].(string); ok {
			rd.add(s)
		}
	}
}

func jsonEscape(s string, html bool) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(html)
	_ = e.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

func (rd *redactor) scrub(s string) string {
	if rd == nil || s == "" {
		return s
	}
	if rd.r == nil {
		rd.expand()
		if len(rd.secrets) == 0 {
			return s
		}
		// Longest first, so a secret containing another is replaced whole.
		sorted := slices.Clone(rd.secrets)
		slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
		pairs := make([]string, 0, 2*len(sorted))
		for _, f := range sorted {
			pairs = append(pairs, f, redacted)
		}
		rd.r = strings.NewReplacer(pairs...)
	}
	return rd.r.Replace(s)
}

func (rd *redactor) scrubError(e *Error) *Error {
	e.TokenURL = rd.scrub(e.TokenURL)
	e.Code = rd.scrub(e.Code)
	e.Description = rd.scrub(e.Description)
	e.URI = rd.scrub(e.URI)
	e.Reason = rd.scrub(e.Reason)
	return e
}

// scrubbedError carries a scrubbed message and keeps the original error for
// errors.Is and errors.As (context.Canceled, net.Error, …).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// wrap returns an error reading msg (scrubbed) that unwraps to err.
func (rd *redactor) wrap(msg string, err error) error {
	return &scrubbedError{msg: rd.scrub(msg), err: err}
}
