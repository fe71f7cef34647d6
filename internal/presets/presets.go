// Package presets is the curated table of OAuth 2.0 platforms a connection
// can name with preset = "…" instead of spelling out its token URL,
// authorization URL, client authentication, scope delimiter and request
// encoding.
//
// The table is data, kept in one file (table.go); every entry follows the
// platform's public documentation, cited in DocsURL, and leaves a field
// empty rather than guess. Endpoint URLs are templates whose {name}
// placeholders Resolve fills from the preset's parameters.
//
// A parameter that becomes part of a host name must match a strict Pattern
// (a DNS label, a region, a host under the platform's own domain), so that a
// typo or a stray "/", "@" or ":" can never point a preset at another host.
// A parameter in the path is escaped with url.PathEscape and may not be "."
// or "..". Platforms reached at a custom domain are configured with explicit
// URLs instead, which always win over a preset.
//
// The package knows nothing of Terraform: the provider maps preset and
// preset_params onto it. The guide page templates/guides/presets.md.tmpl is
// generated from the table by this package's tests (see RegenerateCommand),
// which also fail when the committed page is out of date.
package presets

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Grant types a preset can list in Grants: the short names the provider's
// grant_type attribute uses.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
	GrantTokenExchange     = "token_exchange"
	GrantJWTBearer         = "jwt_bearer"
)

// Refresh token behaviours for Preset.RefreshTokenRotation.
const (
	// Rotates: every refresh answers with a new refresh token and the old
	// one stops working (at once or after a grace period).
	Rotates = "rotates"
	// DoesNotRotate: the same refresh token is used again and again.
	DoesNotRotate = "does not rotate"
	// Configurable: the application's or tenant's settings decide.
	Configurable = "configurable"
)

// Param is one parameter of a preset, given in preset_params.
type Param struct {
	// Name is the key in preset_params and the {name} placeholder.
	Name string
	// Description says what the value is and where to find it.
	Description string
	// Required parameters have no default and must be given.
	Required bool
	// Default is used when the parameter is not given (or is empty).
	Default string
	// Pattern, when set, is the shape a value must have, e.g. a DNS label.
	// Every parameter that appears in a host has one.
	Pattern *Pattern
}

// Pattern is a regular expression compiled when first used. The table's
// host patterns, with their counted repetitions, took 8 ms to compile at
// every start of the provider process, and most runs use none of them.
type Pattern struct {
	expr string
	re   func() *regexp.Regexp
}

// newPattern returns a Pattern for expr, which must compile; the package's
// tests compile every pattern in the table.
func newPattern(expr string) *Pattern {
	return &Pattern{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// MatchString reports whether s matches the pattern.
func (p *Pattern) MatchString(s string) bool { return p.re().MatchString(s) }

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.expr }

// Preset describes how to reach one platform's OAuth 2.0 endpoints.
type Preset struct {
	// Name is the value of preset, e.g. "microsoft_entra".
	Name string
	// Title is the platform's name for people, e.g. "Microsoft Entra ID".
	Title string
	// DocsURL is the platform's public OAuth documentation page this entry
	// follows.
	DocsURL string
	// Issuer is the issuer identifier template, for discovery (RFC 8414,
	// OpenID Connect Discovery); empty when the platform publishes none.
	Issuer string
	// TokenURL, AuthorizationURL, DeviceAuthorizationURL and RevocationURL
	// are endpoint templates with {param} placeholders; all but TokenURL
	// are optional. RevocationURL is set only for an RFC 7009 endpoint.
	TokenURL               string
	AuthorizationURL       string
	DeviceAuthorizationURL string
	RevocationURL          string
	// Params are the parameters the templates use, in documentation order.
	Params []Param
	// ScopeDelimiter joins scopes; "" means a space (RFC 6749 §3.3).
	ScopeDelimiter string
	// ClientAuth is the oauthclient.AuthStyle the platform documents for
	// client secrets; "" means auto.
	ClientAuth string
	// RequestEncoding is "form" or "json"; "" means form.
	RequestEncoding string
	// Grants are the grant types (GrantClientCredentials, …) the platform
	// supports at TokenURL.
	Grants []string
	// RefreshTokenRotation is Rotates, DoesNotRotate or Configurable; ""
	// when the platform issues no refresh tokens or does not document it.
	RefreshTokenRotation string
	// Notes are the platform's quirks in one or two sentences of markdown.
	Notes string
}

// Endpoints are a preset's URLs with every placeholder filled. Empty fields
// are endpoints the preset does not know.
type Endpoints struct {
	Issuer                 string
	TokenURL               string
	AuthorizationURL       string
	DeviceAuthorizationURL string
	RevocationURL          string
}

var byName = func() map[string]int {
	m := make(map[string]int, len(table))
	for i, p := range table {
		m[p.Name] = i
	}
	return m
}()

// All returns every preset, sorted by Name. The slice is a copy; the Params
// and Grants inside it are shared and must not be modified.
func All() []Preset {
	out := slices.Clone(table)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the preset called name.
func Lookup(name string) (Preset, bool) {
	i, ok := byName[name]
	if !ok {
		return Preset{}, false
	}
	return table[i], true
}

// Names returns every preset name, sorted: the values a OneOf validator
// accepts.
func Names() []string {
	out := make([]string, 0, len(table))
	for _, p := range table {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

// Param returns the preset's parameter called name.
func (p Preset) Param(name string) (Param, bool) {
	for _, prm := range p.Params {
		if prm.Name == name {
			return prm, true
		}
	}
	return Param{}, false
}

func (p Preset) paramNames() []string {
	out := make([]string, 0, len(p.Params))
	for _, prm := range p.Params {
		out = append(out, prm.Name)
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// Resolve fills the preset's endpoint templates from params. A parameter
// that is not given, or given empty, takes its Default. It is an error to
// give a parameter the preset does not have, to leave out a required one, or
// to give a value that does not match the parameter's Pattern. Values in a
// host are inserted as they are (their Pattern keeps them to host name
// characters); values in a path are url.PathEscape'd and may not be "." or
// "..". Every URL returned is absolute https with no placeholder left.
func (p Preset) Resolve(params map[string]string) (Endpoints, error) {
	var unknown []string
	for k := range params {
		if _, ok := p.Param(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := "it takes no parameters"
		if len(p.Params) > 0 {
			known = "known: " + strings.Join(p.paramNames(), ", ")
		}
		return Endpoints{}, fmt.Errorf("presets: preset %q has no parameter %s (%s)", p.Name, quoteAll(unknown), known)
	}

	values := make(map[string]string, len(p.Params))
	for _, prm := range p.Params {
		v := params[prm.Name]
		if v == "" {
			v = prm.Default
		}
		if v == "" {
			if prm.Required {
				return Endpoints{}, fmt.Errorf("presets: preset %q needs parameter %q: %s", p.Name, prm.Name, prm.Description)
			}
			continue
		}
		if prm.Pattern != nil && !prm.Pattern.MatchString(v) {
			return Endpoints{}, fmt.Errorf("presets: preset %q parameter %q: %q does not match %s", p.Name, prm.Name, v, prm.Pattern)
		}
		values[prm.Name] = v
	}

	var e Endpoints
	for _, f := range []struct {
		what     string
		template string
		out      *string
		required bool
	}{
		{"issuer", p.Issuer, &e.Issuer, false},
		{"token url", p.TokenURL, &e.TokenURL, true},
		{"authorization url", p.AuthorizationURL, &e.AuthorizationURL, false},
		{"device authorization url", p.DeviceAuthorizationURL, &e.DeviceAuthorizationURL, false},
		{"revocation url", p.RevocationURL, &e.RevocationURL, false},
	} {
		if f.template == "" {
			if f.required {
				return Endpoints{}, fmt.Errorf("presets: preset %q has no %s", p.Name, f.what)
			}
			continue
		}
		s, missing, err := fill(f.template, values)
		if err != nil {
			return Endpoints{}, fmt.Errorf("presets: preset %q %s: %w", p.Name, f.what, err)
		}
		if missing != "" {
			// An optional parameter without a default: the endpoint that
			// needs it is unknown unless the parameter is given.
			if f.required {
				return Endpoints{}, fmt.Errorf("presets: preset %q needs parameter %q for its %s", p.Name, missing, f.what)
			}
			continue
		}
		*f.out = s
	}
	return e, nil
}

// fill replaces the {name} placeholders of template. It returns the name of
// a placeholder without a value instead of an error, so that an optional
// endpoint can be left out.
func fill(template string, values map[string]string) (string, string, error) {
	hostEnd := len(template)
	if rest, ok := strings.CutPrefix(template, "https://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			hostEnd = len("https://") + i
		}
	} else {
		return "", "", fmt.Errorf("template %q is not an https URL", template)
	}
	var b strings.Builder
	last := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(template, -1) {
		name := template[m[2]:m[3]]
		v, ok := values[name]
		if !ok {
			return "", name, nil
		}
		b.WriteString(template[last:m[0]])
		if m[0] < hostEnd {
			b.WriteString(v) // validated by the parameter's Pattern
		} else {
			if v == "." || v == ".." {
				return "", "", fmt.Errorf("parameter %q may not be %q", name, v)
			}
			b.WriteString(url.PathEscape(v))
		}
		last = m[1]
	}
	b.WriteString(template[last:])
	s := b.String()
	if strings.ContainsAny(s, "{}") {
		return "", "", fmt.Errorf("%q has a placeholder left", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" {
		return "", "", fmt.Errorf("%q is not an https URL with a host", s)
	}
	if !hostRE.MatchString(u.Host) {
		return "", "", fmt.Errorf("%q has an invalid host %q", s, u.Host)
	}
	return s, "", nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// Patterns shared by the table. Host patterns are anchored and case
// insensitive (host names are), and admit no "/", "@", ":" or "." beyond
// what they spell out.
var (
	// dnsLabel is one host name label (RFC 1123 §2.1).
	dnsLabel = newPattern(`(?i)^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// hostRE is a host name of two or more labels with an optional port:
	// for self-hosted servers, whose host is whatever their owner chose.
	hostRE = newPattern(`(?i)^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:[0-9]{1,5})?$`)
)

var errNoTable = errors.New("presets: empty table")

// check reports the first inconsistency in the table; tests run it.
func check(ps []Preset) error {
	if len(ps) == 0 {
		return errNoTable
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.Name] {
			return fmt.Errorf("presets: duplicate preset %q", p.Name)
		}
		seen[p.Name] = true
		params := map[string]Param{}
		for _, prm := range p.Params {
			if _, dup := params[prm.Name]; dup {
				return fmt.Errorf("presets: preset %q: duplicate parameter %q", p.Name, prm.Name)
			}
			if prm.Required && prm.Default != "" {
				return fmt.Errorf("presets: preset %q: parameter %q is required but has a default", p.Name, prm.Name)
			}
			if prm.Default != "" && prm.Pattern != nil && !prm.Pattern.MatchString(prm.Default) {
				return fmt.Errorf("presets: preset %q: default of %q does not match its pattern", p.Name, prm.Name)
			}
			params[prm.Name] = prm
		}
		used := map[string]bool{}
		for _, t := range []string{p.Issuer, p.TokenURL, p.AuthorizationURL, p.DeviceAuthorizationURL, p.RevocationURL} {
			if t == "" {
				continue
			}
			host, _, _ := strings.Cut(strings.TrimPrefix(t, "https://"), "/")
			for _, m := range placeholderRE.FindAllStringSubmatchIndex(t, -1) {
				name := t[m[2]:m[3]]
				prm, ok := params[name]
				if !ok {
					return fmt.Errorf("presets: preset %q: placeholder {%s} is not a parameter", p.Name, name)
				}
				used[name] = true
				if m[0] < len("https://")+len(host) && prm.Pattern == nil {
					return fmt.Errorf("presets: preset %q: parameter %q is part of a host but has no pattern", p.Name, name)
				}
			}
		}
		for name := range params {
			if !used[name] {
				return fmt.Errorf("presets: preset %q: parameter %q is not used by any template", p.Name, name)
			}
		}
	}
	return nil
}
