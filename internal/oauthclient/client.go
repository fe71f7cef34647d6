package oauthclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults used when Options leaves a field zero.
const (
	// DefaultTimeout bounds each HTTP attempt.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRetries is the number of retries after the first attempt.
	DefaultMaxRetries = 3
	// MaxRetriesLimit is the most retries Options.MaxRetries may ask for.
	// With the backoff capped at 5 seconds, 10 retries wait under a minute
	// in all; more would keep a plan waiting on an endpoint that is down.
	MaxRetriesLimit = 10
	// DefaultExpiryBuffer is how long a cached token must still be valid to
	// be returned (RFC 6749 §5.1 expires_in, counted from the answer).
	DefaultExpiryBuffer = 5 * time.Minute
	// MaxResponseBytes caps how much of a token response is read (1 MiB).
	MaxResponseBytes = 1 << 20
)

// Logger receives debug events. Fields never hold a secret: the client
// scrubs them first.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// Options configure a Client.
type Options struct {
	// Timeout bounds each HTTP attempt. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxRetries bounds retries after the first attempt on network errors,
	// 429 and 5xx. Zero means DefaultMaxRetries; negative means none; more
	// than MaxRetriesLimit is an error from New.
	MaxRetries int
	// ExpiryBuffer is how long a cached token must still be valid to be
	// returned. Zero means DefaultExpiryBuffer; negative means no buffer.
	ExpiryBuffer time.Duration
	// CACertPEM holds extra PEM certificates trusted besides the system pool.
	CACertPEM string
	// ClientCertificates are presented for mutual TLS.
	ClientCertificates []tls.Certificate
	// AllowInsecureHTTP permits plain http to hosts other than loopback.
	AllowInsecureHTTP bool
	// Logger, when set, receives scrubbed debug events.
	Logger Logger
	// Transport replaces the cloned default transport (tests, instrumentation).
	// CACertPEM and ClientCertificates are applied to a clone of it when it is
	// an *http.Transport, and are an error otherwise.
	Transport http.RoundTripper
}

// Client performs token requests. It is safe for concurrent use.
//
// The token request is written here rather than delegated to
// golang.org/x/oauth2: that package cannot send JSON bodies, retry with
// backoff, keep secrets out of its errors, refuse redirects, or report
// non-token answers plainly. x/oauth2 still builds authorization URLs and
// PKCE values (see AuthCodeURL).
type Client struct {
	opts     Options
	hc       *http.Client
	timeout  time.Duration
	attempts int

	backoffBase   time.Duration
	backoffMax    time.Duration
	retryAfterMax time.Duration
	sleep         func(context.Context, time.Duration) error

	// authWinners remembers, per token URL and client id, which style
	// AuthAuto found to work.
	authWinners sync.Map
	// certClients holds one HTTP client per request-level client
	// certificate (RFC 8705), keyed by the certificate chain's hash.
	certClients sync.Map
	cache       tokenCache
	group       singleflight.Group

	// metadata holds one *ServerMetadata per issuer (see Discover), kept
	// for the Client's life; discoverGroup shares one fetch among
	// concurrent callers.
	metadata      sync.Map
	discoverGroup singleflight.Group
}

// New returns a Client for opts. The HTTP transport is built once here: a
// clone of http.DefaultTransport with the proxy from the environment, the
// extra CA certificates and the client certificates (RFC 8705 §2 mutual TLS).
// It fails when CACertPEM holds no certificate or MaxRetries exceeds
// MaxRetriesLimit.
func New(opts Options) (*Client, error) {
	if opts.MaxRetries > MaxRetriesLimit {
		return nil, fmt.Errorf("oauthclient: max retries %d exceeds the limit of %d", opts.MaxRetries, MaxRetriesLimit)
	}
	hc, err := newHTTPClient(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:          opts,
		hc:            hc,
		timeout:       opts.Timeout,
		attempts:      1 + opts.MaxRetries, // at most 1 + MaxRetriesLimit: checked above
		backoffBase:   defaultBackoffBase,
		backoffMax:    defaultBackoffMax,
		retryAfterMax: defaultRetryAfterMax,
		sleep:         sleepCtx,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case opts.MaxRetries == 0:
		c.attempts = 1 + DefaultMaxRetries
	case opts.MaxRetries < 0:
		c.attempts = 1
	}
	return c, nil
}

// ExpiryBuffer returns the buffer a cached token must outlive.
func (c *Client) ExpiryBuffer() time.Duration {
	switch {
	case c.opts.ExpiryBuffer == 0:
		return DefaultExpiryBuffer
	case c.opts.ExpiryBuffer < 0:
		return 0
	}
	return c.opts.ExpiryBuffer
}

// Token returns a token for req that is valid for longer than the client's
// expiry buffer (RFC 6749 §5.1 expires_in), from the cache when it holds one.
// See TokenValidFor.
func (c *Client) Token(ctx context.Context, req Request) (*Token, error) {
	return c.TokenValidFor(ctx, req, c.ExpiryBuffer())
}

// TokenValidFor returns a token for req valid for longer than minValidity,
// from the cache when it holds one; concurrent callers share one request.
// The cache is keyed by a SHA-256 hash of every field of req, secrets
// included. A token whose expiry is unknown (no expires_in, RFC 6749 §5.1)
// counts as valid. A freshly fetched token is returned even when its whole
// lifetime is shorter than minValidity.
//
// The returned Token may be shared with other callers: treat it as read-only.
func (c *Client) TokenValidFor(ctx context.Context, req Request, minValidity time.Duration) (*Token, error) {
	key := requestKey(&req)
	if tok := c.cache.get(key); tok != nil && tok.ValidFor(timeNow(), minValidity) {
		if c.opts.Logger != nil {
			c.logCacheHit(ctx, RedactURL(req.TokenURL), req.GrantType, tok)
		}
		return tok, nil
	}
	return c.fetchShared(ctx, req, key, minValidity)
}

// Exchange always performs the token request (RFC 6749 §3.2), bypassing the
// cache for reading (the answer is still cached). Use it to prove credentials
// work. It returns an *Error when the server refuses (RFC 6749 §5.2) or
// answers with something that is not a token response, an
// *AuthFallbackError when AuthAuto saw both styles refused, and otherwise an
// error that wraps the cause (context.Canceled, a network error). No error
// text holds a secret.
func (c *Client) Exchange(ctx context.Context, req Request) (*Token, error) {
	tok, err := c.exchange(ctx, &req)
	if err != nil {
		return nil, err
	}
	c.cache.put(requestKey(&req), tok)
	return tok, nil
}

// leaderGone marks a shared fetch abandoned because the caller that started
// it was cancelled; the other callers start their own.
type leaderGone struct{ err error }

func (e *leaderGone) Error() string { return e.err.Error() }
func (e *leaderGone) Unwrap() error { return e.err }

func (c *Client) fetchShared(ctx context.Context, req Request, key cacheKey, minValidity time.Duration) (*Token, error) {
	flight := string(key[:])
	for {
		ch := c.group.DoChan(flight, func() (any, error) {
			// Another flight may have just stored a token.
			if tok := c.cache.get(key); tok != nil && tok.ValidFor(timeNow(), minValidity) {
				return tok, nil
			}
			tok, err := c.exchange(ctx, &req)
			if err != nil {
				if ctx.Err() != nil {
					return nil, &leaderGone{err: err}
				}
				return nil, err
			}
			c.cache.put(key, tok)
			return tok, nil
		})
		select {
		case <-ctx.Done():
			return nil, cancelled(RedactURL(req.TokenURL), ctx.Err())
		case res := <-ch:
			if res.Err != nil {
				var lg *leaderGone
				if errors.As(res.Err, &lg) {
					if ctx.Err() == nil {
						continue
					}
					return nil, lg.err
				}
				return nil, res.Err
			}
			tok, ok := res.Val.(*Token)
			if !ok {
				return nil, fmt.Errorf("oauthclient: internal error: shared token request returned %T, not *Token", res.Val)
			}
			return tok, nil
		}
	}
}

// cancelled reports a request stopped by its context; tokenURL is shown as
// given, so pass it through RedactURL first.
func cancelled(tokenURL string, err error) error {
	return &scrubbedError{msg: fmt.Sprintf("oauthclient: token request to %q stopped: %v", tokenURL, err), err: err}
}

// exchange performs one logical token request: client authentication
// detection, retries, parsing and redaction.
func (c *Client) exchange(ctx context.Context, req *Request) (*Token, error) {
	p, err := req.prepare()
	if err != nil {
		return nil, err
	}
	if p.scheme == "http" && !c.opts.AllowInsecureHTTP && !isLoopback(p.host) {
		return nil, fmt.Errorf("oauthclient: token url uses plain http to host %q; use https, or allow insecure http explicitly (RFC 6749 §3.2 requires TLS)", p.host)
	}
	rd := newRedactor(req)
	rd.add(urlSecrets(p.tokenURL)...)
	rd.keepHost(p.hostPort, p.host)
	p.rd = rd

	if (p.style == AuthTLSClient || p.style == AuthSelfSignedTLS) && req.ClientCertificate == nil && len(c.opts.ClientCertificates) == 0 {
		return nil, fmt.Errorf("oauthclient: client authentication %q needs a client certificate (RFC 8705 §2); configure one for the request or the client", p.style)
	}

	styles := []AuthStyle{p.style}
	probing := false
	var winnerKey string
	if p.style == AuthAuto {
		winnerKey = p.tokenURL + "\x00" + req.ClientID
		switch req.GrantType {
		case GrantAuthorizationCode:
			// An authorization code is single-use (RFC 6749 §4.1.2):
			// never present it a second time with another style.
			styles[0] = AuthBasic
		default:
			// Only AuthStyle values are stored; anything else is treated
			// as no recorded winner.
			w, _ := c.authWinners.Load(winnerKey)
			if style, ok := w.(AuthStyle); ok {
				styles[0] = style
			} else {
				styles = []AuthStyle{AuthBasic, AuthPost}
				probing = true
			}
		}
	}

	var basicErr error
	for i, style := range styles {
		tok, err := c.send(ctx, p, style, rd)
		if err == nil {
			if probing {
				c.authWinners.Store(winnerKey, style)
			}
			if req.GrantType == GrantRefreshToken {
				// RFC 6749 §6: the server may issue a new refresh token;
				// when it does not, the presented one stays valid.
				if tok.RefreshToken == "" {
					tok.RefreshToken = req.RefreshToken
				} else if tok.RefreshToken != req.RefreshToken {
					tok.RefreshTokenRotated = true
				}
			}
			return tok, nil
		}
		if probing && i == 0 && isClientAuthFailure(err) {
			basicErr = err
			c.log(ctx, "token request client authentication fallback", p, rd, map[string]any{"from": string(AuthBasic), "to": string(AuthPost)})
			continue
		}
		if basicErr != nil {
			return nil, &AuthFallbackError{Basic: basicErr, Post: err}
		}
		return nil, err
	}
	return nil, errors.New("oauthclient: no client authentication style to try")
}

// isClientAuthFailure reports an answer that refuses the client's
// authentication: RFC 6749 §5.2 invalid_client, or a 401 that names no error.
// A 401 naming another error (some servers answer invalid_grant with 401) is
// about the grant, and presenting the same grant again in the body would only
// spend it twice.
func isClientAuthFailure(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == "invalid_client" || (e.StatusCode == http.StatusUnauthorized && e.Code == "")
}

// AuthFallbackError is returned when AuthAuto tried HTTP Basic and then the
// request body (RFC 6749 §2.3.1) and the server refused both. The first
// refusal is the cause: it answered the client's credentials as configured,
// while the second often only complains about the fallback itself
// ("client_secret_post was requested"). A wrong secret has then been
// presented twice, which counts twice toward a server's lockout threshold;
// an explicit AuthBasic or AuthPost presents it once.
type AuthFallbackError struct {
	// Basic and Post are the failures of each style, in the order tried.
	Basic, Post error
}

// Error reports the HTTP Basic refusal and says that the body was also
// tried, without secrets.
func (e *AuthFallbackError) Error() string {
	return e.Basic.Error() + " (with HTTP Basic client authentication, client_secret_basic; auto then also tried " +
		"the secret in the request body, client_secret_post, and was refused too: " + briefRefusal(e.Post) + ")"
}

// Unwrap returns both failures, the cause (HTTP Basic) first, so that
// errors.As finds it.
func (e *AuthFallbackError) Unwrap() []error { return []error{e.Basic, e.Post} }

// briefRefusal is the second refusal of an AuthFallbackError, without the
// endpoint the first already names.
func briefRefusal(err error) string {
	var oe *Error
	if errors.As(err, &oe) {
		s := fmt.Sprintf("status %d", oe.StatusCode)
		switch {
		case oe.Code != "":
			s += ", " + oe.Code
			if oe.Description != "" {
				s += ": " + oe.Description
			}
		case oe.Reason != "":
			s += ", " + oe.Reason
		}
		return s
	}
	return strings.TrimPrefix(err.Error(), "oauthclient: ")
}

// send performs the request with one client authentication style, retrying
// network errors, 429 and 5xx with backoff.
func (c *Client) send(ctx context.Context, p *prepared, style AuthStyle, rd *redactor) (*Token, error) {
	hc, err := c.httpClientFor(p.req)
	if err != nil {
		return nil, err
	}
	signer := &assertionSigner{now: timeNow, rd: rd}
	build := func() ([]byte, string, error) {
		params, err := p.params(style, signer)
		if err != nil {
			return nil, "", err
		}
		return encodeBody(p.encoding, params)
	}
	body, contentType, err := build()
	if err != nil {
		return nil, err
	}
	// An authorization code is single-use: repeat it only when the server
	// certainly did not process it (429, or no connection at all).
	singleUse := p.req.GrantType == GrantAuthorizationCode

	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, cancelled(p.shownURL(), err)
		}
		if attempt > 1 && p.signs(style) {
			// An assertion is never replayed (RFC 7523 §3 item 7): every
			// attempt signs its own, with a new jti, iat and exp.
			if body, contentType, err = build(); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		status, header, data, err := c.roundTrip(ctx, hc, p, style, body, contentType)
		var (
			result     error
			retry      bool
			retryAfter time.Duration
			hasRA      bool
			tok        *Token
		)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, cancelled(p.shownURL(), ctx.Err())
		case errors.Is(err, ErrBodyTooLarge):
			result = &Error{TokenURL: p.shownURL(), StatusCode: status,
				Reason: fmt.Sprintf("the response exceeded the 1 MiB limit (%d bytes) and was not read further", MaxResponseBytes), cause: ErrBodyTooLarge}
		case err != nil:
			result = c.networkError(p, err, attempt, rd)
			retry = (!singleUse || isDialError(err)) && !isPermanentTransportError(err)
		case status >= 300 && status < 400:
			result = &Error{TokenURL: p.shownURL(), StatusCode: status, Reason: redirectReason(p, status, header.Get("Location"), rd)}
		default:
			var e *Error
			tok, e = parseTokenResponse(status, header.Get("Content-Type"), data, timeNow(), rd)
			if e != nil {
				e.TokenURL = p.shownURL()
				result = e
				if retryableStatus(status) {
					retry = !singleUse || status == http.StatusTooManyRequests
					retryAfter, hasRA = parseRetryAfter(header.Get("Retry-After"), timeNow())
				}
			}
		}
		c.logAttempt(ctx, p, style, rd, attempt, status, time.Since(start), result)
		if result == nil {
			return tok, nil
		}
		if !retry || attempt >= c.attempts {
			return nil, result
		}
		wait := backoff(c.backoffBase, c.backoffMax, attempt)
		if hasRA {
			wait = max(wait, min(retryAfter, c.retryAfterMax))
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Waiting would outlast the caller: report what the server said.
			return nil, result
		}
		c.log(ctx, "token request retry", p, rd, map[string]any{"attempt": attempt, "wait_ms": wait.Milliseconds()})
		if err := c.sleep(ctx, wait); err != nil {
			return nil, cancelled(p.shownURL(), err)
		}
	}
}

// roundTrip sends one attempt and reads at most MaxResponseBytes of the
// answer; a larger answer yields ErrBodyTooLarge without reading the rest.
func (c *Client) roundTrip(ctx context.Context, hc *http.Client, p *prepared, style AuthStyle, body []byte, contentType string) (int, http.Header, []byte, error) {
	return c.doOnce(ctx, hc, http.MethodPost, p.tokenURL, body, func(hreq *http.Request) {
		hreq.Header.Set("Content-Type", contentType)
		hreq.Header.Set("Accept", "application/json")
		if style == AuthBasic {
			// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
			hreq.SetBasicAuth(url.QueryEscape(p.req.ClientID), url.QueryEscape(p.req.ClientSecret))
		}
	})
}

// doOnce sends one attempt of any request the client makes (token,
// discovery, revocation) within the per-attempt timeout, with the headers
// header sets, and reads at most MaxResponseBytes of the answer; a larger
// answer yields its status and ErrBodyTooLarge without reading the rest.
func (c *Client) doOnce(ctx context.Context, hc *http.Client, method, target string, body []byte, header func(*http.Request)) (int, http.Header, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(actx, method, target, rdr)
	if err != nil {
		return 0, nil, nil, err
	}
	header(hreq)
	resp, err := hc.Do(hreq)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	if len(data) > MaxResponseBytes {
		return resp.StatusCode, resp.Header, nil, ErrBodyTooLarge
	}
	return resp.StatusCode, resp.Header, data, nil
}

func (c *Client) networkError(p *prepared, err error, attempt int, rd *redactor) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	what := inner.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		what = fmt.Sprintf("no answer within the %s timeout", c.timeout)
	}
	// The message is composed around the scrubbed network text, so that
	// the endpoint and the attempt count are never scrubbed.
	return &scrubbedError{
		msg: fmt.Sprintf("oauthclient: token request to %q failed after %d attempt(s): %s", p.shownURL(), attempt, rd.serverText(what, maxNetworkText)),
		err: err,
	}
}

// redirectReason names only the target host of a refused redirect: as it
// is when it is the token URL's own host, else cleaned and scrubbed like
// any server text (a Location header can echo anything).
func redirectReason(p *prepared, status int, location string, rd *redactor) string {
	host := ""
	if base, err := url.Parse(p.tokenURL); err == nil {
		if u, err := base.Parse(location); err == nil {
			host = u.Host
		}
	}
	shown := strconv.Quote(host)
	if host != p.hostPort && host != p.host {
		shown = rd.quoteServerText(host, maxServerText)
	}
	return fmt.Sprintf("the token endpoint answered with a redirect (status %d) to host %s; a token request carries credentials and is never redirected, so set the token url to the final address", status, shown)
}

func (c *Client) log(ctx context.Context, msg string, p *prepared, rd *redactor, extra map[string]any) {
	if c.opts.Logger == nil {
		return
	}
	fields := map[string]any{
		"token_url":  p.shownURL(),
		"grant_type": rd.scrub(p.grant),
	}
	for k, v := range extra {
		fields[k] = v
	}
	c.opts.Logger(ctx, msg, fields)
}

func (c *Client) logAttempt(ctx context.Context, p *prepared, style AuthStyle, rd *redactor, attempt, status int, d time.Duration, err error) {
	if c.opts.Logger == nil {
		return
	}
	extra := map[string]any{
		"auth_style":  string(style),
		"encoding":    string(p.encoding),
		"attempt":     attempt,
		"status":      status,
		"duration_ms": d.Milliseconds(),
	}
	if err != nil {
		// Built from scrubbed parts: scrubbing the whole again could
		// mangle the endpoint's port or the attempt count.
		extra["error"] = err.Error()
	}
	c.log(ctx, "token request", p, rd, extra)
}

func (c *Client) logCacheHit(ctx context.Context, tokenURL string, grant GrantType, tok *Token) {
	fields := map[string]any{"token_url": tokenURL, "grant_type": string(grant), "expiry_known": tok.ExpiryKnown()}
	if tok.ExpiryKnown() {
		fields["expires_in_s"] = int64(tok.Expiry.Sub(timeNow()) / time.Second)
	}
	c.opts.Logger(ctx, "token cache hit", fields)
}
