package oauthclient

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxServerText caps each piece of server-supplied text an error shows
// (error, error_description, error_uri, a body excerpt): enough for any
// real explanation, and a 512 KiB error_description still gives a short
// error.
const maxServerText = 300

// maxNetworkText caps the text of a network or TLS error, which can list a
// certificate's names.
const maxNetworkText = 1000

// serverText prepares text from the server (or the network) for an error
// or a log field: scrubbed of secrets, stripped of terminal escapes,
// control and Unicode format characters (see cleanText), and cut to limit
// bytes with "…(N more bytes)". Only the start of a long text is examined,
// so the work is bounded whatever the server sent.
func (rd *redactor) serverText(s string, limit int) string {
	// Cleaning can drop a lot (escape sequences), so examine more than
	// will be shown.
	head, used := rd.scrubPrefix(s, 4*limit)
	// Cleaning removes characters, which can join the parts of a secret
	// that the first pass saw apart: scrub again.
	head = rd.scrub(cleanText(head))
	return capText(head, limit, len(s)-used)
}

// quoteServerText is serverText in Go quotes, scrubbed once more: quoting
// escapes characters, and an escaped form must not rebuild a secret.
func (rd *redactor) quoteServerText(s string, limit int) string {
	return rd.scrub(strconv.Quote(rd.serverText(s, limit)))
}

// capText cuts s to limit bytes on a rune boundary; dropped counts bytes
// already left out, and the note says how many are missing in all.
func capText(s string, limit, dropped int) string {
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		dropped += len(s) - cut
		s = s[:cut]
	}
	if dropped > 0 {
		s += fmt.Sprintf("…(%d more bytes)", dropped)
	}
	return s
}

// cleanText makes text safe to print on a terminal and in a diagnostic:
// ANSI/VT escape sequences (ECMA-48 CSI, OSC and two-byte ones) are
// removed; control characters (C0, C1, DEL, including CR, LF and tab) and
// line or paragraph separators become one space, so server text cannot
// start a line that looks like the tool's own ("\n\nError: …"); Unicode
// format characters (category Cf: bidirectional overrides and isolates,
// zero-width characters, the BOM) are removed, so text cannot reorder what
// is shown around it (CVE-2021-42574); invalid UTF-8 becomes U+FFFD.
func cleanText(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		if n := escapeSequence(s[i:]); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		}
		space = r == ' '
		b.WriteRune(r) // invalid UTF-8 decodes as U+FFFD
	}
	return strings.TrimSpace(b.String())
}

// escapeSequence returns the length of the terminal escape sequence at the
// start of s, or 0: ESC or the C1 CSI (U+009B) followed by a CSI sequence
// (parameters, intermediates, a final byte), an OSC string (up to BEL or
// ST), or a single character.
func escapeSequence(s string) int {
	var rest int
	switch {
	case strings.HasPrefix(s, "\x1b["):
		rest = 2
	case strings.HasPrefix(s, "\u009b"):
		rest = len("\u009b")
	case strings.HasPrefix(s, "\x1b]"):
		for i := 2; i < len(s); i++ {
			if s[i] == '\a' {
				return i + 1
			}
			if s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	case strings.HasPrefix(s, "\x1b") && len(s) > 1 && s[1] >= 0x20 && s[1] < 0x7f:
		return 2
	default:
		return 0
	}
	for i := rest; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		} else if c < 0x20 || c > 0x3f {
			// Not a parameter or intermediate byte: the sequence is
			// malformed; drop what was read.
			return i
		}
	}
	return len(s)
}

// errorCode keeps the characters RFC 6749 §5.2 allows in an "error" value
// (%x20-21 / %x23-5B / %x5D-7E) and replaces the others with "?", so a code
// never holds a quote, a backslash, a control or a format character. The
// ellipsis of capText's note is kept.
func errorCode(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 0x20 && r <= 0x7e && r != '"' && r != '\\') || r == '…' {
			return r
		}
		return '?'
	}, s)
}

// shownFields are the fields of an answer that is not an RFC 6749 error an
// error shows, when their value is a string, a number or a boolean: the
// §5.2 fields, and the explanation and correlation fields that servers and
// gateways use (RFC 9457 problem details, Microsoft Entra, Google, AWS).
// Anything else (a token, an echo of the request) is left out.
var shownFields = []string{
	"error", "error_description", "error_uri", "error_code", "errorCode", "error_message", "errorMessage",
	"message", "detail", "title", "status", "type", "reason",
	"trace_id", "correlation_id", "request_id", "requestId", "timestamp",
}

// shownField reports whether key is shown with value v; "code" only as a
// number, as in Google's {"error":{"code":401,…}}: a string "code" can be an
// authorization code.
func shownField(key string, v any) bool {
	switch v.(type) {
	case string, json.Number, bool, float64:
	default:
		return false
	}
	if key == "code" {
		_, isNumber := v.(json.Number)
		return isNumber
	}
	return slices.Contains(shownFields, key)
}

// describeFields re-encodes the fields of an answer that is not an RFC 6749
// error, keeping only those shownField allows, each cleaned and scrubbed:
// ` {"message":"…"} (2 other fields not shown)`. An "error" object's fields
// are shown under "error.". The server's own bytes are never quoted.
func (rd *redactor) describeFields(fields map[string]any) string {
	shown := map[string]any{}
	hidden := 0
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok && prefix == "" && k == "error" {
				walk("error.", sub)
				continue
			}
			if !shownField(k, v) {
				hidden++
				continue
			}
			if s, ok := v.(string); ok {
				v = rd.serverText(s, maxServerText)
			}
			// A name is shown only from the list, never as sent.
			shown[prefix+k] = v
		}
	}
	walk("", fields)
	var b strings.Builder
	if len(shown) > 0 {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(shown) // strings, numbers and booleans always encode
	}
	// Encoding escapes characters; an escaped form must not rebuild a
	// secret.
	out := capText(rd.scrub(strings.TrimSpace(b.String())), 3*maxServerText, 0)
	other := " other"
	if len(shown) == 0 {
		other = ""
	}
	switch {
	case hidden == 1:
		out += fmt.Sprintf(" (1%s field not shown)", other)
	case hidden > 1:
		out += fmt.Sprintf(" (%d%s fields not shown)", hidden, other)
	}
	return strings.TrimSpace(out)
}
