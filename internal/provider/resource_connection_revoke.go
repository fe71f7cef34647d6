package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// revokeOwnRefreshToken revokes, at the connection's revocation endpoint
// (RFC 7009), the refresh token of the chain the connection started itself.
// Delete gets no configuration, so only what state holds can authenticate
// the client: a public client's id, a client_secret kept in state, a
// signing key or client certificate read from a file, or the provider's own
// certificate. A write-only secret is gone by then; the warning says so.
// Every failure is a warning: the connection is destroyed either way.
func (r *connectionResource) revokeOwnRefreshToken(ctx context.Context, state *connectionResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	endpoint := state.RevocationEndpoint.ValueString()
	if endpoint == "" {
		return diags
	}
	refreshToken, err := r.data.tokens.OwnRefreshToken(ctx, state.ID.ValueString())
	if err != nil || refreshToken == "" {
		// Without a readable entry there is nothing to revoke; Forget
		// reports a store that cannot be read.
		return diags
	}
	ctx = maskSecrets(ctx, refreshToken)
	subject := fmt.Sprintf("connection %q", state.Label.ValueString())

	settings := state.connectionSettingsModel
	settings.applyDefaults()
	req, d := settings.tokenRequest(ctx, connectionWriteOnlyModel{}, state.credentialConfig(state.ClientAssertionWO))
	if d.HasError() {
		diags.AddWarning("OAuth2 Refresh Token Not Revoked",
			fmt.Sprintf("The refresh token of %s could not be revoked at %s: its client credentials could not be read "+
				"from state. Revoke the grant at the authorization server if it must end.\n\n%s",
				subject, oauthclient.RedactURL(endpoint), diagnosticsText(d)))
		return diags
	}
	ctx = maskSecrets(ctx, requestSecrets(req)...)
	style := req.AuthStyle
	// A client configured with a write-only secret and nothing else that
	// state keeps cannot authenticate now; any other is either able to or a
	// public client, which names itself with its id (RFC 7009 §2.1).
	secretGone := !state.ClientSecretWOVersion.IsNull() && req.ClientSecret == "" && req.ClientKey == nil &&
		req.ClientCertificate == nil && !r.data.clientCertificates
	if secretGone {
		diags.AddWarning("OAuth2 Refresh Token Not Revoked",
			fmt.Sprintf("The refresh token of %s was not revoked at %s: destroy sees only state, and the client "+
				"authenticates with a write-only secret that state does not keep. Revoke the grant at the authorization "+
				"server if it must end, or authenticate the client with signing_key.private_key_file or a tls_client "+
				"file, which destroy can read.", subject, oauthclient.RedactURL(endpoint)))
		return diags
	}
	err = r.data.client.Revoke(ctx, oauthclient.RevokeRequest{
		RevocationURL:     endpoint,
		Token:             refreshToken,
		TokenTypeHint:     oauthclient.TokenTypeHintRefreshToken,
		ClientID:          req.ClientID,
		ClientSecret:      req.ClientSecret,
		ClientKey:         req.ClientKey,
		ClientCertificate: req.ClientCertificate,
		AuthStyle:         revocationAuthStyle(style),
	})
	if err != nil {
		diags.AddWarning("OAuth2 Refresh Token Not Revoked",
			fmt.Sprintf("The refresh token of %s could not be revoked at %s. The connection is destroyed; revoke the "+
				"grant at the authorization server if it must end.\n\n%s", subject, oauthclient.RedactURL(endpoint), errorCause(err)))
		return diags
	}
	tflog.Info(ctx, "revoked the connection's refresh token", map[string]any{"revocation_endpoint": oauthclient.RedactURL(endpoint)})
	return diags
}

// revocationAuthStyle maps a token request's client authentication to a
// revocation's, which does not probe: auto lets Revoke pick from the
// credentials held.
func revocationAuthStyle(style oauthclient.AuthStyle) oauthclient.AuthStyle {
	if style == oauthclient.AuthAuto {
		return ""
	}
	return style
}

// diagnosticsText joins the summaries and details of diags for a message.
func diagnosticsText(diags diag.Diagnostics) string {
	out := ""
	for _, d := range diags {
		if out != "" {
			out += "\n"
		}
		out += d.Summary() + ": " + d.Detail()
	}
	return out
}
