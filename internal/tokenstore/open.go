package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config chooses one backend, as the provider's token_store block does:
// at most one field may be set, and none means the file backend at
// DefaultFilePath with a generated key.
type Config struct {
	// File selects the encrypted local file.
	File *FileConfig
	// Postgres selects a shared PostgreSQL table.
	Postgres *PostgresConfig
	// Vault selects a Vault or OpenBao KV version 2 mount.
	Vault *VaultConfig
}

// Open opens the backend cfg selects. A FileConfig without a Path uses
// DefaultFilePath.
func Open(ctx context.Context, cfg Config) (Store, error) {
	n := 0
	for _, set := range []bool{cfg.File != nil, cfg.Postgres != nil, cfg.Vault != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("tokenstore: configure only one token store backend (file, postgres or vault)")
	}
	switch {
	case cfg.Postgres != nil:
		return NewPostgres(ctx, *cfg.Postgres)
	case cfg.Vault != nil:
		return newVault(ctx, *cfg.Vault)
	}
	fc := FileConfig{}
	if cfg.File != nil {
		fc = *cfg.File
	}
	if fc.Path == "" {
		p, err := DefaultFilePath()
		if err != nil {
			return nil, err
		}
		fc.Path = p
	}
	return NewFile(fc)
}

// DefaultFilePath is where the file backend keeps its store when no path is
// configured: "terraform-provider-oauth2/tokens.json" in the user's
// configuration directory (os.UserConfigDir: $XDG_CONFIG_HOME or ~/.config
// on Linux, ~/Library/Application Support on macOS, %AppData% on Windows).
// Not the cache directory: losing a rotated refresh token means asking the
// user to authorize again, so the store is not disposable.
func DefaultFilePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("tokenstore: no default place for the token store file (%w): configure its path", err)
	}
	return filepath.Join(dir, "terraform-provider-oauth2", "tokens.json"), nil
}
