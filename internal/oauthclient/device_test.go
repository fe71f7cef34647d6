package oauthclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

const (
	dDeviceCode = "dc+/=device-SECRET"
	dSecret     = "tv-secret"
)

// deviceClock is a clock shared by the client (timeNow) and, in the tests
// against the project's server, the server (Config.Now); the client's sleep
// hook moves it forward instead of waiting.
type deviceClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (k *deviceClock) Now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.now
}

func (k *deviceClock) advance(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.now = k.now.Add(d)
}

func (k *deviceClock) recorded() []time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]time.Duration(nil), k.waits...)
}

// useDeviceClock makes c sleep on a fake clock: every wait is recorded,
// then before(n, d) (n counts waits from 1) may act and return how far to
// move the clock; nil before moves it by d.
func useDeviceClock(t *testing.T, c *Client, before func(n int, d time.Duration) time.Duration) *deviceClock {
	t.Helper()
	k := &deviceClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	old := timeNow
	timeNow = k.Now
	t.Cleanup(func() { timeNow = old })
	c.sleep = func(ctx context.Context, d time.Duration) error {
		k.mu.Lock()
		k.waits = append(k.waits, d)
		n := len(k.waits)
		k.mu.Unlock()
		step := d
		if before != nil {
			step = before(n, d)
		}
		k.advance(step)
		return ctx.Err()
	}
	return k
}

func TestAuthorizeDevice_wire(t *testing.T) {
	tests := []struct {
		name      string
		req       DeviceAuthorizationRequest
		wantAuth  string
		wantBody  string
		answer    string
		wantAuthz DeviceAuthorization
	}{
		{
			name:     "public client",
			req:      DeviceAuthorizationRequest{ClientID: "tv", Scopes: []string{"read", "write"}},
			wantBody: "client_id=tv&scope=read+write",
			answer: `{"device_code":"` + dDeviceCode + `","user_code":"BCDF-GHJK","verification_uri":"https://idp.example/device",` +
				`"verification_uri_complete":"https://idp.example/device?user_code=BCDF-GHJK","expires_in":600,"interval":3}`,
			wantAuthz: DeviceAuthorization{DeviceCode: dDeviceCode, UserCode: "BCDF-GHJK", VerificationURI: "https://idp.example/device",
				VerificationURIComplete: "https://idp.example/device?user_code=BCDF-GHJK", ExpiresIn: 600, Interval: 3},
		},
		{
			name:     "basic with a secret, interval absent",
			req:      DeviceAuthorizationRequest{ClientID: "tv id", ClientSecret: "s&cret", Scopes: []string{"a", "b"}, ScopeDelimiter: ","},
			wantAuth: "Basic " + basic("tv+id", "s%26cret"),
			wantBody: "scope=a%2Cb",
			answer:   `{"device_code":"d","user_code":"U","verification_url":"https://g.example/device","expires_in":"1800"}`,
			wantAuthz: DeviceAuthorization{DeviceCode: "d", UserCode: "U", VerificationURI: "https://g.example/device",
				ExpiresIn: 1800, Interval: 5},
		},
		{
			name:     "post with extra parameters",
			req:      DeviceAuthorizationRequest{ClientID: "tv", ClientSecret: "sec", AuthStyle: AuthPost, ExtraParams: map[string]string{"audience": "api"}},
			wantBody: "audience=api&client_id=tv&client_secret=sec",
			answer:   `{"device_code":"d","user_code":"U","verification_uri":"http://127.0.0.1/device"}`,
			wantAuthz: DeviceAuthorization{DeviceCode: "d", UserCode: "U", VerificationURI: "http://127.0.0.1/device",
				Interval: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = record(r)
				writeJSON(w, http.StatusOK, tt.answer)
			})
			c := newTestClient(t, Options{})
			now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			setClock(t, now)
			tt.req.DeviceAuthorizationURL = srv.URL + "/device_authorization"
			a, err := c.AuthorizeDevice(t.Context(), tt.req)
			if err != nil {
				t.Fatalf("AuthorizeDevice: %v", err)
			}
			want := seen{method: http.MethodPost, path: "/device_authorization", auth: tt.wantAuth,
				ctype: "application/x-www-form-urlencoded", accept: "application/json", body: tt.wantBody}
			if got != want {
				t.Errorf("request\n got %+v\nwant %+v", got, want)
			}
			if tt.wantAuthz.ExpiresIn > 0 {
				tt.wantAuthz.Expiry = now.Add(time.Duration(tt.wantAuthz.ExpiresIn) * time.Second)
			}
			if *a != tt.wantAuthz {
				t.Errorf("authorization\n got %+v\nwant %+v", *a, tt.wantAuthz)
			}
		})
	}
}

func basic(id, secret string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(id, secret)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestAuthorizeDevice_invalid(t *testing.T) {
	c := newTestClient(t, Options{})
	u := "https://idp.example/device_authorization"
	tests := []struct {
		name string
		req  DeviceAuthorizationRequest
		want string
	}{
		{"no url", DeviceAuthorizationRequest{ClientID: "tv"}, "url is required"},
		{"no client id", DeviceAuthorizationRequest{DeviceAuthorizationURL: u}, "needs a client id"},
		{"post without secret", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", AuthStyle: AuthPost}, "needs a client secret"},
		{"none with secret", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", ClientSecret: "s", AuthStyle: AuthNone}, "would not send it"},
		{"private key jwt", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", AuthStyle: AuthPrivateKeyJWT}, "no signing key"},
		{"unknown style", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", AuthStyle: "magic"}, "unknown client authentication"},
		{"extra conflicts", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", Scopes: []string{"a"}, ExtraParams: map[string]string{"scope": "b"}}, "conflicts"},
		{"extra client_id with basic", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", ClientSecret: "s", ExtraParams: map[string]string{"client_id": "x"}}, "conflicts"},
		{"plain http", DeviceAuthorizationRequest{DeviceAuthorizationURL: "http://idp.example/d", ClientID: "tv"}, "plain http"},
		{"tls without certificate", DeviceAuthorizationRequest{DeviceAuthorizationURL: u, ClientID: "tv", AuthStyle: AuthTLSClient}, "needs a client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AuthorizeDevice(t.Context(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// Refusals and malformed answers are *Errors naming the device
// authorization endpoint, and never show the device code or the secret,
// however the server echoes them.
func TestAuthorizeDevice_refusals(t *testing.T) {
	// The device code can only be kept out of answers that carry it.
	echo := "echo " + dDeviceCode + " " + url.QueryEscape(dDeviceCode) + " " + dSecret
	echoSecret := "echo " + dSecret + " " + url.QueryEscape(dSecret)
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		code   string
		want   string
	}{
		{"invalid_client", 401, "application/json", `{"error":"invalid_client","error_description":"` + echoSecret + `"}`, "invalid_client", "device authorization endpoint"},
		{"error in a 200", 200, "application/json", `{"error":"invalid_scope"}`, "invalid_scope", "invalid_scope"},
		{"no user_code", 200, "application/json", `{"device_code":"` + dDeviceCode + `","verification_uri":"https://x.example/d","message":"` + echo + `"}`, "", "has no user_code"},
		{"javascript uri", 200, "application/json", `{"device_code":"` + dDeviceCode + `","user_code":"U","verification_uri":"javascript:alert(1)"}`, "", "not an http or https URL"},
		{"bad interval", 200, "application/json", `{"device_code":"` + dDeviceCode + `","user_code":"U","verification_uri":"https://x.example/d","interval":"soon"}`, "", "interval"},
		{"form answer", 200, "text/plain", "device_code=" + url.QueryEscape(dDeviceCode) + "&user_code=U", "", "not a device authorization response"},
		{"html", 500, "text/html", "<html>" + echoSecret + "</html>", "", "HTML page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			var logs logSink
			c := newTestClient(t, Options{MaxRetries: -1, Logger: logs.logger()})
			_, err := c.AuthorizeDevice(t.Context(), DeviceAuthorizationRequest{
				DeviceAuthorizationURL: srv.URL, ClientID: "tv", ClientSecret: dSecret,
			})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if e.Code != tt.code || e.StatusCode != tt.status || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q (code %q, status %d), want code %q, status %d and %q", err, e.Code, e.StatusCode, tt.code, tt.status, tt.want)
			}
			texts := []string{err.Error()}
			for _, ev := range logs.all() {
				texts = append(texts, fmt.Sprint(ev.fields))
			}
			for _, s := range texts {
				for _, secret := range []string{dDeviceCode, url.QueryEscape(dDeviceCode), dSecret} {
					if strings.Contains(s, secret) {
						t.Errorf("%q leaks %q", s, secret)
					}
				}
			}
		})
	}
}

// deviceTokenServer answers the device access token requests with the
// given answers in order (the last repeats), recording each request.
func deviceTokenServer(t *testing.T, answers ...string) (*httptest.Server, *[]seen) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, record(r))
		n := len(reqs)
		mu.Unlock()
		a := answers[min(n, len(answers))-1]
		if strings.Contains(a, `"error"`) {
			writeJSON(w, http.StatusBadRequest, a)
			return
		}
		writeJSON(w, http.StatusOK, a)
	})
	return srv, &reqs
}

const (
	pending  = `{"error":"authorization_pending"}`
	slowDown = `{"error":"slow_down","error_description":"wait longer"}`
)

func TestPollDeviceToken_pendingSlowDownSuccess(t *testing.T) {
	srv, reqs := deviceTokenServer(t, pending, slowDown, pending, okToken)
	c := newTestClient(t, Options{})
	clock := useDeviceClock(t, c, nil)
	auth := &DeviceAuthorization{DeviceCode: dDeviceCode, Interval: 2, ExpiresIn: 600, Expiry: clock.Now().Add(600 * time.Second)}
	tok, err := c.PollDeviceToken(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv"}, auth)
	if err != nil {
		t.Fatalf("PollDeviceToken: %v", err)
	}
	if tok.AccessToken != "at-1" {
		t.Errorf("got access token %q, want at-1", tok.AccessToken)
	}
	// The first poll waits the interval too; slow_down adds 5 s for that
	// wait and every later one.
	want := []time.Duration{2 * time.Second, 2 * time.Second, 7 * time.Second, 7 * time.Second}
	if got := clock.recorded(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got waits %v, want %v", got, want)
	}
	wantBody := "client_id=tv&device_code=" + url.QueryEscape(dDeviceCode) + "&grant_type=" + url.QueryEscape(string(GrantDeviceCode))
	if len(*reqs) != 4 {
		t.Fatalf("got %d polls, want 4", len(*reqs))
	}
	for i, r := range *reqs {
		if r.method != http.MethodPost || r.body != wantBody || r.auth != "" || r.ctype != "application/x-www-form-urlencoded" {
			t.Errorf("poll %d: got %+v, want a form POST of %q", i+1, r, wantBody)
		}
	}
	// The token is cached under the request it was polled with.
	cached, err := c.Token(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv", GrantType: GrantDeviceCode, DeviceCode: dDeviceCode})
	if err != nil || cached != tok || len(*reqs) != 4 {
		t.Errorf("got %v, %v after %d requests, want the cached token", cached, err, len(*reqs))
	}
}

// With a secret, every poll authenticates as a token request does, and the
// default interval is 5 s.
func TestPollDeviceToken_confidential(t *testing.T) {
	srv, reqs := deviceTokenServer(t, pending, okToken)
	c := newTestClient(t, Options{})
	clock := useDeviceClock(t, c, nil)
	_, err := c.PollDeviceToken(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv", ClientSecret: dSecret, AuthStyle: AuthBasic, Encoding: EncodingJSON},
		&DeviceAuthorization{DeviceCode: "dev-code-2"})
	if err != nil {
		t.Fatalf("PollDeviceToken: %v", err)
	}
	if got := clock.recorded(); fmt.Sprint(got) != "[5s 5s]" {
		t.Errorf("got waits %v, want 5 s twice", got)
	}
	r := (*reqs)[0]
	if r.auth != "Basic "+basic("tv", dSecret) || r.body != `{"device_code":"dev-code-2","grant_type":"`+string(GrantDeviceCode)+`"}` {
		t.Errorf("got %+v, want Basic and a JSON body", r)
	}
}

func TestPollDeviceToken_final(t *testing.T) {
	tests := []struct {
		name     string
		answer   string
		sentinel error
		code     string
	}{
		{"access_denied", `{"error":"access_denied","error_description":"the user said no to ` + dDeviceCode + `"}`, ErrDeviceAccessDenied, "access_denied"},
		{"expired_token", `{"error":"expired_token"}`, ErrDeviceExpired, "expired_token"},
		{"invalid_grant", `{"error":"invalid_grant","error_description":"device code ` + dDeviceCode + ` is not valid"}`, nil, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reqs := deviceTokenServer(t, pending, tt.answer)
			var logs logSink
			c := newTestClient(t, Options{Logger: logs.logger()})
			useDeviceClock(t, c, nil)
			_, err := c.PollDeviceToken(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv"}, &DeviceAuthorization{DeviceCode: dDeviceCode, Interval: 1})
			if err == nil {
				t.Fatal("PollDeviceToken succeeded, want an error")
			}
			if len(*reqs) != 2 {
				t.Errorf("got %d polls, want 2", len(*reqs))
			}
			for _, s := range []error{ErrDeviceAccessDenied, ErrDeviceExpired} {
				if want := s == tt.sentinel; errors.Is(err, s) != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, s, !want, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("got %v, want an *Error with code %s", err, tt.code)
			}
			texts := []string{err.Error()}
			for _, ev := range logs.all() {
				texts = append(texts, fmt.Sprint(ev.fields))
			}
			for _, s := range texts {
				if strings.Contains(s, dDeviceCode) || strings.Contains(s, url.QueryEscape(dDeviceCode)) {
					t.Errorf("%q leaks the device code", s)
				}
			}
		})
	}
}

// The local expiry ends polling when it passes, or when it comes before the
// next poll would.
func TestPollDeviceToken_localExpiry(t *testing.T) {
	srv, reqs := deviceTokenServer(t, pending)
	c := newTestClient(t, Options{})
	clock := useDeviceClock(t, c, nil)
	auth := &DeviceAuthorization{DeviceCode: dDeviceCode, Interval: 5, ExpiresIn: 12, Expiry: clock.Now().Add(12 * time.Second)}
	_, err := c.PollDeviceToken(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv"}, auth)
	if !errors.Is(err, ErrDeviceExpired) || errors.Is(err, ErrDeviceAccessDenied) {
		t.Fatalf("got %v, want ErrDeviceExpired", err)
	}
	if len(*reqs) != 2 || strings.Contains(err.Error(), dDeviceCode) {
		t.Errorf("got %d polls and %q, want 2 polls (at 5 s and 10 s) and no device code", len(*reqs), err)
	}

	// Already expired: no poll at all.
	*reqs = nil
	auth.Expiry = clock.Now().Add(-time.Second)
	if _, err := c.PollDeviceToken(t.Context(), Request{TokenURL: srv.URL, ClientID: "tv"}, auth); !errors.Is(err, ErrDeviceExpired) || len(*reqs) != 0 {
		t.Errorf("got %v after %d polls, want ErrDeviceExpired at once", err, len(*reqs))
	}
}

func TestPollDeviceToken_cancel(t *testing.T) {
	srv, reqs := deviceTokenServer(t, pending)
	t.Run("during a wait", func(t *testing.T) {
		c := newTestClient(t, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		useDeviceClock(t, c, func(n int, d time.Duration) time.Duration {
			if n == 3 {
				cancel()
			}
			return d
		})
		_, err := c.PollDeviceToken(ctx, Request{TokenURL: srv.URL, ClientID: "tv"}, &DeviceAuthorization{DeviceCode: dDeviceCode})
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDeviceExpired) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if len(*reqs) != 2 {
			t.Errorf("got %d polls, want 2", len(*reqs))
		}
	})
	t.Run("real sleep", func(t *testing.T) {
		c := newTestClient(t, Options{}) // the real sleep: 5 s per poll
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.PollDeviceToken(ctx, Request{TokenURL: srv.URL, ClientID: "tv"}, &DeviceAuthorization{DeviceCode: dDeviceCode})
		if !errors.Is(err, context.Canceled) || time.Since(start) > 3*time.Second {
			t.Errorf("got %v after %s, want context.Canceled at once", err, time.Since(start))
		}
	})
}

func TestPollDeviceToken_invalid(t *testing.T) {
	c := newTestClient(t, Options{})
	u := "https://idp.example/token"
	auth := &DeviceAuthorization{DeviceCode: "d"}
	tests := []struct {
		name string
		req  Request
		auth *DeviceAuthorization
		want string
	}{
		{"no authorization", Request{TokenURL: u}, nil, "needs the device code"},
		{"other grant", Request{TokenURL: u, GrantType: GrantClientCredentials}, auth, "not \"client_credentials\""},
		{"other device code", Request{TokenURL: u, DeviceCode: "e"}, auth, "not the device authorization's"},
		{"no token url", Request{}, auth, "token url is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PollDeviceToken(t.Context(), tt.req, tt.auth)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := (Request{TokenURL: u, GrantType: GrantDeviceCode}).Validate(); err == nil || !strings.Contains(err.Error(), "needs a device code") {
		t.Errorf("device code grant without a device code: got %v", err)
	}
	if err := (Request{TokenURL: u, GrantType: GrantClientCredentials, DeviceCode: "d"}).Validate(); err == nil || !strings.Contains(err.Error(), "belongs to the device code grant") {
		t.Errorf("device code with another grant: got %v", err)
	}
}

// deviceEnv is the project's server with a client whose clock is the
// server's, so that the server's interval and slow_down rules see the waits
// the client makes.
type deviceEnv struct {
	s     *tokenserver.Server
	c     *Client
	clock *deviceClock
	base  string
	hook  atomic.Pointer[func(n int, d time.Duration) time.Duration]
}

// setHook sets what the client's sleep does on wait n before the clock
// moves by what it returns.
func (env *deviceEnv) setHook(h func(n int, d time.Duration) time.Duration) { env.hook.Store(&h) }

func startDeviceServer(t *testing.T, cfg tokenserver.Config) *deviceEnv {
	t.Helper()
	env := &deviceEnv{c: newTestClient(t, Options{})}
	env.clock = useDeviceClock(t, env.c, func(n int, d time.Duration) time.Duration {
		if h := env.hook.Load(); h != nil {
			return (*h)(n, d)
		}
		return d
	})
	cfg.Now = env.clock.Now
	cfg.Clients = map[string]tokenserver.Client{"tv": {}, "conf": {Secret: dSecret}}
	cfg.Users = map[string]string{"alice": "pw"}
	env.s = tokenserver.New(cfg)
	env.base = newServer(t, env.s.Handler().ServeHTTP).URL
	return env
}

func TestDevice_tokenserver(t *testing.T) {
	env := startDeviceServer(t, tokenserver.Config{DevicePollInterval: 5 * time.Second})
	s, clock, c, base := env.s, env.clock, env.c, env.base
	a, err := c.AuthorizeDevice(t.Context(), DeviceAuthorizationRequest{
		DeviceAuthorizationURL: base + tokenserver.DeviceAuthorizationPath, ClientID: "tv", Scopes: []string{"read"},
	})
	if err != nil {
		t.Fatalf("AuthorizeDevice: %v", err)
	}
	if a.Interval != 5 || a.ExpiresIn != 600 || !a.Expiry.Equal(clock.Now().Add(600*time.Second)) ||
		a.VerificationURI != base+tokenserver.DeviceVerificationPath || a.VerificationURIComplete != a.VerificationURI+"?user_code="+a.UserCode {
		t.Errorf("got %+v", a)
	}
	// Wait 2: 3 s only, which the server answers with slow_down (interval
	// now 10 s); wait 4: the user approves meanwhile.
	env.setHook(func(n int, d time.Duration) time.Duration {
		switch n {
		case 2:
			return 3 * time.Second
		case 4:
			if err := s.ApproveDevice(a.UserCode); err != nil {
				t.Errorf("ApproveDevice: %v", err)
			}
		}
		return d
	})
	tok, err := c.PollDeviceToken(t.Context(), Request{TokenURL: base + tokenserver.TokenPath, ClientID: "tv"}, a)
	if err != nil {
		t.Fatalf("PollDeviceToken: %v", err)
	}
	if got := fmt.Sprint(clock.recorded()); got != "[5s 5s 10s 10s]" {
		t.Errorf("got waits %s, want [5s 5s 10s 10s]", got)
	}
	if tok.Scope != "read" || tok.RefreshToken == "" {
		t.Errorf("got %+v, want scope read and a refresh token", tok)
	}
	req, _ := http.NewRequest(http.MethodGet, base+tokenserver.APIPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&me)
	if resp.StatusCode != http.StatusOK || me["client_id"] != "tv" || me["username"] != "alice" {
		t.Errorf("got /api/me %d %v, want tv acting for alice", resp.StatusCode, me)
	}
	if st := s.Stats(); st.DeviceAuthorizations != 1 || st.Grants[tokenserver.GrantTypeDeviceCode] != 4 {
		t.Errorf("got stats %+v, want 1 device authorization and 4 polls", st)
	}
}

func TestDevice_tokenserverOutcomes(t *testing.T) {
	start := func(t *testing.T, cfg tokenserver.Config, clientID, secret string) (*deviceEnv, *DeviceAuthorization, Request) {
		env := startDeviceServer(t, cfg)
		a, err := env.c.AuthorizeDevice(t.Context(), DeviceAuthorizationRequest{
			DeviceAuthorizationURL: env.base + tokenserver.DeviceAuthorizationPath, ClientID: clientID, ClientSecret: secret,
		})
		if err != nil {
			t.Fatalf("AuthorizeDevice: %v", err)
		}
		return env, a, Request{TokenURL: env.base + tokenserver.TokenPath, ClientID: clientID, ClientSecret: secret}
	}
	t.Run("confidential client approved", func(t *testing.T) {
		env, a, req := start(t, tokenserver.Config{DevicePollInterval: -1}, "conf", dSecret)
		if a.Interval != 5 {
			t.Errorf("got interval %d for a server that sends 0, want the default 5", a.Interval)
		}
		env.setHook(func(n int, d time.Duration) time.Duration {
			if n == 2 {
				_ = env.s.ApproveDevice(a.UserCode)
			}
			return d
		})
		if _, err := env.c.PollDeviceToken(t.Context(), req, a); err != nil {
			t.Fatalf("PollDeviceToken: %v", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		env, a, req := start(t, tokenserver.Config{DevicePollInterval: -1}, "tv", "")
		env.setHook(func(n int, d time.Duration) time.Duration {
			if n == 3 {
				_ = env.s.DenyDevice(a.UserCode)
			}
			return d
		})
		_, err := env.c.PollDeviceToken(t.Context(), req, a)
		if !errors.Is(err, ErrDeviceAccessDenied) {
			t.Errorf("got %v, want ErrDeviceAccessDenied", err)
		}
	})
	t.Run("expired at the server", func(t *testing.T) {
		env, a, req := start(t, tokenserver.Config{DevicePollInterval: -1, DeviceCodeLifetime: time.Minute}, "tv", "")
		a.Expiry = time.Time{} // only the server knows
		_, err := env.c.PollDeviceToken(t.Context(), req, a)
		var e *Error
		if !errors.Is(err, ErrDeviceExpired) || !errors.As(err, &e) || e.Code != "expired_token" {
			t.Errorf("got %v, want ErrDeviceExpired from expired_token", err)
		}
	})
	t.Run("expired locally", func(t *testing.T) {
		env, a, req := start(t, tokenserver.Config{DevicePollInterval: -1, DeviceCodeLifetime: time.Minute}, "tv", "")
		_, err := env.c.PollDeviceToken(t.Context(), req, a)
		var e *Error
		if !errors.Is(err, ErrDeviceExpired) || errors.As(err, &e) {
			t.Errorf("got %v, want the local ErrDeviceExpired", err)
		}
	})
	t.Run("echoed device code", func(t *testing.T) {
		env, a, req := start(t, tokenserver.Config{DevicePollInterval: -1, EchoSecretsInErrors: true}, "tv", "")
		a.DeviceCode += "-wrong"
		_, err := env.c.PollDeviceToken(t.Context(), req, a)
		var e *Error
		if !errors.As(err, &e) || e.Code != "invalid_grant" || strings.Contains(err.Error(), a.DeviceCode) || !strings.Contains(err.Error(), redacted) {
			t.Errorf("got %v, want invalid_grant with the echoed device code redacted", err)
		}
	})
}
