package oauthclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// probeSecretAlphabet holds characters that every encoding the probe uses
// changes, so a form that survives cannot be mistaken for the raw secret.
var probeSecretAlphabet = []rune{'/', '+', '=', '~', '%', '&', '<', '>', '"', '\\', 'é', '雪', '😀'}

// probeEncoding is one way a server, a gateway or a framework may write a
// secret it echoes.
type probeEncoding struct {
	name string
	enc  func(id, secret string) string
}

// probeEncodings are the forms the redaction probe and the fuzz target
// look for. Each is a separate, straightforward implementation of what real
// servers do, independent of the redactor's matching.
var probeEncodings = []probeEncoding{
	{"raw", func(_, s string) string { return s }},
	{"query escape", func(_, s string) string { return url.QueryEscape(s) }},
	{"query escape lower case", func(_, s string) string { return lowerHexEscapes(url.QueryEscape(s)) }},
	{"path escape", func(_, s string) string { return url.PathEscape(s) }},
	{"double query escape", func(_, s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"every byte percent-encoded", func(_, s string) string { return percentAll(s) }},
	{"json", func(_, s string) string { return jsonString(s, true) }},
	{"json without html escapes", func(_, s string) string { return jsonString(s, false) }},
	{"php json (\\/)", func(_, s string) string { return strings.ReplaceAll(jsonString(s, false), "/", `\/`) }},
	{".net json (\\u002B)", func(_, s string) string { return uEscapeNonAlnum(s, "\\u%04X") }},
	{"full \\uXXXX", func(_, s string) string { return uEscapeAll(s) }},
	{"go quote", func(_, s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }},
	{"go ascii quote", func(_, s string) string { q := strconv.QuoteToASCII(s); return q[1 : len(q)-1] }},
	{"html escape", func(_, s string) string { return html.EscapeString(s) }},
	{"html hex references", func(_, s string) string { return charRefs(s, "&#x%X;") }},
	{"html decimal references", func(_, s string) string { return charRefs(s, "&#%d;") }},
	{"html named references", func(_, s string) string { return namedRefs(s) }},
	{"base64", func(_, s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64 unpadded", func(_, s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }},
	{"base64url", func(_, s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }},
	{"base64url unpadded", func(_, s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"basic credentials", func(id, s string) string {
		return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(s)))
	}},
	{"basic credentials unpadded", func(id, s string) string {
		return base64.RawStdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(s)))
	}},
	{"basic credentials unescaped", func(id, s string) string { return base64.StdEncoding.EncodeToString([]byte(id + ":" + s)) }},
	{"basic credentials url unpadded", func(id, s string) string { return base64.RawURLEncoding.EncodeToString([]byte(id + ":" + s)) }},
}

func lowerHexEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString("%" + strings.ToLower(s[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func jsonString(s string, escapeHTML bool) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(escapeHTML)
	_ = e.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// uEscapeNonAlnum writes every character but ASCII letters and digits as
// \uXXXX (surrogate pairs above U+FFFF), as .NET's encoder does for "+".
func uEscapeNonAlnum(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && isAlnum(byte(r)) {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16Units(r) {
			fmt.Fprintf(&b, format, u)
		}
	}
	return b.String()
}

func uEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		for _, u := range utf16Units(r) {
			fmt.Fprintf(&b, "\\u%04x", u)
		}
	}
	return b.String()
}

func utf16Units(r rune) []rune {
	if r > 0xFFFF {
		hi, lo := utf16.EncodeRune(r)
		return []rune{hi, lo}
	}
	return []rune{r}
}

func charRefs(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// namedRefs uses HTML named character references where one exists.
func namedRefs(s string) string {
	names := map[rune]string{'/': "&sol;", '+': "&plus;", '=': "&equals;", '%': "&percnt;", '&': "&amp;", '<': "&lt;",
		'>': "&gt;", '"': "&quot;", '\\': "&bsol;", 'é': "&eacute;", ':': "&colon;", '~': "&#126;"}
	var b strings.Builder
	for _, r := range s {
		if n, ok := names[r]; ok {
			b.WriteString(n)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// probeForms returns every probe encoding of secret, by encoding name.
func probeForms(id, secret string) map[string]string {
	out := make(map[string]string, len(probeEncodings))
	for _, e := range probeEncodings {
		out[e.name] = e.enc(id, secret)
	}
	return out
}

// leaks returns the names of the probe forms found in text.
func leaks(text string, forms map[string]string) []string {
	var out []string
	for name, f := range forms {
		if f != "" && strings.Contains(text, f) {
			out = append(out, name)
		}
	}
	return out
}

// jsonValue puts text into a JSON document as a string: as it stands when
// it is already valid JSON string content (so PHP's "\/" reaches the body
// as PHP writes it), else escaped.
func jsonValue(text string) string {
	var s string
	if json.Unmarshal([]byte(`"`+text+`"`), &s) == nil {
		return `"` + text + `"`
	}
	b, _ := json.Marshal(text)
	return string(b)
}

// probeShape is one way a server can answer with an echoed text.
type probeShape struct {
	name  string
	write func(w http.ResponseWriter, echo string)
}

var probeShapes = []probeShape{
	{"error_description", func(w http.ResponseWriter, echo string) {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":`+jsonValue("client "+echo+" is unknown")+`}`)
	}},
	{"raw json without an RFC 6749 error", func(w http.ResponseWriter, echo string) {
		writeJSON(w, http.StatusInternalServerError, `{"input":{"client_secret":`+jsonValue(echo)+`},"message":`+jsonValue("failed for "+echo)+`}`)
	}},
	{"non-string error", func(w http.ResponseWriter, echo string) {
		writeJSON(w, http.StatusBadRequest, `{"error":{"message":`+jsonValue("bad "+echo)+`,"input":`+jsonValue(echo)+`}}`)
	}},
	{"text body", func(w http.ResponseWriter, echo string) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "upstream rejected "+echo)
	}},
	{"html body", func(w http.ResponseWriter, echo string) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html><body>denied "+echo+"</body></html>")
	}},
	{"form-encoded error", func(w http.ResponseWriter, echo string) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, "error=invalid_request&error_description="+url.QueryEscape("saw "+echo))
	}},
	{"json cut short", func(w http.ResponseWriter, echo string) {
		writeJSON(w, http.StatusBadRequest, `{"error_description":`+jsonValue(echo)+`,"x":`)
	}},
}

// TestRedactionProbe echoes the client secret in every probe encoding, in
// every answer shape, and looks for any of the forms in the error and in
// every log field.
func TestRedactionProbe(t *testing.T) {
	const id = "probe:client"
	const secret = `Zm9v/YmFy+=~%&<>"\é雪😀 end`
	forms := probeForms(id, secret)
	cases, leaked := 0, 0
	for _, shape := range probeShapes {
		for _, enc := range probeEncodings {
			cases++
			echo := forms[enc.name]
			t.Run(shape.name+"/"+enc.name, func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { shape.write(w, echo) })
				var logs logSink
				c := newTestClient(t, Options{MaxRetries: -1, Logger: logs.logger()})
				_, err := c.Exchange(context.Background(), Request{
					TokenURL: srv.URL + "/token", GrantType: GrantClientCredentials, AuthStyle: AuthBasic,
					ClientID: id, ClientSecret: secret,
				})
				if err == nil {
					t.Fatal("Exchange succeeded, want an error")
				}
				found := leaks(err.Error(), forms)
				for _, ev := range logs.all() {
					for k, v := range ev.fields {
						for _, l := range leaks(fmt.Sprint(v), forms) {
							found = append(found, "log field "+k+": "+l)
						}
					}
				}
				if len(found) > 0 {
					leaked++
					t.Errorf("leaks %q: %s", found, err)
				}
			})
		}
	}
	t.Logf("redaction probe: %d encodings × %d answer shapes = %d cases, %d leaked", len(probeEncodings), len(probeShapes), cases, leaked)
}

// TestRedaction_tokensInNonErrorAnswer checks the answers the issue names:
// a 500 echoing the request's client secret PHP-escaped inside a nested
// object, and a 500 that carries tokens.
func TestRedaction_tokensInNonErrorAnswer(t *testing.T) {
	const secret = "Zm9v/YmFy+Ym9v="
	for _, tt := range []struct {
		name, body string
		absent     []string
	}{
		{"echoed input", `{"input":{"client_secret":"Zm9v\/YmFy+Ym9v="},"message":"could not store Zm9v\/YmFy\u002BYm9v="}`,
			[]string{secret, `Zm9v\/YmFy+Ym9v=`, `Zm9v\/YmFy\u002BYm9v=`, "Zm9v"}},
		{"tokens with status 500", `{"access_token":"AT\/abc","refresh_token":"RT\/def","message":"issued AT\/abc"}`,
			[]string{"AT/abc", `AT\/abc`, "RT/def", `RT\/def`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusInternalServerError, tt.body)
			})
			var logs logSink
			c := newTestClient(t, Options{MaxRetries: -1, Logger: logs.logger()})
			_, err := c.Exchange(context.Background(), Request{TokenURL: srv.URL, GrantType: GrantClientCredentials, AuthStyle: AuthPost, ClientID: "id", ClientSecret: secret})
			if err == nil {
				t.Fatal("Exchange succeeded, want an error")
			}
			texts := []string{err.Error()}
			for _, ev := range logs.all() {
				texts = append(texts, fmt.Sprint(ev.fields))
			}
			for _, text := range texts {
				for _, a := range tt.absent {
					if strings.Contains(text, a) {
						t.Errorf("%q appears in %s", a, text)
					}
				}
			}
			if !strings.Contains(err.Error(), `status 500 and no OAuth error code: {"message":`) {
				t.Errorf("err = %q, want the message field re-encoded", err)
			}
		})
	}
}
