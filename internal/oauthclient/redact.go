package oauthclient

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
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
	rd.add(req.AlsoRedact...)
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

// looseTokenField finds access_token, refresh_token and id_token values in
// text that is not a well-formed answer: JSON-like ("name": "value", the
// closing quote optional for a cut body) or form-like (name=value).
var looseTokenField = regexp.MustCompile(`(?i)\b(?:access_token|refresh_token|id_token)["']?\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"?|([^\s&,;}"']+))`)

// addLoose registers the token values looseTokenField finds in body.
func (rd *redactor) addLoose(body string) {
	if rd == nil {
		return
	}
	for _, m := range looseTokenField.FindAllStringSubmatch(body, -1) {
		rd.add(m[1], m[2])
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

// RedactURL returns rawURL fit for messages and logs: user information and
// the value of every query parameter are replaced with [REDACTED], and so is
// a fragment. Endpoints are sometimes configured with credentials in them
// (https://user:pass@host/, ?client_secret=…), and RFC 6749 §3.1 and §3.2
// let a token or authorization endpoint URL carry a query; which of its
// values are secret cannot be known, so none is shown. A URL that does not
// parse is cut at its query and fragment, and everything before its last
// "@" is redacted.
func RedactURL(rawURL string) string {
	if !mayHideSecrets(rawURL) {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "" && strings.Contains(rawURL, "@")) {
		return redactUnparsedURL(rawURL)
	}
	hadUser := u.User != nil
	query, fragment := u.RawQuery, u.Fragment
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	s := u.String()
	if hadUser {
		if i := strings.Index(s, "//"); i >= 0 {
			s = s[:i+2] + redacted + "@" + s[i+2:]
		}
	}
	if query != "" {
		s += "?" + redactQuery(query)
	}
	if fragment != "" {
		s += "#" + redacted
	}
	return s
}

// urlSecrets lists what RedactURL hides in rawURL, so that a server echoing
// the URL it was called with reveals none of it: the user information and
// every query value (a bare parameter whole), both as written and decoded.
func urlSecrets(rawURL string) []string {
	if !mayHideSecrets(rawURL) {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		p, _ := u.User.Password()
		out = append(out, u.User.Username(), p)
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		name, value, hasValue := strings.Cut(part, "=")
		if !hasValue {
			value = name
		}
		out = append(out, value)
		if v, err := url.QueryUnescape(value); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// mayHideSecrets reports whether rawURL can hold user information, a query
// or a fragment at all. Most token URLs hold none, and every token request
// formats its URL, so they skip parsing it again.
func mayHideSecrets(rawURL string) bool { return strings.ContainsAny(rawURL, "@?#") }

// redactQuery keeps the names of the parameters in a raw query and
// replaces every value.
func redactQuery(query string) string {
	parts := strings.Split(query, "&")
	for i, p := range parts {
		// A parameter without "=" may be a bare key: hide it whole.
		name, _, hasValue := strings.Cut(p, "=")
		switch {
		case hasValue:
			parts[i] = name + "=" + redacted
		case p != "":
			parts[i] = redacted
		}
	}
	return strings.Join(parts, "&")
}

// redactUnparsedURL is RedactURL's best effort for text that is not a URL
// it can take apart.
func redactUnparsedURL(rawURL string) string {
	s, cut := rawURL, false
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s, cut = s[:i], true
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		start := 0
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			start = i + 3
		}
		s = s[:start] + redacted + s[at:]
	}
	if cut {
		s += "?" + redacted
	}
	return s
}
