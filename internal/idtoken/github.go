package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The variables GitHub Actions sets in a job that may request an ID token.
const (
	gitHubURLVar   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	gitHubTokenVar = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// defaultTimeout bounds the GitHub Actions request when the caller supplies
// no client; the endpoint answers in well under a second, and a hung
// request would otherwise hold a plan until the job times out.
const defaultTimeout = 30 * time.Second

// maxAnswerSize bounds the ID token endpoint's answer: a token is a few
// KiB, and a larger body is not a token response.
const maxAnswerSize = 1 << 20

// noRedirects keeps the request token with the endpoint GitHub named: a
// redirect could otherwise carry it to another host.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// client returns the caller's client, or a default one, with redirects off
// either way. The caller's client is copied, not changed.
func (f Fetcher) client() *http.Client {
	if f.HTTPClient == nil {
		return &http.Client{Timeout: defaultTimeout, CheckRedirect: noRedirects}
	}
	c := *f.HTTPClient
	c.CheckRedirect = noRedirects
	return &c
}

func (f Fetcher) gitHubActions(ctx context.Context, audience string) (string, error) {
	rawURL, reqToken := f.getenv(gitHubURLVar), f.getenv(gitHubTokenVar)
	var missing []string
	if rawURL == "" {
		missing = append(missing, gitHubURLVar)
	}
	if reqToken == "" {
		missing = append(missing, gitHubTokenVar)
	}
	if len(missing) > 0 {
		verb := "is"
		if len(missing) > 1 {
			verb = "are"
		}
		return "", fmt.Errorf("idtoken: github_actions: %s %s not set; GitHub sets %s and %s only in a job that has `permissions: id-token: write` (in the job or the workflow), and never for pull requests from forks", strings.Join(missing, " and "), verb, gitHubURLVar, gitHubTokenVar)
	}

	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("idtoken: github_actions: %s is not an absolute URL; it should be set by GitHub, not by the workflow", gitHubURLVar)
	}
	endpoint := u.Scheme + "://" + u.Host // shown in errors: the path and query are GitHub's business
	if secure := u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname()); !secure {
		return "", fmt.Errorf("idtoken: github_actions: %s (%s) must be an https URL, so that the request token is not sent in the clear; it should be set by GitHub, not by the workflow", gitHubURLVar, endpoint)
	}
	if audience != "" {
		rawURL = withAudience(rawURL, audience)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		// The error would quote the URL; it was parsed above, so this is
		// not expected.
		return "", fmt.Errorf("idtoken: github_actions: cannot build the request to %s from %s", endpoint, gitHubURLVar)
	}
	req.Header.Set("Authorization", "bearer "+reqToken)
	req.Header.Set("Accept", "application/json")

	resp, err := f.client().Do(req)
	if err != nil {
		// url.Error quotes the full URL; say which host instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("idtoken: github_actions: requesting an ID token from %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize+1))
	if err != nil {
		return "", fmt.Errorf("idtoken: github_actions: reading the answer from %s (status %d): %w", endpoint, resp.StatusCode, err)
	}
	if len(body) > maxAnswerSize {
		return "", fmt.Errorf("idtoken: github_actions: the answer from %s (status %d) is larger than 1 MiB, which no ID token response is; check %s", endpoint, resp.StatusCode, gitHubURLVar)
	}

	var answer struct {
		Value *string `json:"value"`
	}
	jsonErr := json.Unmarshal(body, &answer)
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			// Neither the body nor the Location is quoted: either may carry
			// a query with credentials in it.
			return "", fmt.Errorf("idtoken: github_actions: the ID token endpoint %s answered with a redirect (status %d)%s, which is not followed so that the request token goes nowhere else; check %s", endpoint, resp.StatusCode, redirectTarget(resp), gitHubURLVar)
		}
		secrets := []string{reqToken}
		if jsonErr == nil && answer.Value != nil {
			secrets = append(secrets, *answer.Value)
		}
		msg := fmt.Sprintf("idtoken: github_actions: the ID token endpoint %s refused the request (status %d)", endpoint, resp.StatusCode)
		if ex := excerpt(body, secrets...); ex != "" {
			msg += ": " + ex
		}
		return "", errors.New(msg)
	}
	if jsonErr != nil {
		msg := fmt.Sprintf("idtoken: github_actions: the answer from %s (status 200) is not the JSON object GitHub sends", endpoint)
		if ex := excerpt(body, reqToken); ex != "" {
			msg += ": " + ex
		}
		return "", errors.New(msg)
	}
	if answer.Value == nil || strings.TrimSpace(*answer.Value) == "" {
		return "", fmt.Errorf("idtoken: github_actions: the answer from %s (status 200) has no token in its value field", endpoint)
	}
	return strings.TrimSpace(*answer.Value), nil
}

// redirectTarget names the host a redirect points to, or nothing when the
// Location is absent or unusable.
func redirectTarget(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return ""
	}
	return " to " + loc.Scheme + "://" + loc.Host
}

// withAudience adds the audience parameter to GitHub's URL, which already
// has a query (api-version). Appending, as GitHub's own toolkit does, keeps
// the rest of the URL exactly as GitHub wrote it; a fragment, which would
// swallow the parameter, is dropped.
func withAudience(rawURL, audience string) string {
	rawURL, _, _ = strings.Cut(rawURL, "#")
	sep := "&"
	switch {
	case !strings.Contains(rawURL, "?"):
		sep = "?"
	case strings.HasSuffix(rawURL, "?") || strings.HasSuffix(rawURL, "&"):
		sep = ""
	}
	return rawURL + sep + "audience=" + url.QueryEscape(audience)
}

// isLoopback reports whether host names this machine, the only place plain
// http may go: the test servers, and nothing a CI system would use.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
