package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// durableMemory is an in-memory store that the token engine treats as
// durable, as it treats the real backends.
type durableMemory struct{ tokenstore.Store }

func newDurableMemory() durableMemory { return durableMemory{tokenstore.NewMemory()} }

// failingWrites runs the update function, as a store does, then fails to save
// what it returned.
type failingWrites struct{ tokenstore.Store }

func (s failingWrites) Update(ctx context.Context, key tokenstore.Key, fn tokenstore.UpdateFunc) (*tokenstore.Entry, error) {
	cur, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	next, err := fn(ctx, cur)
	if err != nil {
		return nil, err
	}
	if next == nil || next == cur {
		return cur, nil
	}
	if next.AccessToken == "" {
		// Records without a token (the refresh-in-flight marker) save.
		return s.Store.Update(ctx, key, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) { return next, nil })
	}
	return nil, errors.New("tokenstore: writing the token store file: disk full")
}

// testProviderData is what Configure hands out, over store (nil: memory).
func testProviderData(t *testing.T, store tokenstore.Store) *providerData {
	t.Helper()
	client, err := oauthclient.New(oauthclient.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	backend := backendFile
	if store == nil {
		backend = backendMemory
	}
	return &providerData{
		client:  client,
		tokens:  tokens.New(tokens.Options{Client: client, Store: store}),
		backend: backend,
		now:     time.Now,
	}
}

// put writes an entry as a test's starting point.
func put(t *testing.T, store tokenstore.Store, key tokenstore.Key, e tokenstore.Entry) {
	t.Helper()
	if _, err := store.Update(context.Background(), key, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return &e, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// legacySeedRecord is the private state record earlier versions kept for a
// refresh_token connection's own store entry.
func legacySeedRecord(refreshToken string, nameKey []byte) []byte {
	mac := hmac.New(sha256.New, nameKey)
	mac.Write([]byte(legacyRefreshTokenSeedDomain + "\x00" + refreshToken))
	return []byte(`{"hmac":"` + hex.EncodeToString(mac.Sum(nil)) + `"}`)
}

// testPrivate is private state in memory.
type testPrivate map[string][]byte

func (p testPrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}
func (p testPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	p[key] = value
	return nil
}

// testRefreshConnection is a planned refresh_token connection presenting
// refreshToken to tokenURL.
func testRefreshConnection(tokenURL, refreshToken string) connectionResourceModel {
	var m connectionResourceModel
	m.ID = types.StringValue("6f1c1f4e-2a4b-4c59-9d35-6a0c2f0d9e11")
	m.Label = types.StringValue("Unit")
	m.GrantType = types.StringValue(string(oauthclient.GrantRefreshToken))
	m.TokenURL = types.StringValue(tokenURL)
	m.ClientID = types.StringValue("client-r")
	m.ClientSecret = types.StringValue("r-secret")
	m.ClientAuth = types.StringValue(string(oauthclient.AuthBasic))
	m.RefreshToken = types.StringValue(refreshToken)
	m.Scopes = types.ListNull(types.StringType)
	m.ExtraParams = types.MapNull(types.StringType)
	m.Validate = types.BoolValue(true)
	m.PKCE = types.BoolValue(true)
	return m
}

// rotatingEndpoint accepts the refresh tokens in valid, retiring each on
// use and issuing "<token>-next" in its place.
func rotatingEndpoint(t *testing.T, valid ...string) *tokenEndpoint {
	var mu sync.Mutex
	live := map[string]bool{}
	for _, v := range valid {
		live[v] = true
	}
	return newTokenEndpoint(t, func(r recordedRequest) tokenAnswer {
		mu.Lock()
		defer mu.Unlock()
		rt := r.Params["refresh_token"]
		if !live[rt] {
			return refuse(http.StatusBadRequest, "invalid_grant", "The refresh token is not valid.")
		}
		delete(live, rt)
		live[rt+"-next"] = true
		return issue("at-"+rt, 3600, map[string]any{"refresh_token": rt + "-next"})
	})
}

// TestConnectionRefreshThroughStore checks which refresh token validation
// presents with a token store, and what it leaves in the store and in
// private state.
func TestConnectionRefreshThroughStore(t *testing.T) {
	const id = "6f1c1f4e-2a4b-4c59-9d35-6a0c2f0d9e11"
	for name, tc := range map[string]struct {
		setup func(t *testing.T, store tokenstore.Store, req oauthclient.Request, prior testPrivate)
		valid []string
		want  []string // refresh tokens presented, in order
	}{
		"create: the configured token": {
			valid: []string{"rt-configured"},
			want:  []string{"rt-configured"},
		},
		"the chain's newest successor": {
			setup: func(t *testing.T, store tokenstore.Store, req oauthclient.Request, _ testPrivate) {
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-configured-next"})
			},
			valid: []string{"rt-configured-next"},
			want:  []string{"rt-configured-next"},
		},
		"new configured token: a chain of its own": {
			setup: func(t *testing.T, store tokenstore.Store, req oauthclient.Request, _ testPrivate) {
				req.RefreshToken = "rt-old"
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-old-next"})
			},
			valid: []string{"rt-configured", "rt-old-next"},
			want:  []string{"rt-configured"},
		},
		"chain in the connection's own entry, recorded: moved": {
			setup: func(t *testing.T, store tokenstore.Store, _ oauthclient.Request, prior testPrivate) {
				put(t, store, tokens.ConnectionKey(id), tokenstore.Entry{RefreshToken: "rt-configured-next"})
				prior[privateKeyRefreshTokenSeed] = legacySeedRecord("rt-configured", store.NameKey())
			},
			valid: []string{"rt-configured-next"},
			want:  []string{"rt-configured-next"},
		},
		"chain in the connection's own entry, of another token: left": {
			setup: func(t *testing.T, store tokenstore.Store, _ oauthclient.Request, prior testPrivate) {
				put(t, store, tokens.ConnectionKey(id), tokenstore.Entry{RefreshToken: "rt-old-next"})
				prior[privateKeyRefreshTokenSeed] = legacySeedRecord("rt-old", store.NameKey())
			},
			valid: []string{"rt-configured", "rt-old-next"},
			want:  []string{"rt-configured"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			server := rotatingEndpoint(t, tc.valid...)
			store := newDurableMemory()
			plan := testRefreshConnection(server.URL(), "rt-configured")
			config := plan
			req, diags := plan.connectionSettingsModel.tokenRequest(context.Background(), config.connectionWriteOnlyModel)
			if diags.HasError() {
				t.Fatal(diags)
			}
			prior := testPrivate{}
			if tc.setup != nil {
				tc.setup(t, store, req, prior)
			}
			private := testPrivate{}
			r := &connectionResource{data: testProviderData(t, store)}

			diags = r.apply(context.Background(), &plan, &config, nil, prior, private)
			if diags.HasError() || diags.WarningsCount() != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			var presented []string
			for _, req := range server.Requests() {
				presented = append(presented, req.Params["refresh_token"])
			}
			if !slices.Equal(presented, tc.want) {
				t.Errorf("refresh tokens presented: got %q, want %q", presented, tc.want)
			}
			last := tc.want[len(tc.want)-1]
			chain, err := store.Get(context.Background(), tokens.ChainKey(req, store.NameKey()))
			if err != nil || chain == nil || chain.RefreshToken != last+"-next" {
				t.Errorf("chain entry: got %v, %v; want the refresh token issued for %q", chain, err, last)
			}
			link, err := store.Get(context.Background(), tokens.ConnectionKey(id))
			if err != nil || link == nil || link.Chain != tokens.ChainKey(req, store.NameKey()).String() || link.RefreshToken != "" {
				t.Errorf("connection entry: got %v, %v; want a link to the chain", link, err)
			}
			if len(private[privateKeyRefreshTokenSeed]) != 0 {
				t.Errorf("the earlier versions' seed record is still in private state")
			}
			if plan.Status.ValueString() != statusValidated || !plan.ObtainedRefreshToken.IsNull() {
				t.Errorf("status %s, obtained_refresh_token null %v; want validated, null", plan.Status, plan.ObtainedRefreshToken.IsNull())
			}
		})
	}
}

// TestConnectionRefreshThroughStoreFailures checks that validation stops
// when the store cannot save the rotated refresh token or the server
// refuses the stored one, without a token in any diagnostic.
func TestConnectionRefreshThroughStoreFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		store   func() tokenstore.Store
		stored  bool
		valid   []string
		summary string
		detail  string
	}{
		"save fails": {
			store:   func() tokenstore.Store { return failingWrites{newDurableMemory()} },
			valid:   []string{"rt-configured"},
			summary: "Unable to Save OAuth2 Token",
			detail:  "writing the token store file: disk full",
		},
		"stored token refused": {
			store:   func() tokenstore.Store { return newDurableMemory() },
			stored:  true,
			summary: "Unable to Validate OAuth2 Connection",
			detail:  "configure a new refresh token",
		},
	} {
		t.Run(name, func(t *testing.T) {
			server := rotatingEndpoint(t, tc.valid...)
			store := tc.store()
			plan := testRefreshConnection(server.URL(), "rt-configured")
			config := plan
			want := "rt-configured"
			if tc.stored {
				req, _ := plan.connectionSettingsModel.tokenRequest(context.Background(), config.connectionWriteOnlyModel)
				put(t, store, tokens.ChainKey(req, store.NameKey()), tokenstore.Entry{RefreshToken: "rt-stored"})
				want = "rt-stored"
			}
			r := &connectionResource{data: testProviderData(t, store)}
			diags := r.apply(context.Background(), &plan, &config, nil, testPrivate{}, testPrivate{})
			if !diags.HasError() || diags[0].Summary() != tc.summary || !strings.Contains(diags[0].Detail(), tc.detail) {
				t.Fatalf("diagnostics: got %v, want %q mentioning %q", diags, tc.summary, tc.detail)
			}
			if server.Count() != 1 || server.Last().Params["refresh_token"] != want {
				t.Errorf("want one request presenting %q, got %d", want, server.Count())
			}
			for _, d := range diags {
				for _, s := range []string{"rt-stored", "rt-configured", "r-secret", "at-rt"} {
					if strings.Contains(d.Detail(), s) || strings.Contains(d.Summary(), s) {
						t.Errorf("a diagnostic holds a secret")
					}
				}
			}
		})
	}
}

// TestConnectionPasswordGrantKeepsRefreshToken checks that a password
// connection validated with a token store keeps the refresh token the
// server issued in the connection's entry.
func TestConnectionPasswordGrantKeepsRefreshToken(t *testing.T) {
	for name, tc := range map[string]struct {
		answer tokenAnswer
		stored string
	}{
		"refresh token issued": {answer: issue("at-pw", 3600, map[string]any{"refresh_token": "rt-pw"}), stored: "rt-pw"},
		"none issued":          {answer: issue("at-pw", 3600, nil)},
	} {
		t.Run(name, func(t *testing.T) {
			server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer { return tc.answer })
			plan := testRefreshConnection(server.URL(), "")
			plan.GrantType = types.StringValue(string(oauthclient.GrantPassword))
			plan.RefreshToken = types.StringNull()
			plan.Username = types.StringValue("alice")
			plan.Password = types.StringValue("alice-password")
			config := plan
			store := newDurableMemory()
			r := &connectionResource{data: testProviderData(t, store)}
			diags := r.apply(context.Background(), &plan, &config, nil, nil, testPrivate{})
			if diags.HasError() || diags.WarningsCount() != 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			e, err := store.Get(context.Background(), tokens.ConnectionKey(plan.ID.ValueString()))
			if err != nil || e == nil || e.RefreshToken != tc.stored || e.AccessToken != "at-pw" {
				t.Errorf("stored entry: got %v, %v; want the issued tokens", e, err)
			}
			if !plan.ObtainedRefreshToken.IsNull() {
				t.Errorf("obtained_refresh_token is set although the provider has a token store")
			}
		})
	}
}
