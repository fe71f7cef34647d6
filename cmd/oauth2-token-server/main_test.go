package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRun_servesUntilStdinCloses(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-exit-on-stdin-eof", "-client", "c:s", "-client", "pub:", "-user", "u:p"}, stdinR, stdoutW)
	}()

	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var got ready
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("first line %q is not JSON: %v", line, err)
	}
	if !strings.HasPrefix(got.TokenURL, "http://127.0.0.1:") || got.APIURL != got.URL+"/api/me" || got.PID == 0 {
		t.Errorf("got ready line %+v", got)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	form := url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}, "client_id": {"c"}, "client_secret": {"s"}}
	resp, err := client.PostForm(got.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("got status %d for a configured client and user, want 200", resp.StatusCode)
	}

	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after stdin closed")
	}
}

func TestRun_refusesNonLoopback(t *testing.T) {
	if err := run([]string{"-addr", "0.0.0.0:0"}, strings.NewReader(""), io.Discard); err == nil {
		t.Error("got no error for 0.0.0.0, want a refusal")
	}
	if err := run([]string{"-client", "nocolon"}, strings.NewReader(""), io.Discard); err == nil {
		t.Error("got no error for a malformed -client, want one")
	}
}

func TestRun_answersStatsOnStdin(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-exit-on-stdin-eof", "-client", "c:s"}, stdinR, stdoutW)
	}()
	out := bufio.NewReader(stdoutR)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var got ready
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("first line %q is not JSON: %v", line, err)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	for range 2 {
		resp, err := client.PostForm(got.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"s"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := io.WriteString(stdinW, "ignored\nstats\n"); err != nil {
		t.Fatal(err)
	}
	line, err = out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		TokenRequests int64
		Grants        map[string]int64
	}
	if err := json.Unmarshal([]byte(line), &stats); err != nil {
		t.Fatalf("stats line %q is not JSON: %v", line, err)
	}
	if stats.TokenRequests != 2 || stats.Grants["client_credentials"] != 2 {
		t.Errorf("got stats %s, want 2 client_credentials token requests", line)
	}

	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10s after stdin closed")
	}
}
