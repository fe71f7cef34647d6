package oauthclient

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
)

// maxCacheEntries bounds the token cache; stale entries go first.
const maxCacheEntries = 1024

// cacheKey is the SHA-256 of every field of a Request. Secrets take part in
// the hash, so a changed secret never reuses a token, but only the hash is
// kept.
type cacheKey [sha256.Size]byte

// keyScratch is reused between key computations so that a cache hit does
// not allocate.
type keyScratch struct {
	buf  []byte
	keys []string
}

func newKeyScratch() *keyScratch { return &keyScratch{buf: make([]byte, 0, 512)} }

var keyScratchPool = sync.Pool{New: func() any { return newKeyScratch() }}

// requestKey hashes r. Each field is length-prefixed so that no two
// different requests share an encoding; extra parameters are sorted.
func requestKey(r *Request) cacheKey {
	s, ok := keyScratchPool.Get().(*keyScratch)
	if !ok {
		s = newKeyScratch()
	}
	b := append(s.buf[:0], "oauthclient/v1"...)
	b = appendField(b, r.TokenURL)
	b = appendField(b, r.TenantID)
	b = appendField(b, string(r.GrantType))
	b = appendField(b, string(r.AuthStyle))
	b = appendField(b, string(r.Encoding))
	b = appendField(b, r.ClientID)
	b = appendField(b, r.ClientSecret)
	b = binary.AppendUvarint(b, uint64(len(r.Scopes)))
	for _, sc := range r.Scopes {
		b = appendField(b, sc)
	}
	b = appendField(b, r.ScopeDelimiter)
	b = appendField(b, r.Scope)
	b = appendField(b, r.Username)
	b = appendField(b, r.Password)
	b = appendField(b, r.RefreshToken)
	b = appendField(b, r.Code)
	b = appendField(b, r.RedirectURI)
	b = appendField(b, r.CodeVerifier)
	b = appendField(b, r.DeviceCode)
	// Keys and certificates by their public identity; ready assertions and
	// subject tokens as they are (a new one is a new request).
	if r.ClientKey != nil {
		b = appendField(b, r.ClientKey.thumbprint+r.ClientKey.keyID+r.ClientKey.x5tS256+string(r.ClientKey.alg))
	} else {
		b = appendField(b, "")
	}
	b = appendField(b, r.ClientAssertion)
	b = appendField(b, r.ClientAssertionAudience)
	if r.ClientCertificate != nil {
		ck := certificateKey(r.ClientCertificate)
		b = appendField(b, string(ck[:]))
	} else {
		b = appendField(b, "")
	}
	b = appendField(b, r.Assertion)
	if r.AssertionKey != nil {
		b = appendField(b, r.AssertionKey.thumbprint+r.AssertionKey.keyID+r.AssertionKey.x5tS256+string(r.AssertionKey.alg))
	} else {
		b = appendField(b, "")
	}
	c := r.AssertionClaims
	b = appendField(b, c.Issuer)
	b = appendField(b, c.Subject)
	b = appendField(b, c.Audience)
	b = binary.AppendUvarint(b, uint64(c.Lifetime))
	b = appendStringMap(b, c.Extra)
	for _, f := range []string{r.SubjectToken, r.SubjectTokenType, r.ActorToken, r.ActorTokenType, r.RequestedTokenType} {
		b = appendField(b, f)
	}
	for _, list := range [][]string{r.Audiences, r.Resources} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, v := range list {
			b = appendField(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.ExtraParams)))
	if len(r.ExtraParams) > 0 {
		keys := s.keys[:0]
		for k := range r.ExtraParams {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendField(b, k)
			b = appendField(b, r.ExtraParams[k])
		}
		clear(keys)
		s.keys = keys[:0]
	}
	sum := sha256.Sum256(b)
	clear(b) // do not leave secrets in pooled memory
	s.buf = b[:0]
	keyScratchPool.Put(s)
	return sum
}

// appendStringMap appends m in key order.
func appendStringMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendField(b, k)
		b = appendField(b, m[k])
	}
	return b
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// tokenCache maps request hashes to the last token obtained for them.
type tokenCache struct {
	mu sync.RWMutex
	m  map[cacheKey]*Token
}

func (c *tokenCache) get(k cacheKey) *Token {
	c.mu.RLock()
	t := c.m[k]
	c.mu.RUnlock()
	return t
}

func (c *tokenCache) put(k cacheKey, t *Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[cacheKey]*Token)
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCacheEntries {
		now := timeNow()
		for key, old := range c.m {
			if !old.ValidFor(now, 0) {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < maxCacheEntries {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = t
}
