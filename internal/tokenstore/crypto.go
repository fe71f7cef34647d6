package tokenstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// KeyEnv is the environment variable that conventionally holds the store's
// encryption key: 32 random bytes in standard or URL-safe base64 (padded or
// not) or in hexadecimal, as printed by "openssl rand -base64 32". The
// package never reads it itself; callers pass its value in the backend's
// configuration so that a provider attribute can take precedence.
const KeyEnv = "OAUTH2_TOKEN_STORE_KEY"

// ParseKey decodes a 32-byte AES-256 key written in base64 or hexadecimal.
// Surrounding white space is ignored so that a key read from a file with a
// trailing newline works. The error never repeats the input, which is secret.
func ParseKey(s string) ([32]byte, error) {
	var key [32]byte
	s = strings.TrimSpace(s)
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
			copy(key[:], b)
			return key, nil
		}
	}
	return key, fmt.Errorf("tokenstore: the token store key is not 32 bytes in base64 or hexadecimal (it has %d characters): generate one with \"openssl rand -base64 32\" and set it in %s", len(s), KeyEnv)
}

// GenerateKey returns a new random key in standard base64, the form
// ParseKey reads and the file backend writes to its key file.
func GenerateKey() (string, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return "", fmt.Errorf("tokenstore: generating a token store key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key[:]), nil
}

// Sealed entry layout, version 1:
//
//	[0]      format version (1)
//	[1:5]    key identifier: the first 4 bytes of HMAC-SHA256(key, "key id")
//	[5:17]   random 96-bit GCM nonce
//	[17:]    AES-256-GCM ciphertext of the entry's JSON, with its tag
//
// The additional data binds the ciphertext to the format, the key identifier
// and the entry's Key, so an entry copied under another key fails to open.
// The key identifier tells "written with another key" apart from "altered";
// it reveals nothing useful, being a keyed hash of a random key.
const (
	sealVersion  = 1
	keyIDSize    = 4
	headerSize   = 1 + keyIDSize
	aadDomain    = "oauth2-tf tokenstore entry v1\x00"
	minSealedLen = headerSize + 12 + 16
)

type sealer struct {
	aead cipher.AEAD
	id   [keyIDSize]byte
	// names keys entry-name HMACs; see Store.NameKey.
	names []byte
}

func newSealer(key [32]byte) (*sealer, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("tokenstore: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: %w", err)
	}
	s := &sealer{aead: aead}
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte("key id"))
	copy(s.id[:], mac.Sum(nil))
	s.names = deriveNameKey(key)
	return s, nil
}

func (s *sealer) aad(header []byte, k Key) []byte {
	a := make([]byte, 0, len(aadDomain)+len(header)+len(k))
	a = append(a, aadDomain...)
	a = append(a, header...)
	return append(a, k[:]...)
}

// seal encrypts e for the entry named k with a fresh random nonce.
func (s *sealer) seal(k Key, e *Entry) ([]byte, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: encoding entry: %w", err)
	}
	out := make([]byte, headerSize, minSealedLen+len(plain))
	out[0] = sealVersion
	copy(out[1:headerSize], s.id[:])
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("tokenstore: generating a nonce: %w", err)
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plain, s.aad(out[:headerSize], k)), nil
}

// open decrypts what seal wrote for the entry named k. Its errors wrap
// ErrWrongKey or ErrCorrupt and carry no stored bytes; backends add where
// the entry lives and what to do.
func (s *sealer) open(k Key, b []byte) (*Entry, error) {
	if len(b) < minSealedLen {
		return nil, fmt.Errorf("%w (%d bytes is too short)", ErrCorrupt, len(b))
	}
	if b[0] != sealVersion {
		return nil, fmt.Errorf("%w (unknown format version %d)", ErrCorrupt, b[0])
	}
	if !hmac.Equal(b[1:headerSize], s.id[:]) {
		return nil, ErrWrongKey
	}
	nonce := b[headerSize : headerSize+s.aead.NonceSize()]
	plain, err := s.aead.Open(nil, nonce, b[headerSize+len(nonce):], s.aad(b[:headerSize], k))
	if err != nil {
		// The key matches, so the bytes were altered or belong to another entry.
		return nil, fmt.Errorf("%w (authentication failed)", ErrCorrupt)
	}
	var e Entry
	if err := json.Unmarshal(plain, &e); err != nil {
		return nil, fmt.Errorf("%w (undecodable entry)", ErrCorrupt)
	}
	return &e, nil
}

// decryptError explains a failure to open a stored entry: what could not be
// read (where), and how to recover by deleting it (remedy).
func decryptError(err error, where, remedy string) error {
	if errors.Is(err, ErrWrongKey) {
		return fmt.Errorf("tokenstore: %s could not be decrypted with the configured key: set %s to the key it was written with, or %s to start over: %w",
			where, KeyEnv, remedy, ErrWrongKey)
	}
	return fmt.Errorf("tokenstore: %s is corrupt and cannot be read: %s to start over: %w", where, remedy, err)
}
