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
//   - [NewFile]: an encrypted local file, replaced atomically (temporary
//     file, fsync, rename), with an OS file lock per entry in the sidecar
//     directory "<path>.locks" and one for the file itself, "<path>.lock".
//     The default for a single machine.
//   - [NewPostgres]: a table in a PostgreSQL database that teams and CI runners
//     share, like Terraform's own pg state backend. Update holds a row lock
//     (SELECT … FOR UPDATE) from the read to the write.
//   - [NewVault]: a KV version 2 secrets engine of HashiCorp Vault or OpenBao,
//     through the official client (github.com/hashicorp/vault/api). Writes use
//     check-and-set; a lease kept in the secret itself, renewed while its
//     holder's function runs, makes concurrent refreshers wait for each other
//     instead of racing. No Vault or OpenBao
//     server can be run in this project's test environment, so this backend
//     is tested with the real client against the in-repo fake server of
//     package kvv2test, which speaks the KV v2 HTTP API (data, metadata, LIST,
//     options.cas and its error, X-Vault-Token).
//
// [Store.List] returns every entry with its labels (the non-secret fields
// of [Entry] that say what it is for, its name being a hash), so that a
// tool can show the entries and [Store.Delete] some; an entry it cannot
// decrypt is listed with its error. In vault it needs the list capability
// on the metadata of the store's folder (see [VaultConfig]).
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
// # Locking
//
// Update holds the lock of its entry, and of nothing else, while the
// caller's function runs:
//
//   - file: an exclusive OS lock on "<path>.locks/<key>.lock". The store
//     file's own lock is taken only to read the file, and then to re-read,
//     change and replace it, so Updates of different entries run side by
//     side (across processes too) and none loses another's write.
//   - postgres: the row lock (SELECT … FOR UPDATE) in a transaction on a
//     pooled connection, held to the commit.
//   - vault: the lease in the entry's secret, renewed with check-and-set
//     every third of VaultConfig.LockTTL while the function runs, so a token
//     request may outlast the lease (retries, Retry-After waits); only a
//     holder that stopped renewing is taken over.
//
// So a function may Update another entry of the same store (the token
// engine records a refresh in flight that way); it must not Update, Get or
// Delete its own entry, which would wait for itself until the lock timeout.
// Waiting for a lock (and, in postgres, for a pooled connection) ends at
// the lock timeout or when the caller's context ends. Get never waits for
// an Update in progress: it returns the last saved entry.
//
// # Durability
//
// Once the function returned an entry, Update saves it even if the
// caller's context is cancelled meanwhile (Ctrl-C after the server answered
// a refresh, which may have retired the stored refresh token): the write
// runs on a context detached from the caller's cancellation
// (context.WithoutCancel) and bounded by the backend's timeout, in postgres
// within the same transaction, which is begun detached for that reason.
// The file backend fsyncs the file and its directory before Update returns.
// An entry whose text fields are not valid UTF-8 is refused, naming the
// field: JSON would replace the bytes and store a token the server never
// issued.
//
// # Security
//
// Every backend stores entries encrypted on the client with AES-256-GCM, a
// random nonce per write, a key identifier, and the entry's [Key] as
// additional data so that ciphertexts cannot be moved between entries. The
// key is given in each backend's configuration, normally from the
// OAUTH2_TOKEN_STORE_KEY environment variable (see [KeyEnv]); the file
// backend alone may generate one beside the store. It is either 32 random
// bytes in base64 or hexadecimal, of which only degenerate ones (a short
// repeated pattern, bytes counting in equal steps) are refused (see
// [CheckKey]), or a passphrase marked with [PassphrasePrefix], stretched
// with Argon2id (RFC 9106) and a random salt that each store keeps with its
// entries: in the store file (file), in the row "kdf" of the table
// (postgres), in the secret "<prefix>/kdf" (vault). Stores written with a
// raw key open as before. [Store.NameKey] gives a key, derived from the
// store's, for HMACs that fold secrets into entry names. Keys name entries by a SHA-256 hash of the token
// request's identity, never by a secret. Errors and log text never contain
// a token or a secret; [Entry] formats itself redacted.
//
// The file backend refuses, as ssh does, a store directory that other users
// may write and a store or key file that they may read, naming the path and
// the chmod that fixes it, and creates directories 0700 and files 0600; on
// Windows it checks no permissions (see [NewFile]). A writer killed before
// renaming its temporary file leaves it behind; the next write removes it.
package tokenstore
