package tokenserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serverCertLifetime is how long the generated server certificate is valid.
// It is checked against the real clock by clients, not against Config.Now.
const serverCertLifetime = 7 * 24 * time.Hour

// CACertPEM returns the PEM encoding of the self-signed certificate a server
// started with Config.TLS presents, for clients to trust (put it in a
// x509.CertPool as RootCAs). It is "" before Start and without Config.TLS.
func (s *Server) CACertPEM() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.caPEM
}

// selfSignedCert makes an ECDSA P-256 certificate for the loopback
// addresses and the address listened on. A fresh key per server means no
// private key ever has to be checked in, and nothing trusts it but the tests
// that ask CACertPEM.
func selfSignedCert(addr net.Addr) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tokenserver: generating the TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tokenserver: generating a serial number: %w", err)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if tcp, ok := addr.(*net.TCPAddr); ok && !slices.ContainsFunc(ips, tcp.IP.Equal) {
		ips = append(ips, tcp.IP)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "tokenserver loopback"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverCertLifetime),
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// Marked as a CA, as httptest's certificate is, so that it can be
		// put in a pool of roots and verify itself.
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("tokenserver: creating the TLS certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// certSHA256 is the lower-case hex SHA-256 of a certificate's DER encoding,
// the form Client.TLSClientCertSHA256 pins.
func certSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// requestCertSHA256 is certSHA256 of the client certificate presented on the
// request's connection, or "" when there is none.
func requestCertSHA256(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return certSHA256(r.TLS.PeerCertificates[0])
}

// x5tS256 turns a hex digest into the base64url form of the x5t#S256
// confirmation method (RFC 8705 §3.1).
func x5tS256(hexSum string) string {
	b, err := hex.DecodeString(hexSum)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// normalizePin lowers a registered digest and drops the colons and spaces
// fingerprint tools put between bytes.
func normalizePin(pin string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(pin))
}

// authenticateTLS is the mutual-TLS client authentication of RFC 8705 §2:
// client_id names the client and the certificate of the TLS connection
// proves it. Both tls_client_auth and self_signed_tls_client_auth are checked
// by pinning; see AuthTLSClient.
func (s *Server) authenticateTLS(r *http.Request, id string, c Client) (authenticatedClient, *oauthError) {
	if r.TLS == nil {
		return authenticatedClient{}, invalidClient(false, "client %q authenticates with a TLS client certificate, but the request did not arrive over TLS", id)
	}
	sum := requestCertSHA256(r)
	if sum == "" {
		return authenticatedClient{}, invalidClient(false, "client %q must present its TLS client certificate", id)
	}
	if !slices.ContainsFunc(c.TLSClientCertSHA256, func(pin string) bool { return normalizePin(pin) == sum }) {
		return authenticatedClient{}, invalidClient(false, "the TLS client certificate presented is not registered for client %q", id)
	}
	s.mu.Lock()
	s.counters.TLSClientAuthentications++
	s.mu.Unlock()
	return authenticatedClient{id: id, certSHA256: sum}, nil
}
