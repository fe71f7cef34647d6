package tokenstore

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// KeyEnv is the environment variable that conventionally holds the store's
// encryption key: either 32 random bytes in standard or URL-safe base64
// (padded or not) or in hexadecimal, as printed by "openssl rand -base64 32",
// or a passphrase marked with [PassphrasePrefix]. The package never reads it
// itself; callers pass its value in the backend's configuration so that a
// provider attribute can take precedence.
const KeyEnv = "OAUTH2_TOKEN_STORE_KEY"

// PassphrasePrefix marks a configured key as a passphrase rather than 32 raw
// bytes: "passphrase:correct horse battery staple". The store's key is then
// derived from it with Argon2id (RFC 9106) and a random salt that the store
// keeps beside its entries (see [Open]), so that a guess costs the attacker
// the same memory-hard work for every store. Without the prefix, a key that
// is not 32 bytes in base64 or hexadecimal is refused rather than treated as
// a passphrase: a mistyped raw key must not silently become a weak one.
const PassphrasePrefix = "passphrase:"

// MinPassphraseLength is the fewest characters a passphrase may have. Argon2id
// slows each guess down but cannot save a short one.
const MinPassphraseLength = 12

// Argon2id parameters: RFC 9106 §4's second recommended option (t=3 passes,
// 64 MiB of memory, 4 lanes), meant for machines that cannot spare 2 GiB. A
// derivation takes a fraction of a second, once per opened store.
const (
	kdfAlgorithm = "argon2id"
	kdfTime      = 3
	kdfMemoryKiB = 64 * 1024
	kdfThreads   = 4
	kdfSaltSize  = 16
)

// kdfRecord is what a store opened with a passphrase keeps beside its
// entries: the salt and the parameters the key was derived with, so that
// every process sharing the store derives the same key. Only the parameter
// set above is accepted, so an altered record cannot make a process derive
// a cheaper key (or exhaust its memory); a future set would come with a new
// algorithm name.
type kdfRecord struct {
	Algorithm string `json:"algorithm"`
	Version   int    `json:"version"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt"`
}

// newKDFRecord draws a fresh salt for a store that has none yet.
func newKDFRecord() (*kdfRecord, error) {
	r := &kdfRecord{Algorithm: kdfAlgorithm, Version: argon2.Version, Time: kdfTime, MemoryKiB: kdfMemoryKiB, Threads: kdfThreads, Salt: make([]byte, kdfSaltSize)}
	if _, err := rand.Read(r.Salt); err != nil {
		return nil, fmt.Errorf("tokenstore: generating a salt: %w", err)
	}
	return r, nil
}

// check refuses a record this package did not write; where names it.
func (r *kdfRecord) check(where string) error {
	if r.Algorithm != kdfAlgorithm || r.Version != argon2.Version || r.Time != kdfTime || r.MemoryKiB != kdfMemoryKiB ||
		r.Threads != kdfThreads || len(r.Salt) != kdfSaltSize {
		return fmt.Errorf("%w: the passphrase salt of %s has parameters this version does not use; it was altered or written by a newer version", ErrCorrupt, where)
	}
	return nil
}

func (r *kdfRecord) equal(o *kdfRecord) bool {
	return o != nil && r.Algorithm == o.Algorithm && r.Version == o.Version && r.Time == o.Time &&
		r.MemoryKiB == o.MemoryKiB && r.Threads == o.Threads && bytes.Equal(r.Salt, o.Salt)
}

// keySpec is a configured key: raw bytes, or a passphrase still to be
// stretched with the store's salt.
type keySpec struct {
	raw        [32]byte
	passphrase string // empty for a raw key
}

// parseKeySpec reads a configured key in either form. Its errors never
// repeat the input, which is secret.
func parseKeySpec(s string) (keySpec, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, PassphrasePrefix); ok {
		p := strings.TrimSpace(rest)
		if n := utf8.RuneCountInString(p); n < MinPassphraseLength {
			return keySpec{}, fmt.Errorf("tokenstore: the token store passphrase has %d characters, fewer than %d: choose a longer one, or a random key from \"openssl rand -base64 32\"", n, MinPassphraseLength)
		}
		return keySpec{passphrase: p}, nil
	}
	raw, err := parseRawKey(s)
	return keySpec{raw: raw}, err
}

// resolve returns the AES-256 key: the raw key, or the passphrase stretched
// with Argon2id and the store's salt. salt is called only for a passphrase;
// it returns the store's record, creating it when the store has none.
func (k keySpec) resolve(salt func() (*kdfRecord, error)) ([32]byte, *kdfRecord, error) {
	if k.passphrase == "" {
		return k.raw, nil, nil
	}
	rec, err := salt()
	if err != nil {
		return [32]byte{}, nil, err
	}
	var key [32]byte
	copy(key[:], argon2.IDKey([]byte(k.passphrase), rec.Salt, rec.Time, rec.MemoryKiB, rec.Threads, uint32(len(key))))
	return key, rec, nil
}

// ParseKey decodes a raw 32-byte AES-256 key written in base64 or
// hexadecimal. Surrounding white space is ignored so that a key read from a
// file with a trailing newline works. It refuses degenerate keys (see
// [CheckKey]), and passphrases, whose key depends on the salt of the store
// they open: [NewFile], [NewPostgres] and [NewVault] accept those. The error
// never repeats the input, which is secret.
func ParseKey(s string) ([32]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, PassphrasePrefix) {
		return [32]byte{}, errors.New("tokenstore: a passphrase key is derived with the salt of the store it opens: pass it to the store's configuration, not to ParseKey")
	}
	return parseRawKey(s)
}

// CheckKey reports whether s is a key the stores accept, without opening
// one: 32 bytes in base64 or hexadecimal that are not degenerate (all
// bytes equal, a pattern of up to 16 bytes repeated, or bytes counting up or
// down in equal steps, as in a key typed by hand or read from /dev/zero), or
// a passphrase of at least [MinPassphraseLength] characters after
// [PassphrasePrefix]. An entropy test would refuse real keys (about 1 in
// 8,000 "openssl rand -base64 32" outputs is all letters), so only those
// patterns are, which random bytes show with a probability below 2^-120.
func CheckKey(s string) error {
	_, err := parseKeySpec(s)
	return err
}

func parseRawKey(s string) ([32]byte, error) {
	var key [32]byte
	if s == "" {
		return key, errors.New("tokenstore: the token store key is empty")
	}
	decoders := []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	}
	for _, decode := range decoders {
		b, err := decode(s)
		if err == nil && len(b) == len(key) {
			if why := degenerate(b); why != "" {
				return key, fmt.Errorf("tokenstore: the token store key is not random (%s): generate one with \"openssl rand -base64 32\" and set it in %s", why, KeyEnv)
			}
			copy(key[:], b)
			return key, nil
		}
	}
	return key, fmt.Errorf("tokenstore: the token store key is not 32 bytes in base64 or hexadecimal (it has %d characters): generate one with \"openssl rand -base64 32\" and set it in %s, or mark a passphrase with the %q prefix", len(s), KeyEnv, PassphrasePrefix)
}

// maxKeyPeriod is the longest pattern a key may not repeat: half its length,
// so that two equal halves are refused too.
const maxKeyPeriod = 16

// degenerate describes why b cannot be a random key, or returns "".
func degenerate(b []byte) string {
	for p := 1; p <= maxKeyPeriod && p < len(b); p++ {
		if periodic(b, p) {
			if p == 1 {
				return "all its bytes are equal"
			}
			return fmt.Sprintf("it repeats a pattern of %d bytes", p)
		}
	}
	// 00 01 02 … or ff fd fb …: the differences of the bytes are all equal.
	steps := make([]byte, len(b)-1)
	for i := range steps {
		steps[i] = b[i+1] - b[i]
	}
	if periodic(steps, 1) {
		return "its bytes count in equal steps"
	}
	return ""
}

// periodic reports whether b repeats its first p bytes throughout.
func periodic(b []byte, p int) bool {
	for i := p; i < len(b); i++ {
		if b[i] != b[i-p] {
			return false
		}
	}
	return true
}

// GenerateKey returns a new random key in standard base64, the form
// ParseKey reads and the file backend writes to its key file.
func GenerateKey() (string, error) {
	var key [32]byte
	for {
		if _, err := rand.Read(key[:]); err != nil {
			return "", fmt.Errorf("tokenstore: generating a token store key: %w", err)
		}
		// Never in practice, but a generated key must pass ParseKey.
		if degenerate(key[:]) == "" {
			return base64.StdEncoding.EncodeToString(key[:]), nil
		}
	}
}

// deriveKey returns HMAC-SHA256(store key, purpose): a key for another use
// of the store's secret, kept apart from the encryption by the purpose
// string. It works whatever form the configured key has; a passphrase's key
// exists only once the store has read its salt.
func deriveKey(key [32]byte, purpose string) [32]byte {
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(purpose))
	var out [32]byte
	mac.Sum(out[:0])
	return out
}
