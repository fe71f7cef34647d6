package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var (
	_ datasource.DataSource              = (*serverMetadataDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*serverMetadataDataSource)(nil)
)

// NewServerMetadataDataSource returns the oauth2_server_metadata data source.
func NewServerMetadataDataSource() datasource.DataSource { return &serverMetadataDataSource{} }

type serverMetadataDataSource struct{ data *providerData }

type serverMetadataModel struct {
	Issuer                            types.String `tfsdk:"issuer"`
	MetadataURL                       types.String `tfsdk:"metadata_url"`
	TokenEndpoint                     types.String `tfsdk:"token_endpoint"`
	AuthorizationEndpoint             types.String `tfsdk:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       types.String `tfsdk:"device_authorization_endpoint"`
	RevocationEndpoint                types.String `tfsdk:"revocation_endpoint"`
	IntrospectionEndpoint             types.String `tfsdk:"introspection_endpoint"`
	JWKSURI                           types.String `tfsdk:"jwks_uri"`
	UserinfoEndpoint                  types.String `tfsdk:"userinfo_endpoint"`
	ScopesSupported                   types.List   `tfsdk:"scopes_supported"`
	GrantTypesSupported               types.List   `tfsdk:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported types.List   `tfsdk:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     types.List   `tfsdk:"code_challenge_methods_supported"`
	Document                          types.String `tfsdk:"document"`
}

func (d *serverMetadataDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server_metadata"
}

func (d *serverMetadataDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(description string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: description, Computed: true}
	}
	list := func(description string) schema.ListAttribute {
		return schema.ListAttribute{MarkdownDescription: description, ElementType: types.StringType, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The metadata an authorization server publishes about itself (RFC 8414, or OpenID Connect " +
			"Discovery): its endpoints and the methods it supports. The RFC 8414 address " +
			"(`/.well-known/oauth-authorization-server` inserted before the issuer's path) is tried first, then the " +
			"OpenID one (`/.well-known/openid-configuration` appended). The document's issuer must equal `issuer` " +
			"exactly; redirects are not followed.",
		Attributes: map[string]schema.Attribute{
			"issuer": schema.StringAttribute{
				MarkdownDescription: "The issuer identifier, exactly as the server's metadata states it.",
				Required:            true,
				Validators:          []validator.String{issuerValidator{}},
			},
			"metadata_url":                          str("The address the document was read from."),
			"token_endpoint":                        str("`token_endpoint`."),
			"authorization_endpoint":                str("`authorization_endpoint`."),
			"device_authorization_endpoint":         str("`device_authorization_endpoint` (RFC 8628)."),
			"revocation_endpoint":                   str("`revocation_endpoint` (RFC 7009)."),
			"introspection_endpoint":                str("`introspection_endpoint` (RFC 7662)."),
			"jwks_uri":                              str("`jwks_uri`."),
			"userinfo_endpoint":                     str("`userinfo_endpoint` (OpenID Connect)."),
			"scopes_supported":                      list("`scopes_supported`."),
			"grant_types_supported":                 list("`grant_types_supported`."),
			"token_endpoint_auth_methods_supported": list("`token_endpoint_auth_methods_supported`."),
			"code_challenge_methods_supported":      list("`code_challenge_methods_supported`."),
			"document":                              str("The whole document as JSON, for fields not listed here: `jsondecode(...)` reads it."),
		},
	}
}

func (d *serverMetadataDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, "data source", &resp.Diagnostics)
}

func (d *serverMetadataDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.data == nil {
		resp.Diagnostics.AddError("Unconfigured OAuth2 Provider",
			"The oauth2 provider was not configured before the data source was read. This is a bug in the provider; please report it.")
		return
	}
	var m serverMetadataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	md, err := d.data.client.Discover(ctx, m.Issuer.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read OAuth2 Server Metadata",
			fmt.Sprintf("The metadata of issuer %s could not be read.\n\n%s", oauthclient.RedactURL(m.Issuer.ValueString()), errorCause(err)))
		return
	}
	tflog.Debug(ctx, "read oauth2 server metadata", map[string]any{"metadata_url": md.MetadataURL})
	m.MetadataURL = stringOrNull(md.MetadataURL)
	m.TokenEndpoint = stringOrNull(md.TokenEndpoint)
	m.AuthorizationEndpoint = stringOrNull(md.AuthorizationEndpoint)
	m.DeviceAuthorizationEndpoint = stringOrNull(md.DeviceAuthorizationEndpoint)
	m.RevocationEndpoint = stringOrNull(md.RevocationEndpoint)
	m.IntrospectionEndpoint = stringOrNull(md.IntrospectionEndpoint)
	m.JWKSURI = stringOrNull(md.JWKSURI)
	m.UserinfoEndpoint = stringOrNull(md.UserinfoEndpoint)
	m.ScopesSupported = stringList(md.ScopesSupported)
	m.GrantTypesSupported = stringList(md.GrantTypesSupported)
	m.TokenEndpointAuthMethodsSupported = stringList(md.TokenEndpointAuthMethodsSupported)
	m.CodeChallengeMethodsSupported = stringList(md.CodeChallengeMethodsSupported)
	m.Document = types.StringValue(string(md.Raw))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
