package oauthclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestToken_ValidFor(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const buffer = 5 * time.Minute
	tests := []struct {
		name  string
		tok   *Token
		valid bool
	}{
		{"buffer-1ns left", &Token{AccessToken: "a", Expiry: now.Add(buffer - 1)}, false},
		{"exactly buffer left", &Token{AccessToken: "a", Expiry: now.Add(buffer)}, false},
		{"buffer+1ns left", &Token{AccessToken: "a", Expiry: now.Add(buffer + 1)}, true},
		{"expired", &Token{AccessToken: "a", Expiry: now.Add(-time.Second)}, false},
		{"unknown expiry", &Token{AccessToken: "a"}, true},
		{"no access token", &Token{Expiry: now.Add(time.Hour)}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.ValidFor(now, buffer); got != tt.valid {
				t.Errorf("ValidFor = %v, want %v", got, tt.valid)
			}
		})
	}
}

// TestToken_expiryBufferBoundary drives the client's cache at the exact
// buffer boundary through the injected clock.
func TestToken_expiryBufferBoundary(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const lifetime = time.Hour
	tests := []struct {
		name      string
		remaining time.Duration // token lifetime left when Token is called again
		wantCalls int32
	}{
		{"buffer-1ns left refetches", DefaultExpiryBuffer - 1, 2},
		{"buffer left refetches", DefaultExpiryBuffer, 2},
		{"buffer+1ns left is cached", DefaultExpiryBuffer + 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := setClock(t, start)
			var calls atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				writeJSON(w, 200, `{"access_token":"a","expires_in":3600}`)
			})
			c := newTestClient(t, Options{})
			req := ccRequest(srv.URL)
			tok, err := c.Token(context.Background(), req)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if want := start.Add(lifetime); !tok.Expiry.Equal(want) {
				t.Fatalf("Expiry = %v, want %v", tok.Expiry, want)
			}
			*clock = start.Add(lifetime - tt.remaining)
			if _, err := c.Token(context.Background(), req); err != nil {
				t.Fatalf("Token: %v", err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestExpiryBufferOption(t *testing.T) {
	for _, tt := range []struct {
		opt, want time.Duration
	}{{0, DefaultExpiryBuffer}, {time.Minute, time.Minute}, {-1, 0}} {
		c := newTestClient(t, Options{ExpiryBuffer: tt.opt})
		if got := c.ExpiryBuffer(); got != tt.want {
			t.Errorf("ExpiryBuffer(%v) = %v, want %v", tt.opt, got, tt.want)
		}
	}
}

func TestCache_hitWithoutRequest(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 200, okToken)
	})
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	first, err := c.Token(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Token(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("second Token returned a different token, want the cached one")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestCache_exchangeAlwaysRequestsAndStores(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 200, okToken)
	})
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	for range 2 {
		if _, err := c.Exchange(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Token(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2 (two Exchange, Token from cache)", got)
	}
}

func TestCache_concurrentCallersShareOneRequest(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		writeJSON(w, 200, okToken)
	})
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	var wg sync.WaitGroup
	toks := make([]*Token, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() { toks[i], errs[i] = c.Token(context.Background(), req) })
	}
	time.Sleep(100 * time.Millisecond) // let every caller join the flight
	close(release)
	wg.Wait()
	for i := range 20 {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Errorf("caller %d: token %p, err %v; want the shared token", i, toks[i], errs[i])
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

// TestCache_cancelledLeaderDoesNotFailOthers checks that when the caller
// that started a shared request gives up, the others still get a token.
func TestCache_cancelledLeaderDoesNotFailOthers(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			<-r.Context().Done() // the leader's request: never answered
			return
		}
		writeJSON(w, 200, okToken)
	})
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() {
		_, err := c.Token(ctx, req)
		leaderDone <- err
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	otherDone := make(chan error, 1)
	go func() {
		_, err := c.Token(context.Background(), req)
		otherDone <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader err = %v, want context.Canceled", err)
	}
	if err := <-otherDone; err != nil {
		t.Errorf("other caller err = %v, want a token", err)
	}
}

func TestCache_minValidityRefetches(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 200, `{"access_token":"a","expires_in":600}`) // 10 minutes
	})
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	if _, err := c.TokenValidFor(context.Background(), req, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TokenValidFor(context.Background(), req, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("server saw %d requests, want 1", got)
	}
	// The cached token has about 10 minutes left: not enough for 15.
	tok, err := c.TokenValidFor(context.Background(), req, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
	if tok.AccessToken != "a" {
		t.Errorf("AccessToken = %q, want %q", tok.AccessToken, "a")
	}
}

func TestCache_differentSecretDifferentKey(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, 200, okToken)
	})
	c := newTestClient(t, Options{})
	a := ccRequest(srv.URL)
	b := a
	b.ClientSecret = "other-secret"
	if requestKey(&a) == requestKey(&b) {
		t.Fatal("requests with different secrets share a key")
	}
	for _, r := range []Request{a, b, a, b} {
		if _, err := c.Token(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

// TestRequestKey_everyField checks that changing any field of a Request
// changes its key, and that field boundaries and map order do not matter.
func TestRequestKey_everyField(t *testing.T) {
	base := Request{
		TokenURL: "https://idp.example/t", TenantID: "t", GrantType: "g", AuthStyle: "a", Encoding: "e",
		ClientID: "ci", ClientSecret: "cs", Scopes: []string{"s1"}, ScopeDelimiter: ",", Scope: "",
		Username: "u", Password: "p", RefreshToken: "r", Code: "c", RedirectURI: "ru", CodeVerifier: "cv",
		DeviceCode: "dc", ExtraParams: map[string]string{"k": "v"},
	}
	k0 := requestKey(&base)
	typ := reflect.TypeFor[Request]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "AlsoRedact" {
			continue // documented as not part of the identity
		}
		r := base
		r.Scopes = append([]string(nil), base.Scopes...)
		r.ExtraParams = map[string]string{"k": "v"}
		v := reflect.ValueOf(&r).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.ValueOf("s2")))
		case reflect.Map:
			r.ExtraParams["k"] = "w"
		case reflect.Pointer:
			switch f.Name {
			case "ClientKey", "AssertionKey":
				v.Set(reflect.ValueOf(testSigningKey(t, "ec256", KeyOptions{})))
			case "ClientCertificate":
				v.Set(reflect.ValueOf(testClientCertificate(t)))
			default:
				t.Fatalf("pointer field %s is not covered", f.Name)
			}
		case reflect.Struct:
			// AssertionClaims: every claim field counts.
			st := v.Type()
			r.AssertionClaims.Extra = map[string]string{"scope": "s"}
			k1 := requestKey(&r)
			for j := range st.NumField() {
				rr := r
				rr.AssertionClaims.Extra = map[string]string{"scope": "s"}
				fv := reflect.ValueOf(&rr).Elem().Field(i).Field(j)
				switch fv.Kind() {
				case reflect.String:
					fv.SetString("y")
				case reflect.Int64:
					fv.SetInt(7)
				case reflect.Map:
					rr.AssertionClaims.Extra = map[string]string{"scope": "t"}
				}
				if requestKey(&rr) == k1 {
					t.Errorf("changing %s.%s keeps the key", f.Name, st.Field(j).Name)
				}
			}
			continue
		default:
			t.Fatalf("field %s of kind %s is not covered", f.Name, v.Kind())
		}
		if requestKey(&r) == k0 {
			t.Errorf("changing %s keeps the key", f.Name)
		}
	}
	a := Request{ClientID: "ab", ClientSecret: "c"}
	b := Request{ClientID: "a", ClientSecret: "bc"}
	if requestKey(&a) == requestKey(&b) {
		t.Error("field boundaries are ambiguous")
	}
	m1 := Request{ExtraParams: map[string]string{"a": "1", "b": "2", "c": "3"}}
	m2 := Request{ExtraParams: map[string]string{"c": "3", "b": "2", "a": "1"}}
	for range 10 {
		if requestKey(&m1) != requestKey(&m2) {
			t.Fatal("extra parameter order changes the key")
		}
	}
}

func TestCache_bounded(t *testing.T) {
	var c tokenCache
	for i := range maxCacheEntries + 10 {
		c.put(cacheKey{byte(i), byte(i >> 8)}, &Token{AccessToken: "a"})
	}
	if n := len(c.m); n > maxCacheEntries {
		t.Errorf("cache holds %d entries, want at most %d", n, maxCacheEntries)
	}
}

func TestCache_hitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, okToken) })
	c := newTestClient(t, Options{})
	req := ccRequest(srv.URL)
	req.Scopes = []string{"a", "b"}
	req.ExtraParams = map[string]string{"audience": "x", "resource": "y"}
	ctx := context.Background()
	if _, err := c.Token(ctx, req); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Token(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("cache hit allocates %v times, want 0", allocs)
	}
}
