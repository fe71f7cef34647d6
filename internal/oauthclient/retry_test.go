package oauthclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ccRequest(tokenURL string) Request {
	return Request{TokenURL: tokenURL, GrantType: GrantClientCredentials, AuthStyle: AuthBasic, ClientID: "id", ClientSecret: "secret"}
}

// recordSleeps replaces the client's backoff sleep with one that only
// records the waits.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	waits := new([]time.Duration)
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return waits
}

func TestRetry_statuses(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // answers in order; the last repeats
		retries   int
		wantCalls int32
		wantOK    bool
	}{
		{"503 then 200", []int{503, 200}, 0, 2, true},
		{"500 502 504 then 200", []int{500, 502, 504, 200}, 0, 4, true},
		{"429 then 200", []int{429, 200}, 0, 2, true},
		{"always 503 gives up", []int{503}, 0, 4, false},
		{"always 503 with 1 retry", []int{503}, 1, 2, false},
		{"no retries", []int{503}, -1, 1, false},
		{"400 never retried", []int{400}, 0, 1, false},
		{"401 never retried", []int{401}, 0, 1, false},
		{"403 never retried", []int{403}, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				st := tt.statuses[min(n, len(tt.statuses))-1]
				if st == 200 {
					writeJSON(w, 200, okToken)
					return
				}
				writeJSON(w, st, `{"error":"temporarily_unavailable"}`)
			})
			c := newTestClient(t, Options{MaxRetries: tt.retries})
			_, err := c.Exchange(context.Background(), ccRequest(srv.URL))
			if (err == nil) != tt.wantOK {
				t.Fatalf("Exchange err = %v, want ok=%v", err, tt.wantOK)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Errorf("err = %T, want *Error", err)
			}
		})
	}
}

func TestRetry_retryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", now.Add(9 * time.Second).Format(http.TimeFormat), 9 * time.Second},
		{"capped", "3600", defaultRetryAfterMax},
		{"past date uses backoff", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage uses backoff", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setClock(t, now)
			var calls atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				writeJSON(w, 200, okToken)
			})
			c := newTestClient(t, Options{})
			waits := recordSleeps(c)
			if _, err := c.Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if calls.Load() != 2 || len(*waits) != 1 {
				t.Fatalf("calls = %d, waits = %v; want 2 calls and 1 wait", calls.Load(), *waits)
			}
			got := (*waits)[0]
			if tt.want == 0 {
				if got > c.backoffMax {
					t.Errorf("wait = %v, want a backoff of at most %v", got, c.backoffMax)
				}
			} else if got != tt.want {
				t.Errorf("wait = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRetry_retryAfterBeyondDeadline(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "20")
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable","error_description":"maintenance"}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := newTestClient(t, Options{}).Exchange(ctx, ccRequest(srv.URL))
	if d := time.Since(start); d > time.Second {
		t.Errorf("Exchange took %v, want an immediate answer", d)
	}
	if err == nil || !strings.Contains(err.Error(), "maintenance") {
		t.Errorf("err = %v, want the server's answer", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestRetry_backoffGrows(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newTestClient(t, Options{MaxRetries: 5})
	c.backoffBase, c.backoffMax = 100*time.Millisecond, 1*time.Second
	waits := recordSleeps(c)
	_, _ = c.Exchange(context.Background(), ccRequest(srv.URL))
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1000 * time.Millisecond}
	if len(*waits) != len(want) {
		t.Fatalf("waits = %v, want %d", *waits, len(want))
	}
	for i, w := range want {
		if got := (*waits)[i]; got < w/2 || got > w {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, got, w/2, w)
		}
	}
}

func TestRetry_networkError(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Drop the connection without an answer.
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Errorf("response writer %T cannot be hijacked", w)
				return
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		writeJSON(w, 200, okToken)
	})
	if _, err := newTestClient(t, Options{}).Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

func TestRetry_connectionRefused(t *testing.T) {
	srv := newServer(t, func(http.ResponseWriter, *http.Request) {})
	url := srv.URL
	srv.Close()
	c := newTestClient(t, Options{MaxRetries: 2})
	_, err := c.Exchange(context.Background(), ccRequest(url))
	if err == nil {
		t.Fatal("Exchange succeeded, want an error")
	}
	if want := `oauthclient: token request to "` + url + `" failed after 3 attempt(s): `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
	if !isDialError(err) {
		t.Errorf("err = %v, want a dial error in its chain", err)
	}
}

func TestRetry_perAttemptTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		writeJSON(w, 200, okToken)
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	if _, err := newTestClient(t, Options{Timeout: 100 * time.Millisecond}).Exchange(context.Background(), ccRequest(srv.URL)); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

func TestRetry_timeoutMessage(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	_, err := newTestClient(t, Options{Timeout: 20 * time.Millisecond, MaxRetries: -1}).Exchange(context.Background(), ccRequest(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "failed after 1 attempt(s): no answer within the 20ms timeout") {
		t.Errorf("err = %v, want the timeout named", err)
	}
}

func TestCancel_duringRequest(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := newTestClient(t, Options{}).Exchange(ctx, ccRequest(srv.URL))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Exchange returned after %v, want promptly", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled wrapped", err)
	}
}

func TestCancel_duringBackoff(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "25")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := newTestClient(t, Options{}).Exchange(ctx, ccRequest(srv.URL))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Exchange returned after %v, want promptly", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled wrapped", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestCancel_before(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newTestClient(t, Options{}).Token(ctx, ccRequest("https://idp.example/token"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled wrapped", err)
	}
}

// TestRedirect_neverFollowed proves that a redirect target receives
// nothing, whatever the status.
func TestRedirect_neverFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var otherCalls atomic.Int32
			other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				otherCalls.Add(1)
				writeJSON(w, 200, okToken)
			})
			var calls atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				http.Redirect(w, r, other.URL+"/token", status)
			})
			_, err := newTestClient(t, Options{}).Exchange(context.Background(), ccRequest(srv.URL))
			otherHost := strings.TrimPrefix(other.URL, "http://")
			if err == nil || !strings.Contains(err.Error(), `redirect (status `) || !strings.Contains(err.Error(), `to host "`+otherHost+`"`) {
				t.Errorf("err = %v, want the redirect to %q refused", err, otherHost)
			}
			if got := otherCalls.Load(); got != 0 {
				t.Errorf("redirect target saw %d requests, want 0", got)
			}
			if got := calls.Load(); got != 1 {
				t.Errorf("token endpoint saw %d requests, want 1", got)
			}
		})
	}
}

// TestBodyLimit_50MiB checks that a huge answer is refused after 1 MiB and
// that memory stays bounded.
func TestBodyLimit_50MiB(t *testing.T) {
	const total = 50 << 20
	var sent atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat("a", 64<<10))
		_, _ = w.Write([]byte(`{"access_token":"`))
		for sent.Load() < total {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}`)
	})
	c := newTestClient(t, Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Exchange(context.Background(), ccRequest(srv.URL))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if !strings.Contains(err.Error(), "exceeded the 1 MiB limit") {
		t.Errorf("err = %q, want the limit named", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("allocated %d MiB while refusing the body, want well under 50 MiB", grew>>20)
	}
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 200 {
		t.Errorf("err = %+v, want an *Error with status 200", e)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{" 120 ", 120 * time.Second, true},
		{"99999999999999999999999", 1 << 32 * time.Second, true},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{"Sunday, 01-Jun-25 12:00:30 GMT", 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"12s", 0, false},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
