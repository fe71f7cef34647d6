package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

func TestProbe(t *testing.T) {
	srv := tokenserver.New(tokenserver.Config{Clients: map[string]tokenserver.Client{"c": {Secret: "s"}}})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	if err := probe(ts.URL, ""); err == nil {
		t.Error("probe without $AUTH succeeded, want an error")
	}
	if err := probe(ts.URL+"/", "Bearer at_unknown"); err == nil {
		t.Error("probe with an unknown token succeeded, want an error")
	}

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.PostForm(ts.URL+tokenserver.TokenPath, url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"s"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	if err := probe(ts.URL, "Bearer "+tok.AccessToken); err != nil {
		t.Errorf("probe with a valid token: %v", err)
	}
	if st := srv.Stats(); st.APICalls != 2 || st.APIRejected != 1 {
		t.Errorf("got stats %+v, want two API calls, one rejected", st)
	}
}

func TestCleanEnv(t *testing.T) {
	got := cleanEnv([]string{
		"PATH=/bin", "TF_CLI_CONFIG_FILE=/missing", "TF_VAR_client_secret=x", "TF_CLI_ARGS_apply=-parallelism=1",
		"TF_DATA_DIR=/d", "OAUTH2_REQUEST_TIMEOUT=1s", "TF_LOG=debug", "HOME=/root",
	})
	want := []string{"PATH=/bin", "TF_LOG=debug", "HOME=/root"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"/tmp/go-build1/b001/exe/demo", "/path with space/it's", `$HOME "x" \`} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Errorf("sh printed %q for shellQuote(%q), want it unchanged", out, s)
		}
	}
}
