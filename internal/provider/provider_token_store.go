package provider

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// Environment variables read by the token_store block.
const (
	// envTokenStorePath fills file.path when it is not set.
	envTokenStorePath = "OAUTH2_TOKEN_STORE_PATH"
	// envTokenStoreKey fills the key of every backend when it is not set.
	envTokenStoreKey = tokenstore.KeyEnv
	// envPGConnStr fills postgres.conn_str, as Terraform's pg state backend
	// reads it.
	envPGConnStr = "PG_CONN_STR"
)

// Names of the token store backends, each stated once.
const (
	backendFile     = "file"
	backendPostgres = "postgres"
	backendVault    = "vault"
)

var tokenStoreBackends = []string{backendFile, backendPostgres, backendVault}

type tokenStoreModel struct {
	File     types.Object `tfsdk:"file"`
	Postgres types.Object `tfsdk:"postgres"`
	Vault    types.Object `tfsdk:"vault"`
}

type fileStoreModel struct {
	Path types.String `tfsdk:"path"`
	Key  types.String `tfsdk:"key"`
}

type postgresStoreModel struct {
	ConnStr types.String `tfsdk:"conn_str"`
	Schema  types.String `tfsdk:"schema"`
	Key     types.String `tfsdk:"key"`
}

type vaultStoreModel struct {
	Address    types.String `tfsdk:"address"`
	Token      types.String `tfsdk:"token"`
	Namespace  types.String `tfsdk:"namespace"`
	CACertFile types.String `tfsdk:"ca_cert_file"`
	Mount      types.String `tfsdk:"mount"`
	PathPrefix types.String `tfsdk:"path_prefix"`
	Key        types.String `tfsdk:"key"`
}

// tokenStoreKeyAttribute is the optional encryption key of every backend.
func tokenStoreKeyAttribute(extra string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The 32-byte key that encrypts every entry on the client (AES-256-GCM), in base64 or " +
			"hexadecimal, as printed by `openssl rand -base64 32`. Defaults to the `" + envTokenStoreKey +
			"` environment variable. " + extra,
		Optional:  true,
		Sensitive: true,
	}
}

// tokenStoreAttribute is the provider's token_store block.
func tokenStoreAttribute() schema.SingleNestedAttribute {
	// Absolute expressions read well in the message ("one (and only one)
	// of [token_store.file,token_store.postgres,token_store.vault]"); the
	// validator skips the one it is attached to when counting.
	backends := make([]path.Expression, 0, len(tokenStoreBackends))
	for _, b := range tokenStoreBackends {
		backends = append(backends, path.MatchRoot("token_store").AtName(b))
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Where tokens are kept between runs, so that plan, apply and later runs reuse a fresh " +
			"access token instead of asking the token endpoint again, and a refresh token that the server rotates " +
			"on every use survives the process that received it. Set exactly one backend: " + quoteList(tokenStoreBackends) +
			". Entries are encrypted on the client and named by a hash of the token request, never by a secret. " +
			"Without this block tokens live only in memory for one run.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			backendFile: schema.SingleNestedAttribute{
				MarkdownDescription: "An encrypted file guarded by an operating system file lock, for one machine. " +
					"Conflicts with `postgres` and `vault`.",
				Optional: true,
				// One validator covers every combination: it counts file
				// together with the other two backends.
				Validators: []validator.Object{objectvalidator.ExactlyOneOf(backends...)},
				Attributes: map[string]schema.Attribute{
					"path": schema.StringAttribute{
						MarkdownDescription: "The store file; its directory is created when missing. Defaults to the `" +
							envTokenStorePath + "` environment variable, else `terraform-provider-oauth2/tokens.json` " +
							"in the user's configuration directory.",
						Optional: true,
					},
					"key": tokenStoreKeyAttribute("When neither is set, a key is generated into `<path>.key` " +
						"beside the store file the first time."),
				},
			},
			backendPostgres: schema.SingleNestedAttribute{
				MarkdownDescription: "A table in a PostgreSQL database shared by a team and its CI runners, as " +
					"the `pg` state backend of Terraform and OpenTofu uses one; row locks make concurrent refreshes of one token " +
					"run one at a time. Conflicts with `file` and `vault`.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"conn_str": schema.StringAttribute{
						MarkdownDescription: "A libpq connection string or URL, such as " +
							"`postgres://user:password@db.example.com/terraform?sslmode=verify-full`. Defaults to the `" +
							envPGConnStr + "` environment variable; the `PG*` environment variables fill what it leaves out.",
						Optional:  true,
						Sensitive: true,
					},
					"schema": schema.StringAttribute{
						MarkdownDescription: "The database schema holding the `tokens` table; both are created when " +
							"absent. Defaults to `" + tokenstore.DefaultPostgresSchema + "`.",
						Optional: true,
					},
					"key": tokenStoreKeyAttribute("Required in one of the two places: every machine sharing the " +
						"database needs the same key."),
				},
			},
			backendVault: schema.SingleNestedAttribute{
				MarkdownDescription: "A KV version 2 secrets engine of HashiCorp Vault or OpenBao, one secret per " +
					"entry, written with check-and-set. This backend is tested against a fake KV v2 server speaking " +
					"the same HTTP API, because no Vault or OpenBao server can run in the project's CI. " +
					"Conflicts with `file` and `postgres`.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"address": schema.StringAttribute{
						MarkdownDescription: "The server address, such as `https://vault.example.com:8200`. Defaults to " +
							"the `VAULT_ADDR` environment variable.",
						Optional: true,
					},
					"token": schema.StringAttribute{
						MarkdownDescription: "The Vault token; it needs create, read and update on " +
							"`<mount>/data/<path_prefix>/*` and delete on `<mount>/metadata/<path_prefix>/*`. Defaults " +
							"to the `VAULT_TOKEN` environment variable.",
						Optional:  true,
						Sensitive: true,
					},
					"namespace": schema.StringAttribute{
						MarkdownDescription: "The Vault Enterprise or OpenBao namespace. Defaults to the " +
							"`VAULT_NAMESPACE` environment variable.",
						Optional: true,
					},
					"ca_cert_file": schema.StringAttribute{
						MarkdownDescription: "A PEM file of CA certificates to verify the server with. Defaults to the " +
							"`VAULT_CACERT` environment variable.",
						Optional: true,
					},
					"mount": schema.StringAttribute{
						MarkdownDescription: "Where the KV version 2 engine is mounted. Defaults to `" +
							tokenstore.DefaultVaultMount + "`.",
						Optional: true,
					},
					"path_prefix": schema.StringAttribute{
						MarkdownDescription: "The folder of the entries inside the mount. Defaults to `" +
							tokenstore.DefaultVaultPathPrefix + "`.",
						Optional: true,
					},
					"key": tokenStoreKeyAttribute("Required in one of the two places: entries are encrypted " +
						"before the server sees them."),
				},
			},
		},
	}
}

// tokenStore is an opened store and what the provider needs beside it.
type tokenStore struct {
	tokenstore.Store
	// backend names the backend in messages: file, postgres or vault.
	backend string
	// nameKey keys the HMAC that folds secrets into entry names; see
	// accessTokenEntryKey.
	nameKey []byte
}

// tokenStoreSettings are the resolved settings of one backend.
type tokenStoreSettings struct {
	backend  string
	file     tokenstore.FileConfig
	postgres tokenstore.PostgresConfig
	vault    tokenstore.VaultConfig
}

// fingerprint identifies settings, keys included, so that a provider
// configured again with the same settings reuses its open store. It never
// leaves the process.
func (s tokenStoreSettings) fingerprint() string {
	h := sha256.New()
	for _, p := range []string{
		s.backend,
		s.file.Path, s.file.Key,
		s.postgres.ConnString, s.postgres.Schema, s.postgres.Key,
		s.vault.Address, s.vault.Token, s.vault.Namespace, s.vault.CACert, s.vault.Mount, s.vault.PathPrefix, s.vault.Key,
	} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storeCache keeps the stores a provider opened. Terraform configures a
// provider once per process, but a provider served in-process (as in
// acceptance tests) is configured again for every command; reusing the open
// store keeps connection pools from piling up. Stores stay open until the
// process exits, which closes their files and connections.
type storeCache struct {
	mu     sync.Mutex
	stores map[string]*tokenStore
}

func (c *storeCache) open(ctx context.Context, s tokenStoreSettings) (*tokenStore, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp := s.fingerprint()
	if ts := c.stores[fp]; ts != nil {
		return ts, nil
	}
	ts, err := openTokenStore(ctx, s)
	if err != nil {
		return nil, err
	}
	if c.stores == nil {
		c.stores = map[string]*tokenStore{}
	}
	c.stores[fp] = ts
	return ts, nil
}

// tokenStoreSettingsFrom resolves the token_store block, each setting from
// its attribute, else its environment variable (read through getenv). It
// returns nil when the block is absent.
func tokenStoreSettingsFrom(ctx context.Context, block types.Object, getenv func(string) string) (*tokenStoreSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	if block.IsNull() {
		return nil, diags
	}
	root := path.Root("token_store")
	if hasUnknown(block) {
		diags.AddAttributeError(root, "Unknown OAuth2 Provider Setting",
			"The provider cannot open its token store because token_store depends on a value that is only known "+
				"after apply. Set it to literal values or variables, or use the environment variables instead.")
		return nil, diags
	}
	var m tokenStoreModel
	diags.Append(block.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if diags.HasError() {
		return nil, diags
	}
	keyOr := func(v types.String) string {
		if !v.IsNull() && v.ValueString() != "" {
			return v.ValueString()
		}
		return getenv(envTokenStoreKey)
	}
	valueOr := func(v types.String, env string) string {
		if !v.IsNull() && v.ValueString() != "" {
			return v.ValueString()
		}
		if env == "" {
			return ""
		}
		return getenv(env)
	}

	var s tokenStoreSettings
	n := 0
	if !m.File.IsNull() {
		n++
		var f fileStoreModel
		diags.Append(m.File.As(ctx, &f, basetypes.ObjectAsOptions{})...)
		s.backend = backendFile
		s.file = tokenstore.FileConfig{Path: valueOr(f.Path, envTokenStorePath), Key: keyOr(f.Key)}
	}
	if !m.Postgres.IsNull() {
		n++
		var p postgresStoreModel
		diags.Append(m.Postgres.As(ctx, &p, basetypes.ObjectAsOptions{})...)
		s.backend = backendPostgres
		s.postgres = tokenstore.PostgresConfig{
			ConnString: valueOr(p.ConnStr, envPGConnStr),
			Schema:     p.Schema.ValueString(),
			Key:        keyOr(p.Key),
		}
	}
	if !m.Vault.IsNull() {
		n++
		var v vaultStoreModel
		diags.Append(m.Vault.As(ctx, &v, basetypes.ObjectAsOptions{})...)
		s.backend = backendVault
		// Empty fields fall back to the Vault client's own VAULT_*
		// environment variables inside tokenstore.NewVault.
		s.vault = tokenstore.VaultConfig{
			Address:    v.Address.ValueString(),
			Token:      v.Token.ValueString(),
			Namespace:  v.Namespace.ValueString(),
			CACert:     v.CACertFile.ValueString(),
			Mount:      v.Mount.ValueString(),
			PathPrefix: v.PathPrefix.ValueString(),
			Key:        keyOr(v.Key),
		}
	}
	if diags.HasError() {
		return nil, diags
	}
	if n != 1 {
		// The schema's validator says so at plan time already.
		diags.AddAttributeError(root, "Invalid OAuth2 Token Store",
			fmt.Sprintf("The token_store block must set exactly one backend (%s), but it sets %d. Keep one of them.",
				orList(tokenStoreBackends), n))
		return nil, diags
	}
	return &s, diags
}

// hasUnknown reports whether v or anything inside it is unknown.
func hasUnknown(v attr.Value) bool {
	if v.IsUnknown() {
		return true
	}
	if o, ok := v.(types.Object); ok && !o.IsNull() {
		for _, a := range o.Attributes() {
			if hasUnknown(a) {
				return true
			}
		}
	}
	return false
}

// openTokenStore opens the backend s names.
func openTokenStore(ctx context.Context, s tokenStoreSettings) (*tokenStore, error) {
	ts := &tokenStore{backend: s.backend}
	var (
		storeKey string
		err      error
	)
	switch s.backend {
	case backendFile:
		cfg := s.file
		if cfg.Path == "" {
			if cfg.Path, err = tokenstore.DefaultFilePath(); err != nil {
				return nil, err
			}
		}
		if ts.Store, err = tokenstore.NewFile(cfg); err != nil {
			return nil, err
		}
		storeKey = cfg.Key
		if storeKey == "" {
			// NewFile generated or read "<path>.key"; the same key
			// protects the entry names.
			if abs, err := filepath.Abs(cfg.Path); err == nil {
				if b, err := os.ReadFile(abs + ".key"); err == nil {
					storeKey = string(b)
				}
			}
		}
	case backendPostgres:
		if ts.Store, err = tokenstore.NewPostgres(ctx, s.postgres); err != nil {
			return nil, err
		}
		storeKey = s.postgres.Key
	case backendVault:
		if ts.Store, err = tokenstore.NewVault(s.vault); err != nil {
			return nil, err
		}
		storeKey = s.vault.Key
	default:
		return nil, fmt.Errorf("unknown token store backend %q", s.backend)
	}
	ts.nameKey = entryNameKey(storeKey)
	return ts, nil
}

// entryNameDomain separates the entry-name HMAC key from every other use of
// the store's encryption key.
const entryNameDomain = "oauth2-tf provider entry names v1"

// entryNameKey derives the key of the HMAC that folds secrets into entry
// names from the store's encryption key. When no key can be read (a key file
// that vanished after opening), the fixed domain separator stands in: names
// then still differ per credential, but a weak secret could be guessed from
// them by someone who can list the store.
func entryNameKey(storeKey string) []byte {
	k, err := tokenstore.ParseKey(storeKey)
	if err != nil {
		return []byte(entryNameDomain)
	}
	mac := hmac.New(sha256.New, k[:])
	mac.Write([]byte(entryNameDomain))
	return mac.Sum(nil)
}

// secretNameKey reports whether nameKey was derived from a store key, and so
// is unknown to whoever lacks that key: the stand-in entryNameKey returns
// without one is a published constant, good for naming entries but not for
// keying anything that must stay unguessable.
func secretNameKey(nameKey []byte) bool {
	return len(nameKey) > 0 && !bytes.Equal(nameKey, []byte(entryNameDomain))
}

// accessTokenEntryKey names the store entry of a token request.
//
// The name must change whenever the credential changes, so that a rotated
// client secret or a new refresh token starts a new entry instead of
// reusing a token issued to the old one. Yet stores keep names in clear
// (file map keys, row keys, Vault paths), and a plain hash of a weak secret
// can be guessed. So the identifying settings go in as they are, and the
// secrets (client secret, password, configured refresh token) only through
// an HMAC keyed with a key derived from the store's encryption key: without
// that key nobody can test a guess against a name, and no name contains a
// secret.
func accessTokenEntryKey(req oauthclient.Request, nameKey []byte) tokenstore.Key {
	mac := hmac.New(sha256.New, nameKey)
	for _, s := range []string{req.ClientSecret, req.Password, req.RefreshToken} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		mac.Write(n[:])
		mac.Write([]byte(s))
	}

	tokenURL := req.TokenURL
	if req.TenantID != "" {
		tokenURL = strings.ReplaceAll(tokenURL, "{tenant_id}", url.PathEscape(req.TenantID))
	}
	delimiter := req.ScopeDelimiter
	if delimiter == "" {
		delimiter = oauthclient.DefaultScopeDelimiter
	}
	scope := req.Scope
	if scope == "" {
		scope = strings.Join(req.Scopes, delimiter)
	}
	parts := []string{
		"oauth2_access_token v1",
		tokenURL,
		string(req.GrantType),
		req.ClientID,
		scope,
		delimiter,
		req.Username,
	}
	names := make([]string, 0, len(req.ExtraParams))
	for k := range req.ExtraParams {
		names = append(names, k)
	}
	slices.Sort(names)
	parts = append(parts, fmt.Sprint(len(names)))
	for _, k := range names {
		parts = append(parts, k, req.ExtraParams[k])
	}
	parts = append(parts, hex.EncodeToString(mac.Sum(nil)))
	return tokenstore.KeyFor(parts...)
}

// connectionEntryKey names the store entry holding the newest tokens of an
// oauth2_connection: those of its authorization code exchange or password
// grant when the server issued a refresh token, and for the refresh_token
// grant the newest refresh token in the chain that started from the
// configured one. The connection's id is random and not secret.
func connectionEntryKey(id string) tokenstore.Key {
	return tokenstore.KeyFor("connection", id)
}

// refreshTokenSeedDomain separates the seed HMAC from the entry-name HMAC,
// which uses the same key.
const refreshTokenSeedDomain = "oauth2-tf connection refresh token seed v1"

// refreshTokenSeed identifies the configured refresh token a connection's
// store entry was seeded from, so that a newly configured one is told apart
// from the one the stored chain descends from. It is kept in the resource's
// private state, which is written to the state file: like the entry names
// (see accessTokenEntryKey), it is an HMAC keyed with a key derived from the
// store's encryption key, so whoever reads the state can neither recover
// the token nor test a guess of it.
func refreshTokenSeed(refreshToken string, nameKey []byte) string {
	mac := hmac.New(sha256.New, nameKey)
	mac.Write([]byte(refreshTokenSeedDomain))
	mac.Write([]byte{0})
	mac.Write([]byte(refreshToken))
	return hex.EncodeToString(mac.Sum(nil))
}

// tokenStoreOpenErrorDetail explains a store that could not be opened,
// naming the backend and what to check.
func tokenStoreOpenErrorDetail(backend string, err error) string {
	var fix string
	switch backend {
	case backendFile:
		fix = "Check that file.path (or " + envTokenStorePath + ") names a file in a writable directory, and that the key " +
			"(file.key or " + envTokenStoreKey + ") is the one the file was written with. A store file or key file that " +
			"cannot be read may be deleted to start over; rotated refresh tokens in it are then lost."
	case backendPostgres:
		fix = "Check that the database in postgres.conn_str (or " + envPGConnStr + ") is reachable from where the CLI " +
			"(terraform or tofu) runs and accepts the credentials, that the role may create or use the schema, and that the key " +
			"(postgres.key or " + envTokenStoreKey + ") is 32 bytes in base64 or hexadecimal."
	case backendVault:
		fix = "Check vault.address (or VAULT_ADDR), vault.token (or VAULT_TOKEN), vault.ca_cert_file (or VAULT_CACERT), " +
			"and that the key (vault.key or " + envTokenStoreKey + ") is 32 bytes in base64 or hexadecimal."
	}
	return fmt.Sprintf("The provider could not open its %s token store. %s\n\nError: %s", backend, fix, err)
}
