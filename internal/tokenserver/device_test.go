package tokenserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a Config.Now the test moves forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// deviceConfig is testConfig with a clock and a one-second poll interval.
func deviceConfig(clock *testClock) Config {
	cfg := testConfig()
	cfg.Now = clock.Now
	cfg.DevicePollInterval = time.Second
	return cfg
}

// startDevice asks the device authorization endpoint for codes as the
// public client "mobile".
func startDevice(t *testing.T, ts *httptest.Server, v url.Values, auth ...string) answer {
	t.Helper()
	if v == nil {
		v = url.Values{"client_id": {"mobile"}}
	}
	return postValues(t, nil, ts.URL+DeviceAuthorizationPath, v, auth...)
}

// pollDevice is one device access token request by "mobile".
func pollDevice(t *testing.T, ts *httptest.Server, deviceCode string) answer {
	t.Helper()
	return postValues(t, nil, ts.URL+TokenPath, url.Values{
		"grant_type": {GrantTypeDeviceCode}, "device_code": {deviceCode}, "client_id": {"mobile"},
	})
}

var userCodeForm = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestDevice_flow(t *testing.T) {
	clock := newTestClock()
	s, ts := newTestServer(t, deviceConfig(clock))
	a := startDevice(t, ts, url.Values{"client_id": {"mobile"}, "scope": {"read"}})
	if a.status != http.StatusOK || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("got %d %q Cache-Control %q, want a 200 not to be stored", a.status, a.raw, a.header.Get("Cache-Control"))
	}
	deviceCode, userCode := a.str("device_code"), a.str("user_code")
	if !strings.HasPrefix(deviceCode, "dc_") || !userCodeForm.MatchString(userCode) {
		t.Errorf("got device_code %q and user_code %q, want dc_… and XXXX-XXXX in consonants", deviceCode, userCode)
	}
	if got, want := a.str("verification_uri"), ts.URL+"/device"; got != want {
		t.Errorf("got verification_uri %q, want %q", got, want)
	}
	if got, want := a.str("verification_uri_complete"), ts.URL+"/device?user_code="+userCode; got != want {
		t.Errorf("got verification_uri_complete %q, want %q", got, want)
	}
	if a.fields["expires_in"] != 600.0 || a.fields["interval"] != 1.0 {
		t.Errorf("got expires_in %v and interval %v, want 600 and 1", a.fields["expires_in"], a.fields["interval"])
	}

	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "authorization_pending")
	// RFC 8628 §3.5: too soon is slow_down, and the interval grows by 5 s
	// each time, so one second later is still too soon.
	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "slow_down")
	clock.Advance(time.Second)
	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "slow_down")
	clock.Advance(11 * time.Second)
	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "authorization_pending")

	// The user types the code in lower case without the dash.
	if err := s.ApproveDevice(strings.ToLower(strings.ReplaceAll(userCode, "-", " "))); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(userCode); err == nil {
		t.Error("a second ApproveDevice succeeded, want an error")
	}
	clock.Advance(11 * time.Second)
	tok := pollDevice(t, ts, deviceCode)
	wantToken(t, tok)
	if tok.str("scope") != "read" || !strings.HasPrefix(tok.str("refresh_token"), "rt_") {
		t.Errorf("got %q, want scope read and a refresh token", tok.raw)
	}
	me := callAPI(t, ts, "Bearer "+tok.str("access_token"))
	if me.status != http.StatusOK || me.str("client_id") != "mobile" || me.str("username") != testUser {
		t.Errorf("got /api/me %d %q, want mobile acting for %s", me.status, me.raw, testUser)
	}

	// The device code is good for one token response only.
	clock.Advance(11 * time.Second)
	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "invalid_grant")
	wantToken(t, postValues(t, nil, ts.URL+TokenPath, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tok.str("refresh_token")}, "client_id": {"mobile"},
	}))

	st := s.Stats()
	if st.DeviceAuthorizations != 1 || st.Grants[GrantTypeDeviceCode] != 6 || st.TokensIssued != 2 || st.InvalidGrants != 1 {
		t.Errorf("got stats %+v", st)
	}
	if got := s.Leaks("polling with " + deviceCode); len(got) != 1 || got[0] != `device code issued to client "mobile"` {
		t.Errorf("got leaks %q, want the device code", got)
	}
}

func TestDevice_verificationPage(t *testing.T) {
	clock := newTestClock()
	s, ts := newTestServer(t, deviceConfig(clock))
	a := startDevice(t, ts, nil)
	deviceCode, userCode := a.str("device_code"), a.str("user_code")

	req, _ := http.NewRequest(http.MethodGet, a.str("verification_uri_complete"), nil)
	page := do(t, req)
	if page.status != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page.raw, `value="`+userCode+`"`) || !strings.Contains(page.raw, `value="approve"`) {
		t.Fatalf("got %d %q, want the form with the code filled in", page.status, page.raw)
	}
	req, _ = http.NewRequest(http.MethodGet, ts.URL+DeviceVerificationPath+"?user_code="+url.QueryEscape(`"><script>`), nil)
	if page := do(t, req); strings.Contains(page.raw, "<script>") {
		t.Errorf("the page reflects markup unescaped: %q", page.raw)
	}

	decide := func(code, action string) answer {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+DeviceVerificationPath, strings.NewReader(url.Values{"user_code": {code}, "action": {action}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(t, req)
	}
	for _, tc := range []struct{ code, action string }{
		{userCode, "maybe"},
		{"BBBB-BBBB", "approve"},
		{"", "approve"},
	} {
		if page := decide(tc.code, tc.action); page.status != http.StatusBadRequest {
			t.Errorf("code %q action %q: got %d, want 400", tc.code, tc.action, page.status)
		}
	}
	wantError(t, pollDevice(t, ts, deviceCode), http.StatusBadRequest, "authorization_pending")

	if page := decide(userCode, "approve"); page.status != http.StatusOK || !strings.Contains(page.raw, "approved for "+testUser) {
		t.Fatalf("got %d %q, want approval as %s", page.status, page.raw, testUser)
	}
	if page := decide(userCode, "deny"); page.status != http.StatusBadRequest || !strings.Contains(page.raw, "already approved") {
		t.Errorf("got %d %q for a second decision, want 400 already approved", page.status, page.raw)
	}
	clock.Advance(time.Second)
	wantToken(t, pollDevice(t, ts, deviceCode))

	req, _ = http.NewRequest(http.MethodPut, ts.URL+DeviceVerificationPath, nil)
	if page := do(t, req); page.status != http.StatusMethodNotAllowed || page.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT: got %d Allow %q", page.status, page.header.Get("Allow"))
	}

	// Denied through the page, the next poll is access_denied.
	a = startDevice(t, ts, nil)
	if page := decide(a.str("user_code"), "deny"); page.status != http.StatusOK || !strings.Contains(page.raw, "denied") {
		t.Errorf("got %d %q, want the denial confirmed", page.status, page.raw)
	}
	wantError(t, pollDevice(t, ts, a.str("device_code")), http.StatusBadRequest, "access_denied")
	if st := s.Stats(); st.DeviceAuthorizations != 2 {
		t.Errorf("got %d device authorizations, want 2", st.DeviceAuthorizations)
	}
}

func TestDevice_denyAndExpiry(t *testing.T) {
	clock := newTestClock()
	cfg := deviceConfig(clock)
	cfg.DeviceCodeLifetime = 2 * time.Minute
	s, ts := newTestServer(t, cfg)

	denied := startDevice(t, ts, nil)
	if err := s.DenyDevice(denied.str("user_code")); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(denied.str("user_code")); err == nil {
		t.Error("ApproveDevice after DenyDevice succeeded, want an error")
	}
	wantError(t, pollDevice(t, ts, denied.str("device_code")), http.StatusBadRequest, "access_denied")

	expiring := startDevice(t, ts, nil)
	if expiring.fields["expires_in"] != 120.0 {
		t.Errorf("got expires_in %v, want 120", expiring.fields["expires_in"])
	}
	clock.Advance(2 * time.Minute)
	wantError(t, pollDevice(t, ts, expiring.str("device_code")), http.StatusBadRequest, "expired_token")
	if err := s.ApproveDevice(expiring.str("user_code")); err == nil {
		t.Error("ApproveDevice of an expired code succeeded, want an error")
	}
	if err := s.DenyDevice("nonsense"); err == nil {
		t.Error("DenyDevice of an unknown code succeeded, want an error")
	}
}

// TestDevice_noInterval checks a negative DevicePollInterval lets a test
// poll in a tight loop without slow_down.
func TestDevice_noInterval(t *testing.T) {
	cfg := testConfig()
	cfg.DevicePollInterval = -1
	s, ts := newTestServer(t, cfg)
	a := startDevice(t, ts, nil)
	if a.fields["interval"] != 0.0 {
		t.Errorf("got interval %v, want 0", a.fields["interval"])
	}
	for range 3 {
		wantError(t, pollDevice(t, ts, a.str("device_code")), http.StatusBadRequest, "authorization_pending")
	}
	if err := s.ApproveDevice(a.str("user_code")); err != nil {
		t.Fatal(err)
	}
	wantToken(t, pollDevice(t, ts, a.str("device_code")))

	// The default is RFC 8628's five seconds.
	_, ts = newTestServer(t, testConfig())
	if a := startDevice(t, ts, nil); a.fields["interval"] != 5.0 {
		t.Errorf("got default interval %v, want 5", a.fields["interval"])
	}
}

func TestDevice_clientAuthAndErrors(t *testing.T) {
	clock := newTestClock()
	cfg := deviceConfig(clock)
	cfg.Scopes = []string{"read"}
	cfg.FormEncodedResponse = true // a token endpoint quirk only
	s, ts := newTestServer(t, cfg)

	wantError(t, startDevice(t, ts, url.Values{}), http.StatusUnauthorized, "invalid_client")
	wantError(t, startDevice(t, ts, url.Values{}, testClient, "wrong"), http.StatusUnauthorized, "invalid_client")
	wantError(t, startDevice(t, ts, url.Values{"client_id": {"mobile"}, "scope": {"admin"}}), http.StatusBadRequest, "invalid_scope")
	req, _ := http.NewRequest(http.MethodGet, ts.URL+DeviceAuthorizationPath+"?client_id=mobile", nil)
	wantError(t, do(t, req), http.StatusMethodNotAllowed, "invalid_request")

	// A confidential client authenticates at both endpoints.
	a := startDevice(t, ts, url.Values{}, testClient, testSecret)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %q", a.status, a.raw)
	}
	if err := s.ApproveDevice(a.str("user_code")); err != nil {
		t.Fatal(err)
	}
	poll := url.Values{"grant_type": {GrantTypeDeviceCode}, "device_code": {a.str("device_code")}}
	if got := postValues(t, nil, ts.URL+TokenPath, poll); got.status != http.StatusUnauthorized {
		t.Errorf("got %d %q without client authentication, want 401", got.status, got.raw)
	}
	// Another client cannot redeem it, and learns nothing from trying.
	if got := pollDevice(t, ts, a.str("device_code")); got.status != http.StatusBadRequest || !strings.Contains(got.raw, "error=invalid_grant") {
		t.Errorf("got %d %q from another client, want invalid_grant", got.status, got.raw)
	}
	if got := postValues(t, nil, ts.URL+TokenPath, url.Values{"grant_type": {GrantTypeDeviceCode}}, testClient, testSecret); !strings.Contains(got.raw, "error=invalid_request") {
		t.Errorf("got %q without device_code, want invalid_request", got.raw)
	}
	got := postValues(t, nil, ts.URL+TokenPath, poll, testClient, testSecret)
	if got.status != http.StatusOK || !strings.Contains(got.raw, "access_token=at_") {
		t.Errorf("got %d %q, want a token", got.status, got.raw)
	}
}

func TestDevice_started(t *testing.T) {
	s := New(testConfig())
	if s.DeviceAuthorizationURL() != "" || s.DeviceVerificationURL() != "" {
		t.Error("got device URLs before Start, want empty")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got, want := s.DeviceAuthorizationURL(), s.URL()+"/oauth2/device_authorization"; got != want {
		t.Errorf("got DeviceAuthorizationURL %q, want %q", got, want)
	}
	a := postValues(t, nil, s.DeviceAuthorizationURL(), url.Values{"client_id": {"mobile"}})
	if got, want := a.str("verification_uri"), s.DeviceVerificationURL(); got != want || want != s.URL()+"/device" {
		t.Errorf("got verification_uri %q, want %q", got, want)
	}
}
