package tokenstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestKeyFor(t *testing.T) {
	a := KeyFor("ab", "c")
	if b := KeyFor("a", "bc"); a == b {
		t.Error("KeyFor(\"ab\", \"c\") equals KeyFor(\"a\", \"bc\"): parts must be delimited")
	}
	if a != KeyFor("ab", "c") {
		t.Error("KeyFor is not deterministic")
	}
	if KeyFor() == KeyFor("") {
		t.Error("KeyFor() equals KeyFor(\"\")")
	}
	if got := a.String(); len(got) != 64 || strings.ToLower(got) != got {
		t.Errorf("String() = %q, want 64 lower-case hex digits", got)
	}
}

func TestEntryFormatRedacts(t *testing.T) {
	e := Entry{AccessToken: "secret-at", RefreshToken: "secret-rt", IDToken: "secret-id", TokenType: "Bearer", Scope: "api", Revision: 3,
		Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{e, &e} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, "secret-") {
				t.Errorf("Sprintf(%q, %T) = %q leaks a token", verb, v, got)
			}
			if !strings.Contains(got, "revision: 3") || !strings.Contains(got, "2030-01-01T00:00:00Z") {
				t.Errorf("Sprintf(%q, %T) = %q lacks revision or expiry", verb, v, got)
			}
		}
	}
	// The labels are not secrets: they are shown, so that a listing can
	// tell entries apart.
	e.Kind, e.Label, e.TokenURLHost, e.ClientID, e.Grant = KindChain, "ci", "auth.example.com:8443", "app", "refresh_token"
	got := fmt.Sprint(e)
	for _, want := range []string{`kind: "chain"`, `label: "ci"`, `token_url_host: "auth.example.com:8443"`, `client_id: "app"`, `grant: "refresh_token"`} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q lacks %s", got, want)
		}
	}
	if strings.Contains(got, "secret-") {
		t.Errorf("String() = %q leaks a token", got)
	}
}

func TestEntryValidFor(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	buffer := 5 * time.Minute
	tests := []struct {
		name string
		e    *Entry
		want bool
	}{
		{"nil", nil, false},
		{"no access token", &Entry{RefreshToken: "r"}, false},
		{"unknown expiry", &Entry{AccessToken: "a"}, true},
		{"buffer + 1ns", &Entry{AccessToken: "a", Expiry: now.Add(buffer + 1)}, true},
		{"exactly buffer", &Entry{AccessToken: "a", Expiry: now.Add(buffer)}, false},
		{"buffer - 1ns", &Entry{AccessToken: "a", Expiry: now.Add(buffer - 1)}, false},
	}
	for _, tt := range tests {
		if got := tt.e.ValidFor(now, buffer); got != tt.want {
			t.Errorf("%s: ValidFor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	raw := []byte(sha256Sum("a fixed test key"))
	for name, s := range map[string]string{
		"hex":        hex.EncodeToString(raw),
		"HEX":        strings.ToUpper(hex.EncodeToString(raw)),
		"std":        base64.StdEncoding.EncodeToString(raw),
		"raw std":    base64.RawStdEncoding.EncodeToString(raw),
		"url":        base64.URLEncoding.EncodeToString(raw),
		"raw url":    base64.RawURLEncoding.EncodeToString(raw),
		"newline":    base64.StdEncoding.EncodeToString(raw) + "\n",
		"whitespace": "  " + hex.EncodeToString(raw) + " \t",
	} {
		k, err := ParseKey(s)
		if err != nil {
			t.Errorf("%s: ParseKey: %v", name, err)
			continue
		}
		if string(k[:]) != string(raw) {
			t.Errorf("%s: ParseKey decoded the wrong bytes", name)
		}
	}
	for name, s := range map[string]string{
		"empty":    "",
		"short":    base64.StdEncoding.EncodeToString(raw[:16]),
		"long":     hex.EncodeToString(append(append([]byte(nil), raw...), 1)),
		"password": "correct-horse-battery-staple-secret",
	} {
		_, err := ParseKey(s)
		if err == nil {
			t.Errorf("%s: ParseKey accepted it", name)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q repeats the key", name, err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if a == b {
		t.Error("two generated keys are equal")
	}
	if _, err := ParseKey(a); err != nil {
		t.Errorf("ParseKey(GenerateKey()): %v", err)
	}
}

func newTestSealer(t *testing.T) *sealer {
	t.Helper()
	k, err := ParseKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealer(t *testing.T) {
	s := newTestSealer(t)
	key := KeyFor("entry")
	e := &Entry{AccessToken: "at", RefreshToken: "rt", Revision: 2}
	a, err := s.seal(key, e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.seal(key, e)
	if string(a) == string(b) {
		t.Error("sealing twice gave the same bytes: the nonce must be random per write")
	}
	if strings.Contains(string(a), "rt") && strings.Contains(string(a), `"refresh_token"`) {
		t.Error("sealed bytes hold the entry in clear")
	}
	got, err := s.open(key, a)
	if err != nil || got.RefreshToken != "rt" || got.Revision != 2 {
		t.Fatalf("open = %v, %v", got, err)
	}

	t.Run("wrongKey", func(t *testing.T) {
		_, err := newTestSealer(t).open(key, a)
		if !errors.Is(err, ErrWrongKey) {
			t.Errorf("open with another key: %v, want ErrWrongKey", err)
		}
	})
	t.Run("otherEntry", func(t *testing.T) {
		// An entry moved under another key must not open: the key is
		// additional data.
		_, err := s.open(KeyFor("other"), a)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("open under another key: %v, want ErrCorrupt", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		for _, i := range []int{headerSize, headerSize + 12, len(a) - 1} {
			c := append([]byte(nil), a...)
			c[i] ^= 1
			if _, err := s.open(key, c); !errors.Is(err, ErrCorrupt) {
				t.Errorf("flipped byte %d: %v, want ErrCorrupt", i, err)
			}
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 1, minSealedLen - 1} {
			if _, err := s.open(key, a[:n]); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%d bytes: %v, want ErrCorrupt", n, err)
			}
		}
	})
	t.Run("version", func(t *testing.T) {
		c := append([]byte(nil), a...)
		c[0] = 9
		if _, err := s.open(key, c); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unknown version: %v, want ErrCorrupt", err)
		}
	})
}

func TestDecryptErrorMessages(t *testing.T) {
	err := decryptError(ErrWrongKey, `the token store file "/x/tokens.json"`, "delete the file")
	want := `tokenstore: the token store file "/x/tokens.json" could not be decrypted with the configured key: set OAUTH2_TOKEN_STORE_KEY to the key it was written with, or delete the file to start over`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want prefix %q", err, want)
	}
	if !errors.Is(err, ErrWrongKey) {
		t.Error("error does not wrap ErrWrongKey")
	}
	err = decryptError(fmt.Errorf("%w (x)", ErrCorrupt), "the thing", "delete it")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "the thing is corrupt and cannot be read: delete it to start over") {
		t.Errorf("got %q", err)
	}
}

func sha256Sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return string(h[:])
}
