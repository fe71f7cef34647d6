package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/endpoints"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// Where the endpoints and conventions of a connection come from, in order:
// the configuration, then its preset, then the issuer's metadata
// (internal/endpoints). A setting counts as configured when the
// configuration gives it, not when a schema default filled it in, which is
// why the configured settings are passed beside the effective ones.

// resolveSettings returns settings with every endpoint and convention the
// configuration leaves unset taken from the preset and the issuer's
// metadata. configured are the settings as the configuration gives them
// (nulls where it says nothing). A nil d resolves offline: the preset only.
func (d *providerData) resolveSettings(ctx context.Context, settings, configured connectionSettingsModel) (connectionSettingsModel, endpoints.Resolved, diag.Diagnostics) {
	var diags diag.Diagnostics
	given := func(effective, configuredValue types.String) string {
		if configuredValue.IsNull() {
			return ""
		}
		return effective.ValueString()
	}
	in := endpoints.Settings{
		GrantType:              string(grantFromSetting(settings.GrantType.ValueString())),
		TokenURL:               settings.TokenURL.ValueString(),
		AuthorizationURL:       settings.AuthorizationURL.ValueString(),
		RevocationURL:          settings.RevocationURL.ValueString(),
		DeviceAuthorizationURL: settings.DeviceAuthURL.ValueString(),
		ClientAuth:             given(settings.ClientAuth, configured.ClientAuth),
		ScopeDelimiter:         given(settings.ScopeDelimiter, configured.ScopeDelimiter),
		RequestEncoding:        given(settings.RequestEncoding, configured.RequestEncoding),
		Preset:                 settings.Preset.ValueString(),
		Issuer:                 settings.Issuer.ValueString(),
	}
	if !settings.PresetParams.IsNull() && !settings.PresetParams.IsUnknown() {
		diags.Append(settings.PresetParams.ElementsAs(ctx, &in.PresetParams, false)...)
	}
	var discoverer endpoints.Discoverer
	if d != nil {
		discoverer = d.client
	}
	r, err := endpoints.Resolve(ctx, in, discoverer)
	if err != nil {
		var ee *endpoints.Error
		setting := "issuer"
		if errors.As(err, &ee) {
			setting = ee.Setting
		}
		summary, fix := "Unable to Discover OAuth2 Endpoints",
			"Check the issuer, or set token_url (and authorization_url) yourself."
		if setting != "issuer" {
			summary, fix = "Invalid Preset Parameters", "Give the parameters the presets guide lists for this preset."
		}
		diags.AddAttributeError(path.Root(setting), summary,
			fmt.Sprintf("The endpoints of this connection could not be worked out, so no token request was made. %s\n\n%s", fix, errorCause(err)))
		return settings, r, diags
	}
	set := func(dst *types.String, value string) {
		if value != "" {
			*dst = types.StringValue(value)
		}
	}
	set(&settings.TokenURL, r.TokenURL)
	set(&settings.AuthorizationURL, r.AuthorizationURL)
	set(&settings.ClientAuth, r.ClientAuth)
	set(&settings.ScopeDelimiter, r.ScopeDelimiter)
	set(&settings.RequestEncoding, r.RequestEncoding)
	return settings, r, diags
}

// connectionRequest builds the token request of a connection: plan's
// settings resolved against config's (where write-only values and the
// configured-or-not distinction live).
func (d *providerData) connectionRequest(ctx context.Context, plan, config *connectionResourceModel) (oauthclient.Request, endpoints.Resolved, diag.Diagnostics) {
	settings, eps, diags := d.resolveSettings(ctx, plan.connectionSettingsModel, config.connectionSettingsModel)
	if diags.HasError() {
		return oauthclient.Request{}, eps, diags
	}
	req, dd := settings.tokenRequest(ctx, config.connectionWriteOnlyModel, config.credentials())
	diags.Append(dd...)
	eps.ApplyAuthMethods(&req, d.clientCertificates)
	return req, eps, diags
}

// stringOrNull is s as a value, null when empty.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
