package oauthclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
)

// Backoff between attempts: exponential from defaultBackoffBase, capped at
// defaultBackoffMax, with jitter; a Retry-After answer (RFC 9110 §10.2.3) is
// honoured up to defaultRetryAfterMax.
const (
	defaultBackoffBase   = 200 * time.Millisecond
	defaultBackoffMax    = 5 * time.Second
	defaultRetryAfterMax = 30 * time.Second
)

// parseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3). A date in the past means no delay.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		var secs int64
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if secs < 1<<32 { // far beyond any cap; stops overflow
				secs = secs*10 + int64(c-'0')
			}
		}
		return time.Duration(min(secs, 1<<32)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// backoff returns the wait before retry n (1 for the first retry): base
// doubled per retry, capped, then jittered into [d/2, d].
func backoff(base, maxWait time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryableStatus reports statuses worth another attempt: 429 and 5xx.
// 400, 401 and 403 answer the credentials and never change on retry.
func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// isDialError reports a failure to connect: the request was never sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isPermanentTransportError reports a failure that another attempt cannot
// mend, so it is not retried: the server's certificate does not verify
// (unknown authority, expired, wrong host name, a constraint), the TLS
// handshake was refused (a version or cipher suite the two sides do not
// share, a client certificate the server does not accept: any alert the
// server sends but internal_error), or the server does not speak TLS at
// all. Retrying would only delay the same answer, and a refused client
// certificate may count against the client.
func isPermanentTransportError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		roots     x509.SystemRootsError
		critical  x509.UnhandledCriticalExtension
		alert     tls.AlertError
		record    tls.RecordHeaderError
		ech       *tls.ECHRejectionError
	)
	if errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &roots) || errors.As(err, &critical) ||
		errors.As(err, &alert) || errors.As(err, &record) || errors.As(err, &ech) {
		return true
	}
	// An alert the server sent arrives as a net.OpError whose error type
	// crypto/tls does not export.
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		msg := op.Err.Error()
		return strings.HasPrefix(msg, "tls: ") && msg != "tls: internal error"
	}
	// crypto/tls and net/http report these with untyped errors.
	msg := err.Error()
	for _, s := range []string{
		"tls: server selected unsupported protocol version",
		"tls: no supported versions satisfy MinVersion and MaxVersion",
		"http: server gave HTTP response to HTTPS client",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
