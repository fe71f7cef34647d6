package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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

// fakeCLI writes an executable that answers `version -json` like Terraform
// and OpenTofu do, with the given version.
func fakeCLI(t *testing.T, dir, name, version string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\nprintf '{\"terraform_version\":\"" + version + "\",\"platform\":\"linux_amd64\"}\\n'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChooseCLI(t *testing.T) {
	tmp := t.TempDir()
	oldTofu := fakeCLI(t, filepath.Join(tmp, "a"), "tofu", "1.10.5")
	terraform := fakeCLI(t, filepath.Join(tmp, "b"), "terraform", "1.11.4")
	tofu := fakeCLI(t, filepath.Join(tmp, "c"), "tofu", "1.12.0-beta1")
	ctx := context.Background()

	for _, tc := range []struct {
		name     string
		explicit string
		path     []string
		want     cli
		wantErr  string
	}{
		{
			name: "tofu first",
			path: []string{filepath.Dir(terraform), filepath.Dir(tofu)},
			want: cli{path: tofu, name: "OpenTofu", version: "1.12.0-beta1"},
		},
		{
			name: "too old skipped",
			path: []string{filepath.Dir(oldTofu), filepath.Dir(terraform)},
			want: cli{path: terraform, name: "Terraform", version: "1.11.4"},
		},
		{
			name:     "explicit wins over PATH",
			explicit: terraform,
			path:     []string{filepath.Dir(tofu)},
			want:     cli{path: terraform, name: "Terraform", version: "1.11.4"},
		},
		{
			name:     "explicit too old",
			explicit: oldTofu,
			wantErr:  "OpenTofu 1.10.5; the quickstart needs 1.11 or later",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseCLI(ctx, tmp, tc.explicit, strings.Join(tc.path, string(os.PathListSeparator)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error: got %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{
		"1.11.0": true, "1.11.4": true, "1.12.0-beta1": true, "v1.11.0": true, "2.0.0": true,
		"1.10.9": false, "0.15.0": false, "1": false, "": false, "x.y.z": false,
	} {
		if got := versionAtLeast(v, [2]int{1, 11}); got != want {
			t.Errorf("versionAtLeast(%q): got %v, want %v", v, got, want)
		}
	}
}
