package oauthclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// injected is server text that tries to restyle the terminal, start lines
// of its own and reorder what is shown around it.
const injected = "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07\r\n\nError: fake\u202egnp.exe\u2066x\u2069\u200b\x00\x7f\u0085\u2028end"

func TestCleanText(t *testing.T) {
	got := cleanText(injected)
	if want := "red link Error: fakegnp.exex end"; got != want {
		t.Errorf("cleanText = %q, want %q", got, want)
	}
	for _, in := range []string{"\xff\xfe", "\x1b[", "\x1b]unterminated", "\x1b", "\u009b31m"} {
		if got := cleanText(in); strings.ContainsAny(got, "\x1b\u009b") || !isCleanText(got) {
			t.Errorf("cleanText(%q) = %q", in, got)
		}
	}
}

// isCleanText reports text without control or format characters.
func isCleanText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' || r == '\u2066' || r == '\u200b' || r == '\u2028' {
			return false
		}
	}
	return true
}

func TestCapText(t *testing.T) {
	if got := capText("short", 10, 0); got != "short" {
		t.Errorf("capText = %q", got)
	}
	if got, want := capText("aaaaé", 5, 0), "aaaa…(2 more bytes)"; got != want {
		t.Errorf("capText cuts a rune: %q, want %q", got, want)
	}
	if got, want := capText("abc", 10, 7), "abc…(7 more bytes)"; got != want {
		t.Errorf("capText = %q, want %q", got, want)
	}
}

// TestServerText_cleanedAndCapped sends escapes, fake lines and a 512 KiB
// error_description in every field and body shape that an error shows.
func TestServerText_cleanedAndCapped(t *testing.T) {
	huge := strings.Repeat("A", 512<<10)
	shapes := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"rfc 6749 fields", func(w http.ResponseWriter) {
			b, _ := json.Marshal(map[string]string{"error": "invalid_client" + injected, "error_description": injected, "error_uri": "https://idp.example/" + injected})
			writeJSON(w, http.StatusUnauthorized, string(b))
		}},
		{"json without an error", func(w http.ResponseWriter) {
			b, _ := json.Marshal(map[string]string{"message": injected})
			writeJSON(w, http.StatusInternalServerError, string(b))
		}},
		{"text body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, injected)
		}},
		{"form body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "error=invalid_request&error_description="+url.QueryEscape(injected))
		}},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://evil.example\u202e.com/")
			w.WriteHeader(http.StatusFound)
		}},
		{"huge error_description", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","error_description":"`+huge+`"}`)
		}},
		{"huge text body", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, huge)
		}},
		{"huge message", func(w http.ResponseWriter) {
			writeJSON(w, http.StatusInternalServerError, `{"message":"`+huge+`","detail":"`+huge[:256<<10]+`"}`)
		}},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { sh.write(w) })
			var logs logSink
			c := newTestClient(t, Options{MaxRetries: -1, Logger: logs.logger()})
			_, err := c.Exchange(context.Background(), ccRequest(srv.URL))
			if err == nil {
				t.Fatal("Exchange succeeded, want an error")
			}
			msg := err.Error()
			texts := []string{msg}
			for _, ev := range logs.all() {
				texts = append(texts, fmt.Sprint(ev.fields["error"]))
			}
			for _, text := range texts {
				if !isCleanText(text) || strings.Contains(text, "\n\nError: fake") || strings.Contains(text, "[31m") {
					t.Errorf("text holds escapes or control characters: %q", text)
				}
				if len(text) > 1500 {
					t.Errorf("text is %d bytes long, want a short error", len(text))
				}
			}
			if strings.HasPrefix(sh.name, "huge") && !strings.Contains(msg, " more bytes)") {
				t.Errorf("err = %q, want it to say how much was cut", msg)
			}
		})
	}
}

// TestRedaction_readable checks that a host, a port, a status and an
// attempt count are never scrubbed, and that a harmless query value of the
// token URL is shown as configured.
func TestRedaction_readable(t *testing.T) {
	t.Run("query value shown", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"client 1 unknown"}`)
		})
		var logs logSink
		c := newTestClient(t, Options{MaxRetries: -1, Logger: logs.logger()})
		_, err := c.Exchange(context.Background(), ccRequest(srv.URL+"/token?x=1"))
		want := "oauthclient: token endpoint " + srv.URL + "/token?x=1 refused the request (status 401): invalid_client: client 1 unknown"
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
		for _, ev := range logs.all() {
			if got := ev.fields["token_url"]; got != srv.URL+"/token?x=1" {
				t.Errorf("log token_url = %v, want %s/token?x=1", got, srv.URL)
			}
		}
	})

	// A configured secret is scrubbed wherever it appears, but the
	// endpoint's host and port, the status and the attempt count stay.
	const digitSecret = "1"
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }
	t.Run("network error", func(t *testing.T) {
		var calls atomic.Int32
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
		})
		req := ccRequest(srv.URL + "/token?x=1")
		req.ClientSecret = digitSecret
		_, err := newTestClient(t, Options{MaxRetries: 1}).Exchange(context.Background(), req)
		want := `oauthclient: token request to "` + srv.URL + `/token?x=[REDACTED]" failed after 2 attempt(s): `
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("err = %v, want prefix %q", err, want)
		}
	})
	t.Run("redirect to its own host", func(t *testing.T) {
		var srvURL string
		srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", srvURL+"/other")
			w.WriteHeader(http.StatusMovedPermanently)
		})
		srvURL = srv.URL
		req := ccRequest(srv.URL + "/token")
		req.ClientSecret = digitSecret
		_, err := newTestClient(t, Options{MaxRetries: -1}).Exchange(context.Background(), req)
		if want := `(status 301) to host "` + host(srv.URL) + `"`; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to contain %q", err, want)
		}
	})
}

// TestRedaction_keepsHost checks that server text naming the endpoint's
// host and port keeps them, while a short secret elsewhere is scrubbed.
func TestRedaction_keepsHost(t *testing.T) {
	var hostPort string
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"secret 1 refused by `+hostPort+`"}`)
	})
	hostPort = strings.TrimPrefix(srv.URL, "http://")
	req := ccRequest(srv.URL)
	req.ClientSecret = "1"
	_, err := newTestClient(t, Options{MaxRetries: -1}).Exchange(context.Background(), req)
	want := "oauthclient: token endpoint " + srv.URL + " refused the request (status 401): invalid_client: secret [REDACTED] refused by " + hostPort
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
