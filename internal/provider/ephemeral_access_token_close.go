package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var _ ephemeral.EphemeralResourceWithClose = (*accessTokenEphemeralResource)(nil)

// revocationOnClose is what Open keeps for Close when revoke_on_close is
// set: the token and how the client authenticates.
type revocationOnClose struct {
	Endpoint     string `json:"endpoint"`
	Token        string `json:"token"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	AuthStyle    string `json:"auth_style,omitempty"`
	KeyPEM       string `json:"key_pem,omitempty"`
	KeyFile      string `json:"key_file,omitempty"`
	KeyID        string `json:"key_id,omitempty"`
	Algorithm    string `json:"algorithm,omitempty"`
}

// Close revokes the token when revoke_on_close asked for it (RFC 7009). A
// failure is a warning: the run's work is done, and the token expires anyway.
func (e *accessTokenEphemeralResource) Close(ctx context.Context, req ephemeral.CloseRequest, resp *ephemeral.CloseResponse) {
	raw, diags := req.Private.GetKey(ctx, privateKeyRevocation)
	resp.Diagnostics.Append(diags...)
	if len(raw) == 0 || resp.Diagnostics.HasError() || e.data == nil {
		return
	}
	var r revocationOnClose
	if err := json.Unmarshal(raw, &r); err != nil {
		resp.Diagnostics.AddWarning("OAuth2 Access Token Not Revoked",
			"The details kept for revoke_on_close could not be read. This is a bug in the provider; please report it.\n\n"+errorCause(err))
		return
	}
	ctx = maskSecrets(ctx, r.Token, r.ClientSecret)
	resp.Diagnostics.Append(e.revoke(ctx, r)...)
}

func (e *accessTokenEphemeralResource) revoke(ctx context.Context, r revocationOnClose) diag.Diagnostics {
	var diags diag.Diagnostics
	notRevoked := func(err error) {
		diags.AddWarning("OAuth2 Access Token Not Revoked",
			fmt.Sprintf("The access token could not be revoked at %s when it was closed; it stays valid until it "+
				"expires.\n\n%s", oauthclient.RedactURL(r.Endpoint), errorCause(err)))
	}
	var key *oauthclient.SigningKey
	var fileDiags diag.Diagnostics
	keyPEM, _, ok := secretOrFile(r.KeyPEM, path.Root("signing_key"), r.KeyFile, path.Root("signing_key").AtName("private_key_file"), &fileDiags)
	if !ok {
		// Closing cannot fail the run: what went wrong is a warning.
		for _, d := range fileDiags {
			diags.AddWarning("OAuth2 Access Token Not Revoked: "+d.Summary(), d.Detail())
		}
		return diags
	}
	if keyPEM != "" {
		k, err := oauthclient.ParseSigningKey([]byte(keyPEM), oauthclient.KeyOptions{KeyID: r.KeyID, Algorithm: r.Algorithm})
		if err != nil {
			notRevoked(err)
			return diags
		}
		key = k
	}
	err := e.data.client.Revoke(ctx, oauthclient.RevokeRequest{
		RevocationURL: r.Endpoint,
		Token:         r.Token,
		TokenTypeHint: oauthclient.TokenTypeHintAccessToken,
		ClientID:      r.ClientID,
		ClientSecret:  r.ClientSecret,
		ClientKey:     key,
		AuthStyle:     oauthclient.AuthStyle(r.AuthStyle),
	})
	if err != nil {
		notRevoked(err)
		return diags
	}
	tflog.Debug(ctx, "revoked the oauth2 access token on close", map[string]any{"revocation_endpoint": oauthclient.RedactURL(r.Endpoint)})
	return diags
}
