package tokenstore

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore/kvv2test"
)

// The vault backend runs against kvv2test's fake KV v2 server through the
// real Vault client: no Vault or OpenBao server can be installed here.

func vaultLocation(t *testing.T) keyedOpener {
	srv := kvv2test.NewServer(t, "kv")
	return func(key string) (Store, error) {
		return NewVault(VaultConfig{Address: srv.URL, Token: srv.Token, Mount: srv.Mount, Key: key})
	}
}

func newTestVault(t *testing.T, srv *kvv2test.Server, cfg VaultConfig) Store {
	t.Helper()
	cfg.Address, cfg.Token = srv.URL, srv.Token
	if cfg.Mount == "" {
		cfg.Mount = srv.Mount
	}
	s, err := NewVault(cfg)
	if err != nil {
		t.Fatalf("NewVault: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestVault(t *testing.T) {
	runStoreTests(t, withKey(vaultLocation))
	runKeyTests(t, vaultLocation)
	runListTests(t, vaultLocation, true)
}

func TestVault_processContention(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	key := testKey(t)
	s := newTestVault(t, srv, VaultConfig{Key: key})
	testProcessContention(t, s, childJob{Backend: "vault", Addr: srv.URL, Token: srv.Token, Key: key})
}

func TestVault_layout(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	s := newTestVault(t, srv, VaultConfig{Key: testKey(t), Namespace: "team-a"})
	key := KeyFor("k")
	put(t, s, key, &Entry{AccessToken: "secret-access", RefreshToken: "secret-refresh"})
	path := DefaultVaultPathPrefix + "/" + key.String()
	if got := srv.Paths(); len(got) != 1 || got[0] != path {
		t.Errorf("paths got %q, want [%q]", got, path)
	}
	data, _ := srv.Data(path)
	for k, v := range data {
		if s, _ := v.(string); strings.Contains(s, "secret-") {
			t.Errorf("field %s holds a token in clear", k)
		}
	}
	if _, ok := data["lock_owner"]; ok {
		t.Error("the lease was not released")
	}
	if ns := srv.Namespaces(); ns["team-a"] == 0 || ns[""] != 0 {
		t.Errorf("namespaces seen %v, want every request in team-a", ns)
	}
	// Delete removes every version, not only the latest.
	if err := s.Delete(ctxT(t), key); err != nil {
		t.Fatal(err)
	}
	if got := srv.Paths(); len(got) != 0 {
		t.Errorf("paths after Delete: %q", got)
	}

	custom := newTestVault(t, srv, VaultConfig{Key: testKey(t), PathPrefix: "/ci/tokens/"})
	put(t, custom, key, &Entry{AccessToken: "a"})
	if got := srv.Paths(); len(got) != 1 || got[0] != "ci/tokens/"+key.String() {
		t.Errorf("paths got %q, want the custom prefix", got)
	}
}

// TestVault_casConflictAtWrite covers a lease that expired while its holder
// refreshed: another process wrote meanwhile, the final check-and-set fails,
// and the function runs again with the winner's entry and keeps it.
func TestVault_casConflictAtWrite(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	key := testKey(t)
	s := newTestVault(t, srv, VaultConfig{Key: key})
	winner := newTestVault(t, srv, VaultConfig{Key: key})
	k := KeyFor("k")
	put(t, s, k, &Entry{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Hour)})
	path := DefaultVaultPathPrefix + "/" + k.String()

	var calls []string
	var writes atomic.Int32
	srv.BeforeWrite = func(p string) {
		// Our writes: 1 takes the lease, 2 saves. Before 2, the lease is
		// taken over and a newer entry saved.
		if p != path || writes.Add(1) != 2 {
			return
		}
		srv.Put(p, map[string]any{}) // clears our lease, as an expiry would let happen
		put(t, winner, k, &Entry{AccessToken: "at-winner", RefreshToken: "rt-winner", Expiry: time.Now().Add(time.Hour)})
	}
	got, err := s.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
		calls = append(calls, cur.RefreshToken)
		if cur.ValidFor(time.Now(), time.Minute) {
			return cur, nil // the winner's token is fresh: no refresh
		}
		return &Entry{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now().Add(time.Hour)}, nil
	})
	srv.BeforeWrite = nil
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if want := []string{"rt-0", "rt-winner"}; strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Errorf("function saw %q, want %q", calls, want)
	}
	if got == nil || got.RefreshToken != "rt-winner" {
		t.Errorf("Update returned %v, want the winner's entry", got)
	}
	if srv.CASConflicts() == 0 {
		t.Error("no check-and-set conflict happened")
	}
	stored, err := s.Get(ctxT(t), k)
	if err != nil || stored == nil || stored.RefreshToken != "rt-winner" {
		t.Errorf("stored %v, %v; want the winner's entry", stored, err)
	}
}

// TestVault_casConflictAtLease: another writer slips in between the read and
// the lease write; Update re-reads and runs the function once, on the newer
// entry.
func TestVault_casConflictAtLease(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	key := testKey(t)
	s := newTestVault(t, srv, VaultConfig{Key: key})
	other := newTestVault(t, srv, VaultConfig{Key: key})
	k := KeyFor("k")
	put(t, s, k, &Entry{RefreshToken: "rt-0"})
	path := DefaultVaultPathPrefix + "/" + k.String()
	var once atomic.Bool
	srv.BeforeWrite = func(p string) {
		if p == path && once.CompareAndSwap(false, true) {
			put(t, other, k, &Entry{RefreshToken: "rt-other"})
		}
	}
	var calls []string
	_, err := s.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
		calls = append(calls, cur.RefreshToken)
		return &Entry{RefreshToken: "rt-mine"}, nil
	})
	srv.BeforeWrite = nil
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(calls, ",") != "rt-other" {
		t.Errorf("function saw %q, want only the newer entry", calls)
	}
	if got, _ := s.Get(ctxT(t), k); got == nil || got.RefreshToken != "rt-mine" || got.Revision != 3 {
		t.Errorf("stored %v, want rt-mine at revision 3", got)
	}
}

func TestVault_lease(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	key := testKey(t)
	k := KeyFor("k")
	path := DefaultVaultPathPrefix + "/" + k.String()
	s := newTestVault(t, srv, VaultConfig{Key: key, LockTimeout: 300 * time.Millisecond})
	saved := put(t, s, k, &Entry{AccessToken: "a"})
	data, _ := srv.Data(path)

	// A live lease of another process makes Update wait, then give up.
	live := map[string]any{"entry": data["entry"], "lock_owner": "someone-else", "lock_expires": time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)}
	srv.Put(path, live)
	_, err := s.Update(ctxT(t), k, func(context.Context, *Entry) (*Entry, error) {
		t.Error("function ran under another process's lease")
		return nil, nil
	})
	if !errors.Is(err, ErrLockTimeout) {
		t.Errorf("Update under a live lease: %v, want ErrLockTimeout", err)
	}
	// Get ignores leases.
	if got, err := s.Get(ctxT(t), k); err != nil || got == nil || got.Revision != saved.Revision {
		t.Errorf("Get under a lease = %v, %v", got, err)
	}

	// An expired lease, left by a process that died, is taken over.
	expired := map[string]any{"entry": data["entry"], "lock_owner": "dead", "lock_expires": time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)}
	srv.Put(path, expired)
	got, err := s.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
		return &Entry{AccessToken: cur.AccessToken + "b"}, nil
	})
	if err != nil || got.AccessToken != "ab" {
		t.Errorf("Update over an expired lease = %v, %v", got, err)
	}

	// A lease released by its holder lets the waiter in at once.
	srv.Put(path, live)
	go func() {
		time.Sleep(100 * time.Millisecond)
		d, _ := srv.Data(path)
		srv.Put(path, map[string]any{"entry": d["entry"]})
	}()
	s2 := newTestVault(t, srv, VaultConfig{Key: key, LockTimeout: 10 * time.Second})
	if _, err := s2.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) { return cur, nil }); err != nil {
		t.Errorf("Update after the lease was released: %v", err)
	}
}

func TestVault_wrongKeyAndCorrupt(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	s := newTestVault(t, srv, VaultConfig{Key: testKey(t)})
	k := KeyFor("k")
	path := DefaultVaultPathPrefix + "/" + k.String()
	put(t, s, k, &Entry{AccessToken: "a"})

	other := newTestVault(t, srv, VaultConfig{Key: testKey(t)})
	want := `tokenstore: the token store secret "` + path + `" in the vault mount "secret" could not be decrypted with the configured key: set OAUTH2_TOKEN_STORE_KEY to the key it was written with, or delete it (vault kv metadata delete -mount=secret ` + path + `) to start over`
	if _, err := other.Get(ctxT(t), k); !errors.Is(err, ErrWrongKey) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Get with another key:\n got %v\nwant %s", err, want)
	}
	before := srv.Writes()
	if _, err := other.Update(ctxT(t), k, func(context.Context, *Entry) (*Entry, error) { return &Entry{}, nil }); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Update with another key: %v", err)
	}
	// The lease was taken and given back; the entry is intact.
	if d, _ := srv.Data(path); d["lock_owner"] != nil || srv.Writes() != before+2 {
		t.Errorf("after a failed Update: data %v, %d writes; want the lease released", d, srv.Writes()-before)
	}
	if got, err := s.Get(ctxT(t), k); err != nil || got == nil {
		t.Errorf("Get with the right key after a failed Update: %v, %v", got, err)
	}

	for name, v := range map[string]string{"notBase64": "%%%", "garbage": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		srv.Put(path, map[string]any{"entry": v})
		if _, err := s.Get(ctxT(t), k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is corrupt and cannot be read") {
			t.Errorf("%s: Get: %v, want ErrCorrupt", name, err)
		}
	}
	if err := other.Delete(ctxT(t), k); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

// TestVault_list: List reads the store's folder alone, and leaves out the
// passphrase salt's secret, sub-folders and soft-deleted entries; a corrupt
// entry is listed with its error; a token without the list capability
// gets an error naming it.
func TestVault_list(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	s := newTestVault(t, srv, VaultConfig{Key: "passphrase: list these entries please"})
	good, corrupt, soft := KeyFor("good"), KeyFor("corrupt"), KeyFor("soft")
	put(t, s, good, &Entry{AccessToken: "a", Kind: KindAccess})
	srv.Put(DefaultVaultPathPrefix+"/"+corrupt.String(), map[string]any{"entry": "%%%"})
	put(t, s, soft, &Entry{AccessToken: "s"})
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodDelete, srv.URL+"/v1/secret/data/"+DefaultVaultPathPrefix+"/"+soft.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Put(DefaultVaultPathPrefix+"/sub/"+KeyFor("nested").String(), map[string]any{"entry": "x"})
	srv.Put("elsewhere/"+KeyFor("elsewhere").String(), map[string]any{"entry": "x"})

	got, err := s.List(ctxT(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("List = %v, want the good and the corrupt entry", got)
	}
	for _, l := range got {
		switch l.Key {
		case good:
			if l.Err != nil || l.Entry == nil || l.Entry.AccessToken != "a" || l.Entry.Kind != KindAccess {
				t.Errorf("good entry listed as %v, %v", l.Entry, l.Err)
			}
		case corrupt:
			if !errors.Is(l.Err, ErrCorrupt) || l.Entry != nil {
				t.Errorf("corrupt entry listed as %v, %v; want ErrCorrupt", l.Entry, l.Err)
			}
		default:
			t.Errorf("listed %s, which is not an entry of the store", l.Key)
		}
	}

	// Another token, which the fake server refuses, as Vault does a token
	// whose policy lacks list.
	denied, err := NewVault(VaultConfig{Address: srv.URL, Token: "hvs.denied", Mount: srv.Mount, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := denied.List(ctxT(t)); err == nil || !strings.Contains(err.Error(), "list capability on secret/metadata/"+DefaultVaultPathPrefix+"/*") {
		t.Errorf("List without permission: %v, want an error naming the list capability", err)
	}
}

// TestVault_softDeleted: a latest version deleted by hand (vault kv delete)
// reads as no entry, and check-and-set continues from its version.
func TestVault_softDeleted(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	s := newTestVault(t, srv, VaultConfig{Key: testKey(t)})
	k := KeyFor("k")
	put(t, s, k, &Entry{AccessToken: "a"})
	path := DefaultVaultPathPrefix + "/" + k.String()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodDelete, srv.URL+"/v1/secret/data/"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("soft delete: HTTP %d", resp.StatusCode)
	}
	if got, err := s.Get(ctxT(t), k); err != nil || got != nil {
		t.Errorf("Get of a soft-deleted entry = %v, %v; want nil, nil", got, err)
	}
	got, err := s.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
		if cur != nil {
			t.Errorf("current = %v, want nil", cur)
		}
		return &Entry{AccessToken: "b"}, nil
	})
	if err != nil || got.AccessToken != "b" {
		t.Errorf("Update after soft delete = %v, %v", got, err)
	}
}

func TestNewVault_config(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	if _, err := NewVault(VaultConfig{Address: srv.URL, Token: srv.Token}); err == nil || !strings.Contains(err.Error(), KeyEnv) {
		t.Errorf("NewVault without a key: %v", err)
	}
	t.Setenv("VAULT_TOKEN", "")
	if _, err := NewVault(VaultConfig{Address: srv.URL, Key: testKey(t)}); err == nil || !strings.Contains(err.Error(), "VAULT_TOKEN") {
		t.Errorf("NewVault without a token: %v", err)
	}

	// Empty fields fall back to the client's environment variables.
	t.Setenv("VAULT_ADDR", srv.URL)
	t.Setenv("VAULT_TOKEN", srv.Token)
	t.Setenv("VAULT_NAMESPACE", "from-env")
	s, err := NewVault(VaultConfig{Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, KeyFor("k"), &Entry{AccessToken: "a"})
	if ns := srv.Namespaces(); ns["from-env"] == 0 {
		t.Errorf("namespaces seen %v, want from-env", ns)
	}

	// A wrong token is refused with the server's error, and no secret.
	bad, err := NewVault(VaultConfig{Address: srv.URL, Token: "hvs.wrong-secret-token", Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Get(ctxT(t), KeyFor("k"))
	if err == nil || !strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "wrong-secret-token") {
		t.Errorf("Get with a wrong token: %v", err)
	}

	// Credentials in the address would be repeated by every client error:
	// refused, without quoting them.
	for _, addr := range []string{
		strings.Replace(srv.URL, "://", "://user:addr-s3cr3t@", 1),
		"http://user:addr-s3cr3t@127.0.0.1:bad",
	} {
		_, err := NewVault(VaultConfig{Address: addr, Token: srv.Token, Key: testKey(t)})
		if err == nil || strings.Contains(err.Error(), "addr-s3cr3t") {
			t.Errorf("NewVault with credentials in the address: %v", err)
		}
	}

	// An unreachable server fails within the timeout.
	dead, err := NewVault(VaultConfig{Address: "http://127.0.0.1:1", Token: "t", Key: testKey(t), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := dead.Get(ctxT(t), KeyFor("k")); err == nil {
		t.Error("Get against a closed port succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestVault_leaseRenewed: one refresh may outlast the lease (retries and
// Retry-After waits), so Update renews it while its function runs; a second
// writer keeps waiting instead of taking over and presenting the refresh
// token the first one is about to retire.
func TestVault_leaseRenewed(t *testing.T) {
	srv := kvv2test.NewServer(t, "secret")
	key := testKey(t)
	const ttl = 300 * time.Millisecond
	first := newTestVault(t, srv, VaultConfig{Key: key, LockTTL: ttl})
	second := newTestVault(t, srv, VaultConfig{Key: key, LockTTL: ttl, LockTimeout: time.Minute})
	k := KeyFor("k")
	put(t, first, k, &Entry{AccessToken: "at-0"})

	var running atomic.Bool
	entered, secondRan := make(chan struct{}), make(chan struct{})
	var enterOnce, secondOnce sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := first.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
			if cur.AccessToken != "at-0" {
				return cur, nil // started over after losing the lease
			}
			running.Store(true)
			defer running.Store(false)
			enterOnce.Do(func() { close(entered) })
			// Outlive the lease taken before this function started, then
			// let the second writer poll twice more.
			pastLease := time.Now().Add(ttl)
			var reads int
			for {
				select {
				case <-secondRan:
					return &Entry{AccessToken: "at-first"}, nil
				case <-time.After(10 * time.Millisecond):
				}
				switch {
				case time.Now().Before(pastLease):
				case reads == 0:
					reads = srv.Reads()
				case srv.Reads() >= reads+2:
					return &Entry{AccessToken: "at-first"}, nil
				}
			}
		})
		done <- err
	}()
	<-entered
	got, err := second.Update(ctxT(t), k, func(_ context.Context, cur *Entry) (*Entry, error) {
		if running.Load() {
			t.Error("the second writer took the lease over while the first one's function was running")
		}
		secondOnce.Do(func() { close(secondRan) })
		if cur == nil || cur.AccessToken != "at-first" {
			t.Errorf("the second writer saw %v, want the first one's entry", cur)
		}
		return &Entry{AccessToken: cur.AccessToken + "+second"}, nil
	})
	if err != nil || got.AccessToken != "at-first+second" {
		t.Errorf("second Update = %v, %v", got, err)
	}
	if err := <-done; err != nil {
		t.Errorf("first Update: %v", err)
	}
	if data, _ := srv.Data(DefaultVaultPathPrefix + "/" + k.String()); data["lock_owner"] != nil {
		t.Errorf("lease left behind: %v", data)
	}
}
