package provider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// This file holds the checks oauth2_connection makes at plan time and
// oauth2_access_token makes in Open, before any token request: settings
// that only the configured provider can judge (allow_insecure_http), the
// client credential a grant needs, write-only values changed without their
// version, and the revalidation of a connection whose validation has aged.

// insecureEndpoint reports whether rawURL would be refused for plain http
// to a host other than loopback (RFC 6749 §3.1, §3.2 require TLS). Any other
// problem with the URL is left to the validators and the client, which say
// more about it; oauthclient.ValidateTokenURL is asked twice so that the
// loopback rule stays defined in one place.
func insecureEndpoint(rawURL string) bool {
	return oauthclient.ValidateTokenURL(rawURL, true) == nil && oauthclient.ValidateTokenURL(rawURL, false) != nil
}

// endpointDiagnostics fails a non-loopback http token_url or
// authorization_url unless the provider allows insecure http. The
// provider's settings are unknown while the configuration is validated, so
// this runs in ModifyPlan and Open instead.
func endpointDiagnostics(subject string, settings connectionSettingsModel, allowInsecureHTTP bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if allowInsecureHTTP {
		return diags
	}
	for _, e := range []struct {
		name  string
		value types.String
	}{
		{"token_url", settings.TokenURL},
		{"authorization_url", settings.AuthorizationURL},
	} {
		if e.value.IsNull() || e.value.IsUnknown() || !insecureEndpoint(e.value.ValueString()) {
			continue
		}
		diags.AddAttributeError(path.Root(e.name), "Insecure OAuth2 Endpoint",
			fmt.Sprintf("The %s of %s, %s, uses plain http to a host other than loopback, which would send credentials "+
				"unencrypted (RFC 6749 §3.2 requires TLS), so no request was made. Use https, or set allow_insecure_http "+
				"= true in the oauth2 provider block (or the %s environment variable) if the network to that host is trusted.",
				e.name, subject, oauthclient.RedactURL(e.value.ValueString()), envAllowInsecureHTTP))
	}
	return diags
}

// grantsNeedingClientCredential are the grants for which the client must
// authenticate at the token endpoint. RFC 6749 §4.4 makes client_credentials
// a confidential-client grant; the others may be used by public clients
// (§4.1.3, §4.3.2, §6).
var grantsNeedingClientCredential = []oauthclient.GrantType{oauthclient.GrantClientCredentials}

// clientCredentialInputs are the settings that can authenticate a client.
// The write-only model holds the ephemeral resource's plain secrets too (see
// credentialSecretsModel.writeOnly); its client_secret_wo is null where the
// schema has none.
type clientCredentialInputs struct {
	settings connectionSettingsModel
	wo       connectionWriteOnlyModel
	creds    credentialConfig
}

// clientCredentialSources are the ways a client can authenticate, each with
// the words a message uses for it.
var clientCredentialSources = []struct {
	name    string
	present func(clientCredentialInputs) bool
}{
	{"client_secret", func(in clientCredentialInputs) bool { return setOrUnknown(in.settings.ClientSecret) }},
	{"client_secret_wo", func(in clientCredentialInputs) bool { return setOrUnknown(in.wo.ClientSecretWO) }},
	// RFC 7523 §2.2: a client assertion the provider signs, is given, or
	// fetches from the CI system.
	{"signing_key", func(in clientCredentialInputs) bool { return objectSetOrUnknown(in.creds.SigningKey) }},
	{"client_assertion", func(in clientCredentialInputs) bool { return setOrUnknown(in.creds.ClientAssertion) }},
	{"identity_token", func(in clientCredentialInputs) bool { return objectSetOrUnknown(in.creds.IdentityToken) }},
	{`extra_params["client_assertion"]`, func(in clientCredentialInputs) bool {
		if in.settings.ExtraParams.IsUnknown() {
			return true
		}
		v, ok := in.settings.ExtraParams.Elements()["client_assertion"].(types.String)
		return ok && setOrUnknown(v)
	}},
	// RFC 8705 §2: a TLS client certificate.
	{"tls_client", func(in clientCredentialInputs) bool { return objectSetOrUnknown(in.creds.TLSClient) }},
	// The client authenticates in a way the provider does not see, such as
	// a certificate configured on the provider; the user says so.
	{`client_auth = "none"`, func(in clientCredentialInputs) bool {
		a := in.settings.ClientAuth
		return a.IsUnknown() || slices.Contains([]string{
			string(oauthclient.AuthNone), string(oauthclient.AuthTLSClient), string(oauthclient.AuthSelfSignedTLS),
		}, a.ValueString())
	}},
}

// objectSetOrUnknown reports whether a nested setting is configured, or
// unknown and so possibly configured by apply time.
func objectSetOrUnknown(o types.Object) bool { return o.IsUnknown() || !o.IsNull() }

// setOrUnknown reports whether v is set to a non-empty value, or unknown and
// so possibly set by apply time.
func setOrUnknown(v types.String) bool {
	return v.IsUnknown() || (!v.IsNull() && v.ValueString() != "")
}

// clientCredentialDiagnostics fails a grant that needs client authentication
// when nothing in clientCredentialSources can provide it. withWriteOnly says
// whether the schema has client_secret_wo, for the message.
func clientCredentialDiagnostics(subject string, settings connectionSettingsModel, wo connectionWriteOnlyModel, creds credentialConfig, withWriteOnly bool) diag.Diagnostics {
	var diags diag.Diagnostics
	grant := settings.GrantType
	if grant.IsUnknown() || !slices.Contains(grantsNeedingClientCredential, oauthclient.GrantType(grant.ValueString())) {
		return diags
	}
	in := clientCredentialInputs{settings: settings, wo: wo, creds: creds}
	for _, s := range clientCredentialSources {
		if s.present(in) {
			return diags
		}
	}
	fix := "Set client_secret"
	if withWriteOnly {
		fix = "Set client_secret_wo (with client_secret_wo_version) or client_secret"
	}
	diags.AddAttributeError(path.Root("client_secret"), "Missing OAuth2 Client Credential",
		fmt.Sprintf("With grant_type = %q the client must authenticate to the token endpoint (RFC 6749 §4.4), but %s has "+
			"no client credential, so the server would refuse every request. %s; or, for a client without a shared "+
			"secret, set signing_key (private_key_jwt), identity_token (workload identity), or tls_client (mutual "+
			"TLS). If the client authenticates another way, such as a certificate configured on the provider, set "+
			"client_auth = \"tls_client_auth\" or \"none\".", grant.ValueString(), subject, fix))
	return diags
}

// privateKeyWriteOnlyFingerprints is the private state key holding the
// fingerprints of the write-only values last applied; see
// writeOnlyFingerprint.
const privateKeyWriteOnlyFingerprints = "write_only_fingerprints"

// writeOnlyFingerprintDomain separates these HMACs from every other HMAC
// under the token store's name key.
const writeOnlyFingerprintDomain = "oauth2 write-only fingerprint v1"

// writeOnlyFingerprint is the HMAC-SHA256 of a write-only value under the
// token store's name key (entryNameKey), bound to the attribute's name.
//
// The CLI never shows a write-only value's old value, so the provider keeps
// a fingerprint of the one it last applied to tell whether the configured
// value changed without its version. Private state is saved in the state
// file, read by more people than the secret should be, so the fingerprint
// must not let them test guesses: a plain or salted hash of a weak secret
// can be brute-forced, an HMAC under a key kept outside state cannot.
// Without a token store there is no such key, and the check is skipped.
func writeOnlyFingerprint(nameKey []byte, attr, value string) string {
	mac := hmac.New(sha256.New, nameKey)
	mac.Write([]byte(writeOnlyFingerprintDomain))
	mac.Write([]byte{0})
	mac.Write([]byte(attr))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}

// writeOnlyAttribute is one write-only value of oauth2_connection and the
// version that triggers its use.
type writeOnlyAttribute struct {
	name    string
	value   types.String
	version types.Int64
}

// writeOnlyAttributes lists the write-only values of m, which are set only
// in the configuration.
func (m *connectionResourceModel) writeOnlyAttributes() []writeOnlyAttribute {
	return []writeOnlyAttribute{
		{woName("client_secret"), m.ClientSecretWO, m.ClientSecretWOVersion},
		{woName("password"), m.PasswordWO, m.PasswordWOVersion},
		{woName("refresh_token"), m.RefreshTokenWO, m.RefreshTokenWOVersion},
		// Keys only: assertions and subject tokens are short-lived, and a new
		// one at every run under the same version is how they are used.
		{"signing_key." + woName("private_key"), nestedStringValue(m.SigningKey, woName("private_key")), nestedInt64Value(m.SigningKey, woVersionName("private_key"))},
		{"tls_client." + woName("key"), nestedStringValue(m.TLSClient, woName("key")), nestedInt64Value(m.TLSClient, woVersionName("key"))},
		{"authorization_code_wo", m.AuthorizationCodeWO, m.AuthorizationCodeWOVersion},
	}
}

// fingerprintKey returns the key fingerprints are made with, or nil when the
// provider has no durable token store: a memory store's key dies with the
// process, and the next plan runs in another.
func (r *connectionResource) fingerprintKey() []byte {
	if r.data == nil || !r.data.tokens.Durable() {
		return nil
	}
	return r.data.tokens.Store().NameKey()
}

// readWriteOnlyFingerprints returns the fingerprints kept in private state,
// or nil when there are none.
func readWriteOnlyFingerprints(ctx context.Context, private privateGetter) (map[string]string, diag.Diagnostics) {
	if private == nil {
		return nil, nil
	}
	raw, diags := private.GetKey(ctx, privateKeyWriteOnlyFingerprints)
	if diags.HasError() || len(raw) == 0 {
		return nil, diags
	}
	var out map[string]string
	if err := json.Unmarshal(raw, &out); err != nil {
		// Only a warning is lost if this record is dropped.
		tflog.Warn(ctx, "unreadable write-only fingerprints in private state; ignored")
		return nil, diags
	}
	return out, diags
}

// saveWriteOnlyFingerprints records, after a successful apply, the
// fingerprint of each write-only value that apply used. keepRecorded says
// that apply sent none of them (nothing that affects validation changed):
// the recorded fingerprints then stay, since a value changed without its
// version was ignored.
func (r *connectionResource) saveWriteOnlyFingerprints(ctx context.Context, config *connectionResourceModel, keepRecorded bool, priorPrivate privateGetter, private privateSetter) diag.Diagnostics {
	key := r.fingerprintKey()
	if key == nil {
		return nil
	}
	var diags diag.Diagnostics
	out := map[string]string{}
	if keepRecorded {
		recorded, d := readWriteOnlyFingerprints(ctx, priorPrivate)
		diags.Append(d...)
		out = recorded
	} else {
		for _, a := range config.writeOnlyAttributes() {
			if !a.value.IsNull() && !a.value.IsUnknown() {
				out[a.name] = writeOnlyFingerprint(key, a.name, a.value.ValueString())
			}
		}
	}
	if len(out) == 0 {
		return diags
	}
	raw, err := json.Marshal(out)
	if err != nil {
		diags.AddError("Unable to Save Write-Only Fingerprints",
			"The fingerprints of the write-only values could not be encoded. This is a bug in the provider; please report it. "+errorCause(err))
		return diags
	}
	diags.Append(private.SetKey(ctx, privateKeyWriteOnlyFingerprints, raw)...)
	return diags
}

// writeOnlyDriftWarnings warns about each write-only value that differs
// from the one last applied while its version stayed the same: the CLI
// shows no change for it, and apply would keep using the old value.
func (r *connectionResource) writeOnlyDriftWarnings(ctx context.Context, state, plan, config *connectionResourceModel, priorPrivate privateGetter) diag.Diagnostics {
	var diags diag.Diagnostics
	label := plan.Label.ValueString()
	warn := func(a writeOnlyAttribute, why, consequence string) {
		diags.AddAttributeWarning(path.Root(a.name), "Write-Only Value Changed Without Its Version",
			fmt.Sprintf("%s of connection %q %s, but %s did not change, so %s. Change %s (any new number) to apply it.",
				a.name, label, why, versionName(a.name), consequence, versionName(a.name)))
	}
	warned := map[string]bool{}

	// A code given while the connection waits for one needs no
	// fingerprint: no code was exchanged under the current version.
	if code := config.AuthorizationCodeWO; state.Status.ValueString() == statusPendingAuthorization &&
		!code.IsNull() && !code.IsUnknown() && code.ValueString() != "" &&
		state.AuthorizationCodeWOVersion.Equal(plan.AuthorizationCodeWOVersion) && !state.AuthorizationCodeWOVersion.IsNull() {
		warn(writeOnlyAttribute{name: "authorization_code_wo"}, "holds a code",
			"the code is not exchanged and the connection stays pending_authorization")
		warned["authorization_code_wo"] = true
	}

	key := r.fingerprintKey()
	if key == nil {
		return diags
	}
	recorded, d := readWriteOnlyFingerprints(ctx, priorPrivate)
	diags.Append(d...)
	stateAttrs := state.writeOnlyAttributes()
	for i, a := range config.writeOnlyAttributes() {
		old, ok := recorded[a.name]
		if !ok || warned[a.name] || a.value.IsNull() || a.value.IsUnknown() || !stateAttrs[i].version.Equal(a.version) {
			continue
		}
		if !hmac.Equal([]byte(old), []byte(writeOnlyFingerprint(key, a.name, a.value.ValueString()))) {
			warn(a, "differs from the value last applied", "the new value is not sent and the connection keeps the old one")
		}
	}
	return diags
}

// versionName names the version trigger of a write-only attribute.
func versionName(woAttr string) string { return woAttr + "_version" }

// revalidatingGrants are the grants a plan may request a token with to
// check the credentials again: their requests change nothing at the server
// that a later request depends on. A refresh token may be rotated by its
// use (RFC 9700 §4.14.2) and an authorization code is single-use.
var revalidatingGrants = []oauthclient.GrantType{oauthclient.GrantClientCredentials, oauthclient.GrantPassword}

// revalidationDue reports whether state's validation is older than the
// configured revalidate_after at now.
func revalidationDue(state, plan *connectionResourceModel, now time.Time) bool {
	if plan.RevalidateAfter.IsNull() || plan.RevalidateAfter.IsUnknown() ||
		state.Status.ValueString() != statusValidated || !plan.Validate.ValueBool() ||
		!slices.Contains(revalidatingGrants, oauthclient.GrantType(plan.GrantType.ValueString())) {
		return false
	}
	after, err := time.ParseDuration(plan.RevalidateAfter.ValueString())
	if err != nil {
		return false // durationValidator reports it
	}
	at, err := time.Parse(time.RFC3339, state.ValidatedAt.ValueString())
	if err != nil {
		return true // no usable record of the last validation
	}
	return now.Sub(at) >= after
}

// revalidate requests a token with the planned settings and the configured
// write-only values. When the server refuses, it warns and reports true: the
// plan then marks the validation outputs unknown, so that it shows an update
// and apply validates again and fails with the refusal. A request that gets
// no answer only warns: it says nothing about the credentials.
func (r *connectionResource) revalidate(ctx context.Context, state, plan, config *connectionResourceModel) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	for _, v := range append(plan.connectionSettingsModel.values(), config.ClientSecretWO, config.PasswordWO) {
		if v.IsUnknown() {
			return false, diags
		}
	}
	tokenReq, _, d := r.data.connectionRequest(ctx, plan, config)
	diags.Append(d...)
	if diags.HasError() {
		return false, diags
	}
	ctx = tflog.SetField(ctx, "token_url", oauthclient.RedactURL(tokenReq.TokenURL))
	ctx = maskSecrets(ctx, requestSecrets(tokenReq)...)
	tflog.Debug(ctx, "revalidating oauth2 connection at plan time", map[string]any{"validated_at": state.ValidatedAt.ValueString()})

	tok, err := r.data.client.Exchange(ctx, tokenReq)
	label := plan.Label.ValueString()
	if err == nil {
		tflog.Info(ctx, "oauth2 connection revalidated; no change", map[string]any{"token_type": tok.TokenType})
		return false, diags
	}
	var oe *oauthclient.Error
	if !errors.As(err, &oe) {
		diags.AddWarning("Unable to Revalidate OAuth2 Connection",
			validationErrorDetail(fmt.Sprintf("connection %q", label), tokenReq.TokenURL,
				"The credentials were not checked, so the plan shows no change for them; the next plan tries again.", err))
		return false, diags
	}
	diags.AddWarning("OAuth2 Connection Credentials Refused",
		validationErrorDetail(fmt.Sprintf("connection %q", label), tokenReq.TokenURL,
			fmt.Sprintf("The connection was last validated at %s, longer ago than revalidate_after (%s), and its "+
				"credentials are now refused: the plan shows its validation outputs as changing, and apply fails "+
				"unless the credentials are fixed first.", state.ValidatedAt.ValueString(), plan.RevalidateAfter.ValueString()), err))
	return true, diags
}

// revalidateAfterGrantValidator refuses revalidate_after with a grant whose
// token request cannot be repeated at plan time; see revalidatingGrants.
type revalidateAfterGrantValidator struct{}

var _ resource.ConfigValidator = revalidateAfterGrantValidator{}

func (v revalidateAfterGrantValidator) Description(context.Context) string {
	return "revalidate_after needs grant_type " + strings.Join(grantNames(revalidatingGrants), " or ")
}

func (v revalidateAfterGrantValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v revalidateAfterGrantValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validateRevalidateAfter(ctx, req.Config)...)
}

func validateRevalidateAfter(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	var after, grant types.String
	diags := config.GetAttribute(ctx, path.Root("revalidate_after"), &after)
	diags.Append(config.GetAttribute(ctx, path.Root("grant_type"), &grant)...)
	if diags.HasError() || after.IsNull() || grant.IsUnknown() {
		return diags
	}
	g := grant.ValueString()
	if grant.IsNull() {
		g = settingByName("grant_type").defaultValue
	}
	if !slices.Contains(revalidatingGrants, oauthclient.GrantType(g)) {
		diags.AddAttributeError(path.Root("revalidate_after"), "Unsupported Setting",
			fmt.Sprintf("revalidate_after cannot be used with grant_type = %q: checking the credentials means requesting a "+
				"token, and a plan must not spend an authorization code or a refresh token the server may rotate. "+
				"Remove revalidate_after; an oauth2_access_token fails on its own when the grant was revoked.", g))
	}
	return diags
}

func grantNames(grants []oauthclient.GrantType) []string {
	out := make([]string, len(grants))
	for i, g := range grants {
		out[i] = string(g)
	}
	return out
}

// connectionIDPattern is the form of the ids newID gives connections: an
// RFC 4122 version 4 UUID in lower case.
var connectionIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// importIDDiagnostics refuses an import id that is not of the form newID
// gives, so that a typo fails instead of importing a connection whose token
// store entry, named by the id, does not exist.
func importIDDiagnostics(id string) diag.Diagnostics {
	var diags diag.Diagnostics
	if connectionIDPattern.MatchString(id) {
		return diags
	}
	diags.AddAttributeError(path.Root("id"), "Invalid OAuth2 Connection Import ID",
		fmt.Sprintf("The import ID %q is not the id of an oauth2_connection. Connection ids are lower-case UUIDs such as "+
			"\"0b5f8a7c-3d1e-4f2a-9b6c-7d8e9f0a1b2c\": give the id attribute of the connection, as shown by \"state show\" "+
			"in the workspace that created it.", id))
	return diags
}
