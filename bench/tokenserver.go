package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// tokenServer is cmd/oauth2-token-server run in its own process, so the
// token endpoint's work is neither counted in nor competing with the
// process that times the CLI, and every tool is measured against the same
// server.
type tokenServer struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stdout   *bufio.Reader
	tokenURL string
	mu       sync.Mutex
}

// startTokenServer builds and starts the token server with one client and
// the given latency. It stops when Close closes its standard input.
func startTokenServer(ctx context.Context, work string, latency time.Duration) (*tokenServer, error) {
	bin := filepath.Join(work, "oauth2-token-server")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/oauth2-token-server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build the token server: %w", err)
	}
	cmd := exec.Command(bin, "-exit-on-stdin-eof", "-latency", latency.String(),
		"-client", benchClientID+":"+benchClientSecret)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the token server: %w", err)
	}
	s := &tokenServer{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	var ready struct {
		TokenURL string `json:"token_url"`
	}
	if err := s.readLine(&ready); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("token server: %w", err)
	}
	s.tokenURL = ready.TokenURL
	return s, nil
}

func (s *tokenServer) TokenURL() string { return s.tokenURL }

// TokenRequests returns how many token requests the server answered so far.
func (s *tokenServer) TokenRequests() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, "stats\n"); err != nil {
		return 0, fmt.Errorf("token server stats: %w", err)
	}
	var stats struct{ TokenRequests int64 }
	if err := s.readLine(&stats); err != nil {
		return 0, fmt.Errorf("token server stats: %w", err)
	}
	return stats.TokenRequests, nil
}

func (s *tokenServer) readLine(v any) error {
	line, err := s.stdout.ReadString('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(line), v)
}

// Close stops the server and waits for it to exit.
func (s *tokenServer) Close() error {
	_ = s.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		return <-done
	}
}
