package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func fileLocation(t *testing.T) keyedOpener {
	path := filepath.Join(t.TempDir(), "state", "tokens.json")
	return func(key string) (Store, error) { return NewFile(FileConfig{Path: path, Key: key}) }
}

func TestFile(t *testing.T) {
	runStoreTests(t, withKey(fileLocation))
	runKeyTests(t, fileLocation)
	runListTests(t, fileLocation, true)
}

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

// TestFile_entryLockAcrossProcesses: while another process's Update of one
// entry is still running its function, this process updates another entry
// of the same file, and neither write loses the other.
func TestFile_entryLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	key := testKey(t)
	job := childJob{Backend: "file", Path: path, Key: key, Mode: "hold",
		Entered: filepath.Join(dir, "entered"), Release: filepath.Join(dir, "release")}
	wait := startProcesses(t, 1, job)
	if err := waitForFile(ctxT(t), job.Entered); err != nil {
		t.Fatal(err)
	}
	s, err := NewFile(FileConfig{Path: path, Key: key, LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctxT(t), KeyFor("mine"), func(context.Context, *Entry) (*Entry, error) {
		return &Entry{AccessToken: "mine"}, nil
	}); err != nil {
		t.Errorf("Update of another entry while a process holds one: %v", err)
	}
	// The held entry still waits for its holder.
	waiter, err := NewFile(FileConfig{Path: path, Key: key, LockTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = waiter.Update(ctxT(t), KeyFor("held"), func(context.Context, *Entry) (*Entry, error) {
		t.Error("function ran while another process held the entry")
		return nil, nil
	})
	if !errors.Is(err, ErrLockTimeout) {
		t.Errorf("Update of the held entry: %v, want ErrLockTimeout", err)
	}
	writeFile(t, job.Release, nil)
	wait()
	for key, want := range map[Key]string{KeyFor("mine"): "mine", KeyFor("held"): "held"} {
		if got, err := s.Get(ctxT(t), key); err != nil || got == nil || got.AccessToken != want {
			t.Errorf("Get = %v, %v; want access token %q", got, err, want)
		}
	}
}

// TestFile_distinctEntriesAcrossProcesses: processes updating entries of
// their own at the same time all keep their writes, since each write
// re-reads the file under its lock.
func TestFile_distinctEntriesAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	key := testKey(t)
	const procs, rounds = 6, 5
	runProcesses(t, procs, childJob{Backend: "file", Path: path, Key: key, Mode: "distinct", Rounds: rounds})
	s, err := NewFile(FileConfig{Path: path, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for i := range procs {
		got, err := s.Get(ctxT(t), distinctKey(strconv.Itoa(i)))
		if err != nil || got == nil || got.Revision != rounds || got.AccessToken != fmt.Sprintf("round-%d", rounds-1) {
			t.Errorf("process %d's entry = %v, %v; want revision %d", i, got, err, rounds)
		}
	}
}

// TestFile_modes: like ssh, refuse a store directory that others may write
// and a store or key file that others may read; create private ones.
func TestFile_modes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows permissions are ACLs; NewFile checks no mode bits there")
	}
	t.Run("created", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "store")
		path := filepath.Join(dir, "tokens.json")
		s, err := NewFile(FileConfig{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
		for p, want := range map[string]os.FileMode{
			filepath.Dir(dir): 0o700, dir: 0o700, path + ".locks": 0o700,
			path: 0o600, path + ".key": 0o600, path + ".lock": 0o600,
			filepath.Join(path+".locks", KeyFor("k").String()+".lock"): 0o600,
		} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %04o, want %04o", p, got, want)
			}
		}
	})
	for _, tc := range []struct {
		name    string
		mode    os.FileMode
		target  func(path string) string
		refused bool
	}{
		{"world-writable directory", 0o777, filepath.Dir, true},
		{"group-writable directory", 0o770, filepath.Dir, true},
		{"readable directory", 0o755, filepath.Dir, false},
		{"readable key file", 0o644, func(p string) string { return p + ".key" }, true},
		{"group-readable key file", 0o640, func(p string) string { return p + ".key" }, true},
		{"readable store file", 0o644, func(p string) string { return p }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store", "tokens.json")
			s, err := NewFile(FileConfig{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
			target := tc.target(path)
			if err := os.Chmod(target, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err = NewFile(FileConfig{Path: path})
			if !tc.refused {
				if err != nil {
					t.Errorf("NewFile: %v", err)
				}
				return
			}
			fix := fmt.Sprintf(`chmod %04o %s`, tc.mode&^0o077, target)
			if strings.HasSuffix(tc.name, "directory") {
				fix = fmt.Sprintf(`chmod %04o %s`, tc.mode&^0o022, target)
			}
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q may be", target)) || !strings.Contains(err.Error(), fix) {
				t.Errorf("NewFile: %v; want a refusal naming %s and %q", err, target, fix)
			}
			if err := os.Chmod(target, tc.mode&^0o077); err != nil {
				t.Fatal(err)
			}
			if _, err := NewFile(FileConfig{Path: path}); err != nil {
				t.Errorf("NewFile after the fix: %v", err)
			}
		})
	}
}

// TestFile_staleTemps: a writer killed between creating its temporary file
// and renaming it leaves the file behind; the next write removes it, and
// nothing else.
func TestFile_staleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	s, err := NewFile(FileConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	stale := []string{".tokens.json.tmp-123456", ".tokens.json.key.tmp-42"}
	kept := []string{".tokens.json.tmp-notdigits", ".other.json.tmp-1", "tokens.json.tmp-1"}
	for _, name := range append(append([]string(nil), stale...), kept...) {
		writeFile(t, filepath.Join(dir, name), []byte("partial"))
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s: %v, want it removed", name, err)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s, not a temporary file of the store: %v", name, err)
		}
	}
}

// TestFile_passphraseSalt: the salt lives in the store file; an altered
// one is refused rather than used to derive another key.
func TestFile_passphraseSalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	const pass = "passphrase: correct horse battery staple"
	s, err := NewFile(FileConfig{Path: path, Key: pass})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
	var d fileData
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &d); err != nil || d.KDF == nil || len(d.KDF.Salt) != 16 || d.KDF.Algorithm != "argon2id" {
		t.Fatalf("store file KDF = %+v, %v; want an argon2id salt", d.KDF, err)
	}
	if _, err := os.Stat(path + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written beside a passphrase store: %v", err)
	}
	d.KDF.MemoryKiB = 8
	b, _ = json.Marshal(d)
	writeFile(t, path, b)
	if _, err := NewFile(FileConfig{Path: path, Key: pass}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("NewFile with altered salt parameters: %v, want ErrCorrupt", err)
	}
}
