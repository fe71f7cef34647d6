package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// applyDeviceCode runs the device authorization grant (RFC 8628) over
// applies, since a provider cannot wait for a person during one: the first
// apply starts the authorization and shows where to approve it (outputs and
// a warning); each later apply polls once, and the one after the approval
// saves the refresh token and marks the connection authorized. The device
// code, a short-lived secret, waits in the token store, never in state.
func (r *connectionResource) applyDeviceCode(ctx context.Context, plan, config, prior *connectionResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	plan.ObtainedRefreshToken = types.StringNull()
	if prior != nil && prior.Status.ValueString() == statusAuthorized && !validationInputsChanged(prior, plan) {
		plan.copyOutputs(prior)
		plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		return diags
	}
	subject := fmt.Sprintf("connection %q", plan.Label.ValueString())
	if !r.data.tokens.Durable() {
		diags.AddAttributeError(path.Root("grant_type"), "Missing OAuth2 Token Store",
			fmt.Sprintf("%s uses the device_code grant, whose device code and refresh token live in the provider's token "+
				"store between applies, but the store is disabled. Enable it (remove token_store.disabled or %s).", subject, envTokenStoreDisabled))
		return diags
	}
	tokenReq, eps, d := r.data.connectionRequest(ctx, plan, config)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	id := plan.ID.ValueString()
	treq := tokens.Request{Token: tokenReq, Connection: id, Label: plan.Label.ValueString()}

	pending, err := r.data.tokens.PendingOf(ctx, id)
	if err != nil {
		addTokenError(&diags, "Unable to Validate OAuth2 Connection", subject, tokenReq.TokenURL, r.data.backend, err)
		return diags
	}
	restart := prior == nil || validationInputsChanged(prior, plan) || pending == nil || !pending.Expiry.After(r.data.now())
	if !restart && r.authorizedOutside(ctx, plan) {
		// The plan's poll found the authorization approved and saved its
		// tokens: prove them with a refresh.
		proof := tokenReq
		proof.GrantType = oauthclient.GrantRefreshToken
		res, err := r.data.tokens.Token(ctx, tokens.Request{Token: proof, Connection: id, Label: treq.Label}, tokens.Policy{Fresh: true})
		if err != nil {
			addTokenError(&diags, "Unable to Validate OAuth2 Connection", subject, tokenReq.TokenURL, r.data.backend, err)
			return diags
		}
		_ = r.data.tokens.ClearPending(ctx, id)
		ctx = maskSecrets(ctx, res.Token.AccessToken, res.Token.RefreshToken, res.Token.IDToken)
		tflog.Info(ctx, "oauth2 device authorization approved")
		plan.Status = types.StringValue(statusAuthorized)
		plan.setTokenOutputs(res.Token, tokenReq, timeNow())
		plan.DeviceUserCode = types.StringNull()
		plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
		return diags
	}
	if !restart {
		poll := tokenReq
		poll.GrantType = oauthclient.GrantDeviceCode
		poll.DeviceCode = pending.DeviceCode
		ctx = maskSecrets(ctx, pending.DeviceCode)
		tok, err := r.data.client.Exchange(ctx, poll)
		var oe *oauthclient.Error
		switch {
		case err == nil:
			if err := r.data.tokens.Adopt(ctx, id, treq, tok); err != nil {
				addTokenError(&diags, "Unable to Save OAuth2 Connection Tokens", subject, tokenReq.TokenURL, r.data.backend, err)
				return diags
			}
			_ = r.data.tokens.ClearPending(ctx, id)
			ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
			tflog.Info(ctx, "oauth2 device authorization approved")
			plan.Status = types.StringValue(statusAuthorized)
			plan.setTokenOutputs(tok, tokenReq, timeNow())
			plan.DeviceUserCode = types.StringNull()
			plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
			return diags
		case errors.As(err, &oe) && (oe.Code == "authorization_pending" || oe.Code == "slow_down"):
			plan.copyOutputs(prior)
			plan.Status = types.StringValue(statusPendingAuthorization)
			plan.AuthorizationRequestURL = prior.AuthorizationRequestURL
			diags.AddWarning("OAuth2 Device Authorization Still Pending",
				fmt.Sprintf("%s is not approved yet. Open %s, enter the code %s, and apply again.", subject,
					prior.AuthorizationRequestURL.ValueString(), prior.DeviceUserCode.ValueString()))
			return diags
		case errors.As(err, &oe) && oe.Code == "access_denied":
			_ = r.data.tokens.ClearPending(ctx, id)
			diags.AddError("OAuth2 Device Authorization Denied",
				fmt.Sprintf("The person asked to approve %s denied it (access_denied). Nothing was saved; replace the connection (apply with -replace) to ask again.", subject))
			return diags
		case errors.As(err, &oe) && oe.Code == "expired_token":
			diags.AddWarning("OAuth2 Device Code Expired", fmt.Sprintf("The device code of %s expired before it was approved; a new one follows.", subject))
		default:
			addTokenError(&diags, "Unable to Validate OAuth2 Connection", subject, tokenReq.TokenURL, r.data.backend, err)
			return diags
		}
	}

	if eps.DeviceAuthorizationURL == "" {
		diags.AddAttributeError(path.Root("device_authorization_url"), "Missing Device Authorization Endpoint",
			fmt.Sprintf("%s uses the device_code grant but no device authorization endpoint is known. Set device_authorization_url, or a preset or issuer that names one.", subject))
		return diags
	}
	auth, err := r.data.client.AuthorizeDevice(ctx, oauthclient.DeviceAuthorizationRequest{
		DeviceAuthorizationURL: eps.DeviceAuthorizationURL,
		ClientID:               tokenReq.ClientID,
		ClientSecret:           tokenReq.ClientSecret,
		AuthStyle:              tokenReq.AuthStyle,
		Scopes:                 tokenReq.Scopes,
		ScopeDelimiter:         tokenReq.ScopeDelimiter,
		ExtraParams:            tokenReq.ExtraParams,
	})
	if err != nil {
		addTokenError(&diags, "Unable to Start OAuth2 Device Authorization", subject, eps.DeviceAuthorizationURL, r.data.backend, err)
		return diags
	}
	ctx = maskSecrets(ctx, auth.DeviceCode)
	if err := r.data.tokens.SavePending(ctx, treq, tokens.Pending{DeviceCode: auth.DeviceCode, Interval: auth.Interval, Expiry: auth.Expiry}); err != nil {
		addTokenError(&diags, "Unable to Save OAuth2 Device Authorization", subject, tokenReq.TokenURL, r.data.backend, err)
		return diags
	}
	verify := auth.VerificationURIComplete
	if verify == "" {
		verify = auth.VerificationURI
	}
	plan.Status = types.StringValue(statusPendingAuthorization)
	plan.setTokenOutputs(nil, oauthclient.Request{}, timeNow())
	plan.AuthorizationRequestURL = types.StringValue(verify)
	plan.DeviceUserCode = types.StringValue(auth.UserCode)
	diags.AddWarning("OAuth2 Device Authorization Needed",
		fmt.Sprintf("To authorize %s, open %s and enter the code %s (it expires in %d seconds), then apply again. Both are "+
			"also in the connection's authorization_request_url and device_user_code.", subject, auth.VerificationURI, auth.UserCode, auth.ExpiresIn))
	return diags
}

// pollDevice polls once, at plan time, for a pending device authorization of
// the connection in state, so that a plan converges: while nobody has
// approved, it plans no change and warns; once approved, it saves the
// tokens (the device code is single-use, so they cannot wait for apply) and
// reports true, and the plan shows the connection changing. An expired or
// denied code also reports true: apply starts again or says so.
func (r *connectionResource) pollDevice(ctx context.Context, state, plan, config *connectionResourceModel) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	if r.data == nil || !r.data.tokens.Durable() {
		return false, diags
	}
	id := state.ID.ValueString()
	pending, err := r.data.tokens.PendingOf(ctx, id)
	if err != nil || pending == nil || !pending.Expiry.After(r.data.now()) {
		return true, diags
	}
	tokenReq, _, d := r.data.connectionRequest(ctx, plan, config)
	if d.HasError() {
		return true, diags
	}
	poll := tokenReq
	poll.GrantType = oauthclient.GrantDeviceCode
	poll.DeviceCode = pending.DeviceCode
	ctx = maskSecrets(ctx, requestSecrets(poll)...)
	tok, err := r.data.client.Exchange(ctx, poll)
	var oe *oauthclient.Error
	switch {
	case err == nil:
		ctx = maskSecrets(ctx, tok.AccessToken, tok.RefreshToken, tok.IDToken)
		if err := r.data.tokens.Adopt(ctx, id, tokens.Request{Token: tokenReq, Connection: id, Label: plan.Label.ValueString()}, tok); err != nil {
			addTokenError(&diags, "Unable to Save OAuth2 Connection Tokens", fmt.Sprintf("connection %q", plan.Label.ValueString()), tokenReq.TokenURL, r.data.backend, err)
		}
		return true, diags
	case errors.As(err, &oe) && (oe.Code == "authorization_pending" || oe.Code == "slow_down"):
		diags.AddWarning("OAuth2 Device Authorization Pending",
			fmt.Sprintf("Connection %q waits for approval: open %s and enter the code %s, then plan or apply again.",
				plan.Label.ValueString(), state.AuthorizationRequestURL.ValueString(), state.DeviceUserCode.ValueString()))
		return false, diags
	}
	return true, diags
}
