package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// FileConfig configures the file backend.
type FileConfig struct {
	// Path is the store file. Its directory is created (0700) when missing.
	// Beside it live "<Path>.lock", the lock of the file itself,
	// "<Path>.locks/", a directory (0700) of one lock file per entry, and
	// "<Path>.key" when Key is empty. Lock files are never removed, because
	// removing a lock file races with processes waiting on it.
	Path string
	// Key is the encryption key: 32 bytes in base64 or hexadecimal, or a
	// passphrase after PassphrasePrefix (see CheckKey), normally the value
	// of OAUTH2_TOKEN_STORE_KEY. When empty, the key is read from
	// "<Path>.key", which is generated (0600) the first time. That protects
	// the tokens no better than the file system does, but keeps them out of
	// backups and copies that take the store file alone. A passphrase's
	// salt is kept in the store file.
	Key string
	// LockTimeout bounds how long Update, Get and Delete wait for another
	// process holding a lock; DefaultLockTimeout when zero.
	LockTimeout time.Duration
}

// fileStore keeps every entry of one store in a single JSON file, each entry
// sealed on its own so that entries written with different keys can live
// side by side and the file never holds a token in clear.
//
// Two kinds of lock guard it. An entry's lock ("<path>.locks/<key>.lock")
// is held for a whole Update, the caller's function included, so that one
// refresh of an entry runs at a time across processes. The file's lock
// ("<path>.lock") is held only to read the file, or to re-read, change and
// replace it: never across the caller's function, so that Updates of
// different entries run side by side and a slow token endpoint delays only
// the Updates of its own entry.
type fileStore struct {
	path, lockPath, lockDir string
	sealer                  *sealer
	lockTimeout             time.Duration
	// kdf is the passphrase salt the key was derived with; nil for a raw
	// key. Every write checks that the file still holds it.
	kdf *kdfRecord

	// entries queue this process's Updates of one entry on a channel rather
	// than have them poll the OS lock; other processes still meet the OS
	// lock.
	entries entryLocks
}

// fileData is the store file's content.
type fileData struct {
	Format int `json:"format"`
	// KDF is the salt of a passphrase key (see PassphrasePrefix), absent
	// until a store is opened with one.
	KDF *kdfRecord `json:"kdf,omitempty"`
	// Entries maps a Key's hexadecimal form to its sealed entry (base64).
	Entries map[string][]byte `json:"entries"`
}

const fileFormat = 1

// NewFile opens the file backend: an encrypted file for one machine,
// locked with OS file locks (flock on Unix, LockFileEx on Windows) and
// replaced atomically on every write (temporary file in the same directory,
// fsync, rename), so a crash leaves either the old or the new content.
// Temporary files that a killed writer left behind are removed by the next
// write.
//
// Like ssh with ~/.ssh and a private key, it refuses a store directory that
// users other than the owner may write (mode bits 0022), and a store file or
// key file that they may read or write (0077), naming the path and the
// chmod that fixes it. New directories are created 0700 and files 0600.
// On Windows, whose permissions are ACLs that mode bits do not describe,
// nothing is checked: the files inherit the ACL of their directory, which
// for DefaultFilePath is in the user's profile.
func NewFile(cfg FileConfig) (Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("tokenstore: the file token store needs a path")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: token store path %q: %w", cfg.Path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tokenstore: creating the directory of the token store file %q: %w", path, err)
	}
	if err := checkPrivate(dir, "token store directory", true); err != nil {
		return nil, err
	}
	if err := checkPrivate(path, "token store file", false); err != nil {
		return nil, err
	}
	s := &fileStore{
		path:        path,
		lockPath:    path + ".lock",
		lockDir:     path + ".locks",
		lockTimeout: cfg.LockTimeout,
	}
	if err := os.Mkdir(s.lockDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("tokenstore: creating the token store lock directory %q: %w", s.lockDir, err)
	}
	var spec keySpec
	if cfg.Key != "" {
		if spec, err = parseKeySpec(cfg.Key); err != nil {
			return nil, err
		}
	} else if spec, err = s.keyFromFile(path + ".key"); err != nil {
		return nil, err
	}
	key, kdf, err := spec.resolve(s.salt)
	if err != nil {
		return nil, err
	}
	s.kdf = kdf
	if s.sealer, err = newSealer(key); err != nil {
		return nil, err
	}
	return s, nil
}

// checkPrivate refuses path when other users may change it or, for a file,
// read it, as ssh does with ~/.ssh (StrictModes) and a private key file:
// a directory that others can write lets them swap the key or store file,
// and a file that others can read hands them the key, or the salt and
// ciphertexts to guess a passphrase against. A missing path passes. See
// NewFile for what Windows checks.
func checkPrivate(path, what string, dir bool) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tokenstore: checking the %s %q: %w", what, path, err)
	}
	perm, forbidden, may := fi.Mode().Perm(), fs.FileMode(0o077), "read or written"
	if dir {
		forbidden, may = 0o022, "written"
	}
	if perm&forbidden == 0 {
		return nil
	}
	return fmt.Errorf("tokenstore: the %s %q may be %s by other users (mode %04o): restrict it with \"chmod %04o %s\"",
		what, path, may, perm, perm&^forbidden, path)
}

// keyFromFile reads the generated key, creating it under the file's lock
// so that processes starting together agree on one key.
func (s *fileStore) keyFromFile(keyPath string) (keySpec, error) {
	ctx, cancel := lockContext(context.Background(), s.lockTimeout)
	defer cancel()
	unlock, err := s.lockFile(ctx, true)
	if err != nil {
		return keySpec{}, err
	}
	defer unlock()
	if err := checkPrivate(keyPath, "token store key file", false); err != nil {
		return keySpec{}, err
	}
	b, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		enc, err := GenerateKey()
		if err != nil {
			return keySpec{}, err
		}
		if err := writeFileAtomic(keyPath, []byte(enc+"\n")); err != nil {
			return keySpec{}, fmt.Errorf("tokenstore: writing the token store key file %q: %w", keyPath, err)
		}
		return parseKeySpec(enc)
	}
	if err != nil {
		return keySpec{}, fmt.Errorf("tokenstore: reading the token store key file %q: %w", keyPath, err)
	}
	spec, err := parseKeySpec(string(b))
	if err != nil {
		return keySpec{}, fmt.Errorf("tokenstore: the token store key file %q does not hold a valid key (%w); delete it and the token store file %q, which cannot be read without it, to start over", keyPath, err, s.path)
	}
	return spec, nil
}

// salt returns the passphrase salt kept in the store file, writing a new
// one under the file's lock when there is none, so that processes opening
// a new store together agree on one.
func (s *fileStore) salt() (*kdfRecord, error) {
	ctx, cancel := lockContext(context.Background(), s.lockTimeout)
	defer cancel()
	var rec *kdfRecord
	err := s.modify(ctx, func(data *fileData) (bool, error) {
		if data.KDF != nil {
			rec = data.KDF
			return false, rec.check(s.where())
		}
		var err error
		rec, err = newKDFRecord()
		data.KDF = rec
		return err == nil, err
	})
	return rec, err
}

func (s *fileStore) where() string { return fmt.Sprintf("the token store file %q", s.path) }

// Update implements Store. It holds the entry's lock while fn runs, and the
// file's lock only to read the entry and then to write the result into the
// file as it is at that moment, so that entries other processes saved
// meanwhile are kept.
func (s *fileStore) Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error) {
	unlock, err := s.lockEntry(ctx, key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	current, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	saved, sealed, err := decide(ctx, s.sealer, key, current, fn)
	if err != nil {
		return nil, err
	}
	if saved == nil {
		return current, nil
	}
	// The token fn obtained may have retired the stored refresh token, so
	// the write must happen even when the caller gives up now (Ctrl-C after
	// the server answered): it waits for the file's lock on a context that
	// the caller's cancellation does not reach, bounded by the lock timeout.
	wctx, cancel := lockContext(context.WithoutCancel(ctx), s.lockTimeout)
	defer cancel()
	err = s.modify(wctx, func(data *fileData) (bool, error) {
		data.Entries[key.String()] = sealed
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// Get implements Store. Like the other backends, it returns the last saved
// entry without waiting for an Update of it in progress; a caller that
// finds it stale goes through Update, which waits.
func (s *fileStore) Get(ctx context.Context, key Key) (*Entry, error) {
	return s.get(ctx, key)
}

func (s *fileStore) get(ctx context.Context, key Key) (*Entry, error) {
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	// Rename replaces the file atomically on Unix, but Windows refuses to
	// rename over a file that is open, so readers take the lock too.
	unlock, err := s.lockFile(lctx, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	data, err := s.read()
	if err != nil {
		return nil, err
	}
	return s.entry(data, key)
}

// List implements Store. It reads the file under its shared lock, as Get
// does, and decrypts each entry.
func (s *fileStore) List(ctx context.Context) ([]Listed, error) {
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	unlock, err := s.lockFile(lctx, false)
	if err != nil {
		return nil, err
	}
	data, err := s.read()
	unlock()
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(data.Entries))
	for name, b := range data.Entries {
		key, ok := parseKeyName(name)
		if !ok {
			continue
		}
		l := Listed{Key: key}
		if l.Entry, err = s.sealer.open(key, b); err != nil {
			l.Entry, l.Err = nil, decryptError(err, fmt.Sprintf("the entry %s in %s", key, s.where()), "delete that entry")
		}
		out = append(out, l)
	}
	return sortListed(out), nil
}

// Delete implements Store. It waits for an Update of the entry to finish.
func (s *fileStore) Delete(ctx context.Context, key Key) error {
	unlock, err := s.lockEntry(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	return s.modify(lctx, func(data *fileData) (bool, error) {
		if _, ok := data.Entries[key.String()]; !ok {
			return false, nil
		}
		delete(data.Entries, key.String())
		return true, nil
	})
}

// Close implements Store; the file backend holds nothing open between calls.
func (s *fileStore) Close() error { return nil }

// modify re-reads the file under its exclusive lock, lets change edit it,
// and writes it back when change reports a change. Holding that lock, it
// also removes the temporary files of writers that were killed before
// their rename: every writer creates its temporary file under the lock, so
// any found now is abandoned.
func (s *fileStore) modify(ctx context.Context, change func(*fileData) (bool, error)) error {
	unlock, err := s.lockFile(ctx, true)
	if err != nil {
		return err
	}
	defer unlock()
	s.removeStaleTemps()
	data, err := s.read()
	if err != nil {
		return err
	}
	changed, err := change(data)
	if err != nil || !changed {
		return err
	}
	if s.kdf != nil {
		// Entries sealed with a passphrase's key are readable only with
		// its salt: keep it in the file, and refuse to write beside a
		// different one (the file was deleted and recreated meanwhile).
		switch {
		case data.KDF == nil:
			data.KDF = s.kdf
		case !s.kdf.equal(data.KDF):
			return fmt.Errorf("tokenstore: the passphrase salt in %s changed after the store was opened (the file was replaced): open the store again", s.where())
		}
	}
	return s.write(data)
}

// removeStaleTemps removes what writeFileAtomic leaves when its process is
// killed between creating the temporary file and renaming it: the store
// file's and the key file's. Failures are ignored; the next write retries.
func (s *fileStore) removeStaleTemps() {
	dir, base := filepath.Dir(s.path), filepath.Base(s.path)
	names, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range names {
		if isTempOf(e.Name(), base) || isTempOf(e.Name(), base+".key") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// isTempOf reports whether name is a temporary file of writeFileAtomic for
// the file named base: the pattern's prefix followed by CreateTemp's digits.
func isTempOf(name, base string) bool {
	prefix, _, _ := strings.Cut(tempPattern(base), "*")
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// tempPattern is the os.CreateTemp pattern of writeFileAtomic for a file
// named base; CreateTemp replaces the "*" with digits.
func tempPattern(base string) string { return "." + base + ".tmp-*" }

// lockEntry takes this process's slot for key, then the entry's exclusive
// OS lock, waiting at most the lock timeout.
func (s *fileStore) lockEntry(ctx context.Context, key Key) (func(), error) {
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	lockPath := filepath.Join(s.lockDir, key.String()+".lock")
	release, err := s.entries.lock(lctx, key, fmt.Sprintf("the token store lock file %q", lockPath))
	if err != nil {
		return nil, err
	}
	unlock, err := lockPathFile(lctx, lockPath, true)
	if err != nil {
		release()
		return nil, err
	}
	return func() {
		unlock()
		release()
	}, nil
}

// lockFile takes the OS lock of the store file itself.
func (s *fileStore) lockFile(ctx context.Context, exclusive bool) (func(), error) {
	return lockPathFile(ctx, s.lockPath, exclusive)
}

// lockPathFile takes the OS lock on the lock file at path, creating it
// (0600). It polls with a non-blocking attempt because a blocking flock
// cannot be cancelled, and a plan must not hang on a lock a stuck process
// holds. A context already done fails at once, even when the lock is free.
func lockPathFile(ctx context.Context, path string, exclusive bool) (func(), error) {
	if ctx.Err() != nil {
		return nil, waitError(ctx, fmt.Sprintf("the token store lock file %q", path))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: opening the token store lock file %q: %w", path, err)
	}
	wait := 2 * time.Millisecond
	for {
		ok, err := tryLockFile(f, exclusive)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("tokenstore: locking the token store lock file %q: %w", path, err)
		}
		if ok {
			return func() {
				_ = unlockFile(f)
				f.Close()
			}, nil
		}
		// Jitter keeps waiting processes from retrying in lockstep.
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, waitError(ctx, fmt.Sprintf("the token store lock file %q", path))
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// read loads the store file; a missing file is an empty store.
func (s *fileStore) read() (*fileData, error) {
	data := &fileData{Format: fileFormat, Entries: map[string][]byte{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return data, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenstore: reading %s: %w", s.where(), err)
	}
	if err := json.Unmarshal(b, data); err != nil || data.Format != fileFormat {
		cause := ErrCorrupt
		if err == nil {
			cause = fmt.Errorf("%w (unknown format %d)", ErrCorrupt, data.Format)
		}
		return nil, decryptError(cause, s.where(), "delete the file")
	}
	if data.Entries == nil {
		data.Entries = map[string][]byte{}
	}
	return data, nil
}

func (s *fileStore) entry(data *fileData, key Key) (*Entry, error) {
	b, ok := data.Entries[key.String()]
	if !ok {
		return nil, nil
	}
	e, err := s.sealer.open(key, b)
	if err != nil {
		return nil, decryptError(err, s.where(), "delete the file")
	}
	return e, nil
}

func (s *fileStore) write(data *fileData) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("tokenstore: encoding %s: %w", s.where(), err)
	}
	if err := writeFileAtomic(s.path, b); err != nil {
		return fmt.Errorf("tokenstore: writing %s: %w", s.where(), err)
	}
	return nil
}

// writeFileAtomic replaces path with b so that readers and a crash see
// either the old or the new content: write a temporary file in the same
// directory (rename is atomic only within one file system), fsync it, rename
// it over path, and fsync the directory so the rename itself is durable.
func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; Chmod states the intent and covers
	// platforms whose default differs.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}
