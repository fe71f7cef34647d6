package tokenserver

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// markupClient is a client id that is markup, to prove the consent page
// escapes it.
const markupClient = `<b>"evil"</b>&co`

func consentConfig(clock *testClock) Config {
	cfg := testConfig()
	cfg.Clients[markupClient] = Client{Secret: "m-secret"}
	cfg.ConsentPage = true
	cfg.Now = clock.Now
	return cfg
}

// consentQuery is an authorization request of the confidential client.
func consentQuery(extra url.Values) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {"http://127.0.0.1:8085/cb"},
		"state": {"st&<1>"}, "scope": {"read write"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func codesIssued(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.codes)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// consentPage GETs the consent page and returns it with the form's fields.
func consentPage(t *testing.T, ts *httptest.Server, q url.Values) (answer, url.Values) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+AuthorizePath+"?"+q.Encode(), nil)
	page := do(t, req)
	if page.status != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %q, want the consent page", page.status, page.raw)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page.raw, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return page, form
}

// submitConsent POSTs form to the authorization endpoint as the page's form
// does.
func submitConsent(t *testing.T, ts *httptest.Server, form url.Values, decision string) answer {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if decision != "" {
		f.Set("decision", decision)
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+AuthorizePath, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func TestConsent_page(t *testing.T) {
	_, ts := newTestServer(t, consentConfig(newTestClock()))
	q := consentQuery(url.Values{"client_id": {markupClient}, "scope": {"read <script>x</script>"}, "login_hint": {"bob"}})
	page, form := consentPage(t, ts, q)
	for _, want := range []string{
		`<title>Authorize &lt;b&gt;&#34;evil&#34;&lt;/b&gt;&amp;co</title>`,
		`<li>read</li>`, `<li>&lt;script&gt;x&lt;/script&gt;</li>`,
		`<strong id="user">bob</strong>`,
		`<form id="consent" method="post" action="/oauth2/authorize">`,
		`id="allow"`, `id="deny"`, `>Allow</button>`, `>Deny</button>`,
	} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("page lacks %q:\n%s", want, page.raw)
		}
	}
	if strings.Contains(page.raw, "<script>") || strings.Contains(page.raw, markupClient) {
		t.Errorf("page reflects markup unescaped:\n%s", page.raw)
	}
	token := form.Get("csrf_token")
	form.Del("csrf_token")
	if form.Encode() != q.Encode() || !strings.HasPrefix(token, "csrf_") {
		t.Errorf("got hidden fields %q and token %q, want the request's parameters %q and a token", form.Encode(), token, q.Encode())
	}
	if page.header.Get("X-Frame-Options") != "DENY" || page.header.Get("Cache-Control") != "no-store" {
		t.Errorf("got headers %v, want no framing and no caching", page.header)
	}
	// Each page has a token of its own.
	if _, again := consentPage(t, ts, q); again.Get("csrf_token") == token {
		t.Error("two pages share an anti-CSRF token")
	}
}

func TestConsent_allow(t *testing.T) {
	s, ts := newTestServer(t, consentConfig(newTestClock()))
	verifier, challenge := pkcePair()
	q := consentQuery(url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "login_hint": {"bob"}})
	_, form := consentPage(t, ts, q)
	if n := codesIssued(s); n != 0 {
		t.Fatalf("the page issued %d codes, want none before the user allows", n)
	}
	a := submitConsent(t, ts, form, "allow")
	loc, err := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || err != nil {
		t.Fatalf("got %d %q, want a redirect", a.status, a.raw)
	}
	code := loc.Query().Get("code")
	if loc.Host != "127.0.0.1:8085" || loc.Path != "/cb" || loc.Query().Get("state") != "st&<1>" || code == "" || loc.Query().Has("error") {
		t.Fatalf("got redirect %q, want the callback with code and state", loc)
	}
	tok := post(t, ts, request{params: map[string]string{
		"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:8085/cb",
		"code_verifier": verifier, "client_id": testClient, "client_secret": testSecret,
	}})
	wantToken(t, tok)
	if me := callAPI(t, ts, "Bearer "+tok.str("access_token")); me.str("username") != "bob" || tok.str("scope") != "read write" {
		t.Errorf("got %q for %q, want bob's token with scope read write", me.raw, tok.raw)
	}
	// The token is spent.
	if again := submitConsent(t, ts, form, "allow"); again.status != http.StatusForbidden || again.header.Get("Location") != "" {
		t.Errorf("replayed form: got %d Location %q, want 403", again.status, again.header.Get("Location"))
	}
}

func TestConsent_deny(t *testing.T) {
	s, ts := newTestServer(t, consentConfig(newTestClock()))
	_, form := consentPage(t, ts, consentQuery(nil))
	a := submitConsent(t, ts, form, "deny")
	loc, err := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || err != nil {
		t.Fatalf("got %d %q, want a redirect", a.status, a.raw)
	}
	if q := loc.Query(); loc.Path != "/cb" || q.Get("error") != "access_denied" || q.Get("state") != "st&<1>" || q.Has("code") {
		t.Errorf("got redirect %q, want error=access_denied with the state and no code", loc)
	}
	if n := codesIssued(s); n != 0 {
		t.Errorf("got %d codes issued, want none", n)
	}
}

// Every POST that does not carry the token of a page issued for exactly
// its parameters is refused, and issues nothing.
func TestConsent_csrf(t *testing.T) {
	clock := newTestClock()
	s, ts := newTestServer(t, consentConfig(clock))
	tests := []struct {
		name   string
		change func(url.Values)
	}{
		{"no token", func(f url.Values) { f.Del("csrf_token") }},
		{"wrong token", func(f url.Values) { f.Set("csrf_token", "csrf_guess") }},
		{"two tokens", func(f url.Values) { f.Add("csrf_token", "csrf_guess") }},
		{"other redirect_uri", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:9999/steal") }},
		{"more scope", func(f url.Values) { f.Set("scope", "read write admin") }},
		{"other user", func(f url.Values) { f.Set("login_hint", "bob") }},
		{"expired", func(url.Values) { clock.Advance(codeLifetime + time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, form := consentPage(t, ts, consentQuery(nil))
			tt.change(form)
			a := submitConsent(t, ts, form, "allow")
			if a.status != http.StatusForbidden || a.header.Get("Location") != "" || !strings.Contains(a.raw, "Start the authorization again") {
				t.Errorf("got %d Location %q: %s, want 403", a.status, a.header.Get("Location"), a.raw)
			}
		})
	}
	// A POST of the bare request, as a server without the page accepts.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+AuthorizePath+"?"+consentQuery(nil).Encode(), nil)
	if a := do(t, req); a.status != http.StatusForbidden {
		t.Errorf("bare POST: got %d, want 403", a.status)
	}
	_, form := consentPage(t, ts, consentQuery(nil))
	if a := submitConsent(t, ts, form, ""); a.status != http.StatusBadRequest || a.header.Get("Location") != "" {
		t.Errorf("no decision: got %d, want 400", a.status)
	}
	if n := codesIssued(s); n != 0 {
		t.Errorf("got %d codes issued, want none", n)
	}
	// Invalid requests are refused before any page, as without it.
	if status, _ := authorize(t, ts, consentQuery(url.Values{"client_id": {"nobody"}})); status != http.StatusBadRequest {
		t.Errorf("unknown client: got %d, want 400", status)
	}
}

func TestDevice_pageIDs(t *testing.T) {
	_, ts := newTestServer(t, testConfig())
	req, _ := http.NewRequest(http.MethodGet, ts.URL+DeviceVerificationPath, nil)
	page := do(t, req)
	for _, want := range []string{`id="user_code"`, `id="approve"`, `id="deny"`, `<title>Device authorization</title>`} {
		if !strings.Contains(page.raw, want) {
			t.Errorf("device page lacks %q:\n%s", want, page.raw)
		}
	}
	if page.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("got X-Frame-Options %q, want DENY", page.header.Get("X-Frame-Options"))
	}
}
