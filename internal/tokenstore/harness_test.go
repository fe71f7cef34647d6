package tokenstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A backend makes a fresh, empty store location for one test and returns
// an opener for it; each call of the opener is a separate Store on that
// location, as separate processes would have.
type backend func(t *testing.T) (open func(t *testing.T) Store)

// A keyedOpener opens a Store on one location with the given key, as a
// process configured with that key would; a location makes one per test.
type (
	keyedOpener func(key string) (Store, error)
	location    func(t *testing.T) keyedOpener
)

// withKey turns a location into a backend whose stores share one random key.
func withKey(loc location) backend {
	return func(t *testing.T) func(t *testing.T) Store {
		open, key := loc(t), testKey(t)
		return func(t *testing.T) Store { return mustOpen(t, open, key) }
	}
}

func mustOpen(t *testing.T, open keyedOpener, key string) Store {
	t.Helper()
	s, err := open(key)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testKey(t testing.TB) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// put stores e as the entry of key through Update, the only way in.
func put(t *testing.T, s Store, key Key, e *Entry) *Entry {
	t.Helper()
	saved, err := s.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) { return e, nil })
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return saved
}

// runStoreTests is the behaviour every backend shares.
func runStoreTests(t *testing.T, b backend) {
	runLockingTests(t, b)
	t.Run("roundTrip", func(t *testing.T) {
		open := b(t)
		s := open(t)
		key := KeyFor("https://auth.example.com/token", "client_credentials", "client-a")
		if got, err := s.Get(ctxT(t), key); err != nil || got != nil {
			t.Fatalf("Get of an absent entry = %v, %v; want nil, nil", got, err)
		}
		exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		want := Entry{AccessToken: "at-1", TokenType: "Bearer", RefreshToken: "rt-1", IDToken: "id-1", Scope: "api read", Expiry: exp}
		saved := put(t, s, key, &want)
		if saved.Revision != 1 || saved.UpdatedAt.IsZero() {
			t.Errorf("saved revision %d, updated_at %v; want 1 and a time", saved.Revision, saved.UpdatedAt)
		}
		// A second Store on the same location stands for another process.
		other := open(t)
		got, err := other.Get(ctxT(t), key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got == nil {
			t.Fatal("Get returned no entry after Update")
		}
		if got.AccessToken != want.AccessToken || got.TokenType != want.TokenType || got.RefreshToken != want.RefreshToken ||
			got.IDToken != want.IDToken || got.Scope != want.Scope || !got.Expiry.Equal(exp) || got.Revision != 1 {
			t.Errorf("Get = %+v, want %+v with revision 1", *got, want)
		}
		if got.AccessToken != "at-1" {
			t.Errorf("access token got %q, want %q", got.AccessToken, "at-1")
		}
		saved = put(t, other, key, &Entry{AccessToken: "at-2", RefreshToken: "rt-2"})
		if saved.Revision != 2 {
			t.Errorf("second save revision %d, want 2", saved.Revision)
		}
		// Entries are independent.
		otherKey := KeyFor("https://auth.example.com/token", "client_credentials", "client-b")
		put(t, s, otherKey, &Entry{AccessToken: "b"})
		if err := s.Delete(ctxT(t), key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if got, err := other.Get(ctxT(t), key); err != nil || got != nil {
			t.Fatalf("Get after Delete = %v, %v; want nil, nil", got, err)
		}
		if got, err := other.Get(ctxT(t), otherKey); err != nil || got == nil || got.AccessToken != "b" {
			t.Fatalf("Get of the other entry = %v, %v; want access token b", got, err)
		}
		if err := s.Delete(ctxT(t), key); err != nil {
			t.Fatalf("Delete of an absent entry: %v", err)
		}
		// After a delete the entry starts over.
		if saved := put(t, s, key, &Entry{AccessToken: "at-3"}); saved.Revision != 1 {
			t.Errorf("revision after delete %d, want 1", saved.Revision)
		}
	})

	t.Run("updateLeavesEntry", func(t *testing.T) {
		s := b(t)(t)
		key := KeyFor("leave")
		first := put(t, s, key, &Entry{AccessToken: "a", RefreshToken: "r"})
		for name, fn := range map[string]UpdateFunc{
			"nil":     func(context.Context, *Entry) (*Entry, error) { return nil, nil },
			"current": func(_ context.Context, cur *Entry) (*Entry, error) { return cur, nil },
		} {
			got, err := s.Update(ctxT(t), key, fn)
			if err != nil {
				t.Fatalf("%s: Update: %v", name, err)
			}
			if got == nil || got.Revision != first.Revision || got.AccessToken != "a" {
				t.Errorf("%s: Update returned %v, want the stored entry of revision %d", name, got, first.Revision)
			}
		}
		boom := errors.New("token endpoint said no")
		_, err := s.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Errorf("Update error %v, want the function's error", err)
		}
		got, err := s.Get(ctxT(t), key)
		if err != nil || got == nil || got.Revision != first.Revision {
			t.Errorf("Get = %v, %v; want revision %d unchanged", got, err, first.Revision)
		}
		// An Update that leaves an absent entry absent stores nothing.
		absent := KeyFor("absent")
		got, err = s.Update(ctxT(t), absent, func(_ context.Context, cur *Entry) (*Entry, error) {
			if cur != nil {
				t.Errorf("current = %v, want nil", cur)
			}
			return nil, nil
		})
		if err != nil || got != nil {
			t.Errorf("Update of absent entry = %v, %v; want nil, nil", got, err)
		}
		if got, err := s.Get(ctxT(t), absent); err != nil || got != nil {
			t.Errorf("Get = %v, %v; want nil, nil", got, err)
		}
	})

	// neverOverwriteNewer: while one Update holds the entry, another must
	// not run its function; once it runs, it sees the first one's result and
	// never the entry it may have read before.
	t.Run("neverOverwriteNewer", func(t *testing.T) {
		open := b(t)
		a, c := open(t), open(t)
		key := KeyFor("serial")
		put(t, a, key, &Entry{AccessToken: "old", RefreshToken: "rt-old"})
		stale, err := c.Get(ctxT(t), key)
		if err != nil {
			t.Fatal(err)
		}
		inA := make(chan struct{})
		var enteredA sync.Once
		releaseA := make(chan struct{})
		var aDone atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Update(ctxT(t), key, func(_ context.Context, cur *Entry) (*Entry, error) {
				enteredA.Do(func() { close(inA) })
				<-releaseA
				aDone.Store(true)
				return &Entry{AccessToken: "new", RefreshToken: "rt-new"}, nil
			})
			if err != nil {
				t.Errorf("first Update: %v", err)
			}
		}()
		<-inA
		cResult := make(chan *Entry, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Update(ctxT(t), key, func(_ context.Context, cur *Entry) (*Entry, error) {
				if !aDone.Load() {
					t.Error("second Update ran while the first held the entry")
				}
				if cur == nil || cur.RefreshToken != "rt-new" {
					t.Errorf("second Update saw %v, want the first one's entry", cur)
				}
				// A careless caller writing back what it read earlier is
				// given the newer entry, so it can tell.
				if cur != nil && cur.Revision <= stale.Revision {
					t.Errorf("second Update saw revision %d, not newer than the stale %d", cur.Revision, stale.Revision)
				}
				return nil, nil
			})
			if err != nil {
				t.Errorf("second Update: %v", err)
			}
			cResult <- got
		}()
		time.Sleep(300 * time.Millisecond) // give the second Update time to (wrongly) run
		close(releaseA)
		wg.Wait()
		if got := <-cResult; got == nil || got.RefreshToken != "rt-new" {
			t.Errorf("second Update returned %v, want the first one's entry", got)
		}
	})

	t.Run("rotationUnderContention", func(t *testing.T) {
		open := b(t)
		ts := newRotatingServer(t, 1) // every token is stale at once: each Update refreshes
		key := KeyFor(ts.URL, "refresh_token", "client")
		put(t, open(t), key, &Entry{RefreshToken: ts.Initial()})
		const workers, rounds = 8, 3
		var wg sync.WaitGroup
		for range workers {
			s := open(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					if _, err := s.Update(ctxT(t), key, refreshFunc(ts.URL, 5*time.Minute)); err != nil {
						t.Errorf("Update: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		ts.check(t, open(t), key, workers*rounds)
	})

	t.Run("freshTokenReused", func(t *testing.T) {
		open := b(t)
		ts := newRotatingServer(t, 3600)
		key := KeyFor(ts.URL, "refresh_token", "client")
		put(t, open(t), key, &Entry{RefreshToken: ts.Initial()})
		var wg sync.WaitGroup
		for range 8 {
			s := open(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Update(ctxT(t), key, refreshFunc(ts.URL, 5*time.Minute)); err != nil {
					t.Errorf("Update: %v", err)
				}
			}()
		}
		wg.Wait()
		ts.check(t, open(t), key, 1)
	})
}

// rotatingServer is a token endpoint that rotates the refresh token on
// every use and answers a retired one with invalid_grant (RFC 6749 §5.2),
// as servers following RFC 9700 §4.14.2 do.
type rotatingServer struct {
	URL       string
	expiresIn int
	mu        sync.Mutex
	current   string
	gen       int
	refreshes int
	invalid   int
	inflight  int
	parallel  int
}

func newRotatingServer(t *testing.T, expiresIn int) *rotatingServer {
	ts := &rotatingServer{expiresIn: expiresIn, current: "rt-0-" + randomHex(t, 8)}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL + "/token"
	return ts
}

// Initial is the refresh token the chain starts from.
func (ts *rotatingServer) Initial() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.current
}

func (ts *rotatingServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/token" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	ts.mu.Lock()
	ts.inflight++
	ts.parallel = max(ts.parallel, ts.inflight)
	ts.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // widen the window a racing refresher would use
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.inflight--
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("refresh_token") != ts.current {
		ts.invalid++
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token reused"}`)
		return
	}
	ts.gen++
	ts.refreshes++
	ts.current = fmt.Sprintf("rt-%d-%s", ts.gen, strings.Repeat("x", 8))
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token":  fmt.Sprintf("at-%d", ts.gen),
		"token_type":    "Bearer",
		"refresh_token": ts.current,
		"expires_in":    ts.expiresIn,
	})
}

// check asserts the outcome of concurrent refreshes: no invalid_grant, one
// chain of exactly want refreshes, never two at once, and the stored entry
// holding the refresh token the server will accept next.
func (ts *rotatingServer) check(t *testing.T, s Store, key Key, want int) {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.invalid != 0 {
		t.Errorf("invalid_grant answers: got %d, want 0", ts.invalid)
	}
	if ts.refreshes != want {
		t.Errorf("refreshes: got %d, want %d", ts.refreshes, want)
	}
	if ts.parallel > 1 {
		t.Errorf("concurrent refreshes: got %d, want 1", ts.parallel)
	}
	got, err := s.Get(ctxT(t), key)
	if err != nil || got == nil {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if got.RefreshToken != ts.current {
		t.Errorf("stored refresh token is not the one the server accepts (generation %d)", ts.gen)
	}
	if wantAT := fmt.Sprintf("at-%d", ts.gen); got.AccessToken != wantAT {
		t.Errorf("stored access token got %q, want %q", got.AccessToken, wantAT)
	}
	// The seed was revision 1; each refresh added one.
	if got.Revision != uint64(want+1) {
		t.Errorf("stored revision got %d, want %d", got.Revision, want+1)
	}
}

// refreshFunc is the caller's side of the double-checked refresh: keep a
// token valid for longer than buffer, otherwise present the stored refresh
// token and return the answer to be saved.
func refreshFunc(tokenURL string, buffer time.Duration) UpdateFunc {
	return func(ctx context.Context, cur *Entry) (*Entry, error) {
		if cur.ValidFor(time.Now(), buffer) {
			return cur, nil
		}
		if cur == nil || cur.RefreshToken == "" {
			return nil, errors.New("no refresh token stored")
		}
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.RefreshToken}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken  string `json:"access_token"`
			TokenType    string `json:"token_type"`
			RefreshToken string `json:"refresh_token"`
			ExpiresIn    int    `json:"expires_in"`
			Error        string `json:"error"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("token endpoint: HTTP %d %s", resp.StatusCode, body.Error)
		}
		return &Entry{
			AccessToken:  body.AccessToken,
			TokenType:    body.TokenType,
			RefreshToken: body.RefreshToken,
			Expiry:       time.Now().Add(time.Duration(body.ExpiresIn) * time.Second),
		}, nil
	}
}

// runListTests is what every backend's List does: it lists the entries
// written, with their labels, in name order; an entry written with another
// key is listed with its error instead of failing the whole List; what an
// Update in progress or one that stored nothing leaves is not an entry; and
// every listed name can be deleted, the unreadable one included. keyed is
// false for a backend without a key (memory), which skips the other key.
func runListTests(t *testing.T, loc location, keyed bool) {
	t.Run("list", func(t *testing.T) {
		open, key := loc(t), testKey(t)
		s := mustOpen(t, open, key)
		if got, err := s.List(ctxT(t)); err != nil || len(got) != 0 {
			t.Fatalf("List of an empty store = %v, %v; want nothing", got, err)
		}
		labelled := func(kind, label, access string) *Entry {
			return &Entry{AccessToken: access, RefreshToken: "rt-" + access, Kind: kind, Label: label,
				TokenURLHost: "auth.example.com:8443", ClientID: "app", Grant: "refresh_token"}
		}
		want := map[Key]*Entry{
			KeyFor("list", "chain"):  labelled(KindChain, "connection ci", "at-chain"),
			KeyFor("list", "access"): labelled(KindAccess, "oauth2_access_token", "at-access"),
		}
		for k, e := range want {
			put(t, s, k, e)
		}
		// An Update that stores nothing leaves no entry (in vault, a
		// secret holding only the released lease).
		if _, err := s.Update(ctxT(t), KeyFor("list", "nothing"), func(context.Context, *Entry) (*Entry, error) { return nil, nil }); err != nil {
			t.Fatalf("Update storing nothing: %v", err)
		}
		var (
			wrongKey Key
			otherKey string
		)
		if keyed {
			wrongKey, otherKey = KeyFor("list", "other key"), testKey(t)
			put(t, mustOpen(t, open, otherKey), wrongKey, labelled(KindAccess, "other", "at-other"))
		}
		// List does not wait for an Update in progress: an entry held
		// is listed as last saved, a new one being created not at all.
		held := KeyFor("list", "chain")
		release, wait := holdEntry(t, s, held, labelled(KindChain, "connection ci", "at-chain-2"))
		releaseNew, waitNew := holdEntry(t, s, KeyFor("list", "being created"), nil)

		// Another Store on the location stands for another process.
		got, err := mustOpen(t, open, key).List(boundedCtx(t))
		release()
		releaseNew()
		if err := wait(); err != nil {
			t.Fatalf("held Update: %v", err)
		}
		if err := waitNew(); err != nil {
			t.Fatalf("held Update of a new entry: %v", err)
		}
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		wantN := len(want)
		if keyed {
			wantN++
		}
		if len(got) != wantN {
			t.Fatalf("List returned %d entries, want %d: %v", len(got), wantN, got)
		}
		for i, l := range got {
			if i > 0 && bytes.Compare(got[i-1].Key[:], l.Key[:]) >= 0 {
				t.Errorf("List is not in name order: %s before %s", got[i-1].Key, l.Key)
			}
			if keyed && l.Key == wrongKey {
				if !errors.Is(l.Err, ErrWrongKey) || l.Entry != nil {
					t.Errorf("entry written with another key listed as %v, %v; want ErrWrongKey and no entry", l.Entry, l.Err)
				}
				if l.Err != nil && strings.Contains(l.Err.Error(), "at-other") {
					t.Errorf("List error %q holds a token", l.Err)
				}
				continue
			}
			w := want[l.Key]
			if w == nil || l.Err != nil || l.Entry == nil {
				t.Errorf("listed %s: %v, %v; want one of the entries written", l.Key, l.Entry, l.Err)
				continue
			}
			e := l.Entry
			if e.AccessToken != w.AccessToken || e.RefreshToken != w.RefreshToken || e.Kind != w.Kind || e.Label != w.Label ||
				e.TokenURLHost != w.TokenURLHost || e.ClientID != w.ClientID || e.Grant != w.Grant || e.Revision != 1 {
				t.Errorf("listed %s = %v, want %v at revision 1", l.Key, e, w)
			}
		}
		if keyed {
			// The other key's store reads that one and not the others.
			other, err := mustOpen(t, open, otherKey).List(ctxT(t))
			if err != nil || len(other) != wantN {
				t.Fatalf("List with the other key = %v, %v; want %d entries", other, err, wantN)
			}
			for _, l := range other {
				if readable := l.Key == wrongKey; readable != (l.Err == nil && l.Entry != nil) || (!readable && !errors.Is(l.Err, ErrWrongKey)) {
					t.Errorf("List with the other key: %s listed as %v, %v", l.Key, l.Entry, l.Err)
				}
			}
		}

		// Every listed name can be deleted, with the store's own key.
		now, err := s.List(ctxT(t))
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, l := range now {
			if err := s.Delete(ctxT(t), l.Key); err != nil {
				t.Errorf("Delete of listed %s: %v", l.Key, err)
			}
		}
		if got, err := s.List(ctxT(t)); err != nil || len(got) != 0 {
			t.Errorf("List after deleting every listed entry = %v, %v; want nothing", got, err)
		}
		for k := range want {
			if got, err := s.Get(ctxT(t), k); err != nil || got != nil {
				t.Errorf("Get of deleted %s = %v, %v; want nil, nil", k, got, err)
			}
		}
	})
}
