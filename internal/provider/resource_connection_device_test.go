package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenserver"
)

// The device_code grant over applies: the first shows where to approve and
// the code, one before the approval stays pending, the one after it is
// authorized, and an access token with its connection_id then works.
func TestAccConnection_deviceCode(t *testing.T) {
	srv := startedTokenServer(t, tokenserver.Config{
		Clients:            map[string]tokenserver.Client{"tv-client": {Secret: "tv-secret"}},
		Users:              map[string]string{"alice": "alice-password"},
		DevicePollInterval: -1,
	})

	hcl := `
variable "token_url" { type = string }
variable "device_url" { type = string }
variable "secret" {
  type      = string
  sensitive = true
}

resource "oauth2_connection" "tv" {
  label                    = "Device"
  grant_type               = "device_code"
  token_url                = var.token_url
  device_authorization_url = var.device_url
  client_id                = "tv-client"
  client_secret_wo         = var.secret
  client_secret_wo_version = 1
}
`
	vars := config.Variables{
		"token_url":  config.StringVariable(srv.TokenURL()),
		"device_url": config.StringVariable(srv.DeviceAuthorizationURL()),
		"secret":     config.StringVariable("tv-secret"),
	}
	var userCode string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   writeOnlyVersions,
		Steps: []resource.TestStep{
			{
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.tv", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
					statecheck.ExpectKnownValue("oauth2_connection.tv", tfjsonpath.New("device_user_code"), knownvalue.StringRegexp(regexp.MustCompile(`^[A-Z]{4}-[A-Z]{4}$`))),
				},
				Check: func(s *terraform.State) error {
					userCode = s.RootModule().Resources["oauth2_connection.tv"].Primary.Attributes["device_user_code"]
					return nil
				},
			},
			{
				// Not approved yet: still pending, the same code.
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.tv", tfjsonpath.New("status"), knownvalue.StringExact("pending_authorization")),
				},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources["oauth2_connection.tv"].Primary.Attributes["device_user_code"]; got != userCode {
						return fmt.Errorf("the user code changed from %q to %q while pending", userCode, got)
					}
					return nil
				},
			},
			{
				PreConfig: func() {
					if err := srv.ApproveDevice(userCode); err != nil {
						t.Fatalf("approving %q: %v", userCode, err)
					}
				},
				Config:          hcl,
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("oauth2_connection.tv", tfjsonpath.New("status"), knownvalue.StringExact("authorized")),
					statecheck.ExpectKnownValue("oauth2_connection.tv", tfjsonpath.New("device_user_code"), knownvalue.Null()),
				},
			},
			{
				// Authorized: nothing left to do.
				Config:          hcl,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config: hcl + `
ephemeral "oauth2_access_token" "tv" {
  connection_id = oauth2_connection.tv.id
  token_url     = var.token_url
  client_id     = "tv-client"
  client_secret = var.secret
}

` + echoTokenType("tv"),
				ConfigVariables: vars,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token_type", tfjsonpath.New("data"), knownvalue.StringExact("Bearer")),
				},
			},
		},
	})
	if st := srv.Stats(); st.DeviceAuthorizations != 1 {
		t.Errorf("%d device authorizations, want 1", st.DeviceAuthorizations)
	}
}
