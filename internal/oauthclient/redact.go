package oauthclient

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// redacted replaces every secret in error strings and log fields.
const redacted = "[REDACTED]"

// redactor scrubs the secrets of one request, and the tokens of its answer,
// from text. Every non-empty secret is scrubbed, however short: a one-letter
// secret makes server text hard to read, which is better than leaking it.
// The token endpoint's host and port are never scrubbed (see keep), and the
// client composes its own parts of a message (the endpoint, a status, an
// attempt count) after scrubbing what the server or the network said, so a
// short secret cannot mangle them.
//
// A secret may reach text in another form than the one configured, and a
// careless server may echo it in any of them. A secret is found character by
// character, each character in any of these forms, mixed freely:
//
//   - as itself, or "+" for a space (form encoding, "%2B" when encoded again);
//   - percent-encoded in either case, once or twice ("%2F", "%2f", "%252F"),
//     as RFC 3986 §2.1 and every URL or form encoder write it;
//   - backslash-escaped as JSON, JavaScript, PHP, .NET, Go or Python write it
//     ("\/", "\u002B", "\u002b", a surrogate pair, "\U0001F600", "\x2F",
//     "\n", "\"");
//   - as an HTML character reference ("&#x2F;", "&#47;", "&sol;", "&amp;").
//
// Its base64 forms (RFC 4648 §4 and §5, padded or not) are scrubbed too:
// of the secret alone, of the secret inside a longer base64 text at each of
// the three byte alignments, and of the HTTP Basic credentials
// "id:secret" (RFC 6749 §2.3.1, RFC 7617), both raw and form-encoded.
type redactor struct {
	// pending are raw secrets whose forms are not computed yet: a request
	// that succeeds never needs them.
	pending []string
	// basicID and basicSecret give the HTTP Basic credentials.
	basicID, basicSecret string
	// forms are the secrets and their base64 forms, matched by matchForm.
	forms [][]rune
	// first marks the bytes a match can start with.
	first [256]bool
	// keep are texts never scrubbed: the token URL's host and host:port.
	keep []string
}

func newRedactor(req *Request) *redactor {
	rd := &redactor{basicID: req.ClientID, basicSecret: req.ClientSecret}
	rd.add(req.ClientSecret, req.Password, req.RefreshToken, req.Code, req.CodeVerifier, req.DeviceCode)
	rd.add(req.AlsoRedact...)
	for _, t := range []string{req.ClientAssertion, req.Assertion, req.SubjectToken, req.ActorToken} {
		if t != "" {
			rd.addJWT(t)
		}
	}
	return rd
}

// add registers secrets; their forms are computed on first use.
func (rd *redactor) add(secrets ...string) {
	for _, s := range secrets {
		if s != "" {
			rd.pending = append(rd.pending, s)
		}
	}
}

// addJWT registers a JWT (an assertion, a subject token) and its signature
// on its own: the signature is what makes the token usable, and a server may
// echo a token cut at a dot.
func (rd *redactor) addJWT(tok string) {
	rd.add(tok)
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && strings.Count(tok, ".") == 2 {
		rd.add(tok[i+1:])
	}
}

// keepHost marks the token endpoint's host (and host:port) as text that is
// shown as it is: it is configuration, never a secret, and a short secret
// that happens to be a digit of an IP address must not hide which endpoint
// failed.
func (rd *redactor) keepHost(hostPort, host string) {
	for _, k := range []string{hostPort, host} {
		if k != "" && !slices.Contains(rd.keep, k) {
			rd.keep = append(rd.keep, k)
		}
	}
	// Longest first, so that host:port wins over host.
	slices.SortFunc(rd.keep, func(a, b string) int { return len(b) - len(a) })
}

// baseForms are the base64 encodings a secret is scrubbed in.
var baseForms = []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}

// minBase64Core is the shortest base64 run of a secret inside a longer
// base64 text that is scrubbed: shorter runs would hit ordinary words.
const minBase64Core = 12

// expand computes every form of the pending secrets.
func (rd *redactor) expand() {
	if rd.basicSecret != "" {
		for _, cred := range []string{
			url.QueryEscape(rd.basicID) + ":" + url.QueryEscape(rd.basicSecret),
			rd.basicID + ":" + rd.basicSecret,
		} {
			for _, enc := range baseForms {
				rd.addForm(enc.EncodeToString([]byte(cred)))
			}
		}
		rd.basicSecret = ""
	}
	for _, s := range rd.pending {
		rd.addForm(s)
		for _, enc := range baseForms {
			rd.addForm(enc.EncodeToString([]byte(s)))
		}
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for k := range 3 {
				if core := base64Core(enc, s, k); len(core) >= minBase64Core {
					rd.addForm(core)
				}
			}
		}
	}
	rd.pending = rd.pending[:0]
}

// base64Core returns the characters that every base64 text holding s at a
// byte offset of k (mod 3) contains, whatever surrounds s: the characters
// whose six bits all come from s.
func base64Core(enc *base64.Encoding, s string, k int) string {
	b := make([]byte, k+len(s))
	copy(b[k:], s)
	e := enc.EncodeToString(b)
	from, to := (8*k+5)/6, 8*(k+len(s))/6
	if from >= to {
		return ""
	}
	return e[from:to]
}

func (rd *redactor) addForm(f string) {
	if f == "" {
		return
	}
	r := []rune(f)
	for _, have := range rd.forms {
		if slices.Equal(have, r) {
			return
		}
	}
	rd.forms = append(rd.forms, r)
	var buf [utf8.UTFMax]byte
	utf8.EncodeRune(buf[:], r[0])
	rd.first[buf[0]] = true
	// Every escaped form starts with one of these.
	for _, c := range "%\\&+" {
		rd.first[c] = true
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

// addLoose registers the token values looseTokenField finds in body, both
// as written and JSON-unescaped.
func (rd *redactor) addLoose(body string) {
	if rd == nil {
		return
	}
	for _, m := range looseTokenField.FindAllStringSubmatch(body, -1) {
		rd.add(m[1], m[2])
		var s string
		if m[1] != "" && json.Unmarshal([]byte(`"`+m[1]+`"`), &s) == nil {
			rd.add(s)
		}
	}
}

// scrub replaces every form of every secret in s with [REDACTED].
func (rd *redactor) scrub(s string) string {
	out, _ := rd.scrubPrefix(s, len(s))
	return out
}

// scrubPrefix scrubs s up to at least byte limit: a secret that starts
// before limit is replaced whole, and nothing after the last byte it looked
// at is returned. It also returns how many bytes of s the result covers.
// Callers that show only the start of a long text pass a limit, so that the
// work stays bounded whatever the server sent.
func (rd *redactor) scrubPrefix(s string, limit int) (string, int) {
	if limit > len(s) {
		limit = len(s)
	}
	if rd == nil {
		return s[:limit], limit
	}
	if len(rd.pending) > 0 || rd.basicSecret != "" {
		rd.expand()
	}
	if len(rd.forms) == 0 {
		return s[:limit], limit
	}
	var b strings.Builder
	last, i := 0, 0
	for i < limit {
		kept := 0
		for _, k := range rd.keep {
			if strings.HasPrefix(s[i:], k) {
				kept = len(k)
				break
			}
		}
		end := -1
		if rd.first[s[i]] {
			for _, f := range rd.forms {
				end = max(end, matchForm(s, i, f))
			}
		}
		switch {
		case end > i && end-i > kept:
			b.WriteString(s[last:i])
			b.WriteString(redacted)
			i, last = end, end
		case kept > 0:
			i += kept
		default:
			i++
		}
	}
	if last == 0 && i >= len(s) {
		return s, len(s)
	}
	b.WriteString(s[last:i])
	return b.String(), i
}

// matchForm returns where an occurrence of f that starts at s[i] ends, each
// rune of f in any of the forms listed on redactor, or -1. Several encodings
// of one rune can match at once ("%" itself, or "%25"), so it follows every
// possibility and returns the longest match.
func matchForm(s string, i int, f []rune) int {
	var bufA, bufB [8]int
	cur, next := append(bufA[:0], i), bufB[:0]
	for _, r := range f {
		next = next[:0]
		for _, p := range cur {
			next = appendRuneEnds(next, s, p, r)
		}
		if len(next) == 0 {
			return -1
		}
		slices.Sort(next)
		next = slices.Compact(next)
		cur, next = next, cur
	}
	return slices.Max(cur)
}

// appendRuneEnds appends to dst every position where an encoding of r that
// starts at s[p] ends.
func appendRuneEnds(dst []int, s string, p int, r rune) []int {
	if p >= len(s) {
		return dst
	}
	var buf [utf8.UTFMax]byte
	b := buf[:utf8.EncodeRune(buf[:], r)]
	if strings.HasPrefix(s[p:], string(b)) {
		dst = append(dst, p+len(b))
	}
	switch s[p] {
	case '+':
		if r == ' ' {
			dst = append(dst, p+1)
		}
	case '%':
		dst = appendPercentEnds(dst, s, p, b)
		if r == ' ' {
			// A form-encoded space ("+"), encoded again ("%2B").
			dst = appendPercentEnds(dst, s, p, []byte{'+'})
		}
	case '\\':
		dst = appendEscapeEnds(dst, s, p, r, b)
	case '&':
		// A character reference: "&" then a name or "#" number, and
		// usually ";" (HTML §13.5 accepts some without it).
		j := p + 1
		for j < len(s) && j-p < 40 && (isAlnum(s[j]) || s[j] == '#') {
			j++
		}
		if j < len(s) && s[j] == ';' {
			j++
		}
		if j > p+1 && html.UnescapeString(s[p:j]) == string(r) {
			dst = append(dst, j)
		}
	}
	return dst
}

// appendPercentEnds matches the bytes b each percent-encoded once ("%2F",
// "%2f") or twice ("%252F").
func appendPercentEnds(dst []int, s string, p int, b []byte) []int {
	ends := []int{p}
	for _, c := range b {
		var more []int
		for _, q := range ends {
			if q+3 <= len(s) && s[q] == '%' && hexByte(s[q+1:q+3]) == int(c) {
				more = append(more, q+3)
			}
			if q+5 <= len(s) && s[q] == '%' && s[q+1:q+3] == "25" && hexByte(s[q+3:q+5]) == int(c) {
				more = append(more, q+5)
			}
		}
		if len(more) == 0 {
			return dst
		}
		ends = more
	}
	return append(dst, ends...)
}

// appendEscapeEnds matches a backslash escape of r (bytes b) at s[p].
func appendEscapeEnds(dst []int, s string, p int, r rune, b []byte) []int {
	if p+1 >= len(s) {
		return dst
	}
	c := s[p+1]
	switch {
	case c == 'u':
		if r <= 0xFFFF {
			if hexRune(s, p+2, 4) == r {
				dst = append(dst, p+6)
			}
		} else if hi, lo := utf16.EncodeRune(r); hexRune(s, p+2, 4) == hi &&
			p+7 < len(s) && s[p+6] == '\\' && s[p+7] == 'u' && hexRune(s, p+8, 4) == lo {
			dst = append(dst, p+12)
		}
	case c == 'U':
		if hexRune(s, p+2, 8) == r {
			dst = append(dst, p+10)
		}
	case c == 'x':
		q := p
		for _, x := range b {
			if q+4 > len(s) || s[q] != '\\' || s[q+1] != 'x' || hexByte(s[q+2:q+4]) != int(x) {
				return dst
			}
			q += 4
		}
		dst = append(dst, q)
	case r < utf8.RuneSelf && !isAlnum(byte(r)) && c == byte(r):
		// "\/", "\"", "\\", "\+": JSON, JavaScript, PHP and regular
		// expression escapes of punctuation.
		dst = append(dst, p+2)
	default:
		if e, ok := controlEscapes[c]; ok && e == r {
			dst = append(dst, p+2)
		}
	}
	return dst
}

var controlEscapes = map[byte]rune{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'v': '\v', 'a': '\a', '0': 0}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hexByte decodes two hex digits of either case, or returns -1.
func hexByte(h string) int {
	return int(hexRune(h, 0, 2))
}

// hexRune decodes n hex digits of either case at s[i:], or returns -1.
func hexRune(s string, i, n int) rune {
	if i+n > len(s) {
		return -1
	}
	var v rune
	for _, c := range []byte(s[i : i+n]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | rune(d)
	}
	return v
}

// scrubbedError carries a message built from scrubbed parts and keeps the
// original error for errors.Is and errors.As (context.Canceled, net.Error,
// x509 errors).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
