// Package endpoints works out where a connection's requests go and how they
// are shaped: from the settings given, then the named preset, then the
// authorization server's metadata (RFC 8414, OpenID Connect Discovery). The
// provider and the companion CLI share it, so a connection resolves the same
// way in both; it has no Terraform types.
package endpoints

import (
	"context"
	"fmt"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/presets"
)

// Lookup finds a preset; tests replace it.
var Lookup = presets.Lookup

// Settings are a connection's endpoint settings. An empty string means the
// configuration leaves the setting to the preset or the metadata.
type Settings struct {
	GrantType        string
	TokenURL         string
	AuthorizationURL string
	RevocationURL    string
	// DeviceAuthorizationURL is the device authorization endpoint (RFC 8628).
	DeviceAuthorizationURL string
	ClientAuth             string
	ScopeDelimiter         string
	RequestEncoding        string
	Preset                 string
	PresetParams           map[string]string
	Issuer                 string
}

// Resolved are the settings with the preset's and the metadata's values
// filled in, and what else they name.
type Resolved struct {
	Settings
	// AuthMethods are the client authentication methods the metadata lists
	// for the token endpoint; nil without discovery.
	AuthMethods []string
	// ClientAuthChosen is true when the settings or the preset chose the
	// client authentication, so that the metadata must not.
	ClientAuthChosen bool
}

// Discoverer reads an issuer's metadata; *oauthclient.Client is one.
type Discoverer interface {
	Discover(ctx context.Context, issuer string) (*oauthclient.ServerMetadata, error)
}

// Error says which setting is at fault.
type Error struct {
	// Setting is "preset", "preset_params" or "issuer".
	Setting string
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Resolve fills what s leaves empty from its preset, then from the issuer's
// metadata. Discovery, the only step that makes a request, happens only when
// d is not nil and an endpoint is still missing or the client
// authentication is left to the server.
func Resolve(ctx context.Context, s Settings, d Discoverer) (Resolved, error) {
	r := Resolved{Settings: s, ClientAuthChosen: s.ClientAuth != ""}
	fill := func(dst *string, value string) {
		if *dst == "" {
			*dst = value
		}
	}
	issuer := s.Issuer
	if s.Preset != "" {
		p, ok := Lookup(s.Preset)
		if !ok {
			return r, &Error{Setting: "preset", Err: fmt.Errorf("there is no preset %q", s.Preset)}
		}
		eps, err := p.Resolve(s.PresetParams)
		if err != nil {
			return r, &Error{Setting: "preset_params", Err: err}
		}
		fill(&r.TokenURL, eps.TokenURL)
		fill(&r.AuthorizationURL, eps.AuthorizationURL)
		fill(&r.RevocationURL, eps.RevocationURL)
		fill(&r.ClientAuth, p.ClientAuth)
		fill(&r.ScopeDelimiter, p.ScopeDelimiter)
		fill(&r.RequestEncoding, p.RequestEncoding)
		fill(&r.DeviceAuthorizationURL, eps.DeviceAuthorizationURL)
		r.ClientAuthChosen = r.ClientAuthChosen || p.ClientAuth != ""
		if issuer == "" && r.TokenURL == "" {
			issuer = eps.Issuer
		}
	}
	needsMetadata := r.TokenURL == "" || !r.ClientAuthChosen ||
		(r.GrantType == string(oauthclient.GrantAuthorizationCode) && r.AuthorizationURL == "") ||
		(r.GrantType == string(oauthclient.GrantDeviceCode) && r.DeviceAuthorizationURL == "")
	if issuer == "" || !needsMetadata || d == nil {
		return r, nil
	}
	md, err := d.Discover(ctx, issuer)
	if err != nil {
		return r, &Error{Setting: "issuer", Err: err}
	}
	fill(&r.TokenURL, md.TokenEndpoint)
	fill(&r.AuthorizationURL, md.AuthorizationEndpoint)
	fill(&r.RevocationURL, md.RevocationEndpoint)
	fill(&r.DeviceAuthorizationURL, md.DeviceAuthorizationEndpoint)
	r.AuthMethods = md.TokenEndpointAuthMethodsSupported
	if r.TokenURL == "" {
		return r, &Error{Setting: "issuer", Err: fmt.Errorf("the metadata of issuer %s names no token_endpoint; set the token URL", oauthclient.RedactURL(issuer))}
	}
	return r, nil
}

// ApplyAuthMethods lets the metadata pick how req's client authenticates,
// when neither the settings nor the preset chose (RFC 8414
// token_endpoint_auth_methods_supported). clientCertificates says the client
// presents a certificate of its own besides req's.
func (r Resolved) ApplyAuthMethods(req *oauthclient.Request, clientCertificates bool) {
	if r.ClientAuthChosen || r.AuthMethods == nil {
		return
	}
	style, ok := oauthclient.AuthStyleFor(r.AuthMethods, req.ClientSecret != "",
		req.ClientKey != nil || req.ClientAssertion != "", req.ClientCertificate != nil || clientCertificates)
	if ok {
		req.AuthStyle = style
	}
}
