package tokenstore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore/kvv2test"
)

func TestOpen(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	want, err := DefaultFilePath()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Config{})
	if err != nil {
		t.Fatalf("Open of the default: %v", err)
	}
	fs, ok := s.(*fileStore)
	if !ok || fs.path != want {
		t.Errorf("default store %T at %v, want the file backend at %q", s, s, want)
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})

	path := filepath.Join(t.TempDir(), "t.json")
	s, err = Open(context.Background(), Config{File: &FileConfig{Path: path, Key: testKey(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if fs, ok := s.(*fileStore); !ok || fs.path != path {
		t.Errorf("file store %T, want the file backend at %q", s, path)
	}

	srv := kvv2test.NewServer(t, "secret")
	s, err = Open(context.Background(), Config{Vault: &VaultConfig{Address: srv.URL, Token: srv.Token, Key: testKey(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*vaultStore); !ok {
		t.Errorf("vault config opened %T", s)
	}

	_, err = Open(context.Background(), Config{File: &FileConfig{}, Vault: &VaultConfig{}})
	if err == nil || !strings.Contains(err.Error(), "only one") {
		t.Errorf("Open of two backends: %v", err)
	}
}

// TestDefaultFilePath: the default store lives in the user's configuration
// directory, not the cache (which may be wiped, losing a rotated refresh
// token), and opens when that directory does not exist yet, creating it
// private.
func TestDefaultFilePath(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "missing", "config")
	t.Setenv("XDG_CONFIG_HOME", cfg) // os.UserConfigDir on Linux and the BSDs
	t.Setenv("HOME", t.TempDir())
	base, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DefaultFilePath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "terraform-provider-oauth2", "tokens.json"); got != want {
		t.Errorf("DefaultFilePath() = %q, want %q", got, want)
	}
	if cache, err := os.UserCacheDir(); err == nil && strings.HasPrefix(got, cache) {
		t.Errorf("DefaultFilePath() = %q is in the cache directory %q", got, cache)
	}
	s, err := Open(context.Background(), Config{})
	if err != nil {
		t.Fatalf("Open of the default store in a missing directory: %v", err)
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
	if runtime.GOOS == "windows" {
		return
	}
	for _, dir := range []string{filepath.Dir(got), base} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s: mode %04o, want 0700", dir, perm)
		}
	}
}
