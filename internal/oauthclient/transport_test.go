package oauthclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func TestTLS_extraCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, okToken)
	}))
	t.Cleanup(srv.Close)

	// Without the server's CA the handshake fails.
	_, err := newTestClient(t, Options{MaxRetries: -1}).Exchange(context.Background(), ccRequest(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}

	c := newTestClient(t, Options{CACertPEM: certPEM(srv.Certificate())})
	if _, err := c.Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
		t.Fatalf("Exchange with the CA: %v", err)
	}
	if dt := defaultTransport(t); dt.TLSClientConfig != nil && dt.TLSClientConfig.RootCAs != nil {
		t.Error("http.DefaultTransport was changed")
	}
}

func TestTLS_clientCertificate(t *testing.T) {
	var gotCert string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 {
			gotCert = r.TLS.PeerCertificates[0].Subject.String()
		}
		writeJSON(w, 200, okToken)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// The httptest certificate doubles as the client certificate.
	clientCert := srv.TLS.Certificates[0]
	c := newTestClient(t, Options{CACertPEM: certPEM(srv.Certificate()), ClientCertificates: []tls.Certificate{clientCert}})
	if _, err := c.Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
		t.Fatalf("Exchange with a client certificate: %v", err)
	}
	if gotCert == "" {
		t.Error("server saw no client certificate")
	}
}

func TestTransport_customKept(t *testing.T) {
	var used bool
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, okToken) })
	base := defaultTransport(t).Clone()
	c := newTestClient(t, Options{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return base.RoundTrip(r)
	})})
	if _, err := c.Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if !used {
		t.Error("custom transport not used")
	}
}
