package tokenstore

import (
	"context"
	"path/filepath"
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
