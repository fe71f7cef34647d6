package tokenstore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestParseKey_degenerate(t *testing.T) {
	seq := func(f func(i int) byte) []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = f(i)
		}
		return b
	}
	half := []byte(sha256Sum("half")[:16])
	for name, b := range map[string][]byte{
		"zeros":          make([]byte, 32),
		"all 0xff":       seq(func(int) byte { return 0xff }),
		"period 2":       seq(func(i int) byte { return "ab"[i%2] }),
		"period 4":       seq(func(i int) byte { return "k3y!"[i%4] }),
		"period 8":       seq(func(i int) byte { return byte(0x01 + 0x22*(i%8)) }),
		"equal halves":   append(append([]byte(nil), half...), half...),
		"counting up":    seq(func(i int) byte { return byte(i) }),
		"counting down":  seq(func(i int) byte { return byte(0xff - 2*i) }),
		"counting by 7s": seq(func(i int) byte { return byte(i * 7) }),
	} {
		for form, s := range map[string]string{"hex": hex.EncodeToString(b), "base64": base64.StdEncoding.EncodeToString(b)} {
			_, err := ParseKey(s)
			if err == nil || !strings.Contains(err.Error(), "is not random") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
				t.Errorf("%s in %s: ParseKey = %v; want a refusal saying how to generate a key", name, form, err)
			}
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("%s in %s: error repeats the key", name, form)
			}
			if CheckKey(s) == nil {
				t.Errorf("%s in %s: CheckKey accepted it", name, form)
			}
		}
	}
	// Only patterns are refused, not keys that merely look unusual: an
	// entropy test would refuse about 1 in 8,000 real keys.
	for name, s := range map[string]string{
		"all letters":      "AllLettersOnlyKeyWithoutAnyDigitsOrSymbolsQ=",
		"one byte differs": hex.EncodeToString(append(make([]byte, 31), 1)),
		"period 17":        hex.EncodeToString([]byte(sha256Sum("p17")[:17] + sha256Sum("p17")[:15])),
	} {
		if _, err := ParseKey(s); err != nil {
			t.Errorf("%s: ParseKey: %v", name, err)
		}
	}
}

func TestCheckKey_passphrase(t *testing.T) {
	if err := CheckKey("passphrase: correct horse battery staple"); err != nil {
		t.Errorf("CheckKey of a marked passphrase: %v", err)
	}
	err := CheckKey("passphrase:tiny-secret")
	if err == nil || !strings.Contains(err.Error(), "fewer than 12") || strings.Contains(err.Error(), "tiny-secret") {
		t.Errorf("CheckKey of a short passphrase: %v", err)
	}
	// Unmarked, a passphrase is an undecodable raw key, and the error says
	// how to mark one.
	err = CheckKey("correct horse battery staple")
	if err == nil || !strings.Contains(err.Error(), `"passphrase:" prefix`) || strings.Contains(err.Error(), "horse") {
		t.Errorf("CheckKey of an unmarked passphrase: %v", err)
	}
	// ParseKey returns raw bytes and so cannot derive a passphrase's key.
	if _, err := ParseKey("passphrase: correct horse battery staple"); err == nil || strings.Contains(err.Error(), "horse") {
		t.Errorf("ParseKey of a passphrase: %v", err)
	}
}

// runKeyTests pins what every backend does with its key: a passphrase is
// stretched with a salt the store keeps, so every process opening the
// location derives the same key, and DeriveKey serves other uses of it.
func runKeyTests(t *testing.T, loc location) {
	const pass = "passphrase: correct horse battery staple"
	t.Run("passphrase", func(t *testing.T) {
		open := loc(t)
		// Processes opening a new store together agree on one salt.
		stores := make([]Store, 3)
		var wg sync.WaitGroup
		for i := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := open(pass)
				if err != nil {
					t.Errorf("opening with a passphrase: %v", err)
					return
				}
				t.Cleanup(func() { s.Close() })
				stores[i] = s
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		key := KeyFor("passphrase")
		put(t, stores[0], key, &Entry{AccessToken: "a"})
		for i, s := range stores {
			if got, err := s.Get(ctxT(t), key); err != nil || got == nil || got.AccessToken != "a" {
				t.Errorf("store %d: Get = %v, %v; all stores must derive one key", i, got, err)
			}
		}
		if !bytes.Equal(stores[0].NameKey(), stores[1].NameKey()) {
			t.Error("two stores opened with one passphrase derive different keys")
		}
		// Another passphrase derives another key from the same salt.
		other := mustOpen(t, open, "passphrase: another passphrase entirely")
		if _, err := other.Get(ctxT(t), key); !errors.Is(err, ErrWrongKey) {
			t.Errorf("Get with another passphrase: %v, want ErrWrongKey", err)
		}
		// A raw key opens the same location as before.
		raw := mustOpen(t, open, testKey(t))
		put(t, raw, KeyFor("raw"), &Entry{AccessToken: "r"})
		if got, err := raw.Get(ctxT(t), KeyFor("raw")); err != nil || got == nil {
			t.Errorf("Get with a raw key beside passphrase entries = %v, %v", got, err)
		}
	})

	t.Run("deriveKey", func(t *testing.T) {
		k := testKey(t)
		s := mustOpen(t, loc(t), k)
		raw, err := ParseKey(k)
		if err != nil {
			t.Fatal(err)
		}
		// HMAC-SHA256(key, domain), as earlier versions named entries, so
		// that their entries can be found and moved.
		want := deriveKey(raw, nameKeyDomain)
		if !bytes.Equal(s.NameKey(), want[:]) {
			t.Error("NameKey is not HMAC-SHA256 of the raw key and the entry-name domain")
		}
		if deriveKey(raw, "a") == deriveKey(raw, "b") {
			t.Error("deriveKey ignores the purpose")
		}
	})

	t.Run("degenerateKeyRefused", func(t *testing.T) {
		_, err := loc(t)(hex.EncodeToString(make([]byte, 32)))
		if err == nil || !strings.Contains(err.Error(), "is not random") {
			t.Errorf("opening with 64 hexadecimal zeros: %v", err)
		}
	})
}

// BenchmarkPassphraseKey measures what a passphrase costs each opening of
// a store: one Argon2id derivation with the parameters of RFC 9106 §4's
// second recommended option.
func BenchmarkPassphraseKey(b *testing.B) {
	spec, err := parseKeySpec("passphrase: correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	rec, err := newKDFRecord()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := spec.resolve(func() (*kdfRecord, error) { return rec, nil }); err != nil {
			b.Fatal(err)
		}
	}
}
