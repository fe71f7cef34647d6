package provider

import (
	"context"
	"encoding/base64"
	"net/url"

	"github.com/hashicorp/terraform-plugin-framework/function"
)

var _ function.Function = basicAuthFunction{}

// NewBasicAuthFunction returns provider::oauth2::basic_auth.
func NewBasicAuthFunction() function.Function { return basicAuthFunction{} }

// basicAuthFunction builds the Authorization header value of HTTP Basic
// client authentication at a token endpoint (RFC 6749 §2.3.1).
type basicAuthFunction struct{}

func (basicAuthFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "basic_auth"
}

func (basicAuthFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Build the Authorization header value of HTTP Basic client authentication (RFC 6749 §2.3.1).",
		MarkdownDescription: "Returns `Basic ` followed by the base64 encoding of `client_id:client_secret`, the value of " +
			"the `Authorization` header a client authenticates with at a token endpoint (`client_secret_basic`), for " +
			"tools and providers that call a token endpoint themselves.\n\n" +
			"RFC 6749 §2.3.1 requires the client id and secret to be encoded with `application/x-www-form-urlencoded` " +
			"first (a space becomes `+`, `:` becomes `%3A`, and so on) and only then joined with `:` and base64-encoded; " +
			"plain HTTP Basic authentication (RFC 7617), such as `base64encode(\"${id}:${secret}\")`, skips that step. " +
			"The two agree as long as both values are letters, digits and `-._~` only, which is why the difference goes " +
			"unnoticed until a secret holds `+`, `/`, `=`, `%` or `:`. Most authorization servers decode the form encoding " +
			"as the RFC says; a server that does not needs the RFC 7617 form instead.\n\n" +
			"The result carries the client secret. Terraform marks it sensitive when `client_secret` is sensitive (a " +
			"`sensitive` variable, for example); a secret from a plain value gives a plain result, shown in plans " +
			"wherever it is used.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "client_id",
				MarkdownDescription: "The client identifier (RFC 6749 §2.2). Must not be empty.",
			},
			function.StringParameter{
				Name:                "client_secret",
				MarkdownDescription: "The client secret (RFC 6749 §2.3.1). Must not be empty.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (basicAuthFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var id, secret string
	resp.Error = req.Arguments.Get(ctx, &id, &secret)
	if resp.Error != nil {
		return
	}
	if id == "" {
		resp.Error = argumentError(0, "The client_id is empty. Pass the client identifier the "+
			"authorization server issued (RFC 6749 §2.2).")
		return
	}
	if secret == "" {
		resp.Error = argumentError(1, "The client_secret is empty. Pass the client's secret; a public "+
			"client, which has none, sends no Authorization header and puts only client_id in the request body "+
			"(RFC 6749 §2.3.1, §3.2.1).")
		return
	}
	resp.Error = resp.Result.Set(ctx, basicAuthorization(id, secret))
}

// basicAuthorization returns the Authorization header value of HTTP Basic
// client authentication: both values form-encoded, then joined and
// base64-encoded (RFC 6749 §2.3.1), as the client sends it.
func basicAuthorization(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}
