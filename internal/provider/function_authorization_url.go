package provider

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

var _ function.Function = authorizationURLFunction{}

// NewAuthorizationURLFunction returns provider::oauth2::authorization_url.
func NewAuthorizationURLFunction() function.Function { return authorizationURLFunction{} }

// authorizationURLFunction builds an authorization request URL (RFC 6749
// §4.1.1) with oauthclient.AuthCodeURL, the code the oauth2_connection
// resource uses.
type authorizationURLFunction struct{}

// The attributes of the settings argument.
const (
	authURLAttrAuthorizationURL = "authorization_url"
	authURLAttrClientID         = "client_id"
	authURLAttrRedirectURI      = "redirect_uri"
	authURLAttrScopes           = "scopes"
	authURLAttrScopeDelimiter   = "scope_delimiter"
	authURLAttrTenantID         = "tenant_id"
	authURLAttrExtraParams      = "extra_params"
	authURLAttrCodeVerifier     = "code_verifier"
)

// authURLAttributes lists the settings attributes in the order messages
// name them.
var authURLAttributes = []string{
	authURLAttrAuthorizationURL, authURLAttrClientID, authURLAttrRedirectURI, authURLAttrScopes,
	authURLAttrScopeDelimiter, authURLAttrTenantID, authURLAttrExtraParams, authURLAttrCodeVerifier,
}

func (authorizationURLFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "authorization_url"
}

func (authorizationURLFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Build an OAuth 2.0 authorization request URL (RFC 6749 §4.1.1), with an optional PKCE challenge.",
		MarkdownDescription: "Returns the URL a user opens to grant a client access with the authorization code grant " +
			"(RFC 6749 §4.1.1): the authorization endpoint with `response_type=code`, `client_id`, `redirect_uri`, " +
			"`scope` and `state`, plus the PKCE `code_challenge` and `code_challenge_method=S256` (RFC 7636 §4.3) when " +
			"`settings` hold a `code_verifier`, plus any `extra_params`. It is built the way the `oauth2_connection` " +
			"resource builds its own.\n\n" +
			"`settings` is an object; only `authorization_url` and `client_id` are required, and the other attributes " +
			"can be left out or set to `null`:\n\n" +
			"* `authorization_url` (String) The authorization endpoint (RFC 6749 §3.1). A `{tenant_id}` placeholder " +
			"is replaced with `tenant_id`. Must be `https`, or `http` to a loopback host.\n" +
			"* `client_id` (String) The client identifier (RFC 6749 §2.2).\n" +
			"* `redirect_uri` (String) The redirection endpoint registered for the client (RFC 6749 §3.1.2).\n" +
			"* `scopes` (List of String) The scopes requested, joined with `scope_delimiter` (RFC 6749 §3.3).\n" +
			"* `scope_delimiter` (String) What joins `scopes`; a space unless set.\n" +
			"* `tenant_id` (String) Fills `{tenant_id}` placeholders in `authorization_url`.\n" +
			"* `extra_params` (Map of String) More parameters, such as `prompt`, `login_hint` or `access_type`. A " +
			"parameter the URL already sets (`state`, `scope`, …) is an error.\n" +
			"* `code_verifier` (String) A PKCE code verifier (RFC 7636 §4.1, 43 to 128 characters of `A`–`Z`, " +
			"`a`–`z`, `0`–`9`, `-._~`). Its S256 challenge is added to the URL; the verifier itself must be sent " +
			"with the code to the token endpoint later, so keep it.\n\n" +
			"Numbers and booleans in `settings` are turned into strings, as Terraform does for a string attribute.\n\n" +
			"Provider functions must return the same result for the same arguments, so they cannot generate a " +
			"random `state`: pass one in, unguessable and tied to the user's session, and check it when the user " +
			"comes back to `redirect_uri` (RFC 6749 §10.12). The `random_password` or `random_id` resources can make " +
			"one, as they can make the `code_verifier`.",
		Parameters: []function.Parameter{
			// settings is dynamic rather than an object parameter: an object
			// parameter makes every attribute required, so callers would
			// have to write `redirect_uri = null` for every setting they
			// leave out. A dynamic parameter accepts the object literal as
			// written, with the attributes it has, and Run checks the names
			// and types by hand. It also accepts a map(string) when no
			// scopes are needed.
			function.DynamicParameter{
				Name: "settings",
				MarkdownDescription: "An object with `authorization_url` and `client_id`, and optionally `redirect_uri`, " +
					"`scopes`, `scope_delimiter`, `tenant_id`, `extra_params` and `code_verifier`; see above.",
			},
			function.StringParameter{
				Name: "state",
				MarkdownDescription: "The opaque value the authorization server returns with the code, which the " +
					"client checks to defeat cross-site request forgery (RFC 6749 §10.12). Must not be empty.",
			},
		},
		Return: function.StringReturn{},
	}
}

func (authorizationURLFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var settings types.Dynamic
	var state string
	resp.Error = req.Arguments.Get(ctx, &settings, &state)
	if resp.Error != nil {
		return
	}
	if settings.IsUnknown() || settings.IsUnderlyingValueUnknown() {
		// Terraform does not call a function with unknown arguments unless
		// the parameter allows them; this is for callers that do.
		resp.Error = resp.Result.Set(ctx, types.StringUnknown())
		return
	}
	r, unknown, msg := decodeAuthURLSettings(settings.UnderlyingValue())
	if msg != "" {
		resp.Error = argumentError(0, msg)
		return
	}
	if unknown {
		resp.Error = resp.Result.Set(ctx, types.StringUnknown())
		return
	}
	if state == "" {
		resp.Error = argumentError(1, "The state is empty. Pass an unguessable value tied to the "+
			"user's session, such as the result of a random_password resource, and check it when the user returns "+
			"to redirect_uri: without it the redirect is open to cross-site request forgery (RFC 6749 §10.12).")
		return
	}
	r.State = state

	u, err := oauthclient.AuthCodeURL(r)
	if err != nil {
		resp.Error = argumentError(0, "The authorization URL could not be built from settings. "+
			"Correct authorization_url, tenant_id or extra_params.\n\n"+errorCause(err))
		return
	}
	// AuthCodeURL accepts any http URL; refuse what the oauth2_connection
	// resource refuses without allow_insecure_http, which a function, not
	// configured by the provider block, cannot read.
	if insecureEndpoint(r.AuthorizationURL) {
		resp.Error = argumentError(0, fmt.Sprintf("The settings.authorization_url %s uses plain http "+
			"to a host other than loopback; the user would sign in over an unencrypted connection (RFC 6749 §3.1). "+
			"Use https.", oauthclient.RedactURL(r.AuthorizationURL)))
		return
	}
	resp.Error = resp.Result.Set(ctx, u)
}

// decodeAuthURLSettings reads the settings argument of authorization_url:
// an object (or map) with the attributes of authURLAttributes, any of them
// missing or null except authorization_url and client_id. It returns the
// request, whether some value is unknown, and what is wrong, as a message
// naming the attribute and the fix, or "".
func decodeAuthURLSettings(v attr.Value) (r oauthclient.AuthCodeRequest, unknown bool, msg string) {
	var attrs map[string]attr.Value
	switch v := v.(type) {
	case basetypes.ObjectValue:
		attrs = v.Attributes()
	case basetypes.MapValue:
		attrs = v.Elements()
	default:
		if v == nil || v.IsNull() {
			return r, false, "The settings are null. Pass an object such as { authorization_url = \"https://…\", client_id = \"…\" }."
		}
		return r, false, fmt.Sprintf("The settings must be an object such as { authorization_url = \"https://…\", "+
			"client_id = \"…\" }, not %s.", friendlyTypeName(v))
	}

	var unknownNames []string
	for name := range attrs {
		if !slices.Contains(authURLAttributes, name) {
			unknownNames = append(unknownNames, name)
		}
	}
	if len(unknownNames) > 0 {
		slices.Sort(unknownNames)
		hint := ""
		switch {
		case slices.Contains(unknownNames, "state"):
			hint = " Pass the state as the second argument of the function."
		case slices.Contains(unknownNames, "scope"):
			hint = " Use scopes, a list of strings."
		}
		return r, false, fmt.Sprintf("The settings have no attribute %s. The attributes are %s.%s",
			quoteJoin(unknownNames), strings.Join(authURLAttributes, ", "), hint)
	}

	str := func(name string) (string, bool) {
		s, isSet, unk, m := argString(attrs[name], "settings."+name)
		if m != "" && msg == "" {
			msg = m
		}
		unknown = unknown || unk
		return s, isSet
	}
	r.AuthorizationURL, _ = str(authURLAttrAuthorizationURL)
	r.ClientID, _ = str(authURLAttrClientID)
	r.RedirectURI, _ = str(authURLAttrRedirectURI)
	r.ScopeDelimiter, _ = str(authURLAttrScopeDelimiter)
	r.TenantID, _ = str(authURLAttrTenantID)
	verifier, verifierSet := str(authURLAttrCodeVerifier)
	if msg != "" {
		return r, false, msg
	}

	scopes, unk, m := argStringList(attrs[authURLAttrScopes], "settings."+authURLAttrScopes)
	if m != "" {
		return r, false, m
	}
	unknown = unknown || unk
	r.Scopes = scopes

	extra, unk, m := argStringMap(attrs[authURLAttrExtraParams], "settings."+authURLAttrExtraParams)
	if m != "" {
		return r, false, m
	}
	unknown = unknown || unk
	r.ExtraParams = extra
	if unknown {
		return r, true, ""
	}

	if r.AuthorizationURL == "" {
		return r, false, "The settings.authorization_url is missing or empty. Set it to the authorization endpoint " +
			"of the server, such as \"https://login.example.com/oauth2/authorize\" (RFC 6749 §3.1)."
	}
	if r.ClientID == "" {
		return r, false, "The settings.client_id is missing or empty. Set it to the client identifier the " +
			"authorization server issued (RFC 6749 §2.2)."
	}
	if strings.Contains(r.AuthorizationURL, "{tenant_id}") && r.TenantID == "" {
		return r, false, "The settings.authorization_url contains a {tenant_id} placeholder but settings.tenant_id " +
			"is missing or empty. Set tenant_id, or write the tenant into the URL."
	}
	if r.RedirectURI != "" {
		if u, err := url.Parse(r.RedirectURI); err != nil || !u.IsAbs() || u.Fragment != "" || strings.HasSuffix(r.RedirectURI, "#") {
			return r, false, "The settings.redirect_uri must be an absolute URI without a fragment, such as " +
				"\"https://app.example.com/callback\" or \"http://127.0.0.1:8080/callback\" (RFC 6749 §3.1.2). Correct it, " +
				"or leave it out to use the one registered for the client."
		}
	}
	for i, s := range r.Scopes {
		if s == "" {
			return r, false, fmt.Sprintf("The settings.scopes[%d] is empty. Remove it: a scope is at least one "+
				"character (RFC 6749 §3.3).", i)
		}
	}
	if verifierSet {
		if verifier == "" {
			return r, false, "The settings.code_verifier is empty. Set it to a PKCE code verifier, or leave it out " +
				"(or null) to send no code challenge."
		}
		if bad := checkCodeVerifier(verifier); bad != "" {
			return r, false, "The settings.code_verifier " + bad
		}
		r.CodeVerifier = verifier
	}
	return r, false, ""
}

// argString reads one string attribute of a dynamic object. Numbers
// and booleans are converted as Terraform converts them to strings. isSet
// is false for a missing or null attribute.
func argString(v attr.Value, name string) (s string, isSet, unknown bool, msg string) {
	v = underlying(v)
	if v == nil || v.IsNull() {
		return "", false, false, ""
	}
	if v.IsUnknown() {
		return "", true, true, ""
	}
	switch v := v.(type) {
	case basetypes.StringValue:
		return v.ValueString(), true, false, ""
	case basetypes.NumberValue:
		return v.ValueBigFloat().Text('f', -1), true, false, ""
	case basetypes.BoolValue:
		return strconv.FormatBool(v.ValueBool()), true, false, ""
	}
	return "", true, false, fmt.Sprintf("The %s must be a string, not %s.", name, friendlyTypeName(v))
}

// argStringList reads a list (or tuple or set) of strings.
func argStringList(v attr.Value, name string) (list []string, unknown bool, msg string) {
	v = underlying(v)
	if v == nil || v.IsNull() {
		return nil, false, ""
	}
	if v.IsUnknown() {
		return nil, true, ""
	}
	var elems []attr.Value
	switch v := v.(type) {
	case basetypes.TupleValue:
		elems = v.Elements()
	case basetypes.ListValue:
		elems = v.Elements()
	case basetypes.SetValue:
		elems = v.Elements()
	default:
		return nil, false, fmt.Sprintf("The %s must be a list of strings such as [\"openid\", \"email\"], not %s.",
			name, friendlyTypeName(v))
	}
	for i, e := range elems {
		elemName := fmt.Sprintf("%s[%d]", name, i)
		s, isSet, unk, m := argString(e, elemName)
		if m != "" {
			return nil, false, m
		}
		if !isSet {
			return nil, false, fmt.Sprintf("The %s is null. Remove it from the list.", elemName)
		}
		unknown = unknown || unk
		list = append(list, s)
	}
	return list, unknown, ""
}

// argStringMap reads a map (or object) of strings.
func argStringMap(v attr.Value, name string) (m map[string]string, unknown bool, msg string) {
	v = underlying(v)
	if v == nil || v.IsNull() {
		return nil, false, ""
	}
	if v.IsUnknown() {
		return nil, true, ""
	}
	var elems map[string]attr.Value
	switch v := v.(type) {
	case basetypes.ObjectValue:
		elems = v.Attributes()
	case basetypes.MapValue:
		elems = v.Elements()
	default:
		return nil, false, fmt.Sprintf("The %s must be a map of strings such as { prompt = \"consent\" }, not %s.",
			name, friendlyTypeName(v))
	}
	keys := make([]string, 0, len(elems))
	for k := range elems {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m = make(map[string]string, len(elems))
	for _, k := range keys {
		elemName := fmt.Sprintf("%s[%q]", name, k)
		s, isSet, unk, msg := argString(elems[k], elemName)
		if msg != "" {
			return nil, false, msg
		}
		if !isSet {
			// A null parameter is one not sent, as in a connection's
			// extra_params built with a conditional.
			continue
		}
		unknown = unknown || unk
		m[k] = s
	}
	return m, unknown, ""
}

// underlying unwraps a dynamic value, as found inside a dynamic argument
// where Terraform had no type for an attribute (null).
func underlying(v attr.Value) attr.Value {
	if d, ok := v.(basetypes.DynamicValue); ok {
		if d.IsNull() || d.IsUnknown() {
			return d
		}
		return d.UnderlyingValue()
	}
	return v
}

// friendlyTypeName names a value's kind in the words of the Terraform
// language, with its article.
func friendlyTypeName(v attr.Value) string {
	switch v.(type) {
	case basetypes.StringValue:
		return "a string"
	case basetypes.NumberValue, basetypes.Int64Value, basetypes.Float64Value, basetypes.Int32Value, basetypes.Float32Value:
		return "a number"
	case basetypes.BoolValue:
		return "a bool"
	case basetypes.ListValue, basetypes.TupleValue:
		return "a list"
	case basetypes.SetValue:
		return "a set"
	case basetypes.MapValue:
		return "a map"
	case basetypes.ObjectValue:
		return "an object"
	}
	return "a value of another type"
}

// quoteJoin quotes names and joins them with commas.
func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
