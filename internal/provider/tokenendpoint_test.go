package provider

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
)

// testAccProtoV6ProviderFactories serves the provider under test and the
// echo provider, which makes ephemeral values observable in state.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"oauth2": providerserver.NewProtocol6WithError(New("test")()),
	"echo":   echoprovider.NewProviderServer(),
}

// recordedRequest is one request the test token endpoint received.
type recordedRequest struct {
	Method        string
	Path          string
	Query         string // raw, as received
	Authorization string
	ContentType   string
	Body          string
	// Params are the body parameters, from a form or a JSON object.
	Params map[string]string
}

// basicAuth returns the client id and secret of an HTTP Basic header,
// form-decoded as RFC 6749 §2.3.1 requires.
func (r recordedRequest) basicAuth() (id, secret string, ok bool) {
	enc, found := strings.CutPrefix(r.Authorization, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	return id, secret, true
}

// clientCredentials returns the client secret the request presented, by
// Basic header or in the body.
func (r recordedRequest) clientSecret() string {
	if _, secret, ok := r.basicAuth(); ok {
		return secret
	}
	return r.Params["client_secret"]
}

// tokenAnswer is what the test endpoint replies.
type tokenAnswer struct {
	Status int
	// Body is encoded as JSON unless it is a string.
	Body        any
	ContentType string
}

// tokenEndpoint is a local OAuth 2.0 token endpoint on 127.0.0.1 that
// records every request and answers through respond.
type tokenEndpoint struct {
	t      *testing.T
	server *httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	respond  func(recordedRequest) tokenAnswer
}

// newTokenEndpoint starts an endpoint answering every request with respond.
// It stops when the test ends.
func newTokenEndpoint(t *testing.T, respond func(recordedRequest) tokenAnswer) *tokenEndpoint {
	t.Helper()
	e := &tokenEndpoint{t: t, respond: respond}
	e.server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.server.Close)
	return e
}

func (e *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recordedRequest{
		Method:        r.Method,
		Path:          r.URL.Path,
		Query:         r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"),
		ContentType:   r.Header.Get("Content-Type"),
		Body:          string(body),
		Params:        map[string]string{},
	}
	if strings.HasPrefix(rec.ContentType, "application/json") {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			e.t.Errorf("token endpoint: JSON body %q: %v", body, err)
		}
		for k, v := range m {
			rec.Params[k] = fmt.Sprint(v)
		}
	} else {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			e.t.Errorf("token endpoint: form body %q: %v", body, err)
		}
		for k := range vals {
			rec.Params[k] = vals.Get(k)
		}
	}

	e.mu.Lock()
	e.requests = append(e.requests, rec)
	respond := e.respond
	e.mu.Unlock()

	a := respond(rec)
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	var out []byte
	switch b := a.Body.(type) {
	case string:
		out = []byte(b)
		if a.ContentType == "" {
			a.ContentType = "text/plain"
		}
	default:
		out, _ = json.Marshal(b)
		if a.ContentType == "" {
			a.ContentType = "application/json"
		}
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.WriteHeader(a.Status)
	_, _ = w.Write(out)
}

// URL returns the token endpoint URL.
func (e *tokenEndpoint) URL() string { return e.server.URL + "/token" }

// Requests returns a copy of the requests received so far.
func (e *tokenEndpoint) Requests() []recordedRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]recordedRequest(nil), e.requests...)
}

// Count returns how many requests arrived.
func (e *tokenEndpoint) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.requests)
}

// Last returns the most recent request; it fails the test when none came.
func (e *tokenEndpoint) Last() recordedRequest {
	e.t.Helper()
	reqs := e.Requests()
	if len(reqs) == 0 {
		e.t.Fatalf("token endpoint: no request received")
	}
	return reqs[len(reqs)-1]
}

// issue answers with a bearer token.
func issue(accessToken string, expiresIn int, extra map[string]any) tokenAnswer {
	body := map[string]any{"access_token": accessToken, "token_type": "Bearer"}
	if expiresIn > 0 {
		body["expires_in"] = expiresIn
	}
	for k, v := range extra {
		body[k] = v
	}
	return tokenAnswer{Body: body}
}

// refuse answers with an RFC 6749 §5.2 error.
func refuse(status int, code, description string) tokenAnswer {
	return tokenAnswer{Status: status, Body: map[string]any{"error": code, "error_description": description}}
}

// acceptSecret issues a token only when the request presents one of the
// given client secrets, and refuses it as invalid_client otherwise.
func acceptSecret(accessToken string, secrets ...string) func(recordedRequest) tokenAnswer {
	return func(r recordedRequest) tokenAnswer {
		got := r.clientSecret()
		for _, s := range secrets {
			if got == s {
				return issue(accessToken, 3600, nil)
			}
		}
		return refuse(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	}
}

// parseAuthURL parses an authorization_request_url.
func parseAuthURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("empty authorization_request_url")
	}
	return url.Parse(raw)
}

// int64Between checks a number in [lo, hi].
func int64Between(lo, hi int64) knownvalue.Check { return int64Range{lo, hi} }

type int64Range struct{ lo, hi int64 }

func (r int64Range) CheckValue(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("expected json.Number value for Int64Between check, got: %T", v)
	}
	i, err := n.Int64()
	if err != nil {
		return err
	}
	if i < r.lo || i > r.hi {
		return fmt.Errorf("value %d not in [%d, %d]", i, r.lo, r.hi)
	}
	return nil
}

func (r int64Range) String() string { return fmt.Sprintf("between %d and %d", r.lo, r.hi) }
