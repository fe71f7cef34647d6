package idtoken

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a Getenv over a map, so that no test reads or sets the process
// environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// assertNoSecrets fails when err's text contains any of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains the secret %q", err, s)
		}
	}
}

func TestTokenEnvironment(t *testing.T) {
	tok := jwt(t, map[string]any{"iss": "https://gitlab.example.com", "sub": "project_path:acme/infra:ref_type:branch:ref:main"})
	other := jwt(t, map[string]any{"iss": "https://app.terraform.io", "sub": "organization:acme:project:p:workspace:w:run_phase:plan"})
	const notJWT = "glpat-xxxxxxxxxxxxxxxxxxxx" // an access token put in the wrong variable
	tests := []struct {
		name    string
		src     Source
		env     map[string]string
		want    string   // the token on success
		wantErr []string // fragments of the error
	}{
		{
			name: "gitlab",
			src:  Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"},
			env:  map[string]string{"OAUTH2_ID_TOKEN": tok, "OTHER": other},
			want: tok,
		},
		{
			name: "gitlab trims a trailing newline",
			src:  Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"},
			env:  map[string]string{"OAUTH2_ID_TOKEN": tok + "\n"},
			want: tok,
		},
		{
			name:    "gitlab missing",
			src:     Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"},
			env:     map[string]string{"GITLAB_ID_TOKEN": other, "CI_JOB_JWT_V2": other},
			wantErr: []string{"gitlab_ci", "OAUTH2_ID_TOKEN is not set", ".gitlab-ci.yml", "id_tokens: {OAUTH2_ID_TOKEN: {aud: <audience>}}"},
		},
		{
			name:    "gitlab blank",
			src:     Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"},
			env:     map[string]string{"OAUTH2_ID_TOKEN": "  \n"},
			wantErr: []string{"OAUTH2_ID_TOKEN is not set or empty"},
		},
		{
			name:    "gitlab not a JWT",
			src:     Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"},
			env:     map[string]string{"OAUTH2_ID_TOKEN": notJWT},
			wantErr: []string{"gitlab_ci", "the environment variable OAUTH2_ID_TOKEN does not hold a JWT", "not shown"},
		},
		{
			name: "hcp untagged",
			src:  Source{Kind: HCPTerraform},
			env:  map[string]string{"TFC_WORKLOAD_IDENTITY_TOKEN": tok, "TFC_WORKLOAD_IDENTITY_TOKEN_azure": other},
			want: tok,
		},
		{
			name: "hcp tagged",
			src:  Source{Kind: HCPTerraform, Name: "azure"},
			env:  map[string]string{"TFC_WORKLOAD_IDENTITY_TOKEN": other, "TFC_WORKLOAD_IDENTITY_TOKEN_azure": tok},
			want: tok,
		},
		{
			name:    "hcp untagged missing",
			src:     Source{Kind: HCPTerraform},
			env:     map[string]string{"TFC_WORKLOAD_IDENTITY_TOKEN_azure": other},
			wantErr: []string{"hcp_terraform", "TFC_WORKLOAD_IDENTITY_TOKEN is not set", "defines the environment variable TFC_WORKLOAD_IDENTITY_AUDIENCE "},
		},
		{
			name:    "hcp tagged missing",
			src:     Source{Kind: HCPTerraform, Name: "azure"},
			env:     map[string]string{"TFC_WORKLOAD_IDENTITY_TOKEN": other},
			wantErr: []string{"TFC_WORKLOAD_IDENTITY_TOKEN_azure is not set", "TFC_WORKLOAD_IDENTITY_AUDIENCE_azure"},
		},
		{
			name:    "hcp not a JWT",
			src:     Source{Kind: HCPTerraform},
			env:     map[string]string{"TFC_WORKLOAD_IDENTITY_TOKEN": notJWT},
			wantErr: []string{"the environment variable TFC_WORKLOAD_IDENTITY_TOKEN does not hold a JWT"},
		},
		{
			name:    "invalid source",
			src:     Source{Kind: GitLabCI},
			env:     map[string]string{"OAUTH2_ID_TOKEN": tok},
			wantErr: []string{"idtoken: name: is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fetcher{Getenv: env(tt.env)}.Token(t.Context(), tt.src)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Token() error: %v", err)
				}
				if got != tt.want {
					t.Fatalf("Token() = %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Token() = %q, want an error", got)
			}
			if got != "" {
				t.Errorf("Token() returned %q with its error", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var values []string
			for _, v := range tt.env {
				values = append(values, strings.TrimSpace(v))
			}
			assertNoSecrets(t, err, values...)
		})
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	write := func(t *testing.T, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := Fetcher{Getenv: env(nil)}
	src := Source{Kind: File, File: path}

	t.Run("re-read after rotation", func(t *testing.T) {
		first := jwt(t, map[string]any{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:ci:runner", "n": 1})
		second := jwt(t, map[string]any{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:ci:runner", "n": 2})
		write(t, first+"\n")
		if got, err := f.Token(t.Context(), src); err != nil || got != first {
			t.Fatalf("first Token() = %q, %v; want the first token", got, err)
		}
		write(t, "\t "+second)
		if got, err := f.Token(t.Context(), src); err != nil || got != second {
			t.Fatalf("second Token() = %q, %v; want the rotated token", got, err)
		}
	})

	const notJWT = "s.hvs.CAESIxxxxxxxxxxxxxxxx" // a Vault token in the wrong file
	tests := []struct {
		name    string
		content *string // nil: no file
		wantErr []string
	}{
		{name: "missing", wantErr: []string{"idtoken: file:", path, "does not exist"}},
		{name: "empty", content: ptr(""), wantErr: []string{path, "is empty"}},
		{name: "blank", content: ptr(" \n\t\n"), wantErr: []string{path, "is empty"}},
		{name: "oversize", content: ptr(strings.Repeat("a", maxFileSize+1)), wantErr: []string{path, "larger than 64 KiB"}},
		{name: "not a JWT", content: ptr(notJWT), wantErr: []string{"the file " + path + " does not hold a JWT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if tt.content != nil {
				write(t, *tt.content)
			}
			got, err := f.Token(t.Context(), src)
			if err == nil {
				t.Fatalf("Token() = %q, want an error", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNoSecrets(t, err, notJWT)
		})
	}

	t.Run("exactly 64 KiB is read", func(t *testing.T) {
		tok := jwt(t, map[string]any{"iss": "i", "sub": "s"})
		write(t, tok+strings.Repeat(" ", maxFileSize-len(tok)))
		if got, err := f.Token(t.Context(), src); err != nil || got != tok {
			t.Fatalf("Token() = %q, %v; want the token", got, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := f.Token(t.Context(), Source{Kind: File, File: dir})
		if err == nil || !strings.Contains(err.Error(), "cannot read the token file") {
			t.Fatalf("Token() error = %v, want a read error", err)
		}
	})
}

func ptr(s string) *string { return &s }
