package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/presets"
)

// Where the endpoints and conventions of a connection come from, in order:
// the configuration, then its preset, then the issuer's metadata. A setting
// counts as configured when the configuration gives it, not when a schema
// default filled it in, which is why the configured settings are passed
// beside the effective ones.

// presetLookup finds a preset; tests replace it to point one at loopback.
var presetLookup = presets.Lookup

// resolvedEndpoints are the endpoints a connection uses besides its token
// endpoint, after preset and discovery.
type resolvedEndpoints struct {
	revocation, deviceAuthorization string
	// authMethods are the token endpoint's client authentication methods
	// its metadata lists; nil without discovery.
	authMethods []string
	// clientAuthConfigured is false when neither the configuration nor the
	// preset chose client_auth, so that the metadata may.
	clientAuthConfigured bool
}

// resolveSettings returns settings with every endpoint and convention the
// configuration leaves unset taken from the preset and the issuer's
// metadata. configured are the settings as the configuration gives them
// (nulls where it says nothing). Discovery, the only step that makes a
// request, happens only when an endpoint is still missing or client_auth is
// left to the server's metadata.
func (d *providerData) resolveSettings(ctx context.Context, settings, configured connectionSettingsModel) (connectionSettingsModel, resolvedEndpoints, diag.Diagnostics) {
	var diags diag.Diagnostics
	eps := resolvedEndpoints{revocation: settings.RevocationURL.ValueString(), clientAuthConfigured: !configured.ClientAuth.IsNull()}
	fill := func(dst *types.String, configuredValue types.String, value string) {
		if configuredValue.IsNull() && value != "" {
			*dst = types.StringValue(value)
		}
	}
	issuer := settings.Issuer.ValueString()

	if name := settings.Preset.ValueString(); name != "" {
		p, ok := presetLookup(name)
		if !ok {
			diags.AddAttributeError(path.Root("preset"), "Unknown Preset",
				fmt.Sprintf("There is no preset %q. Choose one of the presets the presets guide lists, or set token_url and the other settings yourself.", name))
			return settings, eps, diags
		}
		var params map[string]string
		if !settings.PresetParams.IsNull() && !settings.PresetParams.IsUnknown() {
			diags.Append(settings.PresetParams.ElementsAs(ctx, &params, false)...)
		}
		resolved, err := p.Resolve(params)
		if err != nil {
			diags.AddAttributeError(path.Root("preset_params"), "Invalid Preset Parameters",
				fmt.Sprintf("The parameters of preset %q do not fit it.\n\n%s", name, errorCause(err)))
			return settings, eps, diags
		}
		fill(&settings.TokenURL, configured.TokenURL, resolved.TokenURL)
		fill(&settings.AuthorizationURL, configured.AuthorizationURL, resolved.AuthorizationURL)
		fill(&settings.ClientAuth, configured.ClientAuth, p.ClientAuth)
		fill(&settings.ScopeDelimiter, configured.ScopeDelimiter, p.ScopeDelimiter)
		fill(&settings.RequestEncoding, configured.RequestEncoding, p.RequestEncoding)
		if eps.revocation == "" {
			eps.revocation = resolved.RevocationURL
		}
		eps.deviceAuthorization = resolved.DeviceAuthorizationURL
		eps.clientAuthConfigured = eps.clientAuthConfigured || p.ClientAuth != ""
		if issuer == "" && settings.TokenURL.ValueString() == "" {
			issuer = resolved.Issuer
		}
	}

	needsMetadata := settings.TokenURL.ValueString() == "" ||
		(settings.GrantType.ValueString() == string(oauthclient.GrantAuthorizationCode) && settings.AuthorizationURL.ValueString() == "") ||
		!eps.clientAuthConfigured
	if issuer == "" || !needsMetadata || d == nil {
		return settings, eps, diags
	}
	md, err := d.client.Discover(ctx, issuer)
	if err != nil {
		diags.AddAttributeError(path.Root("issuer"), "Unable to Discover OAuth2 Endpoints",
			fmt.Sprintf("The metadata of issuer %s could not be used, so no token request was made. Check the issuer, or set "+
				"token_url (and authorization_url) yourself.\n\n%s", oauthclient.RedactURL(issuer), errorCause(err)))
		return settings, eps, diags
	}
	for _, e := range []struct {
		dst   *types.String
		value string
	}{{&settings.TokenURL, md.TokenEndpoint}, {&settings.AuthorizationURL, md.AuthorizationEndpoint}} {
		if e.dst.ValueString() == "" && e.value != "" {
			*e.dst = types.StringValue(e.value)
		}
	}
	if eps.revocation == "" {
		eps.revocation = md.RevocationEndpoint
	}
	if eps.deviceAuthorization == "" {
		eps.deviceAuthorization = md.DeviceAuthorizationEndpoint
	}
	eps.authMethods = md.TokenEndpointAuthMethodsSupported
	if settings.TokenURL.ValueString() == "" {
		diags.AddAttributeError(path.Root("issuer"), "No Token Endpoint in Metadata",
			fmt.Sprintf("The metadata of issuer %s names no token_endpoint. Set token_url.", oauthclient.RedactURL(issuer)))
	}
	return settings, eps, diags
}

// applyAuthMethods lets the issuer's metadata pick how req's client
// authenticates, when neither the configuration nor the preset chose
// (RFC 8414 token_endpoint_auth_methods_supported).
func (eps resolvedEndpoints) applyAuthMethods(req *oauthclient.Request, clientCertificates bool) {
	if eps.clientAuthConfigured || eps.authMethods == nil {
		return
	}
	style, ok := oauthclient.AuthStyleFor(eps.authMethods, req.ClientSecret != "",
		req.ClientKey != nil || req.ClientAssertion != "", req.ClientCertificate != nil || clientCertificates)
	if ok {
		req.AuthStyle = style
	}
}

// connectionRequest builds the token request of a connection: plan's
// settings resolved against config's (where write-only values and the
// configured-or-not distinction live).
func (d *providerData) connectionRequest(ctx context.Context, plan, config *connectionResourceModel) (oauthclient.Request, resolvedEndpoints, diag.Diagnostics) {
	settings, eps, diags := d.resolveSettings(ctx, plan.connectionSettingsModel, config.connectionSettingsModel)
	if diags.HasError() {
		return oauthclient.Request{}, eps, diags
	}
	req, dd := settings.tokenRequest(ctx, config.connectionWriteOnlyModel, config.credentials())
	diags.Append(dd...)
	eps.applyAuthMethods(&req, d.clientCertificates)
	return req, eps, diags
}

// stringOrNull is s as a value, null when empty.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
