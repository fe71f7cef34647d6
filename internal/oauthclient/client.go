package oauthclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"
)

// Defaults used when Options leaves a field zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 3
	DefaultExpiryBuffer = 5 * time.Minute
	// MaxResponseBytes caps how much of a token response is read.
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
	// 429 and 5xx. Zero means DefaultMaxRetries; negative means none.
	MaxRetries int
	// ExpiryBuffer is how long a cached token must still be valid to be
	// returned. Zero means DefaultExpiryBuffer.
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
	Transport http.RoundTripper
}

// Client performs token requests. It is safe for concurrent use.
type Client struct {
	opts Options
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	return &Client{opts: opts}, nil
}

// ExpiryBuffer returns the buffer a cached token must outlive.
func (c *Client) ExpiryBuffer() time.Duration {
	if c.opts.ExpiryBuffer == 0 {
		return DefaultExpiryBuffer
	}
	return c.opts.ExpiryBuffer
}

// Token returns a token for req that is valid for longer than the client's
// expiry buffer, from the cache when it holds one.
func (c *Client) Token(ctx context.Context, req Request) (*Token, error) {
	return c.TokenValidFor(ctx, req, c.ExpiryBuffer())
}

// TokenValidFor returns a token for req valid for longer than minValidity,
// from the cache when it holds one; concurrent callers share one request.
func (c *Client) TokenValidFor(ctx context.Context, req Request, minValidity time.Duration) (*Token, error) {
	return c.Exchange(ctx, req)
}

// Exchange always performs the token request, bypassing the cache for reading
// (the answer is still cached). Use it to prove credentials work.
func (c *Client) Exchange(ctx context.Context, req Request) (*Token, error) {
	return nil, errors.New("oauthclient: not implemented")
}
