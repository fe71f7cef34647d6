package idtoken

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Fetcher obtains ID tokens. Its zero value reads the process environment
// and uses a default HTTP client; tests and the command-line tool replace
// either.
type Fetcher struct {
	// Getenv looks up environment variables; nil means os.Getenv.
	Getenv func(string) string
	// HTTPClient sends the GitHub Actions request; nil means a client with
	// a 30 s timeout. Redirects are never followed, whichever client is
	// used, so that the request token cannot be sent anywhere else.
	HTTPClient *http.Client
}

// Token obtains an ID token from s. The token is returned trimmed of
// surrounding whitespace and checked to have the shape of a compact JWS.
// Nothing is cached: CI tokens are short-lived, and a file's token may have
// been rotated since the last call.
func (f Fetcher) Token(ctx context.Context, s Source) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	var (
		token string
		from  string // where the token came from, for the shape error
		err   error
	)
	switch s.Kind {
	case GitHubActions:
		token, err = f.gitHubActions(ctx, s.Audience)
		from = "the value field of the ID token endpoint's answer"
	case GitLabCI:
		token, err = f.gitLab(s.Name)
		from = "the environment variable " + s.Name
	case HCPTerraform:
		token, err = f.hcpTerraform(s.Name)
		from = "the environment variable " + hcpVariable(s.Name)
	case File:
		token, err = readTokenFile(s.File)
		from = "the file " + s.File
	default:
		// Validate accepted a kind that Token does not handle: a bug here.
		return "", fmt.Errorf("idtoken: kind %q is not implemented", s.Kind)
	}
	if err != nil {
		return "", err
	}
	if !looksLikeJWS(token) {
		return "", fmt.Errorf("idtoken: %s: %s does not hold a JWT (three base64url parts separated by dots); check that it is the OIDC ID token and not another credential (the value is not shown)", s.Kind, from)
	}
	return token, nil
}

func (f Fetcher) getenv(name string) string {
	if f.Getenv == nil {
		return strings.TrimSpace(os.Getenv(name))
	}
	return strings.TrimSpace(f.Getenv(name))
}

func (f Fetcher) gitLab(name string) (string, error) {
	if v := f.getenv(name); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("idtoken: gitlab_ci: the environment variable %s is not set or empty; declare it in the job in .gitlab-ci.yml, with the audience the token server expects: `id_tokens: {%s: {aud: <audience>}}`", name, name)
}

// hcpVariable is the variable HCP Terraform puts the token for tag in.
func hcpVariable(tag string) string {
	if tag == "" {
		return "TFC_WORKLOAD_IDENTITY_TOKEN"
	}
	return "TFC_WORKLOAD_IDENTITY_TOKEN_" + tag
}

func (f Fetcher) hcpTerraform(tag string) (string, error) {
	name := hcpVariable(tag)
	if v := f.getenv(name); v != "" {
		return v, nil
	}
	audience := "TFC_WORKLOAD_IDENTITY_AUDIENCE"
	if tag != "" {
		audience += "_" + tag
	}
	return "", fmt.Errorf("idtoken: hcp_terraform: the environment variable %s is not set or empty; HCP Terraform sets it only in a remote or agent run of a workspace that defines the environment variable %s (set it to the audience the token server expects)", name, audience)
}

// maxFileSize bounds a token file: ID tokens are a few KiB, and a larger
// file is not one.
const maxFileSize = 64 << 10

// readTokenFile reads path afresh, because projected service account tokens
// and the like are replaced as they rotate.
func readTokenFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("idtoken: file: the token file %s does not exist; check the path and that the volume holding it is mounted", path)
		}
		return "", fmt.Errorf("idtoken: file: cannot open the token file: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("idtoken: file: cannot read the token file: %w", err)
	}
	if len(b) > maxFileSize {
		return "", fmt.Errorf("idtoken: file: the token file %s is larger than %d KiB, too large for an ID token; check the path", path, maxFileSize>>10)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("idtoken: file: the token file %s is empty; check that whatever writes it (for Kubernetes, the projected volume) has done so", path)
	}
	return token, nil
}
