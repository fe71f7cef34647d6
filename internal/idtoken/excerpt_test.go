package idtoken

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	const secret = "s3cr&t/<value>"
	jws := jwtWith(`{"iss":"i","sub":"s"}`)
	tests := []struct {
		name, body, want string
	}{
		{name: "empty", body: "", want: ""},
		{name: "blank", body: " \r\n\t", want: ""},
		{name: "as written", body: "token " + secret + " refused", want: "token [redacted] refused"},
		{name: "percent-encoded", body: "t=s3cr%26t%2F%3Cvalue%3E", want: "t=[redacted]"},
		{name: "JSON-escaped", body: `{"t":"s3cr\u0026t/\u003cvalue\u003e"}`, want: `{"t":"[redacted]"}`},
		{name: "unknown JWT", body: "got " + jws + ".", want: "got [redacted]"}, // the trailing dot may go too,
		{name: "JWE", body: "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", want: "[redacted]"},
		{name: "split by a control character", body: "s3cr&t/\x00<value>", want: "s3cr&t/ <value>"},
		{name: "control and format characters", body: "a\x1b[0m\u202eb\u200bc\xff", want: "a [0m b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := excerpt([]byte(tt.body), secret, ""); got != tt.want {
				t.Errorf("excerpt(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}

	long := excerpt([]byte(strings.Repeat("é", maxExcerpt)))
	if !utf8.ValidString(long) || !strings.HasSuffix(long, "…") || len(long) > maxExcerpt+len("…") {
		t.Errorf("long excerpt = %q (%d bytes), want at most %d bytes of valid UTF-8 ending in …", long, len(long), maxExcerpt)
	}
}
