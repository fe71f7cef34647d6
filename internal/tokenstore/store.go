package tokenstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Entry is the token state kept for one token request: the last successful
// access token response (RFC 6749 §5.1) and the refresh token to present next.
//
// Entry formats itself with every token redacted, so that logging one by
// mistake ("%v", "%+v", "%#v") leaks nothing.
type Entry struct {
	// AccessToken is the access token to present to the resource server.
	AccessToken string `json:"access_token,omitempty"`
	// TokenType is the token type as the server sent it ("Bearer").
	TokenType string `json:"token_type,omitempty"`
	// RefreshToken is the refresh token to present next (RFC 6749 §6); after
	// a rotation, the new one.
	RefreshToken string `json:"refresh_token,omitempty"`
	// IDToken is the OpenID Connect ID token, when the server sent one.
	IDToken string `json:"id_token,omitempty"`
	// Scope is the granted scope as the server sent it.
	Scope string `json:"scope,omitempty"`
	// IssuedTokenType is the type a token exchange reported (RFC 8693
	// §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	// Expiry is when the access token expires; zero when the server announced
	// no lifetime.
	Expiry time.Time `json:"expiry,omitzero"`
	// UpdatedAt is set by the store when it saves the entry.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Revision is set by the store when it saves the entry: one more than the
	// revision it replaced, starting at 1. It lets a caller tell which of two
	// entries is newer, and tests follow a refresh chain with it.
	Revision uint64 `json:"revision,omitempty"`

	// ObtainedAt is when the server issued the access token. It bounds the
	// reuse of a token whose lifetime the server did not announce.
	ObtainedAt time.Time `json:"obtained_at,omitzero"`
	// Chain, when set, names the entry (a Key in hexadecimal) that holds the
	// refresh chain this entry stands for, instead of holding one itself.
	Chain string `json:"chain,omitempty"`
	// InFlightRevision and InFlightSince, on a marker entry, record a refresh
	// that was sent to the server while its chain entry was at that revision,
	// and whose answer has not been saved yet. A marker left behind means the
	// process was stopped mid-refresh, and the server may have retired the
	// refresh token the chain still holds.
	InFlightRevision uint64    `json:"in_flight_revision,omitempty"`
	InFlightSince    time.Time `json:"in_flight_since,omitzero"`

	// DeviceCode and DeviceInterval, on a pending device authorization
	// entry, are the device code a connection polls with and the polling
	// interval in seconds (RFC 8628 §3.2); Expiry is the code's.
	DeviceCode     string `json:"device_code,omitempty"`
	DeviceInterval int64  `json:"device_interval,omitempty"`

	// The labels below say what the entry is for, so that a listing of the
	// store (see [Store.List]) can tell entries apart, whose names are
	// hashes. None of them is a secret, and String shows them; they are
	// encrypted with the rest of the entry all the same.

	// Label is the writer's description of the entry: the label of the
	// connection, or the kind of block ("oauth2_access_token").
	Label string `json:"label,omitempty"`
	// TokenURLHost is the host (and port, if any) of the token endpoint,
	// never its path or query.
	TokenURLHost string `json:"token_url_host,omitempty"`
	// ClientID is the client identifier of the token request.
	ClientID string `json:"client_id,omitempty"`
	// Grant is the grant type of the token request ("refresh_token").
	Grant string `json:"grant,omitempty"`
	// Kind is which entry of a token request this is: one of the Kind
	// constants, such as KindChain.
	Kind string `json:"kind,omitempty"`
}

// Kinds of entry, for Entry.Kind.
const (
	// KindAccess is the access token of one whole token request, without
	// a refresh token.
	KindAccess = "access"
	// KindChain holds a refresh chain: the newest refresh token and the
	// access token that came with it.
	KindChain = "chain"
	// KindConnection is a connection's entry that links (Entry.Chain) to
	// the chain of its configured refresh token.
	KindConnection = "connection"
	// KindInFlight records a refresh sent to the server and not yet saved
	// (Entry.InFlightRevision and InFlightSince).
	KindInFlight = "in-flight"
	// KindDevice is a connection's pending device authorization
	// (Entry.DeviceCode and DeviceInterval).
	KindDevice = "device"
)

// String describes the entry without any token, so that an entry that ends
// up in a log or an error message reveals nothing.
func (e Entry) String() string {
	exp := "unknown"
	if !e.Expiry.IsZero() {
		exp = e.Expiry.UTC().Format(time.RFC3339)
	}
	var labels strings.Builder
	for _, l := range []struct{ name, value string }{
		{"kind", e.Kind}, {"label", e.Label}, {"token_url_host", e.TokenURLHost}, {"client_id", e.ClientID}, {"grant", e.Grant},
	} {
		if l.value != "" {
			fmt.Fprintf(&labels, ", %s: %q", l.name, l.value)
		}
	}
	return fmt.Sprintf("tokenstore.Entry{revision: %d%s, token_type: %q, scope: %q, expiry: %s, access_token: %s, refresh_token: %s, id_token: %s, device_code: %s}",
		e.Revision, labels.String(), e.TokenType, e.Scope, exp, redacted(e.AccessToken), redacted(e.RefreshToken), redacted(e.IDToken), redacted(e.DeviceCode))
}

// GoString keeps "%#v" as redacted as "%v".
func (e Entry) GoString() string { return e.String() }

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "redacted"
}

// ValidFor reports whether the access token is still valid for longer than d
// at time now. A token without a known expiry counts as valid, as in
// oauthclient: a missing expires_in means "unknown", not "expired".
func (e *Entry) ValidFor(now time.Time, d time.Duration) bool {
	if e == nil || e.AccessToken == "" {
		return false
	}
	if e.Expiry.IsZero() {
		return true
	}
	return e.Expiry.Sub(now) > d
}

// Key names an entry: a SHA-256 hash of the identity of a token request.
// Stores use its hexadecimal form as the file map key, row key or secret
// name, so it must never be derived from a secret in a way that could be
// reversed or guessed; build it with [KeyFor] from identifiers only.
type Key [32]byte

// KeyFor hashes the parts that identify a token request (token URL, grant
// type, client ID, scopes, username, audience…) into a Key. Each part is
// length-prefixed so that ("ab", "c") and ("a", "bc") give different keys, and
// the hash is domain-separated so that the key equals no other hash of the
// same strings. Do not pass secrets (client secret, password, refresh token):
// the key is stored in clear and a hash of a weak secret can be guessed.
func KeyFor(parts ...string) Key {
	h := sha256.New()
	h.Write([]byte("oauth2-tf tokenstore key v1\x00"))
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var k Key
	h.Sum(k[:0])
	return k
}

// String returns the key in lower-case hexadecimal, as stores name entries.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// UpdateFunc decides what to store. It receives the entry as currently stored
// (nil when there is none) while the store holds the entry's lock, and
// returns the entry to save. Returning nil, or current itself, leaves the
// stored entry as it is. An error aborts the update and is returned by Update.
//
// A store may call it more than once in one Update (the vault backend does so
// when another writer won a check-and-set race), each time with the entry
// then current, so it must decide afresh from what it is given.
type UpdateFunc func(ctx context.Context, current *Entry) (*Entry, error)

// Store keeps token entries between processes. Implementations are safe for
// concurrent use by multiple goroutines, and Update is safe across processes
// and machines sharing the same backend.
type Store interface {
	// Update runs fn under the entry's lock (file lock, row lock or
	// check-and-set lease) and saves what it returns, stamping Revision and
	// UpdatedAt. It returns the entry now stored: the saved one, or current
	// when fn left it (nil when there is none). If saving fails, Update
	// returns the error, and the caller must not use a rotated refresh token
	// it could not persist, since the next run would present the old one.
	// The lock covers this entry alone: fn may Update other entries of the
	// store, not its own. Once fn returned an entry, it is saved even if ctx
	// is cancelled meanwhile (see the package documentation).
	Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error)
	// Get returns the stored entry, or nil and no error when there is none.
	// It does not wait for an Update of the entry in progress.
	Get(ctx context.Context, key Key) (*Entry, error)
	// Delete removes the entry; deleting an absent entry is not an error.
	// It does not need the encryption key, so it can clear an entry that
	// was written with a lost one.
	Delete(ctx context.Context, key Key) error
	// List returns the name and the entry of every entry the store holds,
	// in name order. An entry that does not decrypt with the store's key
	// (written with another key, or corrupt) is listed with Err set instead
	// of Entry, rather than failing the whole List, so that it can be
	// found and deleted. Like Get, it does not wait for an Update in
	// progress. What the store keeps beside the entries (a passphrase's
	// salt, a row or secret that only reserves a name for a lock) is not
	// listed.
	List(ctx context.Context) ([]Listed, error)
	// NameKey returns a key derived from the store's encryption key, for
	// HMACs that fold secrets into entry names (see [SecretName]): whoever
	// can list the store but lacks its key can neither recover a secret from
	// a name nor test a guess of one.
	NameKey() []byte
	// Close releases the store's connections and files.
	Close() error
}

// Listed is one entry of a store, as List returns it.
type Listed struct {
	// Key names the entry; Delete removes it.
	Key Key
	// Entry is the decrypted entry; nil when Err is set.
	Entry *Entry
	// Err says why the entry could not be read: it wraps ErrWrongKey for an
	// entry written with another key, ErrCorrupt for one that was altered.
	Err error
}

// parseKeyName reads an entry's name as stores write it (Key.String); ok is
// false for anything else a store keeps beside its entries.
func parseKeyName(name string) (k Key, ok bool) {
	if len(name) != hex.EncodedLen(len(k)) {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(name)); err != nil || k.String() != name {
		return k, false
	}
	return k, true
}

// sortListed puts a listing in name order.
func sortListed(l []Listed) []Listed {
	slices.SortFunc(l, func(a, b Listed) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return l
}

// ErrWrongKey is wrapped by errors for entries that were encrypted with a
// different key than the one configured.
var ErrWrongKey = errors.New("tokenstore: entry was encrypted with a different key")

// ErrCorrupt is wrapped by errors for stored data that cannot be read back:
// truncated, altered, or not written by this package.
var ErrCorrupt = errors.New("tokenstore: stored data is corrupt")

// ErrLockTimeout is wrapped by errors for an Update that gave up waiting for
// another process holding the entry's lock.
var ErrLockTimeout = errors.New("tokenstore: timed out waiting for the token store lock")

// Defaults shared by the backends.
const (
	// DefaultLockTimeout bounds how long Update waits for another process
	// that holds the entry's lock, when the context has no earlier deadline.
	// A holder is normally refreshing a token, which takes seconds, but one
	// refresh with all its retries and Retry-After waits may take about
	// 211 s (4 attempts of 30 s plus backoff), and a waiter must not give
	// up on a holder that is still working.
	DefaultLockTimeout = 4 * time.Minute
	// DefaultTimeout bounds each network request to Postgres or Vault.
	DefaultTimeout = 30 * time.Second
)

// timeNow is the store's clock; tests replace it.
var timeNow = time.Now

// stamp prepares next for saving over current: a store owns Revision and
// UpdatedAt, so a caller cannot move an entry backwards by accident.
func stamp(current, next *Entry) *Entry {
	saved := *next
	saved.Revision = 1
	if current != nil {
		saved.Revision = current.Revision + 1
	}
	saved.UpdatedAt = timeNow().UTC()
	return &saved
}

// unchanged reports whether fn's result leaves the stored entry as it is.
func unchanged(current, next *Entry) bool {
	return next == nil || next == current
}

// decide runs fn on the current entry under the backend's lock and, when fn
// returns a new entry, stamps and seals it for the backend to write. A nil
// saved means the stored entry stays as it is.
func decide(ctx context.Context, sl *sealer, key Key, current *Entry, fn UpdateFunc) (saved *Entry, sealed []byte, err error) {
	next, err := fn(ctx, current)
	if err != nil {
		return nil, nil, err
	}
	if unchanged(current, next) {
		return nil, nil, nil
	}
	saved = stamp(current, next)
	if sealed, err = sl.seal(key, saved); err != nil {
		return nil, nil, err
	}
	return saved, sealed, nil
}

// lockContext bounds how long an Update waits for a lock: timeout from now,
// or the caller's deadline when that comes first. Only the wait uses it; the
// caller's function runs under the caller's own context.
func lockContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

// waitError explains why waiting for the lock on what ended: the lock
// timeout (or the caller's deadline) passed, or the caller gave up.
func waitError(lctx context.Context, what string) error {
	if errors.Is(lctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w on %s: another process held it for longer than the lock timeout; if no other plan or apply is running, a stuck process holds it", ErrLockTimeout, what)
	}
	return fmt.Errorf("tokenstore: waiting for the lock on %s: %w", what, lctx.Err())
}
