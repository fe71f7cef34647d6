package tokens

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

const (
	testClientID     = "engine-client"
	testClientSecret = "engine-secret"
)

// rotatingServer starts a token server that rotates refresh tokens and
// revokes the grant when a retired one is presented again (RFC 9700
// §4.14.2), and returns it with a refresh token it issued.
func rotatingServer(t *testing.T, cfg tokenserver.Config) (*tokenserver.Server, string, string) {
	t.Helper()
	cfg.Clients = map[string]tokenserver.Client{testClientID: {Secret: testClientSecret}}
	cfg.Users = map[string]string{"alice": "wonderland"}
	cfg.RotateRefreshTokens = true
	srv := tokenserver.New(cfg)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs.URL + tokenserver.TokenPath, srv.IssueRefreshToken(testClientID, "alice", "read")
}

// clock is a settable clock shared by an engine and its test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEngine returns an engine over store with a client of its own, as each
// CLI process (plan, apply, a later run) has.
func newEngine(t *testing.T, store tokenstore.Store, clk *clock, ex func(Exchanger) Exchanger) *Engine {
	t.Helper()
	c, err := oauthclient.New(oauthclient.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	var client Exchanger = c
	if ex != nil {
		client = ex(c)
	}
	return New(Options{Client: client, Store: store, Now: clk.Now})
}

func fileStore(t *testing.T, path string) tokenstore.Store {
	t.Helper()
	s, err := tokenstore.NewFile(tokenstore.FileConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func refreshRequest(tokenURL, refreshToken string, scopes ...string) Request {
	return Request{Token: oauthclient.Request{
		TokenURL:     tokenURL,
		GrantType:    oauthclient.GrantRefreshToken,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RefreshToken: refreshToken,
		Scopes:       scopes,
	}}
}

func mustToken(t *testing.T, e *Engine, r Request, p Policy) *Result {
	t.Helper()
	res, err := e.Token(context.Background(), r, p)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if res.Token == nil || res.Token.AccessToken == "" {
		t.Fatal("Token returned no access token")
	}
	return res
}

// Each run is a new process: a new engine and client over the same store
// file. The configured refresh token stays the one first issued, so every
// run after the first must present the stored successor.
func TestRotatingChainSurvivesRuns(t *testing.T) {
	srv, tokenURL, rt := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	path := filepath.Join(t.TempDir(), "tokens.json")
	clk := newClock()
	req := refreshRequest(tokenURL, rt)

	for run := 1; run <= 3; run++ {
		// plan and apply: two processes, one refresh between them.
		plan := newEngine(t, fileStore(t, path), clk, nil)
		res := mustToken(t, plan, req, Policy{MinValidity: 5 * time.Minute})
		if res.Requests != 1 {
			t.Fatalf("run %d plan: %d requests, want 1", run, res.Requests)
		}
		apply := newEngine(t, fileStore(t, path), clk, nil)
		if res := mustToken(t, apply, req, Policy{MinValidity: 5 * time.Minute}); res.Requests != 0 {
			t.Fatalf("run %d apply: %d requests, want 0 (the plan's token is fresh)", run, res.Requests)
		}
		clk.Advance(2 * time.Hour)
	}
	if got := srv.Stats().Grants["refresh_token"]; got != 3 {
		t.Errorf("server saw %d refresh grants, want 3", got)
	}
}

// Requests that differ in scopes or extra parameters but start from one
// refresh token share its chain: none presents a token another retired.
func TestRequestsSharingARefreshTokenShareItsChain(t *testing.T) {
	srv, tokenURL, rt := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	store := fileStore(t, filepath.Join(t.TempDir(), "tokens.json"))
	clk := newClock()
	a := refreshRequest(tokenURL, rt, "read")
	b := refreshRequest(tokenURL, rt)
	b.Token.ExtraParams = map[string]string{"audience": "api"}

	for run := 1; run <= 3; run++ {
		e := newEngine(t, store, clk, nil)
		for _, r := range []Request{a, b} {
			if res := mustToken(t, e, r, Policy{}); res.Requests != 1 {
				t.Fatalf("run %d: %d requests, want 1", run, res.Requests)
			}
		}
		clk.Advance(2 * time.Hour)
	}
	if got := srv.Stats().Grants["refresh_token"]; got != 6 {
		t.Errorf("server saw %d refresh grants, want 6", got)
	}
}

// cancelAfter cancels the caller's context once the server has answered, as
// Ctrl-C during a refresh does.
type cancelAfter struct {
	Exchanger
	cancel context.CancelFunc
}

func (c cancelAfter) Exchange(ctx context.Context, req oauthclient.Request) (*oauthclient.Token, error) {
	tok, err := c.Exchanger.Exchange(ctx, req)
	c.cancel()
	return tok, err
}

func TestRotationSavedAfterCancellation(t *testing.T) {
	_, tokenURL, rt := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	path := filepath.Join(t.TempDir(), "tokens.json")
	clk := newClock()
	req := refreshRequest(tokenURL, rt)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEngine(t, fileStore(t, path), clk, func(c Exchanger) Exchanger { return cancelAfter{c, cancel} })
	if _, err := e.Token(ctx, req, Policy{}); err != nil {
		t.Fatalf("Token with the context cancelled after the answer: %v", err)
	}
	clk.Advance(2 * time.Hour)
	if res := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req, Policy{}); res.Requests != 1 {
		t.Fatalf("next run: %d requests, want 1", res.Requests)
	}
}

// lostAnswer performs the request, then reports a failure as a process that
// died before saving would: the server has rotated the refresh token.
type lostAnswer struct{ Exchanger }

func (l lostAnswer) Exchange(ctx context.Context, req oauthclient.Request) (*oauthclient.Token, error) {
	if _, err := l.Exchanger.Exchange(ctx, req); err != nil {
		return nil, err
	}
	return nil, context.Canceled
}

func TestInterruptedRefreshIsReported(t *testing.T) {
	_, tokenURL, rt := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	store := fileStore(t, filepath.Join(t.TempDir(), "tokens.json"))
	clk := newClock()
	req := refreshRequest(tokenURL, rt)

	started := clk.Now()
	_, err := newEngine(t, store, clk, func(c Exchanger) Exchanger { return lostAnswer{c} }).Token(context.Background(), req, Policy{})
	if err == nil {
		t.Fatal("the interrupted refresh succeeded")
	}
	clk.Advance(time.Minute)
	_, err = newEngine(t, store, clk, nil).Token(context.Background(), req, Policy{})
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an InterruptedError", err)
	}
	if !ie.Since.Equal(started.UTC()) {
		t.Errorf("Since = %v, want %v", ie.Since, started.UTC())
	}
	if !IsInvalidGrant(err) {
		t.Errorf("the InterruptedError does not wrap the server's invalid_grant: %v", err)
	}
}

// A refusal the server sent means no refresh is in flight any more: the
// next failure is reported as what it is.
func TestRefusedRefreshLeavesNoInFlightRecord(t *testing.T) {
	_, tokenURL, _ := rotatingServer(t, tokenserver.Config{})
	store := tokenstore.NewMemory()
	clk := newClock()
	req := refreshRequest(tokenURL, "not-a-refresh-token")
	for i := 0; i < 2; i++ {
		_, err := newEngine(t, store, clk, nil).Token(context.Background(), req, Policy{})
		var ie *InterruptedError
		if errors.As(err, &ie) || !IsInvalidGrant(err) {
			t.Fatalf("attempt %d: got %v, want a plain invalid_grant", i+1, err)
		}
	}
}

func TestUnknownLifetimeIsBounded(t *testing.T) {
	srv, tokenURL, _ := rotatingServer(t, tokenserver.Config{OmitExpiresIn: true})
	clk := newClock()
	e := newEngine(t, nil, clk, nil)
	req := Request{Token: oauthclient.Request{TokenURL: tokenURL, GrantType: oauthclient.GrantClientCredentials, ClientID: testClientID, ClientSecret: testClientSecret}}
	p := Policy{MinValidity: 5 * time.Minute}

	first := mustToken(t, e, req, p)
	if first.Token.ExpiryKnown() {
		t.Fatal("a token without expires_in got an expiry")
	}
	// Reused while DefaultUnknownLifetime - MinValidity has not passed.
	clk.Advance(DefaultUnknownLifetime - p.MinValidity - time.Nanosecond)
	if res := mustToken(t, e, req, p); res.Requests != 0 {
		t.Fatalf("%d requests 1ns before the assumed end of life, want 0", res.Requests)
	}
	clk.Advance(time.Nanosecond)
	if res := mustToken(t, e, req, p); res.Requests != 1 {
		t.Fatalf("%d requests at the assumed end of life, want 1", res.Requests)
	}
	if got := srv.Stats().Grants["client_credentials"]; got != 2 {
		t.Errorf("server saw %d grants, want 2", got)
	}
}

func TestMaxAgeRefusesReuse(t *testing.T) {
	_, tokenURL, _ := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	clk := newClock()
	e := newEngine(t, nil, clk, nil)
	req := Request{Token: oauthclient.Request{TokenURL: tokenURL, GrantType: oauthclient.GrantClientCredentials, ClientID: testClientID, ClientSecret: testClientSecret}}
	mustToken(t, e, req, Policy{})
	clk.Advance(time.Minute)
	if res := mustToken(t, e, req, Policy{MaxAge: time.Minute + time.Nanosecond}); res.Requests != 0 {
		t.Errorf("max age not reached: %d requests, want 0", res.Requests)
	}
	if res := mustToken(t, e, req, Policy{MaxAge: time.Minute}); res.Requests != 1 {
		t.Errorf("max age reached: %d requests, want 1", res.Requests)
	}
}

// A lifetime too large for a time.Duration must neither overflow into a
// token that is always stale nor give a negative remaining lifetime.
func TestHugeExpiresIn(t *testing.T) {
	requests := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":9223372036854775807}`))
	}))
	defer hs.Close()
	clk := newClock()
	e := newEngine(t, fileStore(t, filepath.Join(t.TempDir(), "tokens.json")), clk, nil)
	req := Request{Token: oauthclient.Request{TokenURL: hs.URL, GrantType: oauthclient.GrantClientCredentials, ClientID: "c", ClientSecret: "s"}}
	mustToken(t, e, req, Policy{MinValidity: time.Hour})
	res := mustToken(t, e, req, Policy{MinValidity: time.Hour})
	if res.Requests != 0 || requests != 1 {
		t.Fatalf("second token: %d requests (%d at the server), want a reused token", res.Requests, requests)
	}
	if res.Token.ExpiresIn <= 0 {
		t.Errorf("ExpiresIn = %d, want positive", res.Token.ExpiresIn)
	}
}

// Without a durable store a rotation is reported: its successor dies with the
// process.
func TestRotationWithoutDurableStoreIsReported(t *testing.T) {
	_, tokenURL, rt := rotatingServer(t, tokenserver.Config{})
	res := mustToken(t, newEngine(t, nil, newClock(), nil), refreshRequest(tokenURL, rt), Policy{})
	if !res.RotationNotKept {
		t.Error("RotationNotKept = false for a rotation kept in memory only")
	}
	res = mustToken(t, newEngine(t, fileStore(t, filepath.Join(t.TempDir(), "t.json")), newClock(), nil),
		refreshRequest(tokenURL, res.Token.RefreshToken), Policy{})
	if res.RotationNotKept {
		t.Error("RotationNotKept = true with a file store")
	}
}

// failingWrites fails every save after its function ran.
type failingWrites struct{ tokenstore.Store }

func (f failingWrites) Update(ctx context.Context, key tokenstore.Key, fn tokenstore.UpdateFunc) (*tokenstore.Entry, error) {
	_, err := f.Store.Update(ctx, key, func(ctx context.Context, cur *tokenstore.Entry) (*tokenstore.Entry, error) {
		next, err := fn(ctx, cur)
		if err != nil {
			return nil, err
		}
		if next != nil && next != cur && next.AccessToken != "" {
			return nil, errors.New("disk full")
		}
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	return f.Store.Get(ctx, key)
}

func TestNothingHandedOutThatCouldNotBeSaved(t *testing.T) {
	_, tokenURL, rt := rotatingServer(t, tokenserver.Config{})
	e := newEngine(t, failingWrites{tokenstore.NewMemory()}, newClock(), nil)
	res, err := e.Token(context.Background(), refreshRequest(tokenURL, rt), Policy{})
	var se *SaveError
	if !errors.As(err, &se) || res != nil {
		t.Fatalf("got %v, %v; want no result and a SaveError", res, err)
	}
}

// An entry an earlier version wrote under the whole request's name moves to
// the chain's name on first use, and the old name is removed.
func TestLegacyRequestEntryMigrates(t *testing.T) {
	srv, tokenURL, rt := rotatingServer(t, tokenserver.Config{})
	store := fileStore(t, filepath.Join(t.TempDir(), "tokens.json"))
	req := refreshRequest(tokenURL, rt)
	// The earlier version refreshed once and kept the successor.
	c, err := oauthclient.New(oauthclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Exchange(context.Background(), req.Token)
	if err != nil {
		t.Fatal(err)
	}
	legacy := legacyRequestKey(req.Token, store.NameKey())
	if _, err := store.Update(context.Background(), legacy, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return &tokenstore.Entry{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}, nil
	}); err != nil {
		t.Fatal(err)
	}

	clk := newClock()
	for run := 1; run <= 2; run++ {
		if res := mustToken(t, newEngine(t, store, clk, nil), req, Policy{}); res.Requests != 1 {
			t.Fatalf("run %d: %d requests, want 1", run, res.Requests)
		}
		clk.Advance(2 * time.Hour)
	}
	if old, err := store.Get(context.Background(), legacy); err != nil || old != nil {
		t.Errorf("legacy entry after migration: %v, %v; want none", old, err)
	}
	if got := srv.Stats().Grants["refresh_token"]; got != 3 {
		t.Errorf("server saw %d refresh grants, want 3", got)
	}
}

// A connection's password grant starts its chain; an access token request by
// connection id draws on it, and on a configured token's chain through the
// link a refresh_token connection writes.
func TestConnectionChains(t *testing.T) {
	_, tokenURL, rt := rotatingServer(t, tokenserver.Config{})
	store := tokenstore.NewMemory()
	clk := newClock()
	e := newEngine(t, store, clk, nil)

	password := Request{Connection: "conn-password", Token: oauthclient.Request{
		TokenURL: tokenURL, GrantType: oauthclient.GrantPassword, ClientID: testClientID,
		ClientSecret: testClientSecret, Username: "alice", Password: "wonderland",
	}}
	mustToken(t, e, password, Policy{Fresh: true})

	refresh := refreshRequest(tokenURL, rt)
	refresh.Connection = "conn-refresh"
	mustToken(t, e, refresh, Policy{Fresh: true})

	for _, id := range []string{"conn-password", "conn-refresh"} {
		byID := Request{Connection: id, Token: oauthclient.Request{
			TokenURL: tokenURL, GrantType: oauthclient.GrantRefreshToken, ClientID: testClientID, ClientSecret: testClientSecret,
		}}
		for i := 0; i < 2; i++ {
			if res := mustToken(t, e, byID, Policy{Fresh: true}); res.Requests != 1 {
				t.Fatalf("%s: %d requests, want 1", id, res.Requests)
			}
		}
	}
	// The configured token's own chain still works after the refreshes by id.
	mustToken(t, e, refresh, Policy{Fresh: true})

	_, err := e.Token(context.Background(), Request{Connection: "unknown", Token: oauthclient.Request{
		TokenURL: tokenURL, GrantType: oauthclient.GrantRefreshToken, ClientID: testClientID,
	}}, Policy{})
	if !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("unknown connection: got %v, want ErrNoRefreshToken", err)
	}
}

// A CI job presents a new OpenID Connect token at every run; the stored
// access token of the same workload is reused without a request, and
// another workload's is never handed out.
func TestWorkloadAssertionsReuseTheirOwnTokens(t *testing.T) {
	var (
		mu       sync.Mutex
		requests int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"at-` + string(rune('0'+n)) + `","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "tokens")
	clk := newClock()
	req := func(sub, jti string) Request {
		return Request{Token: oauthclient.Request{
			TokenURL: srv.URL, GrantType: oauthclient.GrantClientCredentials, ClientID: "app",
			ClientAssertion: unsignedJWT(t, map[string]any{"iss": "https://ci.example", "sub": sub, "aud": "api://x", "jti": jti}),
		}}
	}
	first := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req("job-a", "1"), Policy{MinValidity: time.Minute})
	second := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req("job-a", "2"), Policy{MinValidity: time.Minute})
	if second.Requests != 0 || second.Token.AccessToken != first.Token.AccessToken {
		t.Errorf("the same workload's next run made %d requests and got %q, want 0 and %q", second.Requests, second.Token.AccessToken, first.Token.AccessToken)
	}
	other := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req("job-b", "3"), Policy{MinValidity: time.Minute})
	if other.Requests != 1 || other.Token.AccessToken == first.Token.AccessToken {
		t.Errorf("another workload got %q after %d requests, want its own token", other.Token.AccessToken, other.Requests)
	}
}

// An unshared token is neither taken from the store nor left in it.
func TestUnsharedTokensAreNotStored(t *testing.T) {
	var (
		mu       sync.Mutex
		requests int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"at-` + string(rune('0'+n)) + `","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "tokens")
	clk := newClock()
	req := Request{Token: oauthclient.Request{TokenURL: srv.URL, GrantType: oauthclient.GrantClientCredentials, ClientID: "c", ClientSecret: "s"}}
	shared := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req, Policy{MinValidity: time.Minute})
	unshared := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req, Policy{MinValidity: time.Minute, Unshared: true})
	if unshared.Requests != 1 || unshared.Token.AccessToken == shared.Token.AccessToken {
		t.Errorf("the unshared token %q came after %d requests; want a new one, not the stored %q", unshared.Token.AccessToken, unshared.Requests, shared.Token.AccessToken)
	}
	again := mustToken(t, newEngine(t, fileStore(t, path), clk, nil), req, Policy{MinValidity: time.Minute})
	if again.Requests != 0 || again.Token.AccessToken != shared.Token.AccessToken {
		t.Errorf("a later shared open got %q after %d requests; want the stored %q: the unshared token leaked into the store", again.Token.AccessToken, again.Requests, shared.Token.AccessToken)
	}
}

// Every entry the engine writes carries the request's labels, so that a
// listing of the store can tell entries apart, and no label holds a secret
// or more of the token URL than its host.
func TestEntriesCarryLabels(t *testing.T) {
	srv, tokenURL, rt := rotatingServer(t, tokenserver.Config{TokenLifetime: time.Hour})
	tokenURL += "?tenant=query-part"
	u, err := url.Parse(tokenURL)
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, l tokenstore.Listed, kind string, secrets ...string) {
		t.Helper()
		e := l.Entry
		if l.Err != nil || e == nil {
			t.Fatalf("listed %s: %v, %v", l.Key, e, l.Err)
		}
		if e.Kind != kind || e.Label != "ci connection" || e.TokenURLHost != u.Host || e.ClientID != testClientID || e.Grant != "refresh_token" {
			t.Errorf("%s entry labels: kind %q, label %q, token URL host %q, client ID %q, grant %q; want %q, %q, %q, %q, %q",
				kind, e.Kind, e.Label, e.TokenURLHost, e.ClientID, e.Grant, kind, "ci connection", u.Host, testClientID, "refresh_token")
		}
		shown := fmt.Sprint(e)
		for _, s := range append(secrets, testClientSecret, rt, tokenserver.TokenPath, "query-part") {
			for _, label := range []string{e.Kind, e.Label, e.TokenURLHost, e.ClientID, e.Grant, shown} {
				if s != "" && strings.Contains(label, s) {
					t.Errorf("%s entry: a label or its String() %q holds a secret or the token URL's path or query", kind, label)
				}
			}
		}
	}

	store := tokenstore.NewMemory()
	req := refreshRequest(tokenURL, rt)
	req.Connection, req.Label = "conn-ci", "ci connection"
	res := mustToken(t, newEngine(t, store, newClock(), nil), req, Policy{})
	listed, err := store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, l := range listed {
		if l.Entry == nil {
			t.Fatalf("listed %s: %v", l.Key, l.Err)
		}
		kinds[l.Entry.Kind]++
		check(t, l, l.Entry.Kind, res.Token.AccessToken, res.Token.RefreshToken)
		if l.Entry.Kind != tokenstore.KindChain && l.Entry.RefreshToken != "" {
			t.Errorf("the %s entry holds a refresh token", l.Entry.Kind)
		}
	}
	if want := map[string]int{tokenstore.KindChain: 1, tokenstore.KindAccess: 1, tokenstore.KindConnection: 1}; !maps.Equal(kinds, want) {
		t.Errorf("kinds of entries written: %v, want %v", kinds, want)
	}

	// A refresh whose answer was lost leaves its in-flight record, labelled.
	store = tokenstore.NewMemory()
	req.Token.RefreshToken = srv.IssueRefreshToken(testClientID, "alice", "read")
	if _, err := newEngine(t, store, newClock(), func(c Exchanger) Exchanger { return lostAnswer{c} }).Token(context.Background(), req, Policy{}); err == nil {
		t.Fatal("the interrupted refresh succeeded")
	}
	listed, err = store.List(context.Background())
	if err != nil || len(listed) != 1 {
		t.Fatalf("List after an interrupted refresh = %v, %v; want the in-flight record", listed, err)
	}
	check(t, listed[0], tokenstore.KindInFlight, req.Token.RefreshToken)
}

// Connections that share credentials each prove them with a request of
// their own. With no refresh token presented there is nothing to
// serialize, so the requests are in flight together: the server holds
// every request until all of them have arrived, and answers anyway after
// a bound, when the count it saw says whether they overlapped.
func TestFreshGrantsOfOneCredentialRunTogether(t *testing.T) {
	const n = 4
	var (
		mu       sync.Mutex
		inFlight int
		most     int
		issued   int
		arrived  = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if inFlight == n {
			close(arrived)
		}
		mu.Unlock()
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		inFlight--
		issued++
		token := "at-" + strconv.Itoa(issued)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"` + token + `","token_type":"Bearer","expires_in":3600}`))
	}))
	t.Cleanup(srv.Close)
	store := fileStore(t, filepath.Join(t.TempDir(), "tokens"))
	e := newEngine(t, store, newClock(), nil)
	req := Request{Token: oauthclient.Request{TokenURL: srv.URL, GrantType: oauthclient.GrantClientCredentials, ClientID: "c", ClientSecret: "s"}}

	results := make([]*Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = mustToken(t, e, req, Policy{Fresh: true}) })
	}
	wg.Wait()
	if most != n {
		t.Errorf("at most %d of %d fresh token requests were in flight together; want all: they wait on one another", most, n)
	}
	saved := map[string]bool{}
	for _, res := range results {
		if res.Requests != 1 {
			t.Errorf("a fresh token came after %d requests, want 1", res.Requests)
		}
		saved[res.Token.AccessToken] = true
	}
	if len(saved) != n {
		t.Errorf("%d distinct tokens for %d fresh requests", len(saved), n)
	}
	// One of them is stored and reused without a request.
	reused := mustToken(t, newEngine(t, store, newClock(), nil), req, Policy{MinValidity: time.Minute})
	if reused.Requests != 0 || !saved[reused.Token.AccessToken] {
		t.Errorf("a later request got %q after %d requests; want one of the fresh tokens, reused", reused.Token.AccessToken, reused.Requests)
	}
}
