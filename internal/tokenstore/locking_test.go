package tokenstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// boundedCtx bounds a call that must not wait for another Update: a store
// that wrongly waits fails the test with its lock error instead of hanging
// it. A correct store answers at once; the bound is far above that.
func boundedCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// holdEntry runs an Update of key on s whose function blocks until the
// returned release is called, and returns once the function is running.
// wait reports the Update's error after release.
func holdEntry(t *testing.T, s Store, key Key, result *Entry) (release func(), wait func() error) {
	t.Helper()
	entered, released := make(chan struct{}), make(chan struct{})
	var enterOnce, releaseOnce sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := s.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) {
			enterOnce.Do(func() { close(entered) })
			<-released
			return result, nil
		})
		done <- err
	}()
	<-entered
	release = func() { releaseOnce.Do(func() { close(released) }) }
	t.Cleanup(release) // never leave the holder blocked when a check fails
	return release, func() error { release(); return <-done }
}

// runLockingTests pins what Update's lock covers and what its final write
// survives, in every backend.
func runLockingTests(t *testing.T, b backend) {
	// A slow token request holds only its own entry: another entry's Update,
	// from this process or another, and a Get of the held entry go ahead
	// while it runs, and both writes are kept.
	t.Run("otherEntryNotBlocked", func(t *testing.T) {
		open := b(t)
		holder, other := open(t), open(t)
		slow, fast := KeyFor("slow"), KeyFor("fast")
		put(t, holder, slow, &Entry{AccessToken: "slow-0"})
		release, wait := holdEntry(t, holder, slow, &Entry{AccessToken: "slow-1"})
		for i, s := range []Store{holder, other} {
			if _, err := s.Update(boundedCtx(t), fast, func(_ context.Context, cur *Entry) (*Entry, error) {
				return &Entry{AccessToken: fmt.Sprintf("fast-%d", i)}, nil
			}); err != nil {
				t.Errorf("store %d: Update of another entry while one is held: %v", i, err)
			}
		}
		if got, err := other.Get(boundedCtx(t), slow); err != nil || got == nil || got.AccessToken != "slow-0" {
			t.Errorf("Get of the held entry = %v, %v; want the last saved one at once", got, err)
		}
		release()
		if err := wait(); err != nil {
			t.Fatalf("held Update: %v", err)
		}
		for key, want := range map[Key]string{slow: "slow-1", fast: "fast-1"} {
			if got, err := other.Get(ctxT(t), key); err != nil || got == nil || got.AccessToken != want {
				t.Errorf("Get = %v, %v; want access token %q", got, err, want)
			}
		}
	})

	// The token engine marks a refresh in flight by updating another entry
	// from inside the chain's function; that must neither deadlock nor wait
	// for a lock timeout.
	t.Run("nestedUpdate", func(t *testing.T) {
		s := b(t)(t)
		chain, marker := KeyFor("chain"), KeyFor("marker")
		_, err := s.Update(boundedCtx(t), chain, func(ctx context.Context, _ *Entry) (*Entry, error) {
			if _, err := s.Update(ctx, marker, func(context.Context, *Entry) (*Entry, error) {
				return &Entry{AccessToken: "in-flight"}, nil
			}); err != nil {
				return nil, err
			}
			return &Entry{AccessToken: "chain-1"}, nil
		})
		if err != nil {
			t.Fatalf("Update with a nested Update of another entry: %v", err)
		}
		for key, want := range map[Key]string{chain: "chain-1", marker: "in-flight"} {
			if got, err := s.Get(ctxT(t), key); err != nil || got == nil || got.AccessToken != want {
				t.Errorf("Get = %v, %v; want access token %q", got, err, want)
			}
		}
	})

	// Ctrl-C after the server answered a refresh: the caller's context is
	// cancelled once fn has the new tokens, and they must still be saved, or
	// the next run presents the refresh token the server just retired.
	t.Run("finalWriteSurvivesCancel", func(t *testing.T) {
		s := b(t)(t)
		key := KeyFor("cancel")
		put(t, s, key, &Entry{AccessToken: "at-0", RefreshToken: "rt-0"})
		ctx, cancel := context.WithCancel(ctxT(t))
		saved, err := s.Update(ctx, key, func(context.Context, *Entry) (*Entry, error) {
			cancel()
			return &Entry{AccessToken: "at-1", RefreshToken: "rt-1"}, nil
		})
		if err != nil || saved == nil || saved.RefreshToken != "rt-1" {
			t.Fatalf("Update cancelled after its function returned = %v, %v; want the new entry saved", saved, err)
		}
		got, err := s.Get(ctxT(t), key)
		if err != nil || got == nil || got.RefreshToken != "rt-1" || got.Revision != 2 {
			t.Errorf("Get = %v, %v; want rt-1 at revision 2", got, err)
		}
	})

	// encoding/json would turn invalid UTF-8 into U+FFFD and store a token
	// the server never issued; Update refuses it, names the field, and
	// leaves the stored entry as it was.
	t.Run("invalidUTF8Refused", func(t *testing.T) {
		s := b(t)(t)
		key := KeyFor("utf8")
		put(t, s, key, &Entry{AccessToken: "at-0", RefreshToken: "rt-0"})
		_, err := s.Update(ctxT(t), key, func(context.Context, *Entry) (*Entry, error) {
			return &Entry{AccessToken: "at-1", RefreshToken: "rt-\xff\xfe-secret"}, nil
		})
		if err == nil || !strings.Contains(err.Error(), "refresh_token is not valid UTF-8") || strings.Contains(err.Error(), "secret") {
			t.Errorf("Update with an invalid UTF-8 refresh token: %v; want an error naming refresh_token and not its value", err)
		}
		if got, err := s.Get(ctxT(t), key); err != nil || got == nil || got.RefreshToken != "rt-0" || got.Revision != 1 {
			t.Errorf("Get = %v, %v; want rt-0 at revision 1", got, err)
		}
	})
}
