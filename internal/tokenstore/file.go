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
	"time"
)

// FileConfig configures the file backend.
type FileConfig struct {
	// Path is the store file. Its directory is created (0700) when missing.
	// Beside it live "<Path>.lock", the lock file, which is never removed
	// because removing a lock file races with processes waiting on it, and
	// "<Path>.key" when Key is empty.
	Path string
	// Key is the encryption key in base64 or hexadecimal (see ParseKey),
	// normally the value of OAUTH2_TOKEN_STORE_KEY. When empty, the key is
	// read from "<Path>.key", which is generated (0600) the first time. That
	// protects the tokens no better than the file system does, but keeps
	// them out of backups and copies that take the store file alone.
	Key string
	// LockTimeout bounds how long Update, Get and Delete wait for another
	// process holding the lock; DefaultLockTimeout when zero.
	LockTimeout time.Duration
}

// fileStore keeps every entry of one store in a single JSON file, each entry
// sealed on its own so that entries written with different keys can live
// side by side and the file never holds a token in clear.
type fileStore struct {
	path, lockPath string
	sealer         *sealer
	lockTimeout    time.Duration
	// sem serializes writers of this process so that they queue on a channel
	// rather than poll the OS lock; other processes still meet the OS lock.
	sem chan struct{}
}

// fileData is the store file's content.
type fileData struct {
	Format int `json:"format"`
	// Entries maps a Key's hexadecimal form to its sealed entry (base64).
	Entries map[string][]byte `json:"entries"`
}

const fileFormat = 1

// NewFile opens the file backend: an encrypted file for one machine,
// locked with the OS file lock (flock on Unix, LockFileEx on Windows) and
// replaced atomically on every write (temporary file in the same directory,
// fsync, rename), so a crash leaves either the old or the new content.
func NewFile(cfg FileConfig) (Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("tokenstore: the file token store needs a path")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: token store path %q: %w", cfg.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("tokenstore: creating the directory of the token store file %q: %w", path, err)
	}
	s := &fileStore{
		path:        path,
		lockPath:    path + ".lock",
		lockTimeout: cfg.LockTimeout,
		sem:         make(chan struct{}, 1),
	}
	var key [32]byte
	if cfg.Key != "" {
		if key, err = ParseKey(cfg.Key); err != nil {
			return nil, err
		}
	} else if key, err = s.keyFromFile(path + ".key"); err != nil {
		return nil, err
	}
	if s.sealer, err = newSealer(key); err != nil {
		return nil, err
	}
	return s, nil
}

// keyFromFile reads the generated key, creating it under the exclusive lock
// so that processes starting together agree on one key.
func (s *fileStore) keyFromFile(keyPath string) ([32]byte, error) {
	var key [32]byte
	ctx, cancel := lockContext(context.Background(), s.lockTimeout)
	defer cancel()
	unlock, err := s.lock(ctx, true)
	if err != nil {
		return key, err
	}
	defer unlock()
	b, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		enc, err := GenerateKey()
		if err != nil {
			return key, err
		}
		if err := writeFileAtomic(keyPath, []byte(enc+"\n")); err != nil {
			return key, fmt.Errorf("tokenstore: writing the token store key file %q: %w", keyPath, err)
		}
		return ParseKey(enc)
	}
	if err != nil {
		return key, fmt.Errorf("tokenstore: reading the token store key file %q: %w", keyPath, err)
	}
	key, err = ParseKey(string(b))
	if err != nil {
		return key, fmt.Errorf("tokenstore: the token store key file %q does not hold a valid key: delete it and the token store file %q, which cannot be read without it, to start over", keyPath, s.path)
	}
	return key, nil
}

func (s *fileStore) where() string { return fmt.Sprintf("the token store file %q", s.path) }

// Update implements Store.
func (s *fileStore) Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error) {
	unlock, err := s.lockWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	data, err := s.read()
	if err != nil {
		return nil, err
	}
	current, err := s.entry(data, key)
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
	data.Entries[key.String()] = sealed
	if err := s.write(data); err != nil {
		return nil, err
	}
	return saved, nil
}

// Get implements Store. It takes the shared lock so that it waits for a
// refresh in progress and returns its result rather than the token that
// refresh is about to retire.
func (s *fileStore) Get(ctx context.Context, key Key) (*Entry, error) {
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	unlock, err := s.lock(lctx, false)
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

// Delete implements Store.
func (s *fileStore) Delete(ctx context.Context, key Key) error {
	unlock, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	data, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := data.Entries[key.String()]; !ok {
		return nil
	}
	delete(data.Entries, key.String())
	return s.write(data)
}

// Close implements Store; the file backend holds nothing open between calls.
func (s *fileStore) Close() error { return nil }

// lockWriter takes this process's writer slot, then the exclusive OS lock.
func (s *fileStore) lockWriter(ctx context.Context) (func(), error) {
	lctx, cancel := lockContext(ctx, s.lockTimeout)
	defer cancel()
	select {
	case s.sem <- struct{}{}:
	case <-lctx.Done():
		return nil, s.lockError(lctx)
	}
	unlock, err := s.lock(lctx, true)
	if err != nil {
		<-s.sem
		return nil, err
	}
	return func() { unlock(); <-s.sem }, nil
}

// lock takes the OS lock on the sidecar lock file. It polls with a
// non-blocking attempt because a blocking flock cannot be cancelled, and a
// plan must not hang on a lock a stuck process holds.
func (s *fileStore) lock(ctx context.Context, exclusive bool) (func(), error) {
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: opening the token store lock file %q: %w", s.lockPath, err)
	}
	wait := 2 * time.Millisecond
	for {
		ok, err := tryLockFile(f, exclusive)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("tokenstore: locking the token store lock file %q: %w", s.lockPath, err)
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
			return nil, s.lockError(ctx)
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

func (s *fileStore) lockError(lctx context.Context) error {
	return waitError(lctx, fmt.Sprintf("the token store lock file %q", s.lockPath))
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
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
