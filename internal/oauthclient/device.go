package oauthclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultDevicePollInterval is how long PollDeviceToken waits between polls
// when the device authorization response names no interval (RFC 8628 §3.2).
const DefaultDevicePollInterval = 5 * time.Second

// deviceSlowDownStep is how much a slow_down answer lengthens the polling
// interval, for that poll and every later one (RFC 8628 §3.5).
const deviceSlowDownStep = 5 * time.Second

// Errors of the device authorization grant, to test with errors.Is. The
// error PollDeviceToken returns also holds the server's *Error, when the
// server said so.
var (
	// ErrDeviceAccessDenied: the user denied the authorization request
	// (RFC 8628 §3.5 access_denied).
	ErrDeviceAccessDenied = errors.New("oauthclient: the user denied the device authorization request")
	// ErrDeviceExpired: the device code expired before the user approved
	// it, as the server said (RFC 8628 §3.5 expired_token) or as the
	// expires_in of the device authorization response says.
	ErrDeviceExpired = errors.New("oauthclient: the device code expired before the user approved it")
)

// DeviceAuthorizationRequest starts the device authorization grant (RFC
// 8628 §3.1): the device asks for a device code and a user code.
type DeviceAuthorizationRequest struct {
	// DeviceAuthorizationURL is the device authorization endpoint, such as
	// a discovered ServerMetadata's device_authorization_endpoint.
	DeviceAuthorizationURL string
	// ClientID is required (RFC 8628 §3.1); ClientSecret authenticates a
	// confidential client as at the token endpoint.
	ClientID     string
	ClientSecret string
	// AuthStyle is how the client authenticates, as for token requests:
	// AuthBasic, AuthPost, AuthClientSecretJWT, AuthNone (client_id in the
	// body), or AuthTLSClient and AuthSelfSignedTLS with the Client's
	// certificates. Empty or AuthAuto means AuthBasic with a secret and
	// AuthNone without; unlike a token request, it never probes.
	AuthStyle AuthStyle
	// Scopes are joined with ScopeDelimiter (empty means
	// DefaultScopeDelimiter) into the scope parameter.
	Scopes         []string
	ScopeDelimiter string
	// ExtraParams are added to the request; a key the request already sets
	// is an error.
	ExtraParams map[string]string
}

// DeviceAuthorization is a device authorization response (RFC 8628 §3.2).
type DeviceAuthorization struct {
	// DeviceCode is what the device polls with; a secret, never shown.
	DeviceCode string
	// UserCode is what the user enters at VerificationURI.
	UserCode string
	// VerificationURI is where the user goes (RFC 8628 §3.3), and
	// VerificationURIComplete, when the server sent one, the same with the
	// user code filled in (§3.3.1).
	VerificationURI         string
	VerificationURIComplete string
	// ExpiresIn is the lifetime of the codes in seconds; 0 when the server
	// sent none, and then Expiry is zero and only the server decides when
	// polling ends.
	ExpiresIn int64
	// Interval is the minimum time between polls in seconds; 5 when the
	// server sent none (RFC 8628 §3.2).
	Interval int64
	// Expiry is when the codes expire, computed when the answer arrived.
	Expiry time.Time
}

// AuthorizeDevice asks the device authorization endpoint for a device code
// and a user code (RFC 8628 §3.1): a form POST of client_id (or the client's
// authentication) and scope. Show the user UserCode and VerificationURI (or
// VerificationURIComplete), then call PollDeviceToken. Network errors, 429
// and 5xx are retried as for a token request. A refusal is an *Error in the
// RFC 6749 §5.2 shape (RFC 8628 §3.2); so is an answer that lacks
// device_code, user_code or verification_uri. The device code and the
// client's secret never appear in an error or a log event.
func (c *Client) AuthorizeDevice(ctx context.Context, r DeviceAuthorizationRequest) (*DeviceAuthorization, error) {
	p, style, err := r.prepare()
	if err != nil {
		return nil, err
	}
	if p.scheme == "http" && !c.opts.AllowInsecureHTTP && !isLoopback(p.host) {
		return nil, fmt.Errorf("oauthclient: device authorization url uses plain http to host %q; use https, or allow insecure http explicitly (RFC 8628 §3.1 requires TLS)", p.host)
	}
	if (style == AuthTLSClient || style == AuthSelfSignedTLS) && len(c.opts.ClientCertificates) == 0 {
		return nil, fmt.Errorf("oauthclient: client authentication %q needs a client certificate (RFC 8705 §2); configure one for the client", style)
	}
	rd := newRedactor(p.req)
	rd.add(urlSecrets(p.tokenURL)...)
	rd.keepHost(p.hostPort, p.host)
	p.rd = rd

	hc, err := c.httpClientFor(p.req)
	if err != nil {
		return nil, err
	}
	signer := &assertionSigner{now: timeNow, rd: rd}
	ec := &endpointCall{
		what: "device authorization request", method: http.MethodPost, url: p.tokenURL, shown: p.shownURL(), hc: hc, rd: rd,
		build: func() ([]byte, func(*http.Request), error) {
			form, err := p.deviceParams(style, signer)
			if err != nil {
				return nil, nil, err
			}
			return []byte(form.Encode()), func(h *http.Request) {
				h.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				h.Header.Set("Accept", "application/json")
				if style == AuthBasic {
					// RFC 6749 §2.3.1: id and secret are form-encoded
					// before Basic.
					h.SetBasicAuth(url.QueryEscape(r.ClientID), url.QueryEscape(r.ClientSecret))
				}
			}, nil
		},
		logFields: map[string]any{"auth_style": string(style)},
	}
	ans, err := c.do(ctx, ec)
	if err != nil {
		return nil, err
	}
	const kind = "device authorization endpoint"
	fail := func(status int, reason string) error {
		return &Error{TokenURL: ec.shown, StatusCode: status, endpoint: kind, Reason: reason}
	}
	switch {
	case ans.tooLarge:
		return nil, &Error{TokenURL: ec.shown, StatusCode: ans.status, endpoint: kind, cause: ErrBodyTooLarge,
			Reason: fmt.Sprintf("the response exceeded the 1 MiB limit (%d bytes) and was not read further", MaxResponseBytes)}
	case ans.status >= 300 && ans.status < 400:
		u, _ := url.Parse(p.tokenURL) // parsed by prepare
		return nil, fail(ans.status, fmt.Sprintf("the device authorization endpoint answered with a redirect (status %d) to %s; the request carries the client's credentials "+
			"and is never redirected, so set the device authorization url to the final address", ans.status, redirectTarget(u, ans.header.Get("Location"), rd)))
	}
	// The device code must stay out of every message built from the
	// answer, whatever shape it has.
	fields := registerDeviceCode(ans.data, rd)
	switch {
	case ans.status < 200 || ans.status > 299 || (fields != nil && fields["error"] != nil):
		// RFC 8628 §3.2: errors take the RFC 6749 §5.2 shape; a 200
		// carrying "error" is one too.
		e := endpointError(ans, rd, kind)
		e.TokenURL = ec.shown
		return nil, e
	case fields == nil:
		_, detail := answerDetail(ans.header.Get("Content-Type"), ans.data, rd)
		return nil, fail(ans.status, fmt.Sprintf("the device authorization endpoint answered with status %d and %s, not a device authorization response", ans.status, detail))
	}
	return parseDeviceAuthorization(fields, ans.status, rd, fail)
}

// looseDeviceCode finds device_code values in text that is not a JSON
// object, JSON-like or form-like, as looseTokenField finds tokens.
var looseDeviceCode = regexp.MustCompile(`(?i)\bdevice_code["']?\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"?|([^\s&,;}"']+))`)

// registerDeviceCode registers the device code of an answer with rd, from
// the JSON object the answer is, which it returns, or found by name in
// anything else.
func registerDeviceCode(body []byte, rd *redactor) map[string]any {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	var fields map[string]any
	d := json.NewDecoder(bytes.NewReader(trimmed))
	d.UseNumber()
	if err := d.Decode(&fields); err != nil || d.More() {
		fields = nil
	}
	if s, ok := fields["device_code"].(string); ok {
		rd.add(s)
	}
	rd.addAnswer(fields)
	for _, m := range looseDeviceCode.FindAllStringSubmatch(string(trimmed), -1) {
		rd.add(m[1], m[2])
		var s string
		if m[1] != "" && json.Unmarshal([]byte(`"`+m[1]+`"`), &s) == nil {
			rd.add(s)
		}
		if v, err := url.QueryUnescape(m[2]); err == nil {
			rd.add(v)
		}
	}
	return fields
}

// parseDeviceAuthorization reads a successful device authorization
// response (RFC 8628 §3.2). Google's verification_url stands in for
// verification_uri.
func parseDeviceAuthorization(fields map[string]any, status int, rd *redactor, fail func(int, string) error) (*DeviceAuthorization, error) {
	str := func(name string) (string, error) {
		switch v := fields[name].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		default:
			return "", fail(status, fmt.Sprintf("the device authorization endpoint answered with status %d but %s is not a string", status, name))
		}
	}
	a := &DeviceAuthorization{}
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"device_code", &a.DeviceCode}, {"user_code", &a.UserCode},
		{"verification_uri", &a.VerificationURI}, {"verification_uri_complete", &a.VerificationURIComplete},
	} {
		if *f.dst, err = str(f.name); err != nil {
			return nil, err
		}
	}
	if a.VerificationURI == "" {
		if a.VerificationURI, err = str("verification_url"); err != nil {
			return nil, err
		}
	}
	for _, req := range []struct{ name, v string }{
		{"device_code", a.DeviceCode}, {"user_code", a.UserCode}, {"verification_uri", a.VerificationURI},
	} {
		if req.v == "" {
			return nil, fail(status, fmt.Sprintf("the device authorization endpoint answered with status %d but the response has no %s (RFC 8628 §3.2): %s",
				status, req.name, rd.describeFields(fields)))
		}
	}
	// The user opens these in a browser: only web addresses will do.
	for _, u := range []struct{ name, v string }{
		{"verification_uri", a.VerificationURI}, {"verification_uri_complete", a.VerificationURIComplete},
	} {
		if u.v == "" {
			continue
		}
		if pu, err := url.Parse(u.v); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return nil, fail(status, fmt.Sprintf("the device authorization endpoint answered with status %d but %s %s is not an http or https URL",
				status, u.name, rd.quoteServerText(u.v, maxServerText)))
		}
	}
	now := timeNow()
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"expires_in", &a.ExpiresIn}, {"interval", &a.Interval}} {
		v, ok := fields[n.name]
		if !ok || v == nil || v == "" {
			continue
		}
		secs, perr := parseExpiresIn(v)
		if perr != nil {
			return nil, fail(status, fmt.Sprintf("the device authorization endpoint answered with status %d but %s",
				status, strings.Replace(perr(rd), "expires_in", n.name, 1)))
		}
		*n.dst = min(secs, maxExpiresIn)
	}
	if a.ExpiresIn > 0 {
		a.Expiry = now.Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	if a.Interval <= 0 {
		a.Interval = int64(DefaultDevicePollInterval / time.Second)
	}
	return a, nil
}

// prepare checks r and returns it as a prepared token request (the device
// authorization URL in place of the token URL) for the client
// authentication code paths, with the resolved style.
func (r *DeviceAuthorizationRequest) prepare() (*prepared, AuthStyle, error) {
	if r.DeviceAuthorizationURL == "" {
		return nil, "", errors.New("oauthclient: device authorization url is required")
	}
	u, err := parseEndpoint("device authorization url", r.DeviceAuthorizationURL)
	if err != nil {
		return nil, "", err
	}
	if r.ClientID == "" {
		return nil, "", errors.New("oauthclient: the device authorization request needs a client id (RFC 8628 §3.1)")
	}
	style := r.AuthStyle
	switch style {
	case "", AuthAuto:
		style = AuthNone
		if r.ClientSecret != "" {
			style = AuthBasic
		}
	case AuthBasic, AuthPost, AuthClientSecretJWT:
		if r.ClientSecret == "" {
			return nil, "", fmt.Errorf("oauthclient: client authentication %q needs a client secret (RFC 6749 §2.3.1)", style)
		}
	case AuthNone, AuthTLSClient, AuthSelfSignedTLS:
		if r.ClientSecret != "" {
			return nil, "", fmt.Errorf("oauthclient: a client secret is set but client authentication is %q, which would not send it", style)
		}
	case AuthPrivateKeyJWT:
		return nil, "", errors.New("oauthclient: a device authorization request carries no signing key for private_key_jwt; use a client secret, a client certificate or a public client")
	default:
		return nil, "", fmt.Errorf("oauthclient: unknown client authentication style %q (want one of %s)", r.AuthStyle, strings.Join(authStyleNames(), ", "))
	}
	req := &Request{
		TokenURL:       r.DeviceAuthorizationURL,
		AuthStyle:      style,
		ClientID:       r.ClientID,
		ClientSecret:   r.ClientSecret,
		Scopes:         r.Scopes,
		ScopeDelimiter: r.ScopeDelimiter,
		ExtraParams:    r.ExtraParams,
	}
	p := &prepared{
		req: req, tokenURL: r.DeviceAuthorizationURL, display: RedactURL(r.DeviceAuthorizationURL),
		host: u.Hostname(), hostPort: u.Host, scheme: u.Scheme, style: style, encoding: EncodingForm,
	}
	if len(r.Scopes) > 0 {
		delim := r.ScopeDelimiter
		if delim == "" {
			delim = DefaultScopeDelimiter
		}
		p.scope = strings.Join(r.Scopes, delim)
	}
	// Check the parameter names once, with a placeholder assertion.
	if _, err := p.deviceParams(style, nil); err != nil {
		return nil, "", err
	}
	return p, style, nil
}

// deviceParams is the body of a device authorization request (RFC 8628
// §3.1): scope, the client's authentication and the extra parameters.
func (p *prepared) deviceParams(style AuthStyle, sign *assertionSigner) (url.Values, error) {
	form := url.Values{}
	if p.scope != "" {
		form.Set("scope", p.scope)
	}
	// A fresh assertion for every attempt (RFC 7523 §3 item 7).
	// With AuthBasic client_id travels in the header: RFC 8628 §3.1 wants
	// it in the body only from a client that does not authenticate.
	if err := p.addClientAuth(form, style, sign); err != nil {
		return nil, err
	}
	for k, v := range p.req.ExtraParams {
		if k == "" {
			return nil, errors.New("oauthclient: extra parameter with an empty name")
		}
		if form.Has(k) || k == "client_id" || k == "client_secret" {
			return nil, fmt.Errorf("oauthclient: extra parameter %q conflicts with a parameter the request already sets", k)
		}
		form.Set(k, v)
	}
	return form, nil
}

// deviceError is a refusal of the device access token request that means
// the grant is over: its text is the server's answer, and errors.Is finds
// both the answer (*Error) and the sentinel.
type deviceError struct {
	err      error
	sentinel error
}

func (e *deviceError) Error() string   { return e.err.Error() }
func (e *deviceError) Unwrap() []error { return []error{e.err, e.sentinel} }

// PollDeviceToken polls the token endpoint for the token of a device
// authorization (RFC 8628 §3.4) until the user approves it, and returns the
// token, cached as Exchange caches it. token holds the token URL and the
// client's authentication as for any token request; its GrantType and
// DeviceCode may be left empty (they default to GrantDeviceCode and
// auth.DeviceCode). AuthAuto with a client id and no other credential means
// AuthNone, as for AuthorizeDevice.
//
// It waits auth.Interval seconds (5 when unset) before every poll, the
// first included, and treats authorization_pending as "poll again" and
// slow_down as "poll again, 5 seconds more patiently, from now on" (RFC
// 8628 §3.5). access_denied returns an error that errors.Is matches with
// ErrDeviceAccessDenied; expired_token, or auth.Expiry passing (or coming
// before the next poll is due), one that matches ErrDeviceExpired. Any
// other refusal is returned as Exchange returns it, and so is the
// cancellation of ctx, which stops the wait at once. The device code never
// appears in an error or a log event.
func (c *Client) PollDeviceToken(ctx context.Context, token Request, auth *DeviceAuthorization) (*Token, error) {
	if auth == nil || auth.DeviceCode == "" {
		return nil, errors.New("oauthclient: polling for a device token needs the device code of a device authorization (RFC 8628 §3.4)")
	}
	switch token.GrantType {
	case "":
		token.GrantType = GrantDeviceCode
	case GrantDeviceCode:
	default:
		return nil, fmt.Errorf("oauthclient: polling for a device token uses the device code grant, not %q", token.GrantType)
	}
	switch token.DeviceCode {
	case "":
		token.DeviceCode = auth.DeviceCode
	case auth.DeviceCode:
	default:
		return nil, errors.New("oauthclient: the request's device code is not the device authorization's")
	}
	// The token is cached under the request as given, the defaults above
	// filled in; send is what is sent.
	send := token
	if (send.AuthStyle == "" || send.AuthStyle == AuthAuto) && send.ClientID != "" && send.ClientSecret == "" &&
		send.ClientKey == nil && send.ClientAssertion == "" && send.ClientCertificate == nil {
		// A device is most often a public client (RFC 8628 §3.4): as
		// AuthorizeDevice does, AuthAuto sends client_id in the body
		// rather than HTTP Basic with an empty secret.
		send.AuthStyle = AuthNone
	}
	// Refuse a request that cannot be sent before waiting for the user.
	p, err := send.prepare()
	if err != nil {
		return nil, err
	}
	p.rd = newRedactor(&send)

	interval := DefaultDevicePollInterval
	if auth.Interval > 0 {
		interval = time.Duration(min(auth.Interval, maxExpiresIn)) * time.Second
	}
	expired := func(when string) error {
		return &scrubbedError{
			msg: fmt.Sprintf("oauthclient: the device code expired at %s %s; start a new device authorization (RFC 8628 §3.5)",
				auth.Expiry.Format(time.RFC3339), when),
			err: ErrDeviceExpired,
		}
	}
	for poll := 1; ; poll++ {
		if err := ctx.Err(); err != nil {
			return nil, cancelled(p.shownURL(), err)
		}
		if !auth.Expiry.IsZero() {
			now := timeNow()
			if !now.Before(auth.Expiry) {
				return nil, expired("before the user approved it")
			}
			if !now.Add(interval).Before(auth.Expiry) {
				return nil, expired(fmt.Sprintf("before the next poll, due in %s, so the user can no longer approve it", interval))
			}
		}
		c.log(ctx, "device token poll wait", p, p.rd, map[string]any{"poll": poll, "wait_ms": interval.Milliseconds()})
		if err := c.sleep(ctx, interval); err != nil {
			return nil, cancelled(p.shownURL(), err)
		}
		tok, err := c.exchange(ctx, &send)
		if err == nil {
			c.cache.put(requestKey(&token), tok)
			return tok, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return nil, err
		}
		switch e.Code {
		case "authorization_pending":
		case "slow_down":
			interval += deviceSlowDownStep
		case "access_denied":
			return nil, &deviceError{err: err, sentinel: ErrDeviceAccessDenied}
		case "expired_token":
			return nil, &deviceError{err: err, sentinel: ErrDeviceExpired}
		default:
			return nil, err
		}
	}
}
