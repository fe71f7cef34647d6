package oauthclient

import "strings"

// Endpoint returns the token URL the request is sent to: TokenURL with its
// "{tenant_id}" placeholder filled from TenantID. A placeholder without a
// tenant id is left as it is; Validate reports it.
func (r Request) Endpoint() string {
	if r.TenantID == "" {
		return r.TokenURL
	}
	u, err := fillTenant("token url", r.TokenURL, r.TenantID)
	if err != nil {
		return r.TokenURL
	}
	return u
}

// Delimiter returns the scope delimiter the request uses: ScopeDelimiter,
// or DefaultScopeDelimiter when it is empty.
func (r Request) Delimiter() string {
	if r.ScopeDelimiter == "" {
		return DefaultScopeDelimiter
	}
	return r.ScopeDelimiter
}

// ScopeParam returns the scope parameter the request sends (RFC 6749 §3.3):
// Scope verbatim, else Scopes joined with Delimiter, else "".
func (r Request) ScopeParam() string {
	if r.Scope != "" {
		return r.Scope
	}
	return strings.Join(r.Scopes, r.Delimiter())
}
