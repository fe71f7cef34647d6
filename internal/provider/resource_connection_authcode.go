package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// privateKeyAuthorization is the private state key holding the pending
// authorization request; see pendingAuthorization. Private state is never
// shown in plan output or attributes, but it is saved in the state file.
const privateKeyAuthorization = "authorization_request"

// Sources of the PKCE code verifier of a pending authorization request, as
// recorded in pendingAuthorization.VerifierSource.
const (
	// verifierFromClientSecret: derived from the client secret.
	verifierFromClientSecret = "client_secret"
	// verifierFromTokenStore: derived from the token store's name key.
	verifierFromTokenStore = "token_store"
	// verifierStored: random and kept in private state, for a public client
	// without a token store, which has no secret to derive it from.
	verifierStored = "stored"
)

// pkceVerifierDomain separates the code verifier HMAC from every other HMAC
// under the same key: the token store's name key also names entries and
// refresh token seeds.
const pkceVerifierDomain = "oauth2 pkce verifier v1"

// pendingAuthorization is kept in private state between the two applies of
// the authorization code flow. Private state goes into the state file, so the
// PKCE code verifier is derived again at the exchange (see pkceVerifier)
// rather than kept, unless there is no secret to derive it from. The state
// value is kept: it is no secret, being part of the URL the user opens.
type pendingAuthorization struct {
	State string `json:"state"`
	// VerifierSource is one of the verifier* constants; empty without PKCE.
	VerifierSource string `json:"verifier_source,omitempty"`
	// CodeVerifier is set only when VerifierSource is verifierStored.
	CodeVerifier string `json:"code_verifier,omitempty"`
}

// pkceVerifier derives the PKCE code verifier of the authorization request
// carrying state (RFC 7636 §4.1) from key: the HMAC-SHA256 of a domain
// separator and state, base64url-encoded without padding to 43 characters
// of the unreserved set. key is the client secret or, for a public client,
// the token store's name key (tokenstore.Store.NameKey).
//
// Deriving it means the verifier need not be kept between the two applies,
// so it never reaches the state file. RFC 7636 §7.1 asks only that an
// attacker cannot guess the verifier; an HMAC under a key the attacker lacks
// is as unguessable as 32 random octets, even to one who sees state in the
// authorization request URL, and a fresh state gives every request its own
// verifier. A client_secret kept in state gives the verifier away to whoever
// reads the state, as it gives away the client itself; client_secret_wo
// keeps both out.
func pkceVerifier(key []byte, state string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(pkceVerifierDomain))
	mac.Write([]byte{0})
	mac.Write([]byte(state))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// applyAuthorizationCode runs the two steps of the authorization code grant
// (RFC 6749 §4.1): without a code it publishes the authorization request
// URL; with a new code it exchanges it, with the PKCE verifier of the
// pending request.
func (r *connectionResource) applyAuthorizationCode(ctx context.Context, plan, config, prior *connectionResourceModel, priorPrivate privateGetter, private privateSetter) diag.Diagnostics {
	var diags diag.Diagnostics

	pending, d := readPendingAuthorization(ctx, priorPrivate)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	clientSecret := firstSet(plan.ClientSecret, config.ClientSecretWO)

	codeGiven := !config.AuthorizationCodeWO.IsNull() && config.AuthorizationCodeWO.ValueString() != ""
	codeIsNew := codeGiven && (prior == nil || !prior.AuthorizationCodeWOVersion.Equal(plan.AuthorizationCodeWOVersion))

	switch {
	case codeIsNew:
		if pending == nil && plan.PKCE.ValueBool() {
			diags.AddAttributeError(path.Root("authorization_code_wo"), "Unable to Exchange OAuth2 Authorization Code",
				fmt.Sprintf("Connection %q has no pending authorization request, so the PKCE verifier matching this code is unknown. "+
					"Apply once without authorization_code_wo, open authorization_request_url, then set authorization_code_wo "+
					"and bump authorization_code_wo_version.", plan.Label.ValueString()))
			return diags
		}
		tokenReq, eps, d := r.data.connectionRequest(ctx, plan, config)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		plan.RevocationEndpoint = stringOrNull(eps.RevocationURL)
		tokenReq.Code = config.AuthorizationCodeWO.ValueString()
		// The scope was granted in the authorization request; the access
		// token request carries none (RFC 6749 §4.1.3).
		requested := tokenReq
		tokenReq.Scopes = nil
		var invalidGrantNote string
		if pending != nil && plan.PKCE.ValueBool() {
			verifier, ok := r.codeVerifier(pending, clientSecret)
			if !ok {
				diags.AddAttributeError(path.Root("authorization_code_wo"), "Unable to Exchange OAuth2 Authorization Code",
					fmt.Sprintf("The PKCE verifier of the pending authorization request of connection %q is derived from %s, "+
						"which is no longer configured, so the code cannot be exchanged and nothing was saved. Configure it as "+
						"it was when authorization_request_url was created and apply again, or start over: remove "+
						"authorization_code_wo, replace the connection (apply with -replace), open the new "+
						"authorization_request_url and give its code.", plan.Label.ValueString(), verifierSourceName(pending.VerifierSource)))
				return diags
			}
			tokenReq.CodeVerifier = verifier
			if pending.VerifierSource != verifierStored {
				invalidGrantNote = fmt.Sprintf("The PKCE verifier is derived from %s, which must be the same as when "+
					"authorization_request_url was created; if it changed since, remove authorization_code_wo and replace "+
					"the connection (apply with -replace) to start a new authorization request.",
					verifierSourceName(pending.VerifierSource))
			}
		}
		ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
		tflog.Debug(ctx, "exchanging oauth2 authorization code", map[string]any{"verifier_source": verifierSource(pending)})

		// A code exchange starts a new grant: the connection's store entry
		// takes its tokens, named by the connection's id; state keeps only
		// that id.
		res, err := r.data.tokens.Token(ctx, tokens.Request{Token: tokenReq, Connection: plan.ID.ValueString(), Label: plan.Label.ValueString()}, tokens.Policy{Fresh: true})
		if err != nil {
			var notes []string
			if invalidGrantNote != "" && tokens.IsInvalidGrant(err) {
				notes = append(notes, invalidGrantNote)
			}
			var se *tokens.SaveError
			if errors.As(err, &se) {
				notes = append(notes, "The code is spent: open authorization_request_url again, then give the new code in "+
					"authorization_code_wo and bump authorization_code_wo_version once the token store is reachable and writable.")
			}
			addTokenError(&diags, "Unable to Validate OAuth2 Connection", fmt.Sprintf("connection %q", plan.Label.ValueString()),
				tokenReq.TokenURL, r.data.backend, err, notes...)
			return diags
		}
		tok := res.Token
		ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
		tflog.Info(ctx, "oauth2 authorization code exchanged", map[string]any{
			"token_type":  tok.TokenType,
			"expires_in":  tok.ExpiresIn,
			"token_store": r.data.backend,
		})

		plan.Status = types.StringValue(statusAuthorized)
		plan.setTokenOutputs(tok, requested, timeNow())
		plan.ObtainedRefreshToken = types.StringNull()
		if !r.data.tokens.Durable() && tok.RefreshToken != "" {
			plan.ObtainedRefreshToken = types.StringValue(tok.RefreshToken)
		}
		plan.AuthorizationRequestURL = types.StringNull()
		if prior != nil {
			plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		}
		// The request is spent with the code.
		diags.Append(private.SetKey(ctx, privateKeyAuthorization, nil)...)
		return diags

	case prior != nil && prior.Status.ValueString() == statusPendingAuthorization && r.authorizedOutside(ctx, plan):
		// The companion command-line tool ran the authorization and left
		// the refresh token in the connection's store entry: prove it with
		// a refresh, as a code exchange would.
		tokenReq, _, d := r.data.connectionRequest(ctx, plan, config)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		tokenReq.GrantType = oauthclient.GrantRefreshToken
		ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
		res, err := r.data.tokens.Token(ctx, tokens.Request{Token: tokenReq, Connection: plan.ID.ValueString(), Label: plan.Label.ValueString()}, tokens.Policy{Fresh: true})
		if err != nil {
			addTokenError(&diags, "Unable to Validate OAuth2 Connection", fmt.Sprintf("connection %q", plan.Label.ValueString()),
				tokenReq.TokenURL, r.data.backend, err)
			return diags
		}
		ctx = maskSecrets(ctx, res.Token.AccessToken, res.Token.RefreshToken, res.Token.IDToken)
		tflog.Info(ctx, "oauth2 connection authorized outside Terraform; its stored refresh token works")
		plan.Status = types.StringValue(statusAuthorized)
		plan.setTokenOutputs(res.Token, tokenReq, timeNow())
		plan.ObtainedRefreshToken = types.StringNull()
		plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		diags.Append(private.SetKey(ctx, privateKeyAuthorization, nil)...)
		return diags

	case prior != nil && prior.Status.ValueString() == statusAuthorized:
		// The code is single-use; an authorized connection keeps its result
		// until a new code is given.
		plan.copyOutputs(prior)
		plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		plan.ObtainedRefreshToken = prior.ObtainedRefreshToken
		return diags
	}

	// Waiting for a code: publish the authorization request URL, with a
	// fresh state and verifier when the request itself changed.
	var authURL string
	if pending == nil || prior == nil || validationInputsChanged(prior, plan) {
		pending = &pendingAuthorization{State: oauthclient.NewState()}
		if plan.PKCE.ValueBool() {
			pending.VerifierSource = verifierStored
			for _, source := range []string{verifierFromClientSecret, verifierFromTokenStore} {
				if r.pkceVerifierKey(source, clientSecret) != nil {
					pending.VerifierSource = source
					break
				}
			}
			if pending.VerifierSource == verifierStored {
				pending.CodeVerifier = oauthclient.NewCodeVerifier()
			}
		}
	} else if !prior.AuthorizationRequestURL.IsNull() && !prior.AuthorizationRequestURL.IsUnknown() {
		// The request is unchanged, and so is its URL, which the user may
		// have opened already. The verifier is not derived again here: a
		// key replaced meanwhile (client_secret_wo without a version bump)
		// would change the URL; the exchange reports that case instead.
		authURL = prior.AuthorizationRequestURL.ValueString()
	}
	if authURL == "" {
		verifier, ok := r.codeVerifier(pending, clientSecret)
		if !ok {
			diags.AddError("Unable to Build OAuth2 Authorization Request",
				fmt.Sprintf("The PKCE verifier of the pending authorization request of connection %q is derived from %s, "+
					"which is no longer configured. Configure it as it was, or replace the connection (apply with -replace) "+
					"to start a new authorization request.", plan.Label.ValueString(), verifierSourceName(pending.VerifierSource)))
			return diags
		}
		settings, eps, d := r.data.resolveSettings(ctx, plan.connectionSettingsModel, config.connectionSettingsModel)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		plan.RevocationEndpoint = stringOrNull(eps.RevocationURL)
		authReq, d := settings.authCodeRequest(ctx, pending.State, verifier)
		diags.Append(d...)
		if diags.HasError() {
			return diags
		}
		var err error
		authURL, err = oauthclient.AuthCodeURL(authReq)
		if err != nil {
			diags.AddAttributeError(path.Root("authorization_url"), "Unable to Build OAuth2 Authorization Request",
				fmt.Sprintf("The authorization request URL of connection %q could not be built. Check authorization_url, "+
					"redirect_uri and extra_params.\n\n%s", plan.Label.ValueString(), errorCause(err)))
			return diags
		}
	}
	raw, err := json.Marshal(pending)
	if err != nil {
		diags.AddError("Unable to Save OAuth2 Authorization Request",
			"The pending authorization request could not be encoded. This is a bug in the provider; please report it.\n\n"+errorCause(err))
		return diags
	}
	diags.Append(private.SetKey(ctx, privateKeyAuthorization, raw)...)
	if diags.HasError() {
		return diags
	}
	tflog.Info(ctx, "oauth2 connection waits for an authorization code", map[string]any{"verifier_source": verifierSource(pending)})

	plan.Status = types.StringValue(statusPendingAuthorization)
	plan.AuthorizationRequestURL = types.StringValue(authURL)
	plan.ObtainedRefreshToken = types.StringNull()
	plan.setTokenOutputs(nil, oauthclient.Request{}, time.Time{})
	return diags
}

// readPendingAuthorization returns the pending authorization request kept in
// private state, or nil when there is none.
func readPendingAuthorization(ctx context.Context, priorPrivate privateGetter) (*pendingAuthorization, diag.Diagnostics) {
	if priorPrivate == nil {
		return nil, nil
	}
	raw, diags := priorPrivate.GetKey(ctx, privateKeyAuthorization)
	if diags.HasError() || len(raw) == 0 {
		return nil, diags
	}
	pending := &pendingAuthorization{}
	if err := json.Unmarshal(raw, pending); err != nil {
		diags.AddError("Unable to Read OAuth2 Authorization Request",
			"The stored authorization request of this connection is unreadable. This is a bug in the provider; "+
				"please report it. Recreating the connection starts a new authorization.\n\n"+errorCause(err))
		return nil, diags
	}
	if pending.VerifierSource == "" && pending.CodeVerifier != "" {
		// Written before verifiers were derived.
		pending.VerifierSource = verifierStored
	}
	return pending, diags
}

// pkceVerifierKey returns the key that verifiers of source are derived from
// (see pkceVerifier), or nil when it is not at hand: no client secret, or no
// token store whose encryption key could be read.
func (r *connectionResource) pkceVerifierKey(source, clientSecret string) []byte {
	switch source {
	case verifierFromClientSecret:
		if clientSecret != "" {
			return []byte(clientSecret)
		}
	case verifierFromTokenStore:
		// A memory store's key dies with the process; the exchange runs in
		// a later one.
		if r.data.tokens.Durable() {
			return r.data.tokens.Store().NameKey()
		}
	}
	return nil
}

// codeVerifier returns the PKCE code verifier of pending: "" without PKCE,
// the kept one, or the one derived again from its source. It reports false
// when that source's key is not at hand.
func (r *connectionResource) codeVerifier(pending *pendingAuthorization, clientSecret string) (string, bool) {
	switch pending.VerifierSource {
	case "":
		return "", true
	case verifierStored:
		return pending.CodeVerifier, pending.CodeVerifier != ""
	}
	key := r.pkceVerifierKey(pending.VerifierSource, clientSecret)
	if key == nil {
		return "", false
	}
	return pkceVerifier(key, pending.State), true
}

// verifierSource names the verifier source of pending for logs.
func verifierSource(pending *pendingAuthorization) string {
	if pending == nil || pending.VerifierSource == "" {
		return "none"
	}
	return pending.VerifierSource
}

// verifierSourceName says in a diagnostic where a derived verifier comes
// from, naming no secret.
func verifierSourceName(source string) string {
	if source == verifierFromTokenStore {
		return "the encryption key of the provider's token_store"
	}
	return "the client secret (client_secret or client_secret_wo)"
}

// authorizedOutside reports whether the connection's store entry holds a
// refresh token of its own while Terraform waits for a code: the companion
// command-line tool's authorize command put it there.
func (r *connectionResource) authorizedOutside(ctx context.Context, m *connectionResourceModel) bool {
	if r.data == nil || !r.data.tokens.Durable() || m.ID.IsNull() || m.ID.IsUnknown() {
		return false
	}
	rt, err := r.data.tokens.OwnRefreshToken(ctx, m.ID.ValueString())
	return err == nil && rt != ""
}
