package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain points the default token store at a directory of the test run:
// a test never reads or writes the user's own store. Tests that need a store
// of their own set envTokenStorePath or a token_store block themselves.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oauth2-provider-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Setenv(envTokenStorePath, filepath.Join(dir, "tokens.json")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
