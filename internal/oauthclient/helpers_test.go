package oauthclient

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// seen is one request as a test server received it.
type seen struct {
	method, path, auth, ctype, accept, body string
}

func record(r *http.Request) seen {
	b, _ := io.ReadAll(r.Body)
	return seen{
		method: r.Method,
		path:   r.URL.Path,
		auth:   r.Header.Get("Authorization"),
		ctype:  r.Header.Get("Content-Type"),
		accept: r.Header.Get("Accept"),
		body:   string(b),
	}
}

// newServer starts a loopback server closed at the end of the test.
func newServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newTestClient returns a client whose backoff is short enough for tests.
func newTestClient(t testing.TB, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoffBase = time.Millisecond
	c.backoffMax = 5 * time.Millisecond
	return c
}

// setClock fixes timeNow for the test.
func setClock(t testing.TB, now time.Time) *time.Time {
	t.Helper()
	cur := now
	old := timeNow
	timeNow = func() time.Time { return cur }
	t.Cleanup(func() { timeNow = old })
	return &cur
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// logSink collects logged events.
type logSink struct {
	mu     sync.Mutex
	events []logEvent
}

type logEvent struct {
	msg    string
	fields map[string]any
}

func (l *logSink) logger() Logger {
	return func(_ context.Context, msg string, fields map[string]any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, logEvent{msg, fields})
	}
}

func (l *logSink) all() []logEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logEvent(nil), l.events...)
}

// defaultTransport returns http.DefaultTransport as the *http.Transport it
// is by default.
func defaultTransport(t testing.TB) *http.Transport {
	t.Helper()
	dt, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t.Fatalf("http.DefaultTransport is a %T, want *http.Transport", http.DefaultTransport)
	}
	return dt
}

// discardLog is a server error log that drops everything, for servers that
// refuse handshakes on purpose.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
