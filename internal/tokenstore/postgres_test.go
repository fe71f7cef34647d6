package tokenstore

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgConnEnv names the connection string of the PostgreSQL server the
// postgres backend is tested against; scripts/postgres-test.sh starts a
// throwaway server on 127.0.0.1 and sets it.
const pgConnEnv = "OAUTH2_TEST_PG_CONN_STR"

func pgConn(t *testing.T) string {
	t.Helper()
	conn := os.Getenv(pgConnEnv)
	if conn == "" {
		t.Skipf("%s is not set: run these tests through scripts/postgres-test.sh, which starts a throwaway PostgreSQL server on 127.0.0.1", pgConnEnv)
	}
	return conn
}

// pgSchema returns a fresh schema name and drops that schema when the test
// ends, so tests never see each other's rows.
func pgSchema(t *testing.T, conn string) string {
	t.Helper()
	schema := "tokenstore_test_" + randomHex(t, 6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, conn)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

func postgresLocation(t *testing.T) keyedOpener {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	return func(key string) (Store, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return NewPostgres(ctx, PostgresConfig{ConnString: conn, Schema: schema, Key: key})
	}
}

func TestPostgres(t *testing.T) {
	runStoreTests(t, withKey(postgresLocation))
	runKeyTests(t, postgresLocation)
	runListTests(t, postgresLocation, true)
}

func TestPostgres_processContention(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	key := testKey(t)
	s, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	testProcessContention(t, s, childJob{Backend: "postgres", Conn: conn, Schema: schema, Key: key})
}

// TestPostgres_concurrentCreate has stores start together on a schema that
// does not exist yet, as CI jobs do on a new database.
func TestPostgres_concurrentCreate(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	key := testKey(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key})
			if err != nil {
				t.Errorf("NewPostgres: %v", err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
}

func TestPostgres_defaultSchema(t *testing.T) {
	conn := pgConn(t)
	s, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, ok := s.(*pgStore)
	if !ok {
		t.Fatalf("NewPostgres returned %T", s)
	}
	if got, want := ps.table, `"oauth2"."tokens"`; got != want {
		t.Errorf("table got %q, want %q", got, want)
	}
	key := KeyFor("default-schema", randomHex(t, 4))
	put(t, s, key, &Entry{AccessToken: "a"})
	if err := s.Delete(ctxT(t), key); err != nil {
		t.Fatal(err)
	}
}

func TestPostgres_wrongKeyAndCorrupt(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	s, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := KeyFor("k")
	put(t, s, key, &Entry{AccessToken: "secret-access", RefreshToken: "secret-refresh"})

	c, err := pgx.Connect(ctxT(t), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	table := pgx.Identifier{schema, "tokens"}.Sanitize()
	var raw []byte
	if err := c.QueryRow(ctxT(t), `SELECT entry FROM `+table+` WHERE key = $1`, key.String()).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "secret-") {
		t.Error("row holds a token in clear")
	}

	other, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	want := "tokenstore: the token store entry " + key.String() + ` in the postgres table "` + schema + `"."tokens" could not be decrypted with the configured key: set OAUTH2_TOKEN_STORE_KEY to the key it was written with, or delete it (DELETE FROM "` + schema + `"."tokens" WHERE key = '` + key.String() + `') to start over`
	if _, err := other.Get(ctxT(t), key); !errors.Is(err, ErrWrongKey) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Get with another key:\n got %v\nwant %s", err, want)
	}
	if _, err := other.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) { return &Entry{}, nil }); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Update with another key: %v", err)
	}

	if _, err := c.Exec(ctxT(t), `UPDATE `+table+` SET entry = $2 WHERE key = $1`, key.String(), []byte("garbage that is long enough to pass the length check")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctxT(t), key); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is corrupt and cannot be read") {
		t.Errorf("Get of a corrupt row: %v", err)
	}
	if err := other.Delete(ctxT(t), key); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

func TestPostgres_lockTimeout(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	key := testKey(t)
	holder, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key, LockTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	k := KeyFor("k")
	entered, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		// The entry does not exist yet: the placeholder row must lock too.
		_, err := holder.Update(ctxT(t), k, func(context.Context, *Entry) (*Entry, error) {
			close(entered)
			<-release
			return &Entry{AccessToken: "a"}, nil
		})
		done <- err
	}()
	<-entered
	_, err = waiter.Update(ctxT(t), k, func(context.Context, *Entry) (*Entry, error) {
		t.Error("function ran while another process held the row")
		return nil, nil
	})
	if !errors.Is(err, ErrLockTimeout) {
		t.Errorf("Update: got %v, want ErrLockTimeout", err)
	}
	// Get does not wait for the row lock.
	if got, err := waiter.Get(ctxT(t), k); err != nil || got != nil {
		t.Errorf("Get during an Update = %v, %v; want nil, nil", got, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := waiter.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) { return cur, nil })
	if err != nil || got == nil || got.AccessToken != "a" {
		t.Errorf("Update after release = %v, %v", got, err)
	}
}

func TestNewPostgres_config(t *testing.T) {
	if _, err := NewPostgres(context.Background(), PostgresConfig{ConnString: "postgres://127.0.0.1:1/x"}); err == nil || !strings.Contains(err.Error(), KeyEnv) {
		t.Errorf("NewPostgres without a key: %v", err)
	}
	// An unreachable server fails within the timeout and keeps the
	// password out of the error.
	start := time.Now()
	_, err := NewPostgres(context.Background(), PostgresConfig{
		ConnString: "postgres://user:hunter2-secret@127.0.0.1:1/db?sslmode=disable",
		Key:        testKey(t),
		Timeout:    2 * time.Second,
	})
	if err == nil {
		t.Fatal("NewPostgres against a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2-secret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v, want about the 2s timeout at most", d)
	}
}

// TestPostgres_nestedUpdateSmallPool: an Update holds a connection while
// its function runs, and a nested Update of another entry needs a second
// one, so even a pool configured with one connection gets two.
func TestPostgres_nestedUpdateSmallPool(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	sep := "?"
	if strings.Contains(conn, "?") {
		sep = "&"
	}
	s, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn + sep + "pool_max_conns=1", Schema: schema, Key: testKey(t), LockTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := poolSize(t, s); got != postgresMinConns {
		t.Errorf("pool size %d, want %d", got, postgresMinConns)
	}
	_, err = s.Update(boundedCtx(t), KeyFor("chain"), func(ctx context.Context, _ *Entry) (*Entry, error) {
		_, err := s.Update(ctx, KeyFor("marker"), func(context.Context, *Entry) (*Entry, error) { return &Entry{AccessToken: "m"}, nil })
		return &Entry{AccessToken: "c"}, err
	})
	if err != nil {
		t.Errorf("nested Update with pool_max_conns=1: %v", err)
	}
	// Without pool_max_conns, the pool has room for Terraform's parallelism
	// with a nested Update each.
	d, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := poolSize(t, d); got != postgresDefaultMaxConns {
		t.Errorf("default pool size %d, want %d", got, postgresDefaultMaxConns)
	}
}

// TestPostgres_lockWaitFollowsCaller: only the final write is detached from
// the caller's cancellation; waiting for another process's row lock still
// ends when the caller gives up.
func TestPostgres_lockWaitFollowsCaller(t *testing.T) {
	conn := pgConn(t)
	schema := pgSchema(t, conn)
	key := testKey(t)
	holder, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := NewPostgres(ctxT(t), PostgresConfig{ConnString: conn, Schema: schema, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	k := KeyFor("k")
	_, wait := holdEntry(t, holder, k, &Entry{AccessToken: "held"})
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	_, err = waiter.Update(ctx, k, func(context.Context, *Entry) (*Entry, error) {
		t.Error("function ran while another process held the row")
		return nil, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Update past the caller's deadline: %v, want context.DeadlineExceeded", err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

func poolSize(t *testing.T, s Store) int32 {
	t.Helper()
	ps, ok := s.(*pgStore)
	if !ok {
		t.Fatalf("NewPostgres returned %T", s)
	}
	return ps.pool.Config().MaxConns
}
