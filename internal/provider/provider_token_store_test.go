package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccTokenStore_planTimeValidation(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ hcl, want string }{
		"two backends": {
			hcl: fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    file  = { path = %q }
    vault = { address = "https://vault.example.test:8200" }
  }
}
`, filepath.Join(dir, "two")) + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Invalid Attribute Combination.*2 attributes specified when one \(and only one\) of\s+\[token_store\.disabled,token_store\.file,token_store\.postgres,token_store\.vault\]`,
		},
		"no backend": {
			hcl: `
provider "oauth2" {
  token_store = {}
}
` + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Invalid Attribute Combination.*No attribute specified when one \(and only one\) of\s+\[token_store\.disabled,token_store\.file,token_store\.postgres,token_store\.vault\]`,
		},
		"connection_id with the store disabled": {
			hcl: `
provider "oauth2" {
  token_store = { disabled = true }
}
` + testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
  client_secret = "s"
`),
			want: `(?s)Missing OAuth2 Token Store.*connection_id needs the provider's token\s+store`,
		},
		"connection_id of a connection never applied": {
			hcl: testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
  client_secret = "s"
`),
			want: `(?s)holds no refresh token for connection`,
		},
		"connection_id with another grant": {
			hcl: testAccAccessTokenConfig(`
  connection_id = "0d6f0a64-33a4-4f3e-9a40-2b0b4a3b0e11"
  grant_type    = "client_credentials"
  token_url     = "https://login.example.test/token"
  client_id     = "c"
`),
			want: `(?s)grant_type = "client_credentials" cannot be used with\s+connection_id`,
		},
		"unusable key": {
			hcl: fmt.Sprintf(`
provider "oauth2" {
  token_store = {
    file = {
      path = %q
      key  = "not-a-key"
    }
  }
}
`, filepath.Join(dir, "badkey")) + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Unable to Open OAuth2 Token Store.*file token store.*32 bytes`,
		},
		"unreachable database": {
			hcl: `
provider "oauth2" {
  token_store = {
    postgres = {
      conn_str = "postgres://oauth2:LEAK-db-password@127.0.0.1:1/terraform?sslmode=disable&connect_timeout=5"
      key      = "8facb639ef2690d905e0a6a6b4579e5affe358f17c5699c1c74a177f13cfb1e6"
    }
  }
}
` + testAccConnectionClientCredentialsConfig("https://login.example.test/token", "basic", "s"),
			want: `(?s)Unable to Open OAuth2 Token Store.*postgres token store.*reachable`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   ephemeralVersions,
				Steps: []resource.TestStep{{
					Config:      tc.hcl,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func TestTokenStoreSettings(t *testing.T) {
	ctx := context.Background()
	str := types.StringType
	fileType := map[string]attr.Type{"path": str, "key": str}
	pgType := map[string]attr.Type{"conn_str": str, "schema": str, "key": str}
	vaultType := map[string]attr.Type{
		"address": str, "token": str, "namespace": str, "ca_cert_file": str, "mount": str, "path_prefix": str, "key": str,
	}
	block := func(file, pg, vault map[string]string) types.Object {
		obj := func(typ map[string]attr.Type, v map[string]string) types.Object {
			if v == nil {
				return types.ObjectNull(typ)
			}
			vals := map[string]attr.Value{}
			for name := range typ {
				vals[name] = types.StringNull()
				if s, ok := v[name]; ok {
					vals[name] = types.StringValue(s)
				}
			}
			return types.ObjectValueMust(typ, vals)
		}
		f, p, va := obj(fileType, file), obj(pgType, pg), obj(vaultType, vault)
		return types.ObjectValueMust(
			map[string]attr.Type{"disabled": types.BoolType, "file": f.Type(ctx), "postgres": p.Type(ctx), "vault": va.Type(ctx)},
			map[string]attr.Value{"disabled": types.BoolNull(), "file": f, "postgres": p, "vault": va},
		)
	}
	env := map[string]string{
		envTokenStorePath: "/env/tokens.json",
		envTokenStoreKey:  "env-key",
		envPGConnStr:      "postgres://env",
	}
	getenv := func(k string) string { return env[k] }

	noBlock := types.ObjectNull(block(nil, nil, nil).AttributeTypes(ctx))
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); s != nil || disabled || diags.HasError() {
		t.Errorf("no token_store block: got %+v, %v, %v; want the default store", s, disabled, diags)
	}
	env[envTokenStoreDisabled] = "true"
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); s != nil || !disabled || diags.HasError() {
		t.Errorf("no token_store block, %s=true: got %+v, %v, %v; want the store disabled", envTokenStoreDisabled, s, disabled, diags)
	}
	env[envTokenStoreDisabled] = "sometimes"
	if _, _, diags := tokenStoreSettingsFrom(ctx, noBlock, getenv); !diags.HasError() || !strings.Contains(diags[0].Detail(), envTokenStoreDisabled) {
		t.Errorf("%s=sometimes: got %v, want an error naming it", envTokenStoreDisabled, diags)
	}
	delete(env, envTokenStoreDisabled)
	off := block(nil, nil, nil)
	offAttrs := off.Attributes()
	offAttrs["disabled"] = types.BoolValue(true)
	if s, disabled, diags := tokenStoreSettingsFrom(ctx, types.ObjectValueMust(off.AttributeTypes(ctx), offAttrs), getenv); s != nil || !disabled || diags.HasError() {
		t.Errorf("disabled = true: got %+v, %v, %v; want the store disabled", s, disabled, diags)
	}

	for _, tc := range []struct {
		name  string
		block types.Object
		check func(tokenStoreSettings) string
	}{
		{"file from environment", block(map[string]string{}, nil, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.file.Path + " " + s.file.Key
		}},
		{"file attributes win", block(map[string]string{"path": "/cfg", "key": "cfg-key"}, nil, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.file.Path + " " + s.file.Key
		}},
		{"postgres from environment", block(nil, map[string]string{"schema": "ci"}, nil), func(s tokenStoreSettings) string {
			return s.backend + " " + s.postgres.ConnString + " " + s.postgres.Schema + " " + s.postgres.Key
		}},
		{"vault", block(nil, nil, map[string]string{"address": "https://v", "token": "t", "key": "k"}), func(s tokenStoreSettings) string {
			return s.backend + " " + s.vault.Address + " " + s.vault.Token + " " + s.vault.Key
		}},
	} {
		s, _, diags := tokenStoreSettingsFrom(ctx, tc.block, getenv)
		if diags.HasError() || s == nil {
			t.Errorf("%s: %v", tc.name, diags)
			continue
		}
		got := tc.check(*s)
		want := map[string]string{
			"file from environment":     "file /env/tokens.json env-key",
			"file attributes win":       "file /cfg cfg-key",
			"postgres from environment": "postgres postgres://env ci env-key",
			"vault":                     "vault https://v t k",
		}[tc.name]
		if got != want {
			t.Errorf("%s: got %q, want %q", tc.name, got, want)
		}
	}

	_, _, diags := tokenStoreSettingsFrom(ctx, block(map[string]string{}, nil, map[string]string{}), getenv)
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "at most one backend") {
		t.Errorf("two backends: got %v, want an error", diags)
	}
	unknownPath := types.ObjectValueMust(fileType, map[string]attr.Value{"path": types.StringUnknown(), "key": types.StringNull()})
	b := block(nil, nil, nil)
	attrs := b.Attributes()
	attrs["file"] = unknownPath
	_, _, diags = tokenStoreSettingsFrom(ctx, types.ObjectValueMust(b.AttributeTypes(ctx), attrs), getenv)
	var at path.Path
	if len(diags) > 0 {
		if d, ok := diags[0].(diag.DiagnosticWithPath); ok {
			at = d.Path()
		}
	}
	if !diags.HasError() || !at.Equal(path.Root("token_store")) {
		t.Errorf("unknown path: got %v, want an error at token_store", diags)
	}
}

// TestAccTokenStore_noSecretLeaks refreshes through the store twice, the
// second time with the stored, rotated refresh token, with TF_LOG=TRACE,
// then searches the logs and every file the CLI left for any secret or token
// the server knows.
func TestAccTokenStore_noSecretLeaks(t *testing.T) {
	clock := &testClock{}
	server := newStoreTokenServer(t, clock)
	seed := server.IssueRefreshToken(storeClientID, "alice", "read")

	dir := t.TempDir()
	logPath := filepath.Join(dir, "tf.log")
	t.Setenv("TF_ACC_TEMP_DIR", dir)
	t.Setenv("TF_ACC_PERSIST_WORKING_DIR", "1")
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	// Secrets arrive through sensitive variables, as in real use.
	vars := config.Variables{
		"client_secret": config.StringVariable(storeClientSecret),
		"refresh_token": config.StringVariable(seed),
	}
	hcl := fmt.Sprintf(`
variable "client_secret" {
  type      = string
  sensitive = true
}

variable "refresh_token" {
  type      = string
  sensitive = true
}

provider "oauth2" {
  token_store = {
    file = {
      path = %[1]q
      key  = %[2]q
    }
  }
}

ephemeral "oauth2_access_token" "leak" {
  grant_type    = "refresh_token"
  token_url     = %[3]q
  client_id     = %[4]q
  client_secret = var.client_secret
  refresh_token = var.refresh_token
}

resource "terraform_data" "after" {
  input = "opened"
}
`, filepath.Join(dir, "store", "tokens.json"), testStoreKey(t), server.TokenURL(), storeClientID)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccStoreFactories(clock),
		TerraformVersionChecks:   ephemeralVersions,
		Steps: []resource.TestStep{
			{Config: hcl, ConfigVariables: vars},
			{
				PreConfig:       func() { clock.Advance(2 * time.Hour) },
				Config:          hcl,
				ConfigVariables: vars,
				PlanOnly:        true,
			},
		},
	})
	if st := server.Stats(); st.Refreshes != 2 || st.InvalidGrants != 0 {
		t.Errorf("refreshes %d, invalid_grant answers %d; want 2, 0", st.Refreshes, st.InvalidGrants)
	}

	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the captured log: %v", err)
	}
	for _, want := range []string{"opening oauth2 access token", "token refreshed and saved", "[TRACE]"} {
		if !bytes.Contains(logs, []byte(want)) {
			t.Errorf("the captured log lacks %q; the leak search would prove nothing", want)
		}
	}
	if leaks := server.Leaks(string(logs)); len(leaks) > 0 {
		t.Errorf("the logs hold: %s", strings.Join(leaks, ", "))
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == logPath || strings.HasSuffix(p, ".tfvars.json") || strings.Contains(p, "/plugins/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if leaks := server.Leaks(string(data)); len(leaks) > 0 {
			t.Errorf("%s holds: %s", p, strings.Join(leaks, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
