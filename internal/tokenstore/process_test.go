package tokenstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// childEnv carries a childJob to a re-executed test binary, and
// childIndexEnv the child's number among those runProcesses started.
const (
	childEnv      = "OAUTH2_TOKENSTORE_TEST_CHILD"
	childIndexEnv = "OAUTH2_TOKENSTORE_TEST_CHILD_INDEX"
)

// childJob tells TestHelperProcess which store to open and how many
// refreshes to run against the token endpoint.
type childJob struct {
	Backend  string `json:"backend"` // file, postgres or vault
	Path     string `json:"path,omitempty"`
	Conn     string `json:"conn,omitempty"`
	Schema   string `json:"schema,omitempty"`
	Addr     string `json:"addr,omitempty"`
	Token    string `json:"token,omitempty"`
	Key      string `json:"key"`
	TokenURL string `json:"token_url"`
	Rounds   int    `json:"rounds"`
	// Mode is what the child does: "" refreshes through TokenURL;
	// "distinct" updates an entry of its own (named by its index) Rounds
	// times; "hold" updates the entry KeyFor("held") with a function that
	// creates the file Entered and returns once the file Release exists.
	Mode    string `json:"mode,omitempty"`
	Entered string `json:"entered,omitempty"`
	Release string `json:"release,omitempty"`
}

// distinctKey names the entry of the child with the given index.
func distinctKey(index string) Key { return KeyFor("distinct", index) }

func (j childJob) open(ctx context.Context) (Store, error) {
	switch j.Backend {
	case "file":
		return NewFile(FileConfig{Path: j.Path, Key: j.Key})
	case "postgres":
		return NewPostgres(ctx, PostgresConfig{ConnString: j.Conn, Schema: j.Schema, Key: j.Key})
	case "vault":
		return NewVault(VaultConfig{Address: j.Addr, Token: j.Token, Key: j.Key})
	}
	return nil, fmt.Errorf("unknown backend %q", j.Backend)
}

// TestHelperProcess is not a test: it is the body of the child processes
// that runProcesses starts from the test binary itself, so that contention
// is tested across real OS processes, as plan and apply run.
func TestHelperProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("runs only as a child process of the contention tests")
	}
	var job childJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := job.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	switch job.Mode {
	case "distinct":
		key := distinctKey(os.Getenv(childIndexEnv))
		for i := range job.Rounds {
			if _, err := s.Update(ctx, key, func(context.Context, *Entry) (*Entry, error) {
				return &Entry{AccessToken: fmt.Sprintf("round-%d", i)}, nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}
		return
	case "hold":
		if _, err := s.Update(ctx, KeyFor("held"), func(ctx context.Context, _ *Entry) (*Entry, error) {
			if err := os.WriteFile(job.Entered, nil, 0o600); err != nil {
				return nil, err
			}
			if err := waitForFile(ctx, job.Release); err != nil {
				return nil, err
			}
			return &Entry{AccessToken: "held"}, nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		return
	}
	key := KeyFor(job.TokenURL, "refresh_token", "client")
	for range job.Rounds {
		if _, err := s.Update(ctx, key, refreshFunc(job.TokenURL, 5*time.Minute)); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
}

// waitForFile returns once path exists: processes signal each other with
// files.
func waitForFile(ctx context.Context, path string) error {
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// runProcesses runs n child processes of job at once and fails the test if
// any of them fails.
func runProcesses(t *testing.T, n int, job childJob) {
	t.Helper()
	startProcesses(t, n, job)()
}

// startProcesses starts n child processes of job and returns a function
// that waits for them and fails the test if any of them failed.
func startProcesses(t *testing.T, n int, job childJob) (wait func()) {
	t.Helper()
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.CommandContext(ctxT(t), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+string(raw), fmt.Sprintf("%s=%d", childIndexEnv, i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out.String())
			}
		}()
	}
	// When the test stops early, its context kills the children; wait for
	// their goroutines before the test ends.
	t.Cleanup(wg.Wait)
	return wg.Wait
}

// testProcessContention has 8 processes refresh one entry 3 times each
// against a server that rotates the refresh token on every use.
func testProcessContention(t *testing.T, s Store, job childJob) {
	ts := newRotatingServer(t, 1)
	job.TokenURL = ts.URL
	job.Rounds = 3
	key := KeyFor(ts.URL, "refresh_token", "client")
	put(t, s, key, &Entry{RefreshToken: ts.Initial()})
	const procs = 8
	start := time.Now()
	runProcesses(t, procs, job)
	t.Logf("%d processes × %d refreshes took %v", procs, job.Rounds, time.Since(start).Round(time.Millisecond))
	ts.check(t, s, key, procs*job.Rounds)
}
