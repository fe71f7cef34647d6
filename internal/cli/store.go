package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// The environment variables the provider's token_store block reads; the
// tool reads the same ones, so that without flags both use one store.
const (
	envStorePath = "OAUTH2_TOKEN_STORE_PATH"
	envPGConnStr = "PG_CONN_STR"
)

// storeFlags choose the token store as the provider's token_store block
// does. Keys and connection strings come from the environment only.
type storeFlags struct {
	backend, path         string
	vaultMount, vaultPath string
	pgSchema              string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.backend, "store", "file", "the token store `BACKEND`: file, postgres (PG_CONN_STR) or vault (VAULT_ADDR, VAULT_TOKEN); its key comes from "+tokenstore.KeyEnv)
	fs.StringVar(&s.path, "store-path", "", "the file store's `PATH` (default "+envStorePath+", else the provider's default file)")
	fs.StringVar(&s.pgSchema, "store-pg-schema", "", "the PostgreSQL `SCHEMA` of the store table")
	fs.StringVar(&s.vaultMount, "store-vault-mount", "", "the Vault KV v2 `MOUNT`")
	fs.StringVar(&s.vaultPath, "store-vault-prefix", "", "the Vault path `PREFIX` of the entries")
}

// open opens the store and describes it for messages: which backend and
// where, never a key.
func (s *storeFlags) open(ctx context.Context, env Env) (tokenstore.Store, string, error) {
	key := env.Getenv(tokenstore.KeyEnv)
	var cfg tokenstore.Config
	var where string
	switch s.backend {
	case "file":
		p := firstNonEmpty(s.path, env.Getenv(envStorePath))
		if p == "" {
			def, err := tokenstore.DefaultFilePath()
			if err != nil {
				return nil, "", err
			}
			p = def
		}
		cfg.File = &tokenstore.FileConfig{Path: p, Key: key}
		where = "file store " + p
	case "postgres":
		conn := env.Getenv(envPGConnStr)
		if conn == "" {
			return nil, "", usageError("--store postgres needs %s in the environment", envPGConnStr)
		}
		cfg.Postgres = &tokenstore.PostgresConfig{ConnString: conn, Schema: s.pgSchema, Key: key}
		where = "postgres store"
	case "vault":
		cfg.Vault = &tokenstore.VaultConfig{Mount: s.vaultMount, PathPrefix: s.vaultPath, Key: key}
		where = "vault store"
	default:
		return nil, "", usageError("--store must be file, postgres or vault, not %q", s.backend)
	}
	st, err := tokenstore.Open(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("opening the %s: %w", where, err)
	}
	return st, where, nil
}

// engine opens the store and returns a token engine over it.
func (s *storeFlags) engine(ctx context.Context, env Env) (*tokens.Engine, *oauthclient.Client, tokenstore.Store, string, error) {
	st, where, err := s.open(ctx, env)
	if err != nil {
		return nil, nil, nil, "", err
	}
	client, err := newClient(env)
	if err != nil {
		_ = st.Close()
		return nil, nil, nil, "", err
	}
	return tokens.New(tokens.Options{Client: client, Store: st, Now: env.Now}), client, st, where, nil
}

// newClient returns the OAuth client the tool's requests go through.
func newClient(env Env) (*oauthclient.Client, error) {
	opts := oauthclient.Options{}
	if env.HTTPClient != nil {
		opts.Transport = env.HTTPClient.Transport
	}
	return oauthclient.New(opts)
}
