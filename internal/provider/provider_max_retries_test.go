package provider

import (
	"io"
	"log"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// discardServerLog is a server error log that drops everything, for test
// servers that refuse handshakes on purpose.
func discardServerLog() *log.Logger { return log.New(io.Discard, "", 0) }

// TestClientOptions_maxRetriesBound checks the OAUTH2_MAX_RETRIES fallback
// against the bound oauthclient enforces, overflowing values included.
func TestClientOptions_maxRetriesBound(t *testing.T) {
	for _, v := range []string{"11", "1000000000", strconv.Itoa(math.MaxInt), "99999999999999999999", "-1"} {
		_, diags := clientOptions(providerModel{}, func(k string) string {
			if k == envMaxRetries {
				return v
			}
			return ""
		})
		if !diags.HasError() {
			t.Errorf("%s=%s: no error", envMaxRetries, v)
			continue
		}
		if d := diags[0].Detail(); !strings.Contains(d, "OAUTH2_MAX_RETRIES environment variable must be a whole number from 0 to 10 (it sets max_retries)") {
			t.Errorf("%s=%s: detail %q does not name the variable, the attribute and the bound", envMaxRetries, v, d)
		}
	}
	got, diags := clientOptions(providerModel{}, func(k string) string {
		if k == envMaxRetries {
			return "10"
		}
		return ""
	})
	if diags.HasError() || got.MaxRetries != oauthclient.MaxRetriesLimit {
		t.Errorf("%s=10: options %+v, diagnostics %v; want 10 retries", envMaxRetries, got, diags)
	}
	if _, err := oauthclient.New(got); err != nil {
		t.Errorf("oauthclient.New refuses the bound: %v", err)
	}
	// The attribute itself is bounded at plan time; a value that slipped
	// through would still be refused by oauthclient.New.
	if _, err := oauthclient.New(oauthclient.Options{MaxRetries: 11}); err == nil {
		t.Error("oauthclient.New accepts 11 retries")
	}
}

// TestAccProvider_maxRetriesBound checks that max_retries above the bound
// fails at plan time, naming the attribute, and so does the environment
// variable.
func TestAccProvider_maxRetriesBound(t *testing.T) {
	server := newTokenEndpoint(t, func(recordedRequest) tokenAnswer {
		t.Errorf("a token was requested although the provider configuration is invalid")
		return issue("t", 3600, nil)
	})
	for _, tc := range []struct {
		name, provider, env string
		want                *regexp.Regexp
	}{
		{"attribute", "max_retries = 1000000000", "", regexp.MustCompile(`(?s)max_retries.*value must be between 0 and 10, got: 1000000000`)},
		{"attribute max int", "max_retries = 9223372036854775807", "", regexp.MustCompile(`(?s)max_retries.*value must be between 0 and 10`)},
		{"environment", "", "11", regexp.MustCompile(`(?s)Invalid OAuth2 Provider Environment Variable.*` +
			wrapped("OAUTH2_MAX_RETRIES environment variable must be a whole number from 0 to 10 (it sets max_retries)"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(envMaxRetries, tc.env)
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      "provider \"oauth2\" {\n  " + tc.provider + "\n}\n" + testAccConnectionClientCredentialsConfig(server.URL(), "basic", "s"),
					PlanOnly:    true,
					ExpectError: tc.want,
				}},
			})
		})
	}
}

// wrapped matches phrase however the CLI wraps its lines.
func wrapped(phrase string) string {
	words := strings.Fields(phrase)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(words, `\s+`)
}
