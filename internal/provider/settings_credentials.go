package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/idtoken"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// The grant_type values of the grants whose RFC names are URNs. Users type
// the short name; the request carries the URN.
const (
	grantTokenExchange = "token_exchange"
	grantJWTBearer     = "jwt_bearer"
)

// grantFromSetting maps a grant_type value to the grant sent.
func grantFromSetting(s string) oauthclient.GrantType {
	switch s {
	case grantTokenExchange:
		return oauthclient.GrantTokenExchange
	case grantJWTBearer:
		return oauthclient.GrantJWTBearer
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

// credentials completes req with what needs work to obtain: the signing key
// and client certificate, parsed from their values or files, and the
// workload identity token, fetched now so that every request has a fresh
// one. Errors name the attribute and never quote a secret.
func (m connectionSettingsModel) credentials(ctx context.Context, wo connectionWriteOnlyModel, req *oauthclient.Request) diag.Diagnostics {
	var diags diag.Diagnostics

	keyPEM, keyAttr, ok := secretOrFile(wo.PrivateKeyWO.ValueString(), "private_key", m.PrivateKeyFile.ValueString(), "private_key_file", &diags)
	if ok && keyPEM != "" {
		key, err := oauthclient.ParseSigningKey([]byte(keyPEM), oauthclient.KeyOptions{
			Algorithm:      m.SigningAlgorithm.ValueString(),
			KeyID:          m.KeyID.ValueString(),
			CertificatePEM: m.SigningCertificate.ValueString(),
		})
		if err != nil {
			diags.AddAttributeError(path.Root(keyAttr), "Unusable Private Key",
				fmt.Sprintf("The %s cannot sign JWTs. Give an unencrypted RSA (2048 bits or more), ECDSA or Ed25519 key in PEM form.\n\n%s", keyAttr, errorCause(err)))
		} else if req.GrantType == oauthclient.GrantJWTBearer && req.Assertion == "" {
			req.AssertionKey = key
		} else {
			req.ClientKey = key
		}
	}

	cert, d := loadClientCertificate(m.TLSClientCertificate.ValueString(), m.TLSClientCertificateFile.ValueString(),
		wo.TLSClientKeyWO.ValueString(), m.TLSClientKeyFile.ValueString())
	diags.Append(d...)
	req.ClientCertificate = cert

	if kind := m.IdentityTokenSource.ValueString(); kind != "" {
		tok, err := identityFetcher.Token(ctx, m.identitySource())
		if err != nil {
			diags.AddAttributeError(path.Root("identity_token_source"), "Workload Identity Token Unavailable",
				fmt.Sprintf("The provider could not obtain the %s identity token of the job it runs in, so no token request was made.\n\n%s", kind, errorCause(err)))
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
	return diags
}

// identitySource is the idtoken source the settings describe.
func (m connectionSettingsModel) identitySource() idtoken.Source {
	return idtoken.Source{
		Kind:     idtoken.Kind(m.IdentityTokenSource.ValueString()),
		Audience: m.IdentityTokenAudience.ValueString(),
		Name:     m.IdentityTokenName.ValueString(),
		File:     m.IdentityTokenFile.ValueString(),
	}
}

// secretOrFile returns the value given inline, or else the contents of the
// file named by fileValue, with the attribute the value came from. ok is
// false after a diagnostic.
func secretOrFile(value, valueAttr, fileValue, fileAttr string, diags *diag.Diagnostics) (string, string, bool) {
	if value != "" || fileValue == "" {
		return value, valueAttr, true
	}
	f, err := os.Open(fileValue)
	if err != nil {
		diags.AddAttributeError(path.Root(fileAttr), "Unreadable Credential File",
			fmt.Sprintf("The file %s names cannot be read. Check the path and its permissions.\n\n%s", fileAttr, errorCause(err)))
		return "", fileAttr, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialFile+1))
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root(fileAttr), "Unreadable Credential File",
			fmt.Sprintf("The file %s names could not be read.\n\n%s", fileAttr, errorCause(err)))
		return "", fileAttr, false
	case len(data) > maxCredentialFile:
		diags.AddAttributeError(path.Root(fileAttr), "Credential File Too Large",
			fmt.Sprintf("The file %s names is larger than %s bytes; it should hold one PEM key or certificate chain.", fileAttr, strconv.Itoa(maxCredentialFile)))
		return "", fileAttr, false
	case len(data) == 0:
		diags.AddAttributeError(path.Root(fileAttr), "Empty Credential File",
			fmt.Sprintf("The file %s names is empty.", fileAttr))
		return "", fileAttr, false
	}
	return string(data), fileAttr, true
}

// loadClientCertificate reads a TLS client certificate and its key (RFC
// 8705), each given inline or as a file, under the attribute names
// tls_client_certificate[_file] and tls_client_key[_file] that the provider
// and the connection settings share. Neither set gives nil.
func loadClientCertificate(certValue, certFile, keyValue, keyFile string) (*tls.Certificate, diag.Diagnostics) {
	var diags diag.Diagnostics
	certPEM, certAttr, okCert := secretOrFile(certValue, "tls_client_certificate", certFile, "tls_client_certificate_file", &diags)
	keyPEM, _, okKey := secretOrFile(keyValue, "tls_client_key", keyFile, "tls_client_key_file", &diags)
	if !okCert || !okKey || (certPEM == "" && keyPEM == "") {
		return nil, diags
	}
	switch {
	case certPEM == "":
		diags.AddAttributeError(path.Root("tls_client_certificate"), "Missing Client Certificate",
			"A TLS client key is set without its certificate. Set tls_client_certificate or tls_client_certificate_file.")
		return nil, diags
	case keyPEM == "":
		diags.AddAttributeError(path.Root("tls_client_key"), "Missing Client Certificate Key",
			"A TLS client certificate is set without its private key. Set tls_client_key or tls_client_key_file.")
		return nil, diags
	}
	cert, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		// crypto/tls names what does not match, never the bytes.
		diags.AddAttributeError(path.Root(certAttr), "Unusable Client Certificate",
			fmt.Sprintf("The TLS client certificate and key cannot be used together. Give the PEM certificate and the "+
				"unencrypted PEM key issued with it.\n\n%s", errorCause(err)))
		return nil, diags
	}
	return &cert, diags
}
