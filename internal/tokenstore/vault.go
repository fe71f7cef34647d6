package tokenstore

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// VaultConfig configures the vault backend. Empty fields fall back to the
// Vault client's own environment variables, read by api.DefaultConfig and
// api.NewClient: VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT (and
// VAULT_CAPATH, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY, VAULT_SKIP_VERIFY).
type VaultConfig struct {
	// Address of the Vault or OpenBao server, e.g. "https://vault.example.com:8200".
	Address string
	// Token authenticates to the server; it needs create, read and update on
	// <Mount>/data/<PathPrefix>/* and delete on <Mount>/metadata/<PathPrefix>/*,
	// and, for List alone, list on <Mount>/metadata/<PathPrefix>/*:
	//
	//	path "<Mount>/data/<PathPrefix>/*" {
	//	  capabilities = ["create", "read", "update"]
	//	}
	//	path "<Mount>/metadata/<PathPrefix>/*" {
	//	  capabilities = ["delete", "list"]
	//	}
	Token string
	// Namespace is the Vault Enterprise or OpenBao namespace, if any.
	Namespace string
	// CACert is the path of a PEM file of CA certificates to verify the
	// server with.
	CACert string
	// Mount is where the KV version 2 engine is mounted; DefaultVaultMount
	// when empty.
	Mount string
	// PathPrefix is the folder of the entries inside the mount;
	// DefaultVaultPathPrefix when empty. Each entry is one secret,
	// <PathPrefix>/<Key in hexadecimal>.
	PathPrefix string
	// Key is the encryption key: 32 bytes in base64 or hexadecimal, or a
	// passphrase after PassphrasePrefix (see CheckKey), normally the value
	// of OAUTH2_TOKEN_STORE_KEY. Required: entries are encrypted before
	// Vault sees them, so that a reader of the secret who is not a user of
	// the store learns nothing. A passphrase's salt is kept in the secret
	// <PathPrefix>/kdf.
	Key string
	// Timeout bounds each request to the server; DefaultTimeout when zero.
	Timeout time.Duration
	// LockTimeout bounds how long Update waits for another process's lease
	// on the entry; DefaultLockTimeout when zero.
	LockTimeout time.Duration
	// LockTTL is how long a lease taken by Update lasts before others may
	// take it over, for when its holder died; DefaultVaultLockTTL when zero.
	// While Update's function runs, the lease is renewed every third of it,
	// so a token request may take longer (retries and Retry-After waits
	// included); only a holder that stopped renewing, because it died or
	// lost the server for a whole LockTTL, is taken over.
	LockTTL time.Duration
}

// Defaults of the vault backend.
const (
	// DefaultVaultMount is where Vault and OpenBao mount a KV version 2
	// engine in development mode and in most installations.
	DefaultVaultMount = "secret"
	// DefaultVaultPathPrefix keeps the entries in a folder of their own.
	DefaultVaultPathPrefix = "oauth2/tokens"
	// DefaultVaultLockTTL lets others take over a minute after a holder
	// died; a live holder renews its lease every 20 seconds, however long
	// its token request takes.
	DefaultVaultLockTTL = time.Minute
)

// Fields of the KV secret that holds one entry. The lease fields are in
// clear: they name a random process identifier and a time, nothing secret.
const (
	vaultFieldEntry       = "entry"
	vaultFieldLockOwner   = "lock_owner"
	vaultFieldLockExpires = "lock_expires"
	// vaultFieldKDF holds the kdfRecord (JSON) in the secret vaultKDFName.
	vaultFieldKDF = "kdf"
)

// vaultKDFName is the secret, beside the entries, that keeps a passphrase's
// salt. Entries are named by 64 hexadecimal digits, so it is never one; the
// token's policy on <PathPrefix>/* already covers it.
const vaultKDFName = "kdf"

// vaultMaxConflicts bounds how often Update starts over after losing a
// check-and-set race at its final write, which happens only when its lease
// expired and another process took it over.
const vaultMaxConflicts = 5

type vaultStore struct {
	kv          *vault.KVv2
	logical     *vault.Logical // for List, which KVv2 lacks
	mount       string
	prefix      string
	sealer      *sealer
	timeout     time.Duration
	lockTimeout time.Duration
	lockTTL     time.Duration
}

// vaultState is the content of an entry's secret.
type vaultState struct {
	sealed  []byte // nil when no entry is stored yet
	owner   string // lease holder, empty when none
	expires time.Time
}

// NewVault opens the vault backend: one KV version 2 secret per entry,
// written with check-and-set (options.cas) so that no write replaces a
// version its writer did not read.
//
// Check-and-set alone would let two processes read the same refresh token
// and both present it, and the server would answer the second with
// invalid_grant. So Update first takes a lease, written into the secret
// with check-and-set, and others wait until it is released or expires;
// only then does it run its function. If the final write still loses a race
// (the lease expired and was taken over), Update re-reads and runs the
// function again with the winner's entry.
//
// No Vault or OpenBao server can be run in this project's tests; this backend
// is tested with the real client against the fake KV v2 server in package
// kvv2test.
//
// A passphrase key needs the salt kept in the store, so with one NewVault
// reads (or creates) it, within the timeout; Open passes its context.
func NewVault(cfg VaultConfig) (Store, error) {
	return newVault(context.Background(), cfg)
}

func newVault(ctx context.Context, cfg VaultConfig) (Store, error) {
	if cfg.Key == "" {
		return nil, fmt.Errorf("tokenstore: the vault token store needs an encryption key: generate one with \"openssl rand -base64 32\" and set it in %s on every machine that shares the store", KeyEnv)
	}
	spec, err := parseKeySpec(cfg.Key)
	if err != nil {
		return nil, err
	}
	s := &vaultStore{
		mount:       strings.Trim(cfg.Mount, "/"),
		prefix:      strings.Trim(cfg.PathPrefix, "/"),
		timeout:     cfg.Timeout,
		lockTimeout: cfg.LockTimeout,
		lockTTL:     cfg.LockTTL,
	}
	if s.mount == "" {
		s.mount = DefaultVaultMount
	}
	if s.prefix == "" {
		s.prefix = DefaultVaultPathPrefix
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.lockTTL <= 0 {
		s.lockTTL = DefaultVaultLockTTL
	}

	vc := vault.DefaultConfig() // reads VAULT_ADDR, VAULT_CACERT, …
	if vc.Error != nil {
		return nil, fmt.Errorf("tokenstore: vault token store: reading the VAULT_* environment: %w", vc.Error)
	}
	if cfg.Address != "" {
		vc.Address = cfg.Address
	}
	// The client repeats its address in every error (and the whole of it
	// when it does not parse), so credentials in it would leak: refuse them
	// without quoting the address.
	switch u, err := url.Parse(vc.Address); {
	case err != nil:
		return nil, errors.New("tokenstore: vault token store: the address (or VAULT_ADDR) is not a valid URL such as https://vault.example.com:8200")
	case u.User != nil:
		return nil, errors.New("tokenstore: vault token store: the address (or VAULT_ADDR) must not contain user information; authenticate with the token")
	}
	vc.Timeout = s.timeout
	if cfg.CACert != "" {
		if err := vc.ConfigureTLS(&vault.TLSConfig{CACert: cfg.CACert}); err != nil {
			return nil, fmt.Errorf("tokenstore: vault token store: CA certificate %q: %w", cfg.CACert, err)
		}
	}
	client, err := vault.NewClient(vc) // reads VAULT_TOKEN, VAULT_NAMESPACE
	if err != nil {
		return nil, fmt.Errorf("tokenstore: vault token store: %w", err)
	}
	if cfg.Token != "" {
		client.SetToken(cfg.Token)
	}
	if cfg.Namespace != "" {
		client.SetNamespace(cfg.Namespace)
	}
	if client.Token() == "" {
		return nil, errors.New("tokenstore: the vault token store needs a Vault token: set it in the configuration or in VAULT_TOKEN")
	}
	s.kv = client.KVv2(s.mount)
	s.logical = client.Logical()
	key, _, err := spec.resolve(func() (*kdfRecord, error) { return s.salt(ctx) })
	if err != nil {
		return nil, err
	}
	if s.sealer, err = newSealer(key); err != nil {
		return nil, err
	}
	return s, nil
}

// salt returns the passphrase salt kept in the secret vaultKDFName,
// creating it with check-and-set 0 (create only) when absent; of processes
// starting together, the first write wins and every process reads it.
func (s *vaultStore) salt(ctx context.Context) (*kdfRecord, error) {
	path := s.prefix + "/" + vaultKDFName
	where := fmt.Sprintf("the secret %q in the vault mount %q", path, s.mount)
	for range 3 {
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		sec, err := s.kv.Get(rctx, path)
		cancel()
		if err == nil && sec.Data != nil {
			v, _ := sec.Data[vaultFieldKDF].(string)
			var rec kdfRecord
			if err := json.Unmarshal([]byte(v), &rec); err != nil {
				return nil, fmt.Errorf("%w: the passphrase salt in %s is not readable", ErrCorrupt, where)
			}
			return &rec, rec.check(where)
		}
		if err != nil && !errors.Is(err, vault.ErrSecretNotFound) {
			return nil, fmt.Errorf("tokenstore: reading the passphrase salt in %s: %w", where, err)
		}
		version := 0
		if sec != nil && sec.VersionMetadata != nil {
			version = sec.VersionMetadata.Version // soft-deleted: write over it
		}
		rec, err := newKDFRecord()
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("tokenstore: encoding the passphrase salt: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, s.timeout)
		_, err = s.kv.Put(wctx, path, map[string]any{vaultFieldKDF: string(b)}, vault.WithCheckAndSet(version))
		cancel()
		if err == nil {
			return rec, nil
		}
		if !isCASConflict(err) {
			return nil, fmt.Errorf("tokenstore: writing the passphrase salt in %s: %w", where, err)
		}
		// Another process created it first: read theirs.
	}
	return nil, fmt.Errorf("tokenstore: the passphrase salt in %s kept changing", where)
}

func (s *vaultStore) path(key Key) string { return s.prefix + "/" + key.String() }

func (s *vaultStore) where(key Key) string {
	return fmt.Sprintf("the token store secret %q in the vault mount %q", s.path(key), s.mount)
}

func (s *vaultStore) remedy(key Key) string {
	return fmt.Sprintf("delete it (vault kv metadata delete -mount=%s %s)", s.mount, s.path(key))
}

// read returns the entry's secret and its current version; version 0 means
// no secret, which is also what check-and-set expects to create one.
func (s *vaultStore) read(ctx context.Context, key Key) (vaultState, int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var st vaultState
	sec, err := s.kv.Get(ctx, s.path(key))
	if errors.Is(err, vault.ErrSecretNotFound) {
		return st, 0, nil
	}
	if err != nil {
		return st, 0, fmt.Errorf("tokenstore: reading %s: %w", s.where(key), err)
	}
	version := 0
	if sec.VersionMetadata != nil {
		version = sec.VersionMetadata.Version
	}
	// Data is nil when the latest version was soft-deleted: no entry, but
	// check-and-set must still name that version.
	if sec.Data == nil {
		return st, version, nil
	}
	if v, ok := sec.Data[vaultFieldEntry].(string); ok && v != "" {
		if st.sealed, err = base64.StdEncoding.DecodeString(v); err != nil {
			return st, version, decryptError(fmt.Errorf("%w (entry is not base64)", ErrCorrupt), s.where(key), s.remedy(key))
		}
	}
	st.owner, _ = sec.Data[vaultFieldLockOwner].(string)
	if v, ok := sec.Data[vaultFieldLockExpires].(string); ok {
		st.expires, _ = time.Parse(time.RFC3339Nano, v)
	}
	return st, version, nil
}

// put writes st with check-and-set on version and returns the new version;
// conflict reports that the secret's version was no longer version.
func (s *vaultStore) put(ctx context.Context, key Key, st vaultState, version int) (newVersion int, conflict bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	data := map[string]any{}
	if st.sealed != nil {
		data[vaultFieldEntry] = base64.StdEncoding.EncodeToString(st.sealed)
	}
	if st.owner != "" {
		data[vaultFieldLockOwner] = st.owner
		data[vaultFieldLockExpires] = st.expires.UTC().Format(time.RFC3339Nano)
	}
	sec, err := s.kv.Put(ctx, s.path(key), data, vault.WithCheckAndSet(version))
	if isCASConflict(err) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("tokenstore: writing %s: %w", s.where(key), err)
	}
	if sec.VersionMetadata == nil {
		return 0, false, fmt.Errorf("tokenstore: writing %s: the server answered without the new version", s.where(key))
	}
	return sec.VersionMetadata.Version, false, nil
}

// isCASConflict recognizes the KV v2 answer to a stale options.cas: HTTP 400
// with this message, the same in Vault and OpenBao.
func isCASConflict(err error) bool {
	var re *vault.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 {
		return false
	}
	for _, m := range re.Errors {
		if strings.Contains(m, "check-and-set parameter did not match the current version") {
			return true
		}
	}
	return false
}

// Update implements Store.
func (s *vaultStore) Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error) {
	owner, err := leaseOwner()
	if err != nil {
		return nil, err
	}
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	for conflicts := 0; ; conflicts++ {
		st, version, err := s.acquire(ctx, lctx, key, owner)
		if err != nil {
			return nil, err
		}
		var current *Entry
		if st.sealed != nil {
			if current, err = s.sealer.open(key, st.sealed); err != nil {
				s.release(ctx, key, st, version)
				return nil, decryptError(err, s.where(key), s.remedy(key))
			}
		}
		keeper := s.keepLease(ctx, key, st, version)
		saved, sealed, err := decide(ctx, s.sealer, key, current, fn)
		version = keeper.finish()
		if err != nil {
			s.release(ctx, key, st, version)
			return nil, err
		}
		if saved == nil {
			s.release(ctx, key, st, version)
			return current, nil
		}
		// fn may have retired the stored refresh token, so the write must
		// happen even when the caller gives up now (Ctrl-C after the server
		// answered): put bounds it by the timeout instead.
		_, conflict, err := s.put(context.WithoutCancel(ctx), key, vaultState{sealed: sealed}, version)
		if err != nil {
			return nil, err
		}
		if !conflict {
			return saved, nil
		}
		// Our lease expired and another process wrote meanwhile: what fn
		// produced cannot be saved, so start over from the winner's entry.
		if conflicts >= vaultMaxConflicts {
			return nil, fmt.Errorf("tokenstore: %s kept changing under check-and-set; raise the lock TTL above the time a token request takes", s.where(key))
		}
	}
}

// acquire takes the entry's lease: it waits while another live owner holds
// it, then writes the lease with check-and-set, starting over whenever
// another writer got there first. It returns the secret as it stands under
// the lease and that version.
func (s *vaultStore) acquire(ctx, lctx context.Context, key Key, owner string) (vaultState, int, error) {
	wait := 50 * time.Millisecond
	for {
		st, version, err := s.read(ctx, key)
		if err != nil {
			return st, 0, err
		}
		now := timeNow()
		if st.owner != "" && st.owner != owner && now.Before(st.expires) {
			t := time.NewTimer(wait/2 + rand.N(wait))
			select {
			case <-t.C:
			case <-lctx.Done():
				t.Stop()
				return st, 0, waitError(lctx, s.where(key))
			}
			wait = min(2*wait, time.Second)
			continue
		}
		st.owner, st.expires = owner, now.Add(s.lockTTL)
		newVersion, conflict, err := s.put(ctx, key, st, version)
		if err != nil {
			return st, 0, err
		}
		if !conflict {
			return st, newVersion, nil
		}
		if err := lctx.Err(); err != nil {
			return st, 0, waitError(lctx, s.where(key))
		}
	}
}

// leaseKeeper renews an Update's lease while the caller's function runs,
// so that a token request longer than the lease (retries, Retry-After)
// is not taken over by another process.
type leaseKeeper struct {
	s       *vaultStore
	key     Key
	st      vaultState
	version int // written by run, read by finish after run ended
	stop    chan struct{}
	done    chan struct{}
}

// keepLease starts renewing the lease that acquire wrote as version.
func (s *vaultStore) keepLease(ctx context.Context, key Key, st vaultState, version int) *leaseKeeper {
	k := &leaseKeeper{s: s, key: key, st: st, version: version, stop: make(chan struct{}), done: make(chan struct{})}
	go k.run(context.WithoutCancel(ctx))
	return k
}

// run writes the lease again, with check-and-set, every third of its
// length. A failed renewal is tried again at the next tick, while the
// lease still has two thirds to run. A check-and-set conflict means that
// the lease was taken over after all; renewing stops, and the final write
// of Update meets the same conflict and starts over.
func (k *leaseKeeper) run(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(max(k.s.lockTTL/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		st := k.st
		st.expires = timeNow().Add(k.s.lockTTL)
		v, conflict, err := k.s.put(ctx, k.key, st, k.version)
		switch {
		case conflict:
			return
		case err == nil:
			k.version = v
		}
	}
}

// finish stops renewing and returns the version the next write must name.
func (k *leaseKeeper) finish() int {
	close(k.stop)
	<-k.done
	return k.version
}

// release gives the lease back, leaving the entry as it was, so that the
// next process need not wait for the lease to expire. It is best effort:
// on failure the lease simply expires.
func (s *vaultStore) release(ctx context.Context, key Key, st vaultState, version int) {
	_, _, _ = s.put(context.WithoutCancel(ctx), key, vaultState{sealed: st.sealed}, version)
}

func leaseOwner() (string, error) {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return "", fmt.Errorf("tokenstore: generating a lease owner: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Get implements Store. It ignores leases: it returns the last saved entry,
// and a caller that finds it stale goes through Update, which waits.
func (s *vaultStore) Get(ctx context.Context, key Key) (*Entry, error) {
	st, _, err := s.read(ctx, key)
	if err != nil || st.sealed == nil {
		return nil, err
	}
	e, err := s.sealer.open(key, st.sealed)
	if err != nil {
		return nil, decryptError(err, s.where(key), s.remedy(key))
	}
	return e, nil
}

// List implements Store: a KV v2 LIST of <Mount>/metadata/<PathPrefix>,
// then a read of each entry's secret, ignoring leases as Get does. Secrets
// that hold no entry (a lease alone, a soft-deleted version, or gone since
// the LIST), the passphrase salt's secret and sub-folders are left out.
func (s *vaultStore) List(ctx context.Context) ([]Listed, error) {
	folder := s.mount + "/metadata/" + s.prefix
	lctx, cancel := context.WithTimeout(ctx, s.timeout)
	sec, err := s.logical.ListWithContext(lctx, folder)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("tokenstore: listing the token store secrets in %q of the vault mount %q (the token needs the list capability on %s/*): %w", s.prefix, s.mount, folder, err)
	}
	if sec == nil || sec.Data == nil {
		return nil, nil // Vault answers 404 for an empty folder
	}
	names, _ := sec.Data["keys"].([]any)
	var out []Listed
	for _, n := range names {
		name, _ := n.(string)
		key, ok := parseKeyName(name)
		if !ok {
			continue
		}
		st, _, err := s.read(ctx, key)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		l := Listed{Key: key, Err: err}
		if err == nil {
			if st.sealed == nil {
				continue
			}
			if l.Entry, err = s.sealer.open(key, st.sealed); err != nil {
				l.Entry, l.Err = nil, decryptError(err, s.where(key), s.remedy(key))
			}
		}
		out = append(out, l)
	}
	return sortListed(out), nil
}

// Delete implements Store. It removes the metadata and so every version:
// a soft delete would leave old (encrypted, retired) tokens recoverable.
func (s *vaultStore) Delete(ctx context.Context, key Key) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.kv.DeleteMetadata(ctx, s.path(key)); err != nil {
		return fmt.Errorf("tokenstore: deleting %s: %w", s.where(key), err)
	}
	return nil
}

// Close implements Store; the Vault client holds only idle HTTP connections.
func (s *vaultStore) Close() error { return nil }
