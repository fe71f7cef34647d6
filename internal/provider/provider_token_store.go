package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

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
	// envTokenStoreDisabled, when true and no token_store block is set, keeps
	// tokens in memory for one run instead of in the default file store.
	envTokenStoreDisabled = "OAUTH2_TOKEN_STORE_DISABLED"
)

// Names of the token store backends, each stated once.
const (
	backendFile     = "file"
	backendPostgres = "postgres"
	backendVault    = "vault"
	// backendMemory names the store of a provider whose tokens live in
	// memory for one run.
	backendMemory = "memory"
)

var tokenStoreBackends = []string{backendFile, backendPostgres, backendVault}

type tokenStoreModel struct {
	Disabled types.Bool   `tfsdk:"disabled"`
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
			"hexadecimal, as printed by `openssl rand -base64 32`, or a passphrase marked as one (`passphrase:…`, at least 12 " +
			"characters), which is stretched with Argon2id and a salt kept in the store. Defaults to the `" + envTokenStoreKey +
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
	backends := make([]path.Expression, 0, len(tokenStoreBackends)+1)
	for _, b := range append([]string{"disabled"}, tokenStoreBackends...) {
		backends = append(backends, path.MatchRoot("token_store").AtName(b))
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Where tokens are kept between runs, so that plan, apply and later runs reuse a fresh " +
			"access token instead of asking the token endpoint again, and a refresh token that the server rotates " +
			"on every use survives the process that received it. Set exactly one backend: " + quoteList(tokenStoreBackends) +
			", or `disabled = true`. Entries are encrypted on the client and named by a hash of the token request, " +
			"never by a secret. Without this block the `file` backend is used with its defaults (unless the `" +
			envTokenStoreDisabled + "` environment variable is `true`); if it cannot be opened, the run goes on with " +
			"tokens in memory and a warning. CI runners that share a refresh token need a shared backend, " +
			"`postgres` or `vault`: each runner's file store would present a refresh token another runner retired.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"disabled": schema.BoolAttribute{
				MarkdownDescription: "Keep tokens in memory for one run instead of in a store. Plan and apply then " +
					"request tokens of their own, and a refresh token the server rotates cannot be kept: an " +
					"`oauth2_access_token` that sees a rotation fails, and a connection keeps the new refresh token in " +
					"`obtained_refresh_token`. Conflicts with the backends.",
				Optional: true,
			},
			backendFile: schema.SingleNestedAttribute{
				MarkdownDescription: "An encrypted file for one machine, each entry guarded by an operating system " +
					"file lock of its own. The default backend. Conflicts with `postgres` and `vault`.",
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
					"entry, written with check-and-set; a lease kept in the secret, renewed while a refresh runs, makes " +
					"concurrent refreshers wait for each other. Conflicts with `file` and `postgres`.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"address": schema.StringAttribute{
						MarkdownDescription: "The server address, such as `https://vault.example.com:8200`. Defaults to " +
							"the `VAULT_ADDR` environment variable.",
						Optional: true,
					},
					"token": schema.StringAttribute{
						MarkdownDescription: "The Vault token; it needs create, read and update on " +
							"`<mount>/data/<path_prefix>/*` and delete on `<mount>/metadata/<path_prefix>/*` (and list there for " +
							"the `oauth2 store` commands). Defaults " +
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
	stores map[string]tokenstore.Store
}

func (c *storeCache) open(ctx context.Context, s tokenStoreSettings) (tokenstore.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp := s.fingerprint()
	if st := c.stores[fp]; st != nil {
		return st, nil
	}
	st, err := openTokenStore(ctx, s)
	if err != nil {
		return nil, err
	}
	if c.stores == nil {
		c.stores = map[string]tokenstore.Store{}
	}
	c.stores[fp] = st
	return st, nil
}

// openStore opens the token store that the token_store block, or without
// one the environment, names, and returns it with the name of its backend.
// Without a block the file store at its default path is used; when that
// cannot be opened (a read-only image, no home directory) the run goes on
// with tokens in memory and one warning. A nil store means memory.
func (p *oauth2Provider) openStore(ctx context.Context, block types.Object, getenv func(string) string) (tokenstore.Store, string, diag.Diagnostics) {
	settings, disabled, diags := tokenStoreSettingsFrom(ctx, block, getenv)
	if diags.HasError() || disabled {
		return nil, backendMemory, diags
	}
	explicit := settings != nil
	if !explicit {
		settings = &tokenStoreSettings{
			backend: backendFile,
			file:    tokenstore.FileConfig{Path: getenv(envTokenStorePath), Key: getenv(envTokenStoreKey)},
		}
	}
	store, err := p.stores.open(ctx, *settings)
	switch {
	case err == nil:
		return store, settings.backend, diags
	case explicit:
		diags.AddAttributeError(path.Root("token_store").AtName(settings.backend),
			"Unable to Open OAuth2 Token Store", tokenStoreOpenErrorDetail(settings.backend, err))
	default:
		diags.AddWarning("OAuth2 Token Store Unavailable",
			"The provider could not open its default token store, so tokens live in memory for this run only: plan "+
				"and apply each request their own, and a refresh token the server rotates is not kept. Set "+
				envTokenStorePath+" to a writable place, configure a token_store block, or set "+envTokenStoreDisabled+
				"=true to silence this warning.\n\n"+errorCause(err))
	}
	return nil, backendMemory, diags
}

// tokenStoreSettingsFrom resolves the token_store block, each setting from
// its attribute, else its environment variable (read through getenv). It
// returns nil settings when no backend is configured, and disabled when the
// block or the environment turns the store off.
func tokenStoreSettingsFrom(ctx context.Context, block types.Object, getenv func(string) string) (*tokenStoreSettings, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	if block.IsNull() {
		v := getenv(envTokenStoreDisabled)
		if v == "" {
			return nil, false, diags
		}
		disabled, err := strconv.ParseBool(v)
		if err != nil {
			diags.AddAttributeError(path.Root("token_store"), "Invalid OAuth2 Provider Environment Variable",
				fmt.Sprintf("The %s environment variable must be true or false, got %q. Correct or unset it.", envTokenStoreDisabled, v))
		}
		return nil, disabled, diags
	}
	root := path.Root("token_store")
	if hasUnknown(block) {
		diags.AddAttributeError(root, "Unknown OAuth2 Provider Setting",
			"The provider cannot open its token store because token_store depends on a value that is only known "+
				"after apply. Set it to literal values or variables, or use the environment variables instead.")
		return nil, false, diags
	}
	var m tokenStoreModel
	diags.Append(block.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if diags.HasError() {
		return nil, false, diags
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
		return nil, false, diags
	}
	disabled := m.Disabled.ValueBool()
	switch {
	case disabled && n > 0, n > 1:
		// The schema's validator says so at plan time already.
		diags.AddAttributeError(root, "Invalid OAuth2 Token Store",
			fmt.Sprintf("The token_store block must set at most one backend (%s), or disabled = true alone, but it sets %d "+
				"backends. Keep one of them.", orList(tokenStoreBackends), n))
		return nil, false, diags
	case n == 0:
		return nil, disabled, diags
	}
	return &s, false, diags
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
func openTokenStore(ctx context.Context, s tokenStoreSettings) (tokenstore.Store, error) {
	switch s.backend {
	case backendFile:
		cfg := s.file
		return tokenstore.Open(ctx, tokenstore.Config{File: &cfg})
	case backendPostgres:
		cfg := s.postgres
		return tokenstore.Open(ctx, tokenstore.Config{Postgres: &cfg})
	case backendVault:
		cfg := s.vault
		return tokenstore.Open(ctx, tokenstore.Config{Vault: &cfg})
	}
	return nil, fmt.Errorf("unknown token store backend %q", s.backend)
}

// legacyRefreshTokenSeedDomain separates the seed HMAC that earlier versions
// kept in a connection's private state from other HMACs of the same key.
const legacyRefreshTokenSeedDomain = "oauth2-tf connection refresh token seed v1"

// holdsConfiguredChain reports whether an earlier version kept the chain of
// refreshToken in the connection's own store entry: it recorded an HMAC of
// the configured refresh token the entry was seeded from in private state.
func holdsConfiguredChain(ctx context.Context, priorPrivate privateGetter, refreshToken string, nameKey []byte) (bool, diag.Diagnostics) {
	if priorPrivate == nil {
		return false, nil
	}
	raw, diags := priorPrivate.GetKey(ctx, privateKeyRefreshTokenSeed)
	if diags.HasError() || len(raw) == 0 {
		return false, diags
	}
	var rec struct {
		HMAC string `json:"hmac"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return false, diags
	}
	mac := hmac.New(sha256.New, nameKey)
	mac.Write([]byte(legacyRefreshTokenSeedDomain))
	mac.Write([]byte{0})
	mac.Write([]byte(refreshToken))
	return hmac.Equal([]byte(rec.HMAC), []byte(hex.EncodeToString(mac.Sum(nil)))), diags
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
	return fmt.Sprintf("The provider could not open its %s token store. %s\n\n%s", backend, fix, errorCause(err))
}
