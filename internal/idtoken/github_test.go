package idtoken

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reqToken stands in for ACTIONS_ID_TOKEN_REQUEST_TOKEN; it must never
// appear in an error.
const reqToken = "ghs_RequestTokenNeverToBeShown0123456789"

// gitHubRequest is what the test endpoint saw.
type gitHubRequest struct {
	method, path, auth, audience string
	query                        url.Values
}

// gitHubServer starts an ID token endpoint on 127.0.0.1 that records each
// request and answers with handle.
func gitHubServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) (srv *httptest.Server, seen *[]gitHubRequest) {
	t.Helper()
	seen = new([]gitHubRequest)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = append(*seen, gitHubRequest{
			method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"),
			audience: r.URL.Query().Get("audience"), query: r.URL.Query(),
		})
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// gitHubEnv is the environment GitHub gives a job with id-token: write, with
// requestURL as the endpoint (GitHub's URL always carries api-version).
func gitHubEnv(requestURL string) func(string) string {
	return env(map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   requestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": reqToken,
	})
}

func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestGitHubActions(t *testing.T) {
	tok := jwt(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/infra:environment:prod", "aud": "api://AzureADTokenExchange"})
	srv, seen := gitHubServer(t, answer(http.StatusOK, `{"count":1,"value":"`+tok+`"}`))

	tests := []struct {
		name      string
		path      string // appended to the server URL
		audience  string
		wantQuery url.Values
	}{
		{name: "no audience", path: "/idtoken?api-version=2.0", wantQuery: url.Values{"api-version": {"2.0"}}},
		{
			name: "audience appended to the existing query", path: "/idtoken?api-version=2.0",
			audience:  "api://AzureADTokenExchange",
			wantQuery: url.Values{"api-version": {"2.0"}, "audience": {"api://AzureADTokenExchange"}},
		},
		{
			name: "audience that needs escaping", path: "/idtoken?api-version=2.0&x=a%26b",
			audience:  "https://sts.example/a b?c=d&e",
			wantQuery: url.Values{"api-version": {"2.0"}, "x": {"a&b"}, "audience": {"https://sts.example/a b?c=d&e"}},
		},
		{name: "audience without a query", path: "/idtoken", audience: "aud", wantQuery: url.Values{"audience": {"aud"}}},
		{name: "audience after a bare question mark", path: "/idtoken?", audience: "aud", wantQuery: url.Values{"audience": {"aud"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*seen = nil
			f := Fetcher{Getenv: gitHubEnv(srv.URL + tt.path)}
			got, err := f.Token(t.Context(), Source{Kind: GitHubActions, Audience: tt.audience})
			if err != nil {
				t.Fatalf("Token() error: %v", err)
			}
			if got != tok {
				t.Fatalf("Token() = %q, want the endpoint's value", got)
			}
			if len(*seen) != 1 {
				t.Fatalf("endpoint saw %d requests, want 1", len(*seen))
			}
			r := (*seen)[0]
			if r.method != http.MethodGet || r.path != "/idtoken" || r.auth != "bearer "+reqToken {
				t.Errorf("request = %s %s with Authorization %q; want GET /idtoken with the bearer request token", r.method, r.path, r.auth)
			}
			if r.query.Encode() != tt.wantQuery.Encode() {
				t.Errorf("query = %v, want %v", r.query, tt.wantQuery)
			}
		})
	}
}

func TestGitHubActionsWithAudienceURL(t *testing.T) {
	tests := []struct{ in, aud, want string }{
		{"https://gh.example/idtoken?api-version=2.0", "api://AzureADTokenExchange", "https://gh.example/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"},
		{"https://gh.example/idtoken?api-version=2.0&", "a b", "https://gh.example/idtoken?api-version=2.0&audience=a+b"},
		{"https://gh.example/idtoken", "a", "https://gh.example/idtoken?audience=a"},
		{"https://gh.example/idtoken?x=1#frag", "a", "https://gh.example/idtoken?x=1&audience=a"},
	}
	for _, tt := range tests {
		if got := withAudience(tt.in, tt.aud); got != tt.want {
			t.Errorf("withAudience(%q, %q) = %q, want %q", tt.in, tt.aud, got, tt.want)
		}
	}
}

func TestGitHubActionsErrors(t *testing.T) {
	tok := jwt(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/infra:ref:refs/heads/main"})
	tests := []struct {
		name    string
		handle  func(http.ResponseWriter, *http.Request)
		wantErr []string
	}{
		{
			name: "refusal echoing the request token and a value",
			handle: answer(http.StatusUnauthorized, `{"message":"bad credentials: bearer `+reqToken+` (`+url.QueryEscape(reqToken)+`)","value":"`+tok+`",`+
				`"debug":"`+tok[:len(tok)-3]+`"}`),
			wantErr: []string{"github_actions", "refused the request (status 401)", "bad credentials: bearer [redacted]", `"value":"[redacted]"`},
		},
		{
			name: "refusal as text",
			handle: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "Service\x1b[31m Unavailable\u202e\n\n"+strings.Repeat("x", 500), http.StatusServiceUnavailable)
			},
			wantErr: []string{"(status 503): Service [31m Unavailable x", "…"},
		},
		{
			name:    "empty refusal",
			handle:  answer(http.StatusForbidden, ""),
			wantErr: []string{"refused the request (status 403)"},
		},
		{
			name:    "oversize answer",
			handle:  answer(http.StatusOK, `{"value":"`+strings.Repeat("a", maxAnswerSize)+`"}`),
			wantErr: []string{"larger than 1 MiB"},
		},
		{
			name:    "not JSON",
			handle:  answer(http.StatusOK, "<html>sign in "+reqToken+"</html>"),
			wantErr: []string{"(status 200) is not the JSON object", "<html>sign in [redacted]</html>"},
		},
		{name: "no value", handle: answer(http.StatusOK, `{"count":0}`), wantErr: []string{"has no token in its value field"}},
		{name: "empty value", handle: answer(http.StatusOK, `{"value":" "}`), wantErr: []string{"has no token in its value field"}},
		{
			name:    "value not a JWT",
			handle:  answer(http.StatusOK, `{"value":"ghs_notAnIdToken_0123456789"}`),
			wantErr: []string{"does not hold a JWT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := gitHubServer(t, tt.handle)
			got, err := Fetcher{Getenv: gitHubEnv(srv.URL + "/idtoken?api-version=2.0")}.Token(t.Context(), Source{Kind: GitHubActions})
			if err == nil {
				t.Fatalf("Token() = %q, want an error", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNoSecrets(t, err, reqToken, url.QueryEscape(reqToken), tok, tok[:len(tok)-3], "ghs_notAnIdToken", "/idtoken", "api-version")
		})
	}
}

func TestGitHubActionsMissingVariables(t *testing.T) {
	const someURL = "https://pipelines.actions.example/abc/idtoken?api-version=2.0"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "both", env: nil, wantErr: "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set"},
		{name: "url", env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": reqToken}, wantErr: "ACTIONS_ID_TOKEN_REQUEST_URL is not set"},
		{name: "token", env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": someURL}, wantErr: "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set"},
		{name: "blank token", env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": someURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": " "}, wantErr: "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fetcher{Getenv: env(tt.env)}.Token(t.Context(), Source{Kind: GitHubActions})
			if err == nil {
				t.Fatal("Token() succeeded, want an error")
			}
			for _, w := range []string{tt.wantErr, "permissions: id-token: write"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNoSecrets(t, err, reqToken, someURL)
		})
	}
}

func TestGitHubActionsRequestURL(t *testing.T) {
	tests := []struct {
		name, url, wantErr string
	}{
		{name: "plain http elsewhere", url: "http://pipelines.example/idtoken?api-version=2.0", wantErr: "must be an https URL"},
		{name: "plain http to a private address", url: "http://10.0.0.1/idtoken", wantErr: "must be an https URL"},
		{name: "another scheme", url: "file:///etc/passwd", wantErr: "not an absolute URL"},
		{name: "relative", url: "/idtoken", wantErr: "not an absolute URL"},
		{name: "unparsable", url: "https://bad host/%zz", wantErr: "not an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fetcher{Getenv: gitHubEnv(tt.url)}.Token(t.Context(), Source{Kind: GitHubActions})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Token() error = %v, want one containing %q", err, tt.wantErr)
			}
			assertNoSecrets(t, err, reqToken, "/idtoken", "passwd")
		})
	}

	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "localhost": true, "LocalHost": true,
		"10.0.0.1": false, "::": false, "0.0.0.0": false, "localhost.example": false, "example.com": false, "": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestGitHubActionsRedirectNotFollowed(t *testing.T) {
	tok := jwt(t, map[string]any{"iss": "i", "sub": "s"})
	var stolen atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		stolen.Add(1)
		_, _ = io.WriteString(w, `{"value":"`+tok+`"}`)
	}))
	t.Cleanup(elsewhere.Close)
	srv, _ := gitHubServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/collect?t="+reqToken, http.StatusFound)
	})

	clients := map[string]*http.Client{
		"default client": nil,
		// A caller's client that would follow redirects does not either.
		"caller's client": {Timeout: 5 * time.Second},
	}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			f := Fetcher{Getenv: gitHubEnv(srv.URL + "/idtoken?api-version=2.0"), HTTPClient: c}
			got, err := f.Token(t.Context(), Source{Kind: GitHubActions})
			if err == nil {
				t.Fatalf("Token() = %q, want an error", got)
			}
			if !strings.Contains(err.Error(), "redirect (status 302) to "+elsewhere.URL+", which is not followed") {
				t.Errorf("error %q does not explain the redirect", err)
			}
			assertNoSecrets(t, err, reqToken, tok, "/collect")
			if n := stolen.Load(); n != 0 {
				t.Fatalf("the redirect target received %d requests", n)
			}
		})
	}
	if clients["caller's client"].CheckRedirect != nil {
		t.Error("Token changed the caller's client")
	}
}

func TestGitHubActionsContext(t *testing.T) {
	release := make(chan struct{})
	srv, _ := gitHubServer(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) }) // runs before srv.Close, which waits for the handler
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	f := Fetcher{Getenv: gitHubEnv(srv.URL + "/idtoken?api-version=2.0")}
	_, err := f.Token(ctx, Source{Kind: GitHubActions})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token() error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "requesting an ID token from "+srv.URL+":") {
		t.Errorf("error %q does not name the endpoint", err)
	}
	assertNoSecrets(t, err, reqToken, "/idtoken", "api-version")
}

func TestDefaultClient(t *testing.T) {
	c := Fetcher{}.client()
	if c.Timeout != defaultTimeout || defaultTimeout != 30*time.Second {
		t.Errorf("default timeout = %v, want 30s", c.Timeout)
	}
	if c.CheckRedirect == nil {
		t.Error("the default client follows redirects")
	}
}
