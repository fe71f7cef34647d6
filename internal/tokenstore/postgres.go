package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresConfig configures the postgres backend.
type PostgresConfig struct {
	// ConnString is a libpq connection string or URL
	// ("postgres://user:password@host:5432/db?sslmode=verify-full"). The
	// PG* environment variables fill what it leaves out, as in libpq.
	ConnString string
	// Schema holds the table "tokens"; DefaultPostgresSchema when empty. The
	// schema and table are created when absent.
	Schema string
	// Key is the encryption key: 32 bytes in base64 or hexadecimal, or a
	// passphrase after PassphrasePrefix (see CheckKey), normally the value
	// of OAUTH2_TOKEN_STORE_KEY. Required: a database is shared, so a key
	// generated on one machine would lock the others out. A passphrase's
	// salt is kept in the table, in the row named "kdf".
	Key string
	// Timeout bounds connecting and each statement; DefaultTimeout when zero.
	Timeout time.Duration
	// LockTimeout bounds how long Update and Delete wait for the row lock
	// that another process holds; DefaultLockTimeout when zero.
	LockTimeout time.Duration
}

// DefaultPostgresSchema is the schema the postgres backend uses when none is
// configured, so that the store's table stays apart from an application's.
const DefaultPostgresSchema = "oauth2"

// postgresTable is the table name inside the configured schema.
const postgresTable = "tokens"

// postgresKDFRow names the row that holds a passphrase's salt (a
// kdfRecord in JSON, in the entry column). Entry rows are named by 64
// hexadecimal digits, so it can never be an entry's; keeping it in the
// same table needs no privilege beyond those the entries need.
const postgresKDFRow = "kdf"

// postgresMinConns is the fewest connections the pool may have: an Update
// holds one from the row lock to the commit, and an Update of another
// entry inside its function (the token engine marks a refresh in flight
// that way) needs a second.
const postgresMinConns = 2

// postgresDefaultMaxConns is the pool size when the connection string sets
// no pool_max_conns: Terraform's default parallelism (10), twice, so that
// ten Updates at once can each run a nested one. Connections open only when
// needed.
const postgresDefaultMaxConns = 20

// postgresDDLLock is the advisory lock key taken while creating the schema
// and table: concurrent "CREATE … IF NOT EXISTS" can still fail on a unique
// violation in the catalogs when CI jobs start together.
const postgresDDLLock = 0x6f61757468327473 // "oauth2ts"

type pgStore struct {
	pool        *pgxpool.Pool
	table       string // quoted, schema-qualified
	sealer      *sealer
	timeout     time.Duration
	lockTimeout time.Duration
}

// NewPostgres connects to PostgreSQL and creates the schema and table when
// absent. Entries are rows keyed by the hexadecimal Key, holding the sealed
// entry; Update locks the row with SELECT … FOR UPDATE inside a transaction
// from the read to the write, so refreshes of one entry run one at a time
// across every process and machine using the database.
func NewPostgres(ctx context.Context, cfg PostgresConfig) (Store, error) {
	if cfg.Key == "" {
		return nil, fmt.Errorf("tokenstore: the postgres token store needs an encryption key: generate one with \"openssl rand -base64 32\" and set it in %s on every machine that shares the database", KeyEnv)
	}
	spec, err := parseKeySpec(cfg.Key)
	if err != nil {
		return nil, err
	}
	schema := cfg.Schema
	if schema == "" {
		schema = DefaultPostgresSchema
	}
	s := &pgStore{
		table:       pgx.Identifier{schema, postgresTable}.Sanitize(),
		timeout:     cfg.Timeout,
		lockTimeout: cfg.LockTimeout,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	// pgx redacts the password from its own parse errors.
	pc, err := pgxpool.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: postgres token store connection string: %w", err)
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = s.timeout
	}
	// pgxpool's own default (4 on a small machine) would let four Updates
	// take every connection and their nested Updates wait for a fifth, so
	// it is replaced unless the connection string chose a size; ParseConfig
	// does not say whether it did.
	if !strings.Contains(cfg.ConnString, "pool_max_conns") {
		pc.MaxConns = postgresDefaultMaxConns
	}
	pc.MaxConns = max(pc.MaxConns, postgresMinConns)
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.pool, err = pgxpool.NewWithConfig(cctx, pc); err != nil {
		return nil, fmt.Errorf("tokenstore: postgres token store: %w", err)
	}
	if err := s.ensureTable(cctx, schema); err != nil {
		s.pool.Close()
		return nil, err
	}
	key, _, err := spec.resolve(func() (*kdfRecord, error) { return s.salt(cctx) })
	if err == nil {
		s.sealer, err = newSealer(key)
	}
	if err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// salt returns the passphrase salt kept in the table, inserting a new one
// when there is none; of processes starting together, the first insert wins
// and every process reads that one.
func (s *pgStore) salt(ctx context.Context) (*kdfRecord, error) {
	fresh, err := newKDFRecord()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(fresh)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: encoding the passphrase salt: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO `+s.table+` (key, entry) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, postgresKDFRow, b); err != nil {
		return nil, s.dbError("storing the passphrase salt", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT entry FROM `+s.table+` WHERE key = $1`, postgresKDFRow).Scan(&b); err != nil {
		return nil, s.dbError("reading the passphrase salt", err)
	}
	where := fmt.Sprintf("the postgres table %s (row %q)", s.table, postgresKDFRow)
	var rec kdfRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%w: the passphrase salt of %s is not readable", ErrCorrupt, where)
	}
	return &rec, rec.check(where)
}

// ensureTable creates the schema and table unless the table exists, so that
// a role without CREATE privilege works once an administrator made them.
func (s *pgStore) ensureTable(ctx context.Context, schema string) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.table).Scan(&exists); err != nil {
		return fmt.Errorf("tokenstore: postgres token store: checking for table %s: %w", s.table, err)
	}
	if exists {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(postgresDDLLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		// entry is NULL in a row that only reserves the key for a lock (see
		// lockRow); revision and updated_at repeat what the sealed entry
		// holds so that operators can see the refresh chain without the key.
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.table+` (
			key        text PRIMARY KEY,
			entry      bytea,
			revision   bigint NOT NULL DEFAULT 0,
			updated_at timestamptz NOT NULL DEFAULT now()
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("tokenstore: postgres token store: creating table %s (create it beforehand if this role may not): %w", s.table, err)
	}
	return nil
}

func (s *pgStore) where(key Key) string {
	return fmt.Sprintf("the token store entry %s in the postgres table %s", key, s.table)
}

func (s *pgStore) remedy(key Key) string {
	return fmt.Sprintf("delete it (DELETE FROM %s WHERE key = '%s')", s.table, key)
}

func (s *pgStore) open(key Key, b []byte) (*Entry, error) {
	if b == nil {
		return nil, nil
	}
	e, err := s.sealer.open(key, b)
	if err != nil {
		return nil, decryptError(err, s.where(key), s.remedy(key))
	}
	return e, nil
}

// Update implements Store.
//
// Waiting (for a pooled connection and for the row lock) follows the
// caller's context. The transaction does not: pgx binds no context to a
// transaction, and every statement after fn returned runs on a context
// detached from the caller's cancellation and bounded by the timeout, so
// that a token fn obtained is committed even when the caller gives up
// meanwhile (Ctrl-C after the server answered a refresh).
func (s *pgStore) Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error) {
	actx, cancel := context.WithTimeout(ctx, s.lockTimeout+s.timeout)
	conn, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		return nil, s.dbError("waiting for a connection", err)
	}
	defer conn.Release()
	detached := context.WithoutCancel(ctx)
	bctx, cancel := context.WithTimeout(detached, s.timeout)
	tx, err := conn.Begin(bctx)
	cancel()
	if err != nil {
		return nil, s.dbError("starting a transaction", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(detached, s.timeout)
		defer cancel()
		_ = tx.Rollback(rctx) // after Commit this does nothing
	}()
	raw, err := s.lockRow(ctx, tx, key)
	if err != nil {
		return nil, err
	}
	current, err := s.open(key, raw)
	if err != nil {
		return nil, err
	}
	saved, sealed, err := decide(ctx, s.sealer, key, current, fn)
	if err != nil {
		return nil, err
	}
	if saved == nil {
		return current, nil
	}
	wctx, cancel := context.WithTimeout(detached, s.timeout)
	defer cancel()
	if _, err := tx.Exec(wctx, `UPDATE `+s.table+` SET entry = $2, revision = $3, updated_at = $4 WHERE key = $1`,
		key.String(), sealed, int64(saved.Revision), saved.UpdatedAt); err != nil {
		return nil, s.dbError("saving the entry", err)
	}
	if err := tx.Commit(wctx); err != nil {
		return nil, s.dbError("committing the entry", err)
	}
	return saved, nil
}

// lockRow locks the entry's row for the rest of tx and returns its sealed
// entry (nil when none). A row that does not exist cannot be locked, so a
// placeholder row is inserted first; a concurrent inserter of the same key
// then waits for this transaction, and sees the saved entry once it commits.
func (s *pgStore) lockRow(ctx context.Context, tx pgx.Tx, key Key) ([]byte, error) {
	lctx, cancel := context.WithTimeout(ctx, s.lockTimeout+s.timeout)
	defer cancel()
	// lock_timeout makes the server give up first, with a clear error,
	// rather than the client cancelling the statement.
	if _, err := tx.Exec(lctx, `SELECT set_config('lock_timeout', $1, true)`, fmt.Sprintf("%dms", s.lockTimeout.Milliseconds())); err != nil {
		return nil, s.dbError("setting the lock timeout", err)
	}
	// A Delete may remove the row between the insert and the select; trying
	// again inserts a fresh placeholder.
	for range 3 {
		if _, err := tx.Exec(lctx, `INSERT INTO `+s.table+` (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, key.String()); err != nil {
			return nil, s.lockError(key, err)
		}
		var raw []byte
		err := tx.QueryRow(lctx, `SELECT entry FROM `+s.table+` WHERE key = $1 FOR UPDATE`, key.String()).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, s.lockError(key, err)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("tokenstore: postgres token store: the row of entry %s kept being deleted while it was being locked", key)
}

func (s *pgStore) lockError(key Key, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		return fmt.Errorf("%w on %s: another process held it for longer than the lock timeout (%s)", ErrLockTimeout, s.where(key), s.lockTimeout)
	}
	return s.dbError("locking the entry", err)
}

func (s *pgStore) dbError(op string, err error) error {
	return fmt.Errorf("tokenstore: postgres token store table %s: %s: %w", s.table, op, err)
}

// Get implements Store. It reads the last committed entry without waiting
// for a refresh in progress; callers that find it stale go through Update,
// which waits.
func (s *pgStore) Get(ctx context.Context, key Key) (*Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT entry FROM `+s.table+` WHERE key = $1`, key.String()).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.dbError("reading the entry", err)
	}
	return s.open(key, raw)
}

// List implements Store: every row that holds an entry, read without
// waiting for row locks, as Get does. Rows that only reserve a key for a
// lock (entry NULL) and the passphrase salt's row are left out.
func (s *pgStore) List(ctx context.Context) ([]Listed, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT key, entry FROM `+s.table+` WHERE entry IS NOT NULL AND key <> $1`, postgresKDFRow)
	if err != nil {
		return nil, s.dbError("listing the entries", err)
	}
	var out []Listed
	var (
		name string
		raw  []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &raw}, func() error {
		key, ok := parseKeyName(name)
		if !ok {
			return nil
		}
		l := Listed{Key: key}
		if l.Entry, l.Err = s.open(key, raw); l.Err != nil {
			l.Entry = nil
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, s.dbError("listing the entries", err)
	}
	return sortListed(out), nil
}

// Delete implements Store. It waits for an Update of the same entry to
// finish, as the row lock makes it.
func (s *pgStore) Delete(ctx context.Context, key Key) error {
	ctx, cancel := context.WithTimeout(ctx, s.lockTimeout+s.timeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM `+s.table+` WHERE key = $1`, key.String()); err != nil {
		return s.dbError("deleting the entry", err)
	}
	return nil
}

// Close implements Store.
func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}
