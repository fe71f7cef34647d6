package presets

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

func TestTableIsConsistent(t *testing.T) {
	if err := check(table); err != nil {
		t.Fatal(err)
	}
	if len(table) < 20 {
		t.Errorf("%d presets, want at least 20", len(table))
	}
	for i := 1; i < len(table); i++ {
		if table[i-1].Name >= table[i].Name {
			t.Errorf("table.go is not sorted by name: %q before %q", table[i-1].Name, table[i].Name)
		}
	}
}

func TestCheckCatchesMistakes(t *testing.T) {
	base := Preset{Name: "x", TokenURL: "https://{sub}.example.com/token", Params: []Param{{Name: "sub", Required: true, Pattern: dnsLabel}}}
	noPattern := base
	noPattern.Params = []Param{{Name: "sub", Required: true}}
	unknown := base
	unknown.TokenURL = "https://{other}.example.com/token"
	unused := base
	unused.Params = append(slices.Clone(base.Params), Param{Name: "spare"})
	for name, ps := range map[string][]Preset{
		"duplicate":         {base, base},
		"host without rule": {noPattern},
		"unknown":           {unknown},
		"unused":            {unused},
		"empty":             nil,
	} {
		if err := check(ps); err == nil {
			t.Errorf("%s: check accepted it", name)
		}
	}
}

func TestNamesSortedAndUnique(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() is not sorted: %v", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("Names() has duplicates: %v", names)
	}
	all := All()
	if len(all) != len(names) {
		t.Fatalf("All() has %d presets, Names() %d", len(all), len(names))
	}
	nameRE := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for i, p := range all {
		if p.Name != names[i] {
			t.Errorf("All()[%d] is %q, Names()[%d] is %q", i, p.Name, i, names[i])
		}
		if !nameRE.MatchString(p.Name) {
			t.Errorf("preset name %q is not snake_case", p.Name)
		}
		got, ok := Lookup(p.Name)
		if !ok || got.Name != p.Name {
			t.Errorf("Lookup(%q) = %q, %v", p.Name, got.Name, ok)
		}
	}
	if _, ok := Lookup("no_such_platform"); ok {
		t.Error("Lookup found an unknown preset")
	}
}

func TestEveryPresetIsDocumented(t *testing.T) {
	grants := []string{GrantClientCredentials, GrantPassword, GrantRefreshToken, GrantAuthorizationCode, GrantTokenExchange, GrantJWTBearer}
	styles := []string{""}
	for _, s := range oauthclient.AuthStyles() {
		styles = append(styles, string(s))
	}
	for _, p := range All() {
		u, err := url.Parse(p.DocsURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			t.Errorf("%s: DocsURL %q is not an https URL", p.Name, p.DocsURL)
		}
		if p.Title == "" {
			t.Errorf("%s: no title", p.Name)
		}
		if len(p.Grants) == 0 {
			t.Errorf("%s: no grants", p.Name)
		}
		for _, g := range p.Grants {
			if !slices.Contains(grants, g) {
				t.Errorf("%s: unknown grant %q", p.Name, g)
			}
		}
		if !slices.Contains(styles, p.ClientAuth) {
			t.Errorf("%s: client auth %q is not an oauthclient.AuthStyle", p.Name, p.ClientAuth)
		}
		if !slices.Contains([]string{"", string(oauthclient.EncodingForm), string(oauthclient.EncodingJSON)}, p.RequestEncoding) {
			t.Errorf("%s: request encoding %q", p.Name, p.RequestEncoding)
		}
		if !slices.Contains([]string{"", Rotates, DoesNotRotate, Configurable}, p.RefreshTokenRotation) {
			t.Errorf("%s: refresh token rotation %q", p.Name, p.RefreshTokenRotation)
		}
		if p.RefreshTokenRotation != "" && !slices.Contains(p.Grants, GrantRefreshToken) {
			t.Errorf("%s: describes refresh tokens but lists no refresh_token grant", p.Name)
		}
		if strings.Contains(p.Notes, "{{") || strings.Contains(p.Notes, "\n") {
			t.Errorf("%s: notes must be one paragraph without template braces", p.Name)
		}
	}
}

// examples gives every preset example parameters and the token URL they
// must produce: each preset's unit test of what it resolves to.
var examples = map[string]struct {
	params   map[string]string
	tokenURL string
}{
	"amazon_cognito":       {map[string]string{"domain_prefix": "acme", "region": "eu-west-1"}, "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/token"},
	"atlassian":            {nil, "https://auth.atlassian.com/oauth/token"},
	"auth0":                {map[string]string{"domain": "acme.eu.auth0.com"}, "https://acme.eu.auth0.com/oauth/token"},
	"bitbucket":            {nil, "https://bitbucket.org/site/oauth2/access_token"},
	"box":                  {nil, "https://api.box.com/oauth2/token"},
	"discord":              {nil, "https://discord.com/api/oauth2/token"},
	"docusign":             {nil, "https://account.docusign.com/oauth/token"},
	"docusign_demo":        {nil, "https://account-d.docusign.com/oauth/token"},
	"dropbox":              {nil, "https://api.dropboxapi.com/oauth2/token"},
	"github":               {nil, "https://github.com/login/oauth/access_token"},
	"gitlab":               {nil, "https://gitlab.com/oauth/token"},
	"google":               {nil, "https://oauth2.googleapis.com/token"},
	"hubspot":              {nil, "https://api.hubapi.com/oauth/v3/token"},
	"intuit":               {nil, "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"},
	"keycloak":             {map[string]string{"host": "sso.example.com", "realm": "acme"}, "https://sso.example.com/realms/acme/protocol/openid-connect/token"},
	"linkedin":             {nil, "https://www.linkedin.com/oauth/v2/accessToken"},
	"microsoft_entra":      {map[string]string{"tenant_id": "00000000-0000-0000-0000-000000000001"}, "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token"},
	"microsoft_entra_b2c":  {map[string]string{"tenant_name": "contoso", "policy": "B2C_1_signin"}, "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/token"},
	"okta":                 {map[string]string{"okta_domain": "acme.okta.com"}, "https://acme.okta.com/oauth2/default/v1/token"},
	"okta_org":             {map[string]string{"okta_domain": "acme.oktapreview.com"}, "https://acme.oktapreview.com/oauth2/v1/token"},
	"paypal":               {nil, "https://api-m.paypal.com/v1/oauth2/token"},
	"paypal_sandbox":       {nil, "https://api-m.sandbox.paypal.com/v1/oauth2/token"},
	"salesforce":           {nil, "https://login.salesforce.com/services/oauth2/token"},
	"salesforce_my_domain": {map[string]string{"my_domain": "acme--uat.sandbox"}, "https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token"},
	"salesforce_sandbox":   {nil, "https://test.salesforce.com/services/oauth2/token"},
	"servicenow":           {map[string]string{"instance": "acme"}, "https://acme.service-now.com/oauth_token.do"},
	"slack":                {nil, "https://slack.com/api/oauth.v2.access"},
	"spotify":              {nil, "https://accounts.spotify.com/api/token"},
	"twitch":               {nil, "https://id.twitch.tv/oauth2/token"},
	"xero":                 {nil, "https://identity.xero.com/connect/token"},
	"zendesk":              {map[string]string{"subdomain": "acme"}, "https://acme.zendesk.com/oauth/tokens"},
	"zoom":                 {nil, "https://zoom.us/oauth/token"},
}

func TestResolveEveryPreset(t *testing.T) {
	for name := range examples {
		if _, ok := Lookup(name); !ok {
			t.Errorf("example for unknown preset %q", name)
		}
	}
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			ex, ok := examples[p.Name]
			if !ok {
				t.Fatalf("no example: add %q to examples with its expected token URL", p.Name)
			}
			e, err := p.Resolve(ex.params)
			if err != nil {
				t.Fatal(err)
			}
			if e.TokenURL != ex.tokenURL {
				t.Errorf("token url = %q, want %q", e.TokenURL, ex.tokenURL)
			}
			for what, pair := range map[string][2]string{
				"issuer":               {p.Issuer, e.Issuer},
				"token":                {p.TokenURL, e.TokenURL},
				"authorization":        {p.AuthorizationURL, e.AuthorizationURL},
				"device authorization": {p.DeviceAuthorizationURL, e.DeviceAuthorizationURL},
				"revocation":           {p.RevocationURL, e.RevocationURL},
			} {
				template, got := pair[0], pair[1]
				if (template == "") != (got == "") {
					t.Errorf("%s: template %q resolved to %q", what, template, got)
					continue
				}
				if got == "" {
					continue
				}
				u, err := url.Parse(got)
				if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(got, "{}") {
					t.Errorf("%s url %q is not an absolute https URL without placeholders", what, got)
				}
				if err := oauthclient.ValidateTokenURL(got, false); err != nil {
					t.Errorf("%s url: %v", what, err)
				}
			}
		})
	}
}

// TestPresetRequestsValidate builds an oauthclient.Request from each
// preset's resolved settings for each of its grants, with dummy credentials.
func TestPresetRequestsValidate(t *testing.T) {
	for _, p := range All() {
		e, err := p.Resolve(examples[p.Name].params)
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		for _, g := range p.Grants {
			r := oauthclient.Request{
				TokenURL:       e.TokenURL,
				AuthStyle:      oauthclient.AuthStyle(p.ClientAuth),
				Encoding:       oauthclient.Encoding(p.RequestEncoding),
				ScopeDelimiter: p.ScopeDelimiter,
				ClientID:       "client",
				ClientSecret:   "secret",
				Scopes:         []string{"read", "write"},
			}
			switch g {
			case GrantClientCredentials:
				r.GrantType = oauthclient.GrantClientCredentials
			case GrantPassword:
				r.GrantType, r.Username, r.Password = oauthclient.GrantPassword, "user", "pass"
			case GrantRefreshToken:
				r.GrantType, r.RefreshToken = oauthclient.GrantRefreshToken, "refresh"
			case GrantAuthorizationCode:
				r.GrantType, r.Code, r.RedirectURI = oauthclient.GrantAuthorizationCode, "code", "https://app.example.com/callback"
			case GrantTokenExchange:
				r.GrantType, r.SubjectToken, r.SubjectTokenType = oauthclient.GrantTokenExchange, "subject", oauthclient.TokenTypeJWT
			case GrantJWTBearer:
				r.GrantType, r.Assertion = oauthclient.GrantJWTBearer, "a.b.c"
			}
			if err := r.Validate(); err != nil {
				t.Errorf("%s, %s: %v", p.Name, g, err)
			}
		}
	}
}

func TestResolveDefaultsAndEscaping(t *testing.T) {
	okta, _ := Lookup("okta")
	e, err := okta.Resolve(map[string]string{"okta_domain": "acme.okta.com", "authorization_server_id": "aus1a2b3c"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://acme.okta.com/oauth2/aus1a2b3c/v1/token"; e.TokenURL != want {
		t.Errorf("token url = %q, want %q", e.TokenURL, want)
	}
	// An empty value takes the default.
	e, err = okta.Resolve(map[string]string{"okta_domain": "acme.okta.com", "authorization_server_id": ""})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://acme.okta.com/oauth2/default"; e.Issuer != want {
		t.Errorf("issuer = %q, want %q", e.Issuer, want)
	}

	gitlab, _ := Lookup("gitlab")
	e, err = gitlab.Resolve(map[string]string{"gitlab_host": "git.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://git.example.com:8443/oauth/authorize"; e.AuthorizationURL != want {
		t.Errorf("authorization url = %q, want %q", e.AuthorizationURL, want)
	}

	keycloak, _ := Lookup("keycloak")
	e, err = keycloak.Resolve(map[string]string{"host": "sso.example.com", "realm": "my realm/x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://sso.example.com/realms/my%20realm%2Fx/protocol/openid-connect/token"; e.TokenURL != want {
		t.Errorf("token url = %q, want %q", e.TokenURL, want)
	}

	entra, _ := Lookup("microsoft_entra")
	e, err = entra.Resolve(map[string]string{"tenant_id": "contoso.onmicrosoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"; e.Issuer != want {
		t.Errorf("issuer = %q, want %q", e.Issuer, want)
	}
	if e.RevocationURL != "" {
		t.Errorf("revocation url = %q, want none", e.RevocationURL)
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		preset string
		params map[string]string
		want   []string // substrings of the error
	}{
		{"microsoft_entra", nil, []string{`needs parameter "tenant_id"`, "directory (tenant) ID"}},
		{"microsoft_entra", map[string]string{"tenant_id": ""}, []string{`needs parameter "tenant_id"`}},
		{"keycloak", map[string]string{"host": "sso.example.com"}, []string{`needs parameter "realm"`}},
		{"google", map[string]string{"tenant_id": "x"}, []string{`no parameter "tenant_id"`, "takes no parameters"}},
		{"okta", map[string]string{"okta_domain": "acme.okta.com", "server": "x", "auth_server": "y"}, []string{`"auth_server", "server"`, "known: okta_domain, authorization_server_id"}},
		{"zendesk", map[string]string{"subdomain": "evil.example/x"}, []string{`parameter "subdomain"`, "does not match"}},
		{"okta", map[string]string{"okta_domain": "evil.example"}, []string{`parameter "okta_domain"`, "does not match"}},
		{"auth0", map[string]string{"domain": "acme.auth0.com.evil.example"}, []string{`parameter "domain"`}},
		{"salesforce_my_domain", map[string]string{"my_domain": "acme.evil"}, []string{`parameter "my_domain"`}},
		{"amazon_cognito", map[string]string{"domain_prefix": "acme", "region": "eu-west-1.evil.example"}, []string{`parameter "region"`}},
		{"gitlab", map[string]string{"gitlab_host": "user@evil.example"}, []string{`parameter "gitlab_host"`}},
		{"keycloak", map[string]string{"host": "sso.example.com", "realm": ".."}, []string{`may not be ".."`}},
		{"microsoft_entra", map[string]string{"tenant_id": "../common"}, []string{`parameter "tenant_id"`}},
	} {
		p, ok := Lookup(tc.preset)
		if !ok {
			t.Fatalf("no preset %q", tc.preset)
		}
		_, err := p.Resolve(tc.params)
		if err == nil {
			t.Errorf("%s %v: no error", tc.preset, tc.params)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q does not mention %q", tc.preset, tc.params, err, w)
			}
		}
	}
}

// TestHostParamsCannotLeaveTheirHost feeds every parameter that is part of a
// host values that would point the preset elsewhere.
func TestHostParamsCannotLeaveTheirHost(t *testing.T) {
	hostile := []string{"evil.example/", "evil.example/x", "u@evil.example", "evil.example#", "evil.example?x", "evil.example\\x", "a b", "-a", "%2e"}
	for _, p := range All() {
		for _, prm := range p.Params {
			if !inHost(p, prm.Name) {
				continue
			}
			values := hostile
			if prm.Pattern != hostRE {
				// Not a free host name: another domain is refused too.
				values = append(slices.Clone(hostile), "evil.example", "evil.example:443")
			}
			for _, v := range values {
				params := maps(examples[p.Name].params)
				params[prm.Name] = v
				if e, err := p.Resolve(params); err == nil {
					t.Errorf("%s: %s = %q accepted: token url %q", p.Name, prm.Name, v, e.TokenURL)
				}
			}
		}
	}
}

func inHost(p Preset, name string) bool {
	for _, t := range []string{p.Issuer, p.TokenURL, p.AuthorizationURL, p.DeviceAuthorizationURL, p.RevocationURL} {
		host, _, _ := strings.Cut(strings.TrimPrefix(t, "https://"), "/")
		if strings.Contains(host, "{"+name+"}") {
			return true
		}
	}
	return false
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Every pattern in the table compiles; they are compiled when first used,
// so a bad one would otherwise panic in a user's run.
func TestTablePatternsCompile(t *testing.T) {
	for _, p := range All() {
		for _, prm := range p.Params {
			if prm.Pattern == nil {
				continue
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("preset %q parameter %q: pattern %s does not compile: %v", p.Name, prm.Name, prm.Pattern, r)
					}
				}()
				prm.Pattern.MatchString("")
			}()
		}
	}
	for _, p := range []*Pattern{dnsLabel, hostRE} {
		p.MatchString("")
	}
}
