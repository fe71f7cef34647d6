package oauthclient_test

// Interoperability tests: the client against two independent authorization
// server implementations, github.com/go-oauth2/oauth2/v4 and
// github.com/ory/fosite, each started on the loopback interface for one test
// and closed at its end. Every token obtained is checked with the server's
// own validation on a protected resource.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gooauth2errors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	fositejwt "github.com/ory/fosite/token/jwt"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

const (
	interopClientID     = "interop-client"
	interopClientSecret = "interop-secret-7Hq2xZ"
	interopUsername     = "alice"
	interopPassword     = "alice-password-K9v3"
	interopUserID       = "user-alice"
	interopRedirectURI  = "http://localhost/callback"
	interopClientDomain = "http://localhost"

	// interopReservedClientID has a secret with characters that RFC 6749
	// §2.3.1 form-encodes before HTTP Basic.
	interopReservedClientID     = "interop-reserved"
	interopReservedClientSecret = "s3cret/with+reserved chars:&="
)

// goOAuth2Server is a github.com/go-oauth2/oauth2/v4 authorization server
// with a token endpoint, an authorization endpoint that approves
// interopUserID without asking, and a resource that accepts only the access
// tokens the server itself validates.
type goOAuth2Server struct {
	tokenURL     string
	authorizeURL string
	resourceURL  string
	// tokenRequests counts the requests the token endpoint received.
	tokenRequests atomic.Int64
}

type goOAuth2Config struct {
	// clientInfo reads the client credentials; nil accepts HTTP Basic or,
	// without an Authorization header, the request body.
	clientInfo server.ClientInfoHandler
	// refresh configures the refresh token grant; nil keeps the library's
	// default, which issues a new refresh token and revokes the old one.
	refresh *manage.RefreshingConfig
}

// clientBasicOrForm accepts client_secret_basic and, when no Authorization
// header is sent, client_secret_post (RFC 6749 §2.3.1).
func clientBasicOrForm(r *http.Request) (string, string, error) {
	if _, _, ok := r.BasicAuth(); ok {
		return server.ClientBasicHandler(r)
	}
	return server.ClientFormHandler(r)
}

func startGoOAuth2(t *testing.T, cfg goOAuth2Config) *goOAuth2Server {
	t.Helper()

	manager := manage.NewDefaultManager()
	// The memory token store is a buntdb database whose background
	// goroutine the library offers no way to stop; it outlives the test.
	tokenStore, err := store.NewMemoryTokenStore()
	if err != nil {
		t.Fatalf("go-oauth2 memory token store: %v", err)
	}
	manager.MapTokenStorage(tokenStore)
	clients := store.NewClientStore()
	for id, secret := range map[string]string{
		interopClientID:         interopClientSecret,
		interopReservedClientID: interopReservedClientSecret,
	} {
		if err := clients.Set(id, &models.Client{ID: id, Secret: secret, Domain: interopClientDomain}); err != nil {
			t.Fatalf("go-oauth2 client store: %v", err)
		}
	}
	manager.MapClientStorage(clients)
	if cfg.refresh != nil {
		manager.SetRefreshTokenCfg(cfg.refresh)
	}

	srv := server.NewServer(server.NewConfig(), manager)
	srv.ClientInfoHandler = clientBasicOrForm
	if cfg.clientInfo != nil {
		srv.ClientInfoHandler = cfg.clientInfo
	}
	srv.PasswordAuthorizationHandler = func(_ context.Context, _, username, password string) (string, error) {
		if username == interopUsername && password == interopPassword {
			return interopUserID, nil
		}
		return "", gooauth2errors.ErrInvalidGrant
	}
	srv.UserAuthorizationHandler = func(http.ResponseWriter, *http.Request) (string, error) {
		return interopUserID, nil
	}

	s := &goOAuth2Server{}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		if err := srv.HandleTokenRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/resource", func(w http.ResponseWriter, r *http.Request) {
		ti, err := srv.ValidationBearerToken(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resourceAnswer{ClientID: ti.GetClientID(), UserID: ti.GetUserID(), Scope: ti.GetScope()})
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	s.tokenURL = ts.URL + "/token"
	s.authorizeURL = ts.URL + "/authorize"
	s.resourceURL = ts.URL + "/resource"
	return s
}

// resourceAnswer is what a protected resource learned from a valid token.
type resourceAnswer struct {
	ClientID string `json:"client_id"`
	UserID   string `json:"user_id"`
	Scope    string `json:"scope"`
}

// callResource presents accessToken as a bearer token (RFC 6750 §2.1) and
// returns the HTTP status and, on 200, what the resource learned.
func callResource(t *testing.T, resourceURL, accessToken string) (int, resourceAnswer) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, resourceURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("calling the protected resource: %v", err)
	}
	defer resp.Body.Close()
	var ans resourceAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
			t.Fatalf("decoding the protected resource's answer: %v", err)
		}
	}
	return resp.StatusCode, ans
}

// assertAccepted checks that the server's own validation accepts tok and
// attributes it to clientID and userID.
func assertAccepted(t *testing.T, resourceURL string, tok *oauthclient.Token, clientID, userID string) resourceAnswer {
	t.Helper()
	status, ans := callResource(t, resourceURL, tok.AccessToken)
	if status != http.StatusOK {
		t.Fatalf("the server rejected its own access token: status %d", status)
	}
	if ans.ClientID != clientID || ans.UserID != userID {
		t.Errorf("token attributed to client %q user %q, want client %q user %q", ans.ClientID, ans.UserID, clientID, userID)
	}
	return ans
}

func assertRejected(t *testing.T, resourceURL, accessToken string) {
	t.Helper()
	if status, _ := callResource(t, resourceURL, accessToken); status != http.StatusUnauthorized {
		t.Errorf("protected resource status = %d for a token that should be invalid, want 401", status)
	}
}

// checkBearer checks the parts of an RFC 6749 §5.1 answer every grant shares.
func checkBearer(t *testing.T, tok *oauthclient.Token, wantExpiresIn int64) {
	t.Helper()
	if tok.AccessToken == "" {
		t.Fatal("empty access token")
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		t.Errorf("TokenType = %q, want Bearer", tok.TokenType)
	}
	// Some servers announce the remaining lifetime of a token created a
	// moment earlier, truncated to whole seconds.
	if tok.ExpiresIn > wantExpiresIn || tok.ExpiresIn < wantExpiresIn-5 || !tok.ExpiryKnown() {
		t.Errorf("ExpiresIn = %d (known %v), want %d", tok.ExpiresIn, tok.ExpiryKnown(), wantExpiresIn)
	}
	if d := time.Until(tok.Expiry) - time.Duration(wantExpiresIn)*time.Second; d > time.Second || d < -time.Minute {
		t.Errorf("Expiry = %v, want about %ds from now", tok.Expiry, wantExpiresIn)
	}
}

// assertServerError checks that err is the server's refusal with code and
// that its text holds none of secrets, and returns the HTTP status.
func assertServerError(t *testing.T, err error, code string, secrets ...string) int {
	t.Helper()
	if err == nil {
		t.Fatalf("got a token, want the server to refuse with %q", code)
	}
	var oe *oauthclient.Error
	if !errors.As(err, &oe) {
		t.Fatalf("error %T %q is not an *oauthclient.Error", err, err)
	}
	if oe.Code != code {
		t.Errorf("Code = %q, want %q (error: %v)", oe.Code, code, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error text holds a secret %q: %s", s, err)
		}
	}
	return oe.StatusCode
}

func newInteropClient(t *testing.T) *oauthclient.Client {
	t.Helper()
	c, err := oauthclient.New(oauthclient.Options{Timeout: 10 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatalf("oauthclient.New: %v", err)
	}
	return c
}

// authorizeWithPKCE runs an authorization request with a fresh state and
// PKCE verifier, checks the state that comes back, and returns the code and
// the verifier.
func authorizeWithPKCE(t *testing.T, authorizeURL string, scopes ...string) (code, verifier string) {
	t.Helper()
	verifier, state := oauthclient.NewCodeVerifier(), oauthclient.NewState()
	authURL, err := oauthclient.AuthCodeURL(oauthclient.AuthCodeRequest{
		AuthorizationURL: authorizeURL,
		ClientID:         interopClientID,
		RedirectURI:      interopRedirectURI,
		Scopes:           scopes,
		State:            state,
		CodeVerifier:     verifier,
	})
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	q := authorize(t, authURL)
	if got := q.Get("state"); got != state {
		t.Errorf("state = %q, want %q", got, state)
	}
	code = q.Get("code")
	if code == "" {
		t.Fatal("no code in the redirection URI")
	}
	return code, verifier
}

// authorize drives the authorization endpoint (RFC 6749 §4.1.1) as a user
// agent that does not follow the redirect, and returns the query of the
// redirection URI (§4.1.2).
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	hc := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, authURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("authorization request: %v", err)
	}
	defer resp.Body.Close()
	// RFC 6749 §4.1.2 leaves the redirect status open: 302 and 303 are usual.
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorization endpoint status = %d, want a 302 or 303 redirect", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location header: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != interopRedirectURI {
		t.Errorf("redirected to %q, want %q", got, interopRedirectURI)
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		t.Fatalf("authorization endpoint refused: %s: %s", e, q.Get("error_description"))
	}
	return q
}

func TestInterop_goOAuth2_clientCredentialsBasic(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{clientInfo: server.ClientBasicHandler})
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Scopes:       []string{"read", "write"},
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, int64(manage.DefaultClientTokenCfg.AccessTokenExp/time.Second))
	if tok.Scope != "read write" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "read write")
	}
	if tok.RefreshToken != "" {
		t.Errorf("client credentials grant returned a refresh token; RFC 6749 §4.4.3 says it should not")
	}
	if ans := assertAccepted(t, as.resourceURL, tok, interopClientID, ""); ans.Scope != "read write" {
		t.Errorf("server recorded scope %q, want %q", ans.Scope, "read write")
	}

	// The cached token is returned without another round trip.
	before := as.tokenRequests.Load()
	again, err := c.Token(t.Context(), req)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if again.AccessToken != tok.AccessToken || as.tokenRequests.Load() != before {
		t.Errorf("Token after Exchange asked the server again (%d requests)", as.tokenRequests.Load()-before)
	}
}

func TestInterop_goOAuth2_clientCredentialsPost(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{clientInfo: server.ClientFormHandler})
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthPost,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Scope:        "read",
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, int64(manage.DefaultClientTokenCfg.AccessTokenExp/time.Second))
	if tok.Scope != "read" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "read")
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, "")
}

func TestInterop_goOAuth2_clientCredentialsAutoUsesBasic(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{clientInfo: server.ClientBasicHandler})
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, "")
	if n := as.tokenRequests.Load(); n != 1 {
		t.Errorf("token endpoint saw %d requests, want 1 (HTTP Basic first)", n)
	}
}

func TestInterop_goOAuth2_clientCredentialsAutoFallsBackToPost(t *testing.T) {
	// This server reads the client credentials from the body only and
	// answers 401 invalid_client to HTTP Basic.
	as := startGoOAuth2(t, goOAuth2Config{clientInfo: server.ClientFormHandler})
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, "")
	if n := as.tokenRequests.Load(); n != 2 {
		t.Errorf("token endpoint saw %d requests, want 2 (HTTP Basic refused, then the body)", n)
	}

	// The winning style is remembered: one request this time.
	tok2, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok2, interopClientID, "")
	if n := as.tokenRequests.Load(); n != 3 {
		t.Errorf("token endpoint saw %d requests in all, want 3", n)
	}
}

// go-oauth2 compares the HTTP Basic credentials without form-decoding them
// (RFC 6749 §2.3.1 says the client form-encodes them first), so a secret
// with reserved characters is refused with AuthBasic; AuthPost works and
// AuthAuto gets there by falling back.
func TestInterop_goOAuth2_clientCredentialsReservedCharactersInSecret(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{})
	base := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		ClientID:     interopReservedClientID,
		ClientSecret: interopReservedClientSecret,
	}
	encodedSecret := url.QueryEscape(interopReservedClientSecret)

	t.Run("basic is refused by go-oauth2", func(t *testing.T) {
		req := base
		req.AuthStyle = oauthclient.AuthBasic
		_, err := newInteropClient(t).Exchange(t.Context(), req)
		assertServerError(t, err, "invalid_client", interopReservedClientSecret, encodedSecret)
	})
	t.Run("post", func(t *testing.T) {
		req := base
		req.AuthStyle = oauthclient.AuthPost
		tok, err := newInteropClient(t).Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, interopReservedClientID, "")
	})
	t.Run("auto falls back to post", func(t *testing.T) {
		req := base
		req.AuthStyle = oauthclient.AuthAuto
		tok, err := newInteropClient(t).Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, interopReservedClientID, "")
	})
}

func TestInterop_goOAuth2_password(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{})
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scopes:       []string{"profile"},
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, int64(manage.DefaultPasswordTokenCfg.AccessTokenExp/time.Second))
	if tok.RefreshToken == "" {
		t.Error("no refresh token; go-oauth2 issues one for the password grant")
	}
	if tok.Scope != "profile" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "profile")
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)

	t.Run("wrong password", func(t *testing.T) {
		bad := req
		bad.Password = "not-" + interopPassword
		_, err := c.Exchange(t.Context(), bad)
		assertServerError(t, err, "invalid_grant", bad.Password, interopClientSecret)
	})
	t.Run("wrong password with auto", func(t *testing.T) {
		// go-oauth2 answers invalid_grant with status 401, which AuthAuto
		// takes for a refused client authentication; whatever it then
		// does, the refusal it reports must still be invalid_grant.
		bad := req
		bad.AuthStyle = oauthclient.AuthAuto
		bad.Password = "not-" + interopPassword
		_, err := newInteropClient(t).Exchange(t.Context(), bad)
		assertServerError(t, err, "invalid_grant", bad.Password, interopClientSecret)
	})
	t.Run("post", func(t *testing.T) {
		post := req
		post.AuthStyle = oauthclient.AuthPost
		tok, err := c.Exchange(t.Context(), post)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)
	})
}

// passwordToken obtains a token with a refresh token through the password
// grant.
func passwordToken(t *testing.T, c *oauthclient.Client, as *goOAuth2Server) *oauthclient.Token {
	t.Helper()
	tok, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scope:        "profile",
	})
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("password grant returned no refresh token")
	}
	return tok
}

func TestInterop_goOAuth2_refreshTokenRotation(t *testing.T) {
	// The default refreshing config issues a new refresh token and revokes
	// the old access and refresh tokens.
	as := startGoOAuth2(t, goOAuth2Config{})
	c := newInteropClient(t)
	first := passwordToken(t, c, as)

	refresh := func(rt string, style oauthclient.AuthStyle) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantRefreshToken,
			AuthStyle:    style,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			RefreshToken: rt,
		})
	}

	second, err := refresh(first.RefreshToken, oauthclient.AuthBasic)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkBearer(t, second, int64(manage.DefaultPasswordTokenCfg.AccessTokenExp/time.Second))
	if second.AccessToken == first.AccessToken {
		t.Error("refresh returned the same access token")
	}
	if !second.RefreshTokenRotated || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Errorf("RefreshTokenRotated = %v, new refresh token differs = %v; want a rotated refresh token",
			second.RefreshTokenRotated, second.RefreshToken != first.RefreshToken)
	}
	if ans := assertAccepted(t, as.resourceURL, second, interopClientID, interopUserID); ans.Scope != "profile" {
		t.Errorf("refreshed token scope = %q, want the original %q", ans.Scope, "profile")
	}
	assertRejected(t, as.resourceURL, first.AccessToken)

	// The rotated-out refresh token is refused, and neither token leaks.
	_, err = refresh(first.RefreshToken, oauthclient.AuthBasic)
	assertServerError(t, err, "invalid_grant", first.RefreshToken, interopClientSecret)

	// The new one works, here with the credentials in the body.
	third, err := refresh(second.RefreshToken, oauthclient.AuthPost)
	if err != nil {
		t.Fatalf("refresh with the rotated refresh token: %v", err)
	}
	if !third.RefreshTokenRotated {
		t.Error("second refresh: RefreshTokenRotated = false, want true")
	}
	assertAccepted(t, as.resourceURL, third, interopClientID, interopUserID)
}

func TestInterop_goOAuth2_refreshTokenWithoutRotation(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{refresh: &manage.RefreshingConfig{
		AccessTokenExp:    30 * time.Minute,
		IsGenerateRefresh: false,
		IsRemoveAccess:    true,
	}})
	c := newInteropClient(t)
	first := passwordToken(t, c, as)

	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantRefreshToken,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		RefreshToken: first.RefreshToken,
	}
	second, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkBearer(t, second, int64((30 * time.Minute).Seconds()))
	if _, sent := second.Raw["refresh_token"]; sent {
		t.Fatal("server sent a refresh token; this configuration should not")
	}
	if second.RefreshToken != first.RefreshToken || second.RefreshTokenRotated {
		t.Errorf("RefreshToken kept = %v, RefreshTokenRotated = %v; want the presented token kept, not rotated (RFC 6749 §6)",
			second.RefreshToken == first.RefreshToken, second.RefreshTokenRotated)
	}
	assertAccepted(t, as.resourceURL, second, interopClientID, interopUserID)
	assertRejected(t, as.resourceURL, first.AccessToken)

	// The kept refresh token still works.
	req.RefreshToken = second.RefreshToken
	third, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("refresh with the kept refresh token: %v", err)
	}
	assertAccepted(t, as.resourceURL, third, interopClientID, interopUserID)
}

func TestInterop_goOAuth2_authorizationCodePKCE(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{})
	c := newInteropClient(t)

	// newCode runs the authorization request with a fresh state and
	// verifier and returns the code and the verifier.
	newCode := func(t *testing.T) (string, string) {
		return authorizeWithPKCE(t, as.authorizeURL, "openid", "profile")
	}
	exchange := func(code, verifier string) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantAuthorizationCode,
			AuthStyle:    oauthclient.AuthAuto,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			Code:         code,
			RedirectURI:  interopRedirectURI,
			CodeVerifier: verifier,
		})
	}

	code, verifier := newCode(t)
	tok, err := exchange(code, verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, int64(manage.DefaultAuthorizeCodeTokenCfg.AccessTokenExp/time.Second))
	if tok.Scope != "openid profile" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "openid profile")
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token; go-oauth2 issues one for the authorization code grant")
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)

	t.Run("code is single-use", func(t *testing.T) {
		before := as.tokenRequests.Load()
		_, err := exchange(code, verifier)
		assertServerError(t, err, "invalid_grant", code, verifier, interopClientSecret)
		if n := as.tokenRequests.Load() - before; n != 1 {
			t.Errorf("the code was presented %d times, want once", n)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := newCode(t)
		other := oauthclient.NewCodeVerifier()
		_, err := exchange(code, other)
		assertServerError(t, err, "invalid_grant", code, other, interopClientSecret)
	})
	t.Run("refresh the issued token", func(t *testing.T) {
		next, err := c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantRefreshToken,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			RefreshToken: tok.RefreshToken,
		})
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		assertAccepted(t, as.resourceURL, next, interopClientID, interopUserID)
	})
}

func TestInterop_goOAuth2_wrongClientSecret(t *testing.T) {
	as := startGoOAuth2(t, goOAuth2Config{})
	const wrong = "wrong-secret-Zp4r"
	for _, style := range []oauthclient.AuthStyle{oauthclient.AuthBasic, oauthclient.AuthPost, oauthclient.AuthAuto} {
		t.Run(string(style), func(t *testing.T) {
			_, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
				TokenURL:     as.tokenURL,
				GrantType:    oauthclient.GrantClientCredentials,
				AuthStyle:    style,
				ClientID:     interopClientID,
				ClientSecret: wrong,
			})
			if status := assertServerError(t, err, "invalid_client", wrong, url.QueryEscape(wrong), interopClientSecret); status != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d, want 401", status)
			}
			var fe *oauthclient.AuthFallbackError
			if isFallback := errors.As(err, &fe); isFallback != (style == oauthclient.AuthAuto) {
				t.Errorf("AuthFallbackError = %v, want it only for %q", isFallback, oauthclient.AuthAuto)
			}
		})
	}
}

const (
	// interopPostClientID is registered with token_endpoint_auth_method
	// client_secret_post; fosite then refuses HTTP Basic for it.
	interopPostClientID = "interop-post-client"

	fositeAccessTokenLifespan = 45 * time.Minute
)

// fositeSigningKey signs fosite's ID tokens; generated once for the package.
var fositeSigningKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// fositeStore is fosite's memory store with the resource owner of these
// tests: it authenticates interopUsername as interopUserID.
type fositeStore struct {
	*storage.MemoryStore
}

func (fositeStore) Authenticate(_ context.Context, username, password string) (string, error) {
	if username == interopUsername && password == interopPassword {
		return interopUserID, nil
	}
	return "", fosite.ErrNotFound
}

// fositeServer is a github.com/ory/fosite provider with every handler
// enabled (compose.ComposeAllEnabled) over the memory store.
type fositeServer struct {
	tokenURL      string
	authorizeURL  string
	resourceURL   string
	tokenRequests atomic.Int64
}

func newFositeSession(subject string) *openid.DefaultSession {
	now := time.Now().UTC()
	return &openid.DefaultSession{
		Subject:  subject,
		Username: subject,
		Claims: &fositejwt.IDTokenClaims{
			Subject:     subject,
			RequestedAt: now,
			AuthTime:    now,
		},
		Headers: &fositejwt.Headers{},
	}
}

// fositeSetup is what an option to startFosite may adjust before the
// provider is composed: the configuration, whose TokenURL is already the
// test server's, and the memory store with the default clients.
type fositeSetup struct {
	cfg *fosite.Config
	mem *storage.MemoryStore
}

func startFosite(t *testing.T, opts ...func(*fositeSetup)) *fositeServer {
	t.Helper()
	key, err := fositeSigningKey()
	if err != nil {
		t.Fatalf("generating the ID token signing key: %v", err)
	}

	s := &fositeServer{}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.tokenURL = ts.URL + "/token"
	s.authorizeURL = ts.URL + "/authorize"
	s.resourceURL = ts.URL + "/resource"

	cfg := &fosite.Config{
		GlobalSecret:        []byte("fosite-interop-hmac-secret-32byt"),
		AccessTokenLifespan: fositeAccessTokenLifespan,
		IDTokenIssuer:       ts.URL,
		TokenURL:            s.tokenURL,
		EnforcePKCE:         true,
		HashCost:            4, // bcrypt.MinCost: the tests hash secrets at startup
	}
	ctx := t.Context()
	hasher := &fosite.BCrypt{Config: cfg}
	mem := storage.NewMemoryStore()
	for _, c := range []struct{ id, secret, method string }{
		{interopClientID, interopClientSecret, "client_secret_basic"},
		{interopPostClientID, interopClientSecret, "client_secret_post"},
		{interopReservedClientID, interopReservedClientSecret, "client_secret_basic"},
	} {
		hashed, err := hasher.Hash(ctx, []byte(c.secret))
		if err != nil {
			t.Fatalf("hashing a client secret: %v", err)
		}
		mem.Clients[c.id] = &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{
				ID:            c.id,
				Secret:        hashed,
				RedirectURIs:  []string{interopRedirectURI},
				ResponseTypes: []string{"code"},
				GrantTypes:    []string{"authorization_code", "refresh_token", "password", "client_credentials"},
				Scopes:        []string{"read", "write", "profile", "openid", "offline_access"},
			},
			TokenEndpointAuthMethod: c.method,
		}
	}
	for _, opt := range opts {
		opt(&fositeSetup{cfg: cfg, mem: mem})
	}
	p := compose.ComposeAllEnabled(cfg, fositeStore{mem}, key)

	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		s.tokenRequests.Add(1)
		ctx := r.Context()
		ar, err := p.NewAccessRequest(ctx, r, newFositeSession(""))
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		if ar.GetGrantTypes().ExactOne("client_credentials") || ar.GetGrantTypes().ExactOne("password") {
			for _, scope := range ar.GetRequestedScopes() {
				ar.GrantScope(scope)
			}
		}
		resp, err := p.NewAccessResponse(ctx, ar)
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		p.WriteAccessResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := p.NewAuthorizeRequest(ctx, r)
		if err != nil {
			p.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		// The test user is signed in and consents to every scope asked.
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
		resp, err := p.NewAuthorizeResponse(ctx, ar, newFositeSession(interopUserID))
		if err != nil {
			p.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		p.WriteAuthorizeResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("/resource", func(w http.ResponseWriter, r *http.Request) {
		_, ar, err := p.IntrospectToken(r.Context(), fosite.AccessTokenFromRequest(r), fosite.AccessToken, newFositeSession(""))
		if err != nil {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		// A JWT bearer grant without client authentication issues a
		// token that no client holds.
		clientID := ""
		if c := ar.GetClient(); c != nil {
			clientID = c.GetID()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resourceAnswer{
			ClientID: clientID,
			UserID:   ar.GetSession().GetSubject(),
			Scope:    strings.Join(ar.GetGrantedScopes(), " "),
		})
	})
	return s
}

func fositeExpiresIn() int64 { return int64(fositeAccessTokenLifespan / time.Second) }

func TestInterop_fosite_clientCredentialsBasic(t *testing.T) {
	as := startFosite(t)
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Scopes:       []string{"read", "write"},
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, fositeExpiresIn())
	if tok.Scope != "read write" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "read write")
	}
	if ans := assertAccepted(t, as.resourceURL, tok, interopClientID, ""); ans.Scope != "read write" {
		t.Errorf("server recorded scope %q, want %q", ans.Scope, "read write")
	}
}

func TestInterop_fosite_clientCredentialsPost(t *testing.T) {
	as := startFosite(t)
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthPost,
		ClientID:     interopPostClientID,
		ClientSecret: interopClientSecret,
		Scope:        "read",
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, fositeExpiresIn())
	assertAccepted(t, as.resourceURL, tok, interopPostClientID, "")
}

func TestInterop_fosite_clientCredentialsAutoUsesBasic(t *testing.T) {
	as := startFosite(t)
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, "")
	if n := as.tokenRequests.Load(); n != 1 {
		t.Errorf("token endpoint saw %d requests, want 1 (HTTP Basic first)", n)
	}
}

func TestInterop_fosite_clientCredentialsAutoFallsBackToPost(t *testing.T) {
	// The client is registered for client_secret_post: fosite answers
	// 401 invalid_client to HTTP Basic.
	as := startFosite(t)
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthAuto,
		ClientID:     interopPostClientID,
		ClientSecret: interopClientSecret,
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, interopPostClientID, "")
	if n := as.tokenRequests.Load(); n != 2 {
		t.Errorf("token endpoint saw %d requests, want 2 (HTTP Basic refused, then the body)", n)
	}
	if _, err := c.Exchange(t.Context(), req); err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	if n := as.tokenRequests.Load(); n != 3 {
		t.Errorf("token endpoint saw %d requests in all, want 3", n)
	}
}

// fosite form-decodes HTTP Basic credentials as RFC 6749 §2.3.1 requires,
// so a secret with reserved characters works with AuthBasic.
func TestInterop_fosite_clientCredentialsBasicReservedCharactersInSecret(t *testing.T) {
	as := startFosite(t)
	tok, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantClientCredentials,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopReservedClientID,
		ClientSecret: interopReservedClientSecret,
	})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	assertAccepted(t, as.resourceURL, tok, interopReservedClientID, "")
}

func TestInterop_fosite_password(t *testing.T) {
	as := startFosite(t)
	c := newInteropClient(t)
	req := oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scopes:       []string{"profile", "offline_access"},
	}
	tok, err := c.Exchange(t.Context(), req)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, fositeExpiresIn())
	if tok.RefreshToken == "" {
		t.Error("no refresh token; fosite issues one when offline_access is granted")
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)

	t.Run("wrong password", func(t *testing.T) {
		bad := req
		bad.Password = "not-" + interopPassword
		_, err := c.Exchange(t.Context(), bad)
		assertServerError(t, err, "invalid_grant", bad.Password, interopClientSecret)
	})
}

func TestInterop_fosite_refreshTokenRotation(t *testing.T) {
	as := startFosite(t)
	c := newInteropClient(t)
	first, err := c.Exchange(t.Context(), oauthclient.Request{
		TokenURL:     as.tokenURL,
		GrantType:    oauthclient.GrantPassword,
		AuthStyle:    oauthclient.AuthBasic,
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Username:     interopUsername,
		Password:     interopPassword,
		Scope:        "profile offline_access",
	})
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if first.RefreshToken == "" {
		t.Fatal("password grant returned no refresh token")
	}
	refresh := func(rt string) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantRefreshToken,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			RefreshToken: rt,
		})
	}

	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	checkBearer(t, second, fositeExpiresIn())
	if !second.RefreshTokenRotated || second.RefreshToken == first.RefreshToken {
		t.Errorf("RefreshTokenRotated = %v; fosite rotates refresh tokens", second.RefreshTokenRotated)
	}
	assertAccepted(t, as.resourceURL, second, interopClientID, interopUserID)
	assertRejected(t, as.resourceURL, first.AccessToken)

	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("refresh with the rotated refresh token: %v", err)
	}
	if !third.RefreshTokenRotated {
		t.Error("second refresh: RefreshTokenRotated = false, want true")
	}
	assertAccepted(t, as.resourceURL, third, interopClientID, interopUserID)

	// Presenting a rotated-out refresh token is refused without leaking it.
	_, err = refresh(first.RefreshToken)
	assertServerError(t, err, "invalid_grant", first.RefreshToken, interopClientSecret)
}

func TestInterop_fosite_authorizationCodePKCE(t *testing.T) {
	as := startFosite(t)
	c := newInteropClient(t)

	newCode := func(t *testing.T) (string, string) {
		return authorizeWithPKCE(t, as.authorizeURL, "openid", "profile", "offline_access")
	}
	exchange := func(code, verifier string) (*oauthclient.Token, error) {
		return c.Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantAuthorizationCode,
			ClientID:     interopClientID,
			ClientSecret: interopClientSecret,
			Code:         code,
			RedirectURI:  interopRedirectURI,
			CodeVerifier: verifier,
		})
	}

	code, verifier := newCode(t)
	tok, err := exchange(code, verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	checkBearer(t, tok, fositeExpiresIn())
	if tok.Scope != "openid profile offline_access" {
		t.Errorf("Scope = %q, want %q", tok.Scope, "openid profile offline_access")
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token; fosite issues one when offline_access is granted")
	}
	if strings.Count(tok.IDToken, ".") != 2 {
		t.Errorf("IDToken = %q, want a signed JWT (openid was granted)", tok.IDToken)
	}
	assertAccepted(t, as.resourceURL, tok, interopClientID, interopUserID)

	t.Run("code is single-use", func(t *testing.T) {
		before := as.tokenRequests.Load()
		_, err := exchange(code, verifier)
		assertServerError(t, err, "invalid_grant", code, verifier, interopClientSecret)
		if n := as.tokenRequests.Load() - before; n != 1 {
			t.Errorf("the code was presented %d times, want once", n)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := newCode(t)
		other := oauthclient.NewCodeVerifier()
		_, err := exchange(code, other)
		assertServerError(t, err, "invalid_grant", code, other, interopClientSecret)
	})
	t.Run("missing verifier", func(t *testing.T) {
		code, _ := newCode(t)
		_, err := exchange(code, "")
		assertServerError(t, err, "invalid_grant", code, interopClientSecret)
	})
}

func TestInterop_fosite_wrongClientSecret(t *testing.T) {
	as := startFosite(t)
	const wrong = "wrong-secret-Zp4r"
	for _, style := range []oauthclient.AuthStyle{oauthclient.AuthBasic, oauthclient.AuthAuto} {
		t.Run(string(style), func(t *testing.T) {
			_, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
				TokenURL:     as.tokenURL,
				GrantType:    oauthclient.GrantClientCredentials,
				AuthStyle:    style,
				ClientID:     interopClientID,
				ClientSecret: wrong,
			})
			if status := assertServerError(t, err, "invalid_client", wrong, url.QueryEscape(wrong), interopClientSecret); status != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d, want 401", status)
			}
		})
	}
	t.Run("post", func(t *testing.T) {
		_, err := newInteropClient(t).Exchange(t.Context(), oauthclient.Request{
			TokenURL:     as.tokenURL,
			GrantType:    oauthclient.GrantClientCredentials,
			AuthStyle:    oauthclient.AuthPost,
			ClientID:     interopPostClientID,
			ClientSecret: wrong,
		})
		assertServerError(t, err, "invalid_client", wrong, url.QueryEscape(wrong), interopClientSecret)
	})
}
