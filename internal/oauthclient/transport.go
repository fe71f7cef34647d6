package oauthclient

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
)

// newHTTPClient builds the HTTP client once per Client: a clone of
// http.DefaultTransport (never mutated), the proxy from the environment,
// extra CA certificates and mTLS client certificates, and no redirects.
func newHTTPClient(opts Options) (*http.Client, error) {
	var pool *x509.CertPool
	if strings.TrimSpace(opts.CACertPEM) != "" {
		// SystemCertPool returns a copy; adding to it leaves the system
		// pool alone.
		p, err := x509.SystemCertPool()
		if err != nil || p == nil {
			p = x509.NewCertPool()
		}
		if !p.AppendCertsFromPEM([]byte(opts.CACertPEM)) {
			return nil, errors.New("oauthclient: the CA certificate PEM holds no certificate")
		}
		pool = p
	}
	needTLS := pool != nil || len(opts.ClientCertificates) > 0

	var rt http.RoundTripper
	switch t := opts.Transport.(type) {
	case nil:
		var base *http.Transport
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			base = dt.Clone()
		} else {
			base = &http.Transport{ForceAttemptHTTP2: true}
		}
		base.Proxy = http.ProxyFromEnvironment
		if needTLS {
			applyTLS(base, pool, opts.ClientCertificates)
		}
		rt = base
	case *http.Transport:
		if needTLS {
			t = t.Clone()
			applyTLS(t, pool, opts.ClientCertificates)
		}
		rt = t
	default:
		if needTLS {
			return nil, errors.New("oauthclient: CA certificates and client certificates need an *http.Transport, not a custom transport")
		}
		rt = t
	}
	return &http.Client{
		Transport: rt,
		// A token request carries credentials in its header and body, and a
		// POST redirected with 301/302/303 turns into a body-less GET. Never
		// follow: the caller reports the redirect instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

func applyTLS(t *http.Transport, pool *x509.CertPool, certs []tls.Certificate) {
	var c *tls.Config
	if t.TLSClientConfig != nil {
		c = t.TLSClientConfig.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if pool != nil {
		c.RootCAs = pool
	}
	if len(certs) > 0 {
		c.Certificates = append(c.Certificates[:len(c.Certificates):len(c.Certificates)], certs...)
	}
	t.TLSClientConfig = c
}

// httpClientFor returns the HTTP client that presents req's client
// certificate, built once per certificate, or the Client's own.
func (c *Client) httpClientFor(req *Request) (*http.Client, error) {
	if req.ClientCertificate == nil {
		return c.hc, nil
	}
	key := certificateKey(req.ClientCertificate)
	if hc, ok := c.certClients.Load(key); ok {
		if hc, ok := hc.(*http.Client); ok {
			return hc, nil
		}
	}
	opts := c.opts
	// The request's certificate stands in for the Client's: a TLS
	// handshake presents one chain.
	opts.ClientCertificates = []tls.Certificate{*req.ClientCertificate}
	hc, err := newHTTPClient(opts)
	if err != nil {
		return nil, err
	}
	actual, _ := c.certClients.LoadOrStore(key, hc)
	if hc, ok := actual.(*http.Client); ok {
		return hc, nil
	}
	return hc, nil
}

// certificateKey identifies a certificate chain by the SHA-256 of its DER
// certificates.
func certificateKey(cert *tls.Certificate) [sha256.Size]byte {
	h := sha256.New()
	for _, der := range cert.Certificate {
		h.Write(der)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}
