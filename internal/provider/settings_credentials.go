package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/idtoken"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// The grant_type values of the grants whose RFC names are URNs. Users type
// the short name; the request carries the URN.
const (
	grantTokenExchange = "token_exchange"
	grantJWTBearer     = "jwt_bearer"
	grantDeviceCode    = "device_code"
)

// grantFromSetting maps a grant_type value to the grant sent.
func grantFromSetting(s string) oauthclient.GrantType {
	switch s {
	case grantTokenExchange:
		return oauthclient.GrantTokenExchange
	case grantJWTBearer:
		return oauthclient.GrantJWTBearer
	case grantDeviceCode:
		return oauthclient.GrantDeviceCode
	}
	return oauthclient.GrantType(s)
}

func authStyleNames() []string {
	styles := oauthclient.AuthStyles()
	out := make([]string, len(styles))
	for i, s := range styles {
		out[i] = string(s)
	}
	return out
}

// identityFetcher fetches workload identity tokens from the environment the
// provider runs in.
var identityFetcher = idtoken.Fetcher{}

// maxCredentialFile bounds how much of a key, certificate or token file is
// read: a PEM chain is a few KiB.
const maxCredentialFile = 1 << 20

// credentialConfig is what the configuration says of the credentials without
// a shared secret. It is read from the configuration, where write-only values
// live: a resource's plan holds them as null.
type credentialConfig struct {
	SigningKey, IdentityToken, TokenExchange, JWTBearer, TLSClient types.Object
	ClientAssertion                                                types.String
}

// credentialConfig returns the credentials of the settings, with the
// ready client assertion from clientAssertion (client_assertion_wo in a
// resource, client_assertion in the ephemeral resource).
func (m connectionSettingsModel) credentialConfig(clientAssertion types.String) credentialConfig {
	return credentialConfig{
		SigningKey: m.SigningKey, IdentityToken: m.IdentityToken, TokenExchange: m.TokenExchange,
		JWTBearer: m.JWTBearer, TLSClient: m.TLSClient, ClientAssertion: clientAssertion,
	}
}

// nestedValue returns the attribute called name of o, or nil when o is null
// or unknown or has no such attribute. A write-only setting is found under
// its _wo name too, so one reader serves resources and the ephemeral
// resource.
func nestedValue(o types.Object, name string) attr.Value {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	attrs := o.Attributes()
	if v, ok := attrs[name]; ok {
		return v
	}
	return attrs[woName(name)]
}

// nestedString returns a string child of o, "" when unset or unknown.
func nestedString(o types.Object, name string) string {
	s, _ := nestedValue(o, name).(types.String)
	if s.IsNull() || s.IsUnknown() {
		return ""
	}
	return s.ValueString()
}

// nestedStringValue returns a string child of o as a value: null when o is
// null, unknown when o is unknown.
func nestedStringValue(o types.Object, name string) types.String {
	if o.IsUnknown() {
		return types.StringUnknown()
	}
	if s, ok := nestedValue(o, name).(types.String); ok {
		return s
	}
	return types.StringNull()
}

// nestedInt64Value returns an Int64 child of o as a value.
func nestedInt64Value(o types.Object, name string) types.Int64 {
	if o.IsUnknown() {
		return types.Int64Unknown()
	}
	if n, ok := nestedValue(o, name).(types.Int64); ok {
		return n
	}
	return types.Int64Null()
}

// nestedElements decodes a list or map child of o into out.
func nestedElements(ctx context.Context, o types.Object, name string, out any) diag.Diagnostics {
	switch v := nestedValue(o, name).(type) {
	case types.List:
		if !v.IsNull() && !v.IsUnknown() {
			return v.ElementsAs(ctx, out, false)
		}
	case types.Map:
		if !v.IsNull() && !v.IsUnknown() {
			return v.ElementsAs(ctx, out, false)
		}
	}
	return nil
}

// apply completes req with the credentials: the token exchange and JWT
// bearer parameters, the signing key and client certificate, parsed from
// their values or files, and the workload identity token, fetched now so that
// every request has a fresh one. Errors name the attribute and never quote a
// secret.
func (c credentialConfig) apply(ctx context.Context, req *oauthclient.Request) diag.Diagnostics {
	var diags diag.Diagnostics

	req.ClientAssertion = c.ClientAssertion.ValueString()
	req.ClientAssertionAudience = nestedString(c.SigningKey, "client_assertion_audience")
	if ex := c.TokenExchange; !ex.IsNull() {
		req.SubjectToken = nestedString(ex, "subject_token")
		req.SubjectTokenType = nestedString(ex, "subject_token_type")
		req.ActorToken = nestedString(ex, "actor_token")
		req.ActorTokenType = nestedString(ex, "actor_token_type")
		req.RequestedTokenType = nestedString(ex, "requested_token_type")
		diags.Append(nestedElements(ctx, ex, "audiences", &req.Audiences)...)
		diags.Append(nestedElements(ctx, ex, "resources", &req.Resources)...)
	}
	if jb := c.JWTBearer; !jb.IsNull() {
		req.Assertion = nestedString(jb, "assertion")
		req.AssertionClaims = oauthclient.AssertionClaims{
			Issuer:   nestedString(jb, "issuer"),
			Subject:  nestedString(jb, "subject"),
			Audience: nestedString(jb, "audience"),
		}
		diags.Append(nestedElements(ctx, jb, "claims", &req.AssertionClaims.Extra)...)
	}

	keyPEM, keyAttr, ok := secretOrFile(nestedString(c.SigningKey, "private_key"), path.Root("signing_key"),
		nestedString(c.SigningKey, "private_key_file"), path.Root("signing_key").AtName("private_key_file"), &diags)
	if ok && keyPEM != "" {
		key, err := oauthclient.ParseSigningKey([]byte(keyPEM), oauthclient.KeyOptions{
			Algorithm:      nestedString(c.SigningKey, "algorithm"),
			KeyID:          nestedString(c.SigningKey, "key_id"),
			CertificatePEM: nestedString(c.SigningKey, "certificate"),
		})
		if err != nil {
			diags.AddAttributeError(keyAttr, "Unusable Private Key",
				fmt.Sprintf("The signing_key cannot sign JWTs. Give an unencrypted RSA (2048 bits or more), ECDSA or Ed25519 key in PEM form, with its own certificate if any.\n\n%s", errorCause(err)))
		} else if req.GrantType == oauthclient.GrantJWTBearer && req.Assertion == "" {
			req.AssertionKey = key
		} else {
			req.ClientKey = key
		}
	}

	cert, d := loadClientCertificate(path.Root("tls_client"), nestedString(c.TLSClient, "certificate"), nestedString(c.TLSClient, "certificate_file"),
		nestedString(c.TLSClient, "key"), nestedString(c.TLSClient, "key_file"))
	diags.Append(d...)
	req.ClientCertificate = cert

	if !c.IdentityToken.IsNull() {
		src := identitySource(c.IdentityToken)
		tok, err := identityFetcher.Token(ctx, src)
		if err != nil {
			diags.AddAttributeError(path.Root("identity_token"), "Workload Identity Token Unavailable",
				fmt.Sprintf("The provider could not obtain the %s identity token of the job it runs in, so no token request was made.\n\n%s", src.Kind, errorCause(err)))
			return diags
		}
		switch {
		case req.GrantType == oauthclient.GrantTokenExchange:
			req.SubjectToken = tok
			if req.SubjectTokenType == "" {
				req.SubjectTokenType = oauthclient.TokenTypeJWT
			}
		case req.GrantType == oauthclient.GrantJWTBearer && req.AssertionKey == nil:
			req.Assertion = tok
		default:
			req.ClientAssertion = tok
		}
	}
	if req.GrantType == oauthclient.GrantTokenExchange && req.SubjectTokenType == "" && req.SubjectToken != "" {
		req.SubjectTokenType = oauthclient.TokenTypeAccessToken
	}
	return diags
}

// identitySource is the idtoken source an identity_token object describes.
func identitySource(o types.Object) idtoken.Source {
	return idtoken.Source{
		Kind:     idtoken.Kind(nestedString(o, "source")),
		Audience: nestedString(o, "audience"),
		Name:     nestedString(o, "name"),
		File:     nestedString(o, "file"),
	}
}

// secretOrFile returns the value given inline, or else the contents of the
// file named by fileValue, with the attribute the value came from. ok is
// false after a diagnostic.
func secretOrFile(value string, valueAttr path.Path, fileValue string, fileAttr path.Path, diags *diag.Diagnostics) (string, path.Path, bool) {
	if value != "" || fileValue == "" {
		return value, valueAttr, true
	}
	f, err := os.Open(fileValue)
	if err != nil {
		diags.AddAttributeError(fileAttr, "Unreadable Credential File",
			fmt.Sprintf("The file %s names cannot be read. Check the path and its permissions.\n\n%s", fileAttr, errorCause(err)))
		return "", fileAttr, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialFile+1))
	switch {
	case err != nil:
		diags.AddAttributeError(fileAttr, "Unreadable Credential File",
			fmt.Sprintf("The file %s names could not be read.\n\n%s", fileAttr, errorCause(err)))
		return "", fileAttr, false
	case len(data) > maxCredentialFile:
		diags.AddAttributeError(fileAttr, "Credential File Too Large",
			fmt.Sprintf("The file %s names is larger than %s bytes; it should hold one PEM key or certificate chain.", fileAttr, strconv.Itoa(maxCredentialFile)))
		return "", fileAttr, false
	case len(data) == 0:
		diags.AddAttributeError(fileAttr, "Empty Credential File",
			fmt.Sprintf("The file %s names is empty.", fileAttr))
		return "", fileAttr, false
	}
	return string(data), fileAttr, true
}

// loadClientCertificate reads a TLS client certificate and its key (RFC
// 8705), each given inline or as a file, from the attributes certificate,
// certificate_file, key (key_wo in resources) and key_file of the object at
// at. Neither set gives nil.
func loadClientCertificate(at path.Path, certValue, certFile, keyValue, keyFile string) (*tls.Certificate, diag.Diagnostics) {
	var diags diag.Diagnostics
	certPEM, certAttr, okCert := secretOrFile(certValue, at.AtName("certificate"), certFile, at.AtName("certificate_file"), &diags)
	keyPEM, _, okKey := secretOrFile(keyValue, at, keyFile, at.AtName("key_file"), &diags)
	if !okCert || !okKey || (certPEM == "" && keyPEM == "") {
		return nil, diags
	}
	switch {
	case certPEM == "":
		diags.AddAttributeError(at.AtName("certificate"), "Missing Client Certificate",
			fmt.Sprintf("A TLS client key is set in %s without its certificate. Set certificate or certificate_file.", at))
		return nil, diags
	case keyPEM == "":
		diags.AddAttributeError(at, "Missing Client Certificate Key",
			fmt.Sprintf("A TLS client certificate is set in %s without its private key. Set the key or key_file.", at))
		return nil, diags
	}
	cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		// crypto/tls names what does not match, never the bytes.
		diags.AddAttributeError(certAttr, "Unusable Client Certificate",
			fmt.Sprintf("The TLS client certificate and key in %s cannot be used together. Give the PEM certificate and the "+
				"unencrypted PEM key issued with it.\n\n%s", at, errorCause(err)))
		return nil, diags
	}
	return &cert, diags
}
