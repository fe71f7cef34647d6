package tokenstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// nameKeyDomain separates the entry-name key from every other use of a
// store's encryption key.
const nameKeyDomain = "oauth2-tf provider entry names v1"

// nameKey derives the key of entry-name HMACs from a store's key.
func (s *sealer) nameKey() []byte {
	k := deriveKey(s.key, nameKeyDomain)
	return k[:]
}

// SecretName folds secrets into one hexadecimal string that can take part in
// an entry's name ([KeyFor]) or be kept where others may read it: an HMAC of
// the length-prefixed secrets, keyed with nameKey (from [Store.NameKey]).
// Without that key nobody can recover a secret from it or test a guess.
func SecretName(nameKey []byte, secrets ...string) string {
	mac := hmac.New(sha256.New, nameKey)
	var n [8]byte
	for _, s := range secrets {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		mac.Write(n[:])
		mac.Write([]byte(s))
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// NameKey implements Store.
func (s *fileStore) NameKey() []byte { return s.sealer.nameKey() }

// NameKey implements Store.
func (s *pgStore) NameKey() []byte { return s.sealer.nameKey() }

// NameKey implements Store.
func (s *vaultStore) NameKey() []byte { return s.sealer.nameKey() }
