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
