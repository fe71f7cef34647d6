// Package tokenstore keeps OAuth 2.0 tokens between runs of the provider.
//
// Terraform and OpenTofu open an ephemeral resource once in plan and again in
// apply, in separate processes, and CI runners start with an empty disk. When
// the authorization server rotates refresh tokens (RFC 6749 §6, OAuth 2.0
// Security BCP RFC 9700 §4.14.2), the refresh token issued in one process must
// reach the next one: presenting the retired token yields invalid_grant, and
// many servers then revoke the whole token family. A Store is where the
// current token of one token request lives between those processes.
//
// There is one interface and three backends:
//
//   - [NewFile]: an encrypted local file guarded by an OS file lock on a
//     sidecar "<path>.lock" file and replaced atomically (temporary file, fsync,
//     rename). The default for a single machine.
//   - [NewPostgres]: a table in a PostgreSQL database that teams and CI runners
//     share, like Terraform's own pg state backend. Update holds a row lock
//     (SELECT … FOR UPDATE) from the read to the write.
//   - [NewVault]: a KV version 2 secrets engine of HashiCorp Vault or OpenBao,
//     through the official client (github.com/hashicorp/vault/api). Writes use
//     check-and-set; a short lease kept in the secret itself makes concurrent
//     refreshers wait for each other instead of racing. No Vault or OpenBao
//     server can be run in this project's test environment, so this backend
//     is tested with the real client against the in-repo fake server of
//     package kvv2test, which speaks the KV v2 HTTP API (data, metadata,
//     options.cas and its error, X-Vault-Token).
//
// [Open] picks the backend a [Config] names, the file backend at
// [DefaultFilePath] when it names none.
//
// # Consistency
//
// Entries change only through [Store.Update], which runs the caller's function
// while it holds the entry's lock and passes it the entry as currently stored.
// There is no blind write, so a rotated refresh token can never be replaced by
// an older one that another process read earlier. The intended use is
// double-checked: [Store.Get] the entry and use it if its access token is
// fresh; otherwise call Update, whose function checks freshness again (another
// process may have refreshed meanwhile) and refreshes only if still needed.
// If the refreshed entry cannot be saved, Update returns an error and the
// caller must not use the token it could not persist.
//
// # Security
//
// Every backend stores entries encrypted on the client with AES-256-GCM, a
// random nonce per write, a key identifier, and the entry's [Key] as
// additional data so that ciphertexts cannot be moved between entries. The
// 32-byte key is given in each backend's configuration, normally from the
// OAUTH2_TOKEN_STORE_KEY environment variable (see [KeyEnv] and [ParseKey]);
// the file backend alone may generate one beside the store. Keys name
// entries by a SHA-256 hash of the token request's identity, never by a
// secret. Errors and log text never contain a token or a secret; [Entry]
// formats itself redacted.
package tokenstore
