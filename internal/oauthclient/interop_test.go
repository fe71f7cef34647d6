package oauthclient_test

// Interoperability tests: the client against two independent authorization
// server implementations, github.com/go-oauth2/oauth2/v4 and
// github.com/ory/fosite, each started on the loopback interface for one test
// and closed at its end. Every token obtained is checked with the server's
// own validation on a protected resource.
//
// TestInterop runs one table: each scenario (interop_scenarios_test.go,
// interop_jwt_test.go, interop_jwt_bearer_test.go) against each server
// (interopTargets) that has the capabilities it needs. Where the servers
// behave differently but both within the RFCs, the target says how.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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

// interopServer is an authorization server started for one test on the
// loopback interface: a token endpoint, an authorization endpoint that
// approves interopUserID without asking, and a resource that accepts only
// the access tokens the server itself validates.
type interopServer struct {
	tokenURL     string
	authorizeURL string
	resourceURL  string
	// baseURL is the server's origin, and mux its handlers, where a test
	// adds one (a metadata document, see interop_discovery_test.go).
	baseURL string
	mux     *http.ServeMux
	// revocationURL is the RFC 7009 revocation endpoint; empty when the
	// server has none (needs capRevocation).
	revocationURL string
	// tokenRequests counts the requests the token endpoint received.
	tokenRequests atomic.Int64
	// basicClient authenticates with HTTP Basic and postClient in the
	// request body (RFC 6749 §2.3.1), both with interopClientSecret; empty
	// when the server was started to refuse that method. When they differ,
	// postClient is refused with HTTP Basic.
	basicClient string
	postClient  string
}

// authMode is how a server reads client credentials where that is a
// server setting (go-oauth2); fosite decides it per registered client.
type authMode int

const (
	// authEither accepts HTTP Basic or, without an Authorization header,
	// the request body.
	authEither authMode = iota
	// authBasicOnly reads HTTP Basic only.
	authBasicOnly
	// authPostOnly reads the request body only and answers 401
	// invalid_client to HTTP Basic.
	authPostOnly
)

// serverConfig is what a scenario asks of the server it runs against.
type serverConfig struct {
	auth authMode
	// keepRefreshToken makes the refresh token grant issue no new refresh
	// token (needs capKeepRefreshToken); by default a server issues a new
	// one and revokes the old one.
	keepRefreshToken bool
	// keyClients are clients authenticating with a JWT, and issuerKeys
	// the keys trusted for JWT bearer grant assertions (need capJWT).
	keyClients []keyClient
	issuerKeys []issuerKey
	// jwtBearerWithoutClientAuth lets the JWT bearer grant go without
	// client authentication (RFC 7523 §3.1 makes it optional).
	jwtBearerWithoutClientAuth bool
}

// clientBasicOrForm accepts client_secret_basic and, when no Authorization
// header is sent, client_secret_post (RFC 6749 §2.3.1).
func clientBasicOrForm(r *http.Request) (string, string, error) {
	if _, _, ok := r.BasicAuth(); ok {
		return server.ClientBasicHandler(r)
	}
	return server.ClientFormHandler(r)
}

// startGoOAuth2 starts a github.com/go-oauth2/oauth2/v4 server; cfg.auth
// picks how it reads client credentials, which is a server setting there.
func startGoOAuth2(t *testing.T, cfg serverConfig) *interopServer {
	t.Helper()
	if len(cfg.keyClients) > 0 || len(cfg.issuerKeys) > 0 || cfg.jwtBearerWithoutClientAuth {
		t.Fatal("go-oauth2 has no JWT client authentication or JWT bearer grant")
	}

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
	if cfg.keepRefreshToken {
		manager.SetRefreshTokenCfg(&manage.RefreshingConfig{
			AccessTokenExp:    keptRefreshAccessTokenExp,
			IsGenerateRefresh: false,
			IsRemoveAccess:    true,
		})
	}

	srv := server.NewServer(server.NewConfig(), manager)
	s := &interopServer{basicClient: interopClientID, postClient: interopClientID}
	switch cfg.auth {
	case authEither:
		srv.ClientInfoHandler = clientBasicOrForm
	case authBasicOnly:
		srv.ClientInfoHandler = server.ClientBasicHandler
		s.postClient = ""
	case authPostOnly:
		srv.ClientInfoHandler = server.ClientFormHandler
		s.basicClient = ""
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
	s.baseURL, s.mux = ts.URL, mux
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

// fositeSetup is what startFosite adjusts for a serverConfig before the
// provider is composed: the configuration, whose TokenURL is already the
// test server's, and the memory store with the default clients.
type fositeSetup struct {
	cfg *fosite.Config
	mem *storage.MemoryStore
}

// startFosite starts a github.com/ory/fosite provider with every handler
// enabled (compose.ComposeAllEnabled) over the memory store. Its clients
// are registered for one client authentication method each, so cfg.auth
// does not apply.
func startFosite(t *testing.T, cfg serverConfig) *interopServer {
	t.Helper()
	key, err := fositeSigningKey()
	if err != nil {
		t.Fatalf("generating the ID token signing key: %v", err)
	}

	s := &interopServer{basicClient: interopClientID, postClient: interopPostClientID}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.tokenURL = ts.URL + "/token"
	s.authorizeURL = ts.URL + "/authorize"
	s.resourceURL = ts.URL + "/resource"
	s.revocationURL = ts.URL + "/revoke"
	s.baseURL, s.mux = ts.URL, mux

	fcfg := &fosite.Config{
		GlobalSecret:        []byte("fosite-interop-hmac-secret-32byt"),
		AccessTokenLifespan: fositeAccessTokenLifespan,
		IDTokenIssuer:       ts.URL,
		TokenURL:            s.tokenURL,
		EnforcePKCE:         true,
		HashCost:            4, // bcrypt.MinCost: the tests hash secrets at startup
	}
	ctx := t.Context()
	hasher := &fosite.BCrypt{Config: fcfg}
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
	setup := &fositeSetup{cfg: fcfg, mem: mem}
	registerKeyClients(t, setup, cfg.keyClients)
	for _, k := range cfg.issuerKeys {
		registerIssuerKey(t, setup, k)
	}
	fcfg.GrantTypeJWTBearerCanSkipClientAuth = cfg.jwtBearerWithoutClientAuth
	p := compose.ComposeAllEnabled(fcfg, fositeStore{mem}, key)

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
	mux.HandleFunc("/revoke", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p.WriteRevocationResponse(ctx, w, p.NewRevocationRequest(ctx, r))
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

// keptRefreshAccessTokenExp is the lifetime of the access tokens a server
// started with serverConfig.keepRefreshToken issues on refresh.
const keptRefreshAccessTokenExp = 30 * time.Minute

// capability is something only some servers under test can do.
type capability string

const (
	// capKeepRefreshToken: the server can be set to keep the refresh
	// token on refresh instead of rotating it.
	capKeepRefreshToken capability = "keep refresh token"
	// capJWT: clients authenticating with private_key_jwt (RFC 7523
	// §2.2) and the JWT bearer grant from trusted issuers (RFC 7523 §2.1).
	capJWT capability = "JWT"
	// capRevocation: a token revocation endpoint (RFC 7009).
	capRevocation capability = "revocation"
)

// interopTarget is one authorization server implementation under test:
// how to start it, what it can do, and where its behaviour differs.
type interopTarget struct {
	name  string
	caps  []capability
	start func(*testing.T, serverConfig) *interopServer
	// expiresIn is the expires_in the server announces for a token of a
	// grant; a refreshed token keeps the lifetime of the password grant
	// that issued the refresh token, which is what the scenarios refresh.
	expiresIn func(oauthclient.GrantType) int64
	// offlineScopes are asked for besides the others when a refresh token
	// is wanted.
	offlineScopes []string
	// basicFormDecodes: the server form-decodes HTTP Basic credentials as
	// RFC 6749 §2.3.1 requires.
	basicFormDecodes bool
	// issuesIDToken: the server issues an ID token when openid is granted.
	issuesIDToken bool
	// refusesMissingVerifier: a code issued for a PKCE challenge is refused
	// as invalid_grant when no verifier comes with it (RFC 7636 §4.6).
	refusesMissingVerifier bool
}

func (tg interopTarget) can(needs []capability) bool {
	for _, c := range needs {
		if !slices.Contains(tg.caps, c) {
			return false
		}
	}
	return true
}

var interopTargets = []interopTarget{
	{
		name:  "go-oauth2",
		caps:  []capability{capKeepRefreshToken},
		start: startGoOAuth2,
		expiresIn: func(g oauthclient.GrantType) int64 {
			switch g {
			case oauthclient.GrantClientCredentials:
				return int64(manage.DefaultClientTokenCfg.AccessTokenExp / time.Second)
			case oauthclient.GrantAuthorizationCode:
				return int64(manage.DefaultAuthorizeCodeTokenCfg.AccessTokenExp / time.Second)
			default:
				return int64(manage.DefaultPasswordTokenCfg.AccessTokenExp / time.Second)
			}
		},
		// go-oauth2 compares the HTTP Basic credentials without
		// form-decoding them.
		basicFormDecodes: false,
		// A missing verifier is not one of the errors go-oauth2 maps to
		// invalid_grant.
		refusesMissingVerifier: false,
	},
	{
		name:                   "fosite",
		caps:                   []capability{capJWT, capRevocation},
		start:                  startFosite,
		expiresIn:              func(oauthclient.GrantType) int64 { return fositeExpiresIn() },
		offlineScopes:          []string{"offline_access"},
		basicFormDecodes:       true,
		issuesIDToken:          true,
		refusesMissingVerifier: true, // EnforcePKCE
	},
}

// interopScenario is one row of the interoperability table, run against
// every server that has the capabilities it needs.
type interopScenario struct {
	name  string
	needs []capability
	run   func(t *testing.T, tg interopTarget)
}

func TestInterop(t *testing.T) {
	for _, sc := range interopScenarios {
		t.Run(sc.name, func(t *testing.T) {
			ran := 0
			for _, tg := range interopTargets {
				if !tg.can(sc.needs) {
					continue
				}
				ran++
				t.Run(tg.name, func(t *testing.T) { sc.run(t, tg) })
			}
			if ran == 0 {
				t.Errorf("no server under test can run this scenario (needs %v)", sc.needs)
			}
		})
	}
}
