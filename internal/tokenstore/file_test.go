package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func fileBackend(t *testing.T) func(t *testing.T) Store {
	path := filepath.Join(t.TempDir(), "state", "tokens.json")
	key := testKey(t)
	return func(t *testing.T) Store {
		s, err := NewFile(FileConfig{Path: path, Key: key})
		if err != nil {
			t.Fatalf("NewFile: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestFile(t *testing.T) { runStoreTests(t, fileBackend) }

func TestFile_processContention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	key := testKey(t)
	s, err := NewFile(FileConfig{Path: path, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	testProcessContention(t, s, childJob{Backend: "file", Path: path, Key: key})
}

// TestFile_generatedKeyProcesses starts processes on a store without a key:
// they must agree on one generated key rather than each write its own.
func TestFile_generatedKeyProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	ts := newRotatingServer(t, 1)
	key := KeyFor(ts.URL, "refresh_token", "client")
	s, err := NewFile(FileConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, key, &Entry{RefreshToken: ts.Initial()})
	b, err := os.ReadFile(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	runProcesses(t, 4, childJob{Backend: "file", Path: path, TokenURL: ts.URL, Rounds: 2})
	ts.check(t, s, key, 8)
	if after, _ := os.ReadFile(path + ".key"); string(after) != string(b) {
		t.Error("the key file changed")
	}
}

func TestFile_generatedKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	var wg sync.WaitGroup
	stores := make([]Store, 8)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := NewFile(FileConfig{Path: path})
			if err != nil {
				t.Errorf("NewFile: %v", err)
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	key := KeyFor("k")
	put(t, stores[0], key, &Entry{AccessToken: "a"})
	for i, s := range stores {
		if got, err := s.Get(ctxT(t), key); err != nil || got == nil || got.AccessToken != "a" {
			t.Errorf("store %d: Get = %v, %v; all stores must share one generated key", i, got, err)
		}
	}
	b, err := os.ReadFile(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(string(b)); err != nil {
		t.Errorf("key file: %v", err)
	}
	checkMode(t, path+".key")
	checkMode(t, path)

	// A configured key takes precedence over the key file, so the entry
	// written with the generated key cannot be read.
	s, err := NewFile(FileConfig{Path: path, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctxT(t), key); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Get with another key: %v, want ErrWrongKey", err)
	}

	if err := os.WriteFile(path+".key", []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = NewFile(FileConfig{Path: path})
	if err == nil || !strings.Contains(err.Error(), "does not hold a valid key") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("NewFile with a bad key file: %v", err)
	}
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("%s: mode %o, want 600", filepath.Base(path), got)
	}
}

func TestFile_wrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	s, err := NewFile(FileConfig{Path: path, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	key := KeyFor("k")
	put(t, s, key, &Entry{AccessToken: "secret-access", RefreshToken: "secret-refresh"})
	checkMode(t, path)
	other, err := NewFile(FileConfig{Path: path, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := `tokenstore: the token store file "` + path + `" could not be decrypted with the configured key: set OAUTH2_TOKEN_STORE_KEY to the key it was written with, or delete the file to start over`
	_, err = other.Get(ctxT(t), key)
	if !errors.Is(err, ErrWrongKey) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Get: got %v, want %q", err, want)
	}
	called := false
	_, err = other.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) { called = true; return nil, nil })
	if !errors.Is(err, ErrWrongKey) || called {
		t.Errorf("Update: %v (function called: %v), want ErrWrongKey without calling it", err, called)
	}
	// Delete needs no key, so the documented way out works.
	if err := other.Delete(ctxT(t), key); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if got, err := s.Get(ctxT(t), key); err != nil || got != nil {
		t.Errorf("Get after Delete: %v, %v", got, err)
	}
}

func TestFile_noTokenInClear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	s, err := NewFile(FileConfig{Path: path, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "secret-access", RefreshToken: "secret-refresh", Scope: "secret-scope"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret-") {
		t.Errorf("store file holds a token in clear: %s", b)
	}
	// No temporary file is left behind by the atomic write.
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestFile_corrupt(t *testing.T) {
	key := KeyFor("k")
	for name, mutate := range map[string]func(t *testing.T, path string){
		"notJSON": func(t *testing.T, path string) {
			writeFile(t, path, []byte("{truncated"))
		},
		"unknownFormat": func(t *testing.T, path string) {
			writeFile(t, path, []byte(`{"format": 99, "entries": {}}`))
		},
		"alteredEntry": func(t *testing.T, path string) {
			var d fileData
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			d.Entries[key.String()][len(d.Entries[key.String()])-1] ^= 1
			b, _ = json.Marshal(d)
			writeFile(t, path, b)
		},
		"swappedEntry": func(t *testing.T, path string) {
			var d fileData
			b, _ := os.ReadFile(path)
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			d.Entries[key.String()] = d.Entries[KeyFor("other").String()]
			b, _ = json.Marshal(d)
			writeFile(t, path, b)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.json")
			s, err := NewFile(FileConfig{Path: path, Key: testKey(t)})
			if err != nil {
				t.Fatal(err)
			}
			put(t, s, key, &Entry{AccessToken: "a", RefreshToken: "secret-refresh"})
			put(t, s, KeyFor("other"), &Entry{AccessToken: "b"})
			mutate(t, path)
			_, err = s.Get(ctxT(t), key)
			want := `the token store file "` + path + `" is corrupt and cannot be read: delete the file to start over`
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
				t.Errorf("Get: got %v, want ErrCorrupt and %q", err, want)
			}
			_, err = s.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) { return &Entry{AccessToken: "x"}, nil })
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Update: got %v, want ErrCorrupt", err)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFile_lockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	key := testKey(t)
	holder, err := NewFile(FileConfig{Path: path, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	waiter, err := NewFile(FileConfig{Path: path, Key: key, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := holder.Update(ctxT(t), KeyFor("k"), func(context.Context, *Entry) (*Entry, error) {
			close(entered)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-entered
	start := time.Now()
	_, err = waiter.Update(ctxT(t), KeyFor("k"), func(context.Context, *Entry) (*Entry, error) {
		t.Error("function ran while another process held the lock")
		return nil, nil
	})
	if !errors.Is(err, ErrLockTimeout) || !strings.Contains(err.Error(), path+".lock") {
		t.Errorf("Update: got %v, want ErrLockTimeout naming the lock file", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v, want about 200ms", d)
	}
	// A cancelled caller stops waiting too, and says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := waiter.Get(ctx, KeyFor("k")); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := waiter.Update(ctxT(t), KeyFor("k"), func(context.Context, *Entry) (*Entry, error) { return nil, nil }); err != nil {
		t.Errorf("Update after release: %v", err)
	}
}

func TestNewFile_config(t *testing.T) {
	if _, err := NewFile(FileConfig{}); err == nil {
		t.Error("NewFile without a path succeeded")
	}
	_, err := NewFile(FileConfig{Path: filepath.Join(t.TempDir(), "t.json"), Key: "short-secret-value"})
	if err == nil || strings.Contains(err.Error(), "short-secret-value") {
		t.Errorf("NewFile with a bad key: %v", err)
	}
}
