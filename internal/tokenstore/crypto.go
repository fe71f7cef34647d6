package tokenstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

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
	key  [32]byte // for deriveKey
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
	s := &sealer{aead: aead, key: key}
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte("key id"))
	copy(s.id[:], mac.Sum(nil))
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
	if err := checkUTF8(e); err != nil {
		return nil, err
	}
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

// checkUTF8 refuses an entry with a text field that is not valid UTF-8:
// encoding/json would replace the bad bytes with U+FFFD, and the token read
// back would not be the one the server issued, so a rotated refresh token
// would be lost quietly. The error names the field, never its value. It
// walks the struct so that fields added to Entry are covered without a list
// to keep in step.
func checkUTF8(e *Entry) error {
	v := reflect.ValueOf(e).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.String || utf8.ValidString(f.String()) {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		return fmt.Errorf("tokenstore: the entry's %s is not valid UTF-8, so it cannot be stored as the server sent it", name)
	}
	return nil
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
