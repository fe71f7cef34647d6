package oauthclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRetry_permanentTLSFailureTriedOnce checks that a certificate that does
// not verify, or a handshake the server refuses, is tried once although
// retries are allowed: each attempt opens a connection, counted by the
// server when it accepts one, before the handshake can fail.
func TestRetry_permanentTLSFailureTriedOnce(t *testing.T) {
	tests := []struct {
		name    string
		server  func(*httptest.Server)
		trustCA bool
		host    string // replaces 127.0.0.1 in the URL
		want    string
		wantAs  func(error) bool
	}{
		{name: "unknown authority", want: "certificate", wantAs: func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		// The test certificate names example.com, 127.0.0.1 and ::1.
		{name: "hostname mismatch", trustCA: true, host: "localhost", want: "certificate is valid for", wantAs: func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}},
		{name: "protocol version refused", trustCA: true, server: func(s *httptest.Server) {
			s.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		}, want: "protocol version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns, requests atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				writeJSON(w, http.StatusOK, okToken)
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			// The server logs each refused handshake; keep the output clean.
			srv.Config.ErrorLog = discardLog()
			if tt.server != nil {
				tt.server(srv)
			}
			srv.StartTLS()
			t.Cleanup(srv.Close)

			opts := Options{MaxRetries: 3}
			if tt.trustCA {
				opts.CACertPEM = certPEM(srv.Certificate())
			}
			tokenURL := srv.URL
			if tt.host != "" {
				tokenURL = strings.Replace(tokenURL, "127.0.0.1", tt.host, 1)
			}
			_, err := newTestClient(t, opts).Exchange(context.Background(), ccRequest(tokenURL))
			if err == nil {
				t.Fatal("Exchange succeeded, want a TLS failure")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "after 1 attempt(s)") {
				t.Errorf("err = %q, want %q after 1 attempt", err, tt.want)
			}
			if tt.wantAs != nil && !tt.wantAs(err) {
				t.Errorf("err = %#v does not unwrap to the TLS cause", err)
			}
			if got := conns.Load(); got != 1 {
				t.Errorf("server accepted %d connections, want 1", got)
			}
			if got := requests.Load(); got != 0 {
				t.Errorf("server answered %d requests, want 0", got)
			}
		})
	}
}

// TestRetry_transientTransportFailureRetried is the control: a connection
// dropped without an answer is still retried.
func TestRetry_transientTransportFailureRetried(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
	})
	_, err := newTestClient(t, Options{MaxRetries: 2}).Exchange(context.Background(), ccRequest(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "after 3 attempt(s)") {
		t.Fatalf("err = %v, want a failure after 3 attempts", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
}

func TestNew_maxRetriesLimit(t *testing.T) {
	for _, n := range []int{MaxRetriesLimit + 1, 1_000_000_000, math.MaxInt} {
		if _, err := New(Options{MaxRetries: n}); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 10") {
			t.Errorf("New(MaxRetries: %d) err = %v, want the limit named", n, err)
		}
	}
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	})
	c := newTestClient(t, Options{MaxRetries: MaxRetriesLimit})
	recordSleeps(c)
	if _, err := c.Exchange(context.Background(), ccRequest(srv.URL)); err == nil {
		t.Fatal("Exchange succeeded, want 503")
	}
	if got := calls.Load(); got != MaxRetriesLimit+1 {
		t.Errorf("server saw %d requests, want %d", got, MaxRetriesLimit+1)
	}
}
