variable "billing_client_id" {
  type = string
}

variable "billing_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "graph_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "reports_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

# Client credentials. Apply requests a token and fails if the token endpoint
# refuses the credentials. The secret is write-only: it is sent, never stored;
# change client_secret_wo_version to send a rotated secret. Plans check the
# secret again once the last validation is a day old, so a secret revoked at
# the server shows as a change instead of going unnoticed.
resource "oauth2_connection" "example" {
  label                    = "Billing API"
  grant_type               = "client_credentials"
  token_url                = "https://auth.example.com/oauth2/token"
  client_id                = var.billing_client_id
  client_secret_wo         = var.billing_client_secret
  client_secret_wo_version = 1
  scopes                   = ["billing.read", "billing.write"]
  api_base_url             = "https://billing.example.com"
  revalidate_after         = "24h"

  extra_params = {
    audience = "https://billing.example.com"
  }
}

# Microsoft Entra ID: {tenant_id} in the token URL is filled from tenant_id.
resource "oauth2_connection" "graph" {
  label                    = "Microsoft Graph"
  grant_type               = "client_credentials"
  token_url                = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
  tenant_id                = "00000000-0000-0000-0000-000000000000"
  client_id                = "11111111-1111-1111-1111-111111111111"
  client_secret_wo         = var.graph_client_secret
  client_secret_wo_version = 1
  scopes                   = ["https://graph.microsoft.com/.default"]
  api_base_url             = "https://graph.microsoft.com/v1.0"
}

# Resource owner password grant for a public client (no client secret) on a
# platform that wants a JSON body and comma-separated scopes.
resource "oauth2_connection" "reports" {
  label               = "Reporting service account"
  grant_type          = "password"
  token_url           = "https://reports.example.com/api/oauth/token"
  client_id           = "reports-cli"
  client_auth         = "none"
  request_encoding    = "json"
  username            = "svc-terraform"
  password_wo         = var.reports_password
  password_wo_version = 1
  scopes              = ["reports:read", "exports:read"]
  scope_delimiter     = ","
}

# A known platform by name: the preset supplies the token URL, client
# authentication and body conventions. Destroying the connection revokes the
# refresh token it obtained at the preset's revocation endpoint.
resource "oauth2_connection" "graph_preset" {
  label                    = "Microsoft Graph (preset)"
  preset                   = "microsoft_entra"
  preset_params            = { tenant_id = "00000000-0000-0000-0000-000000000000" }
  client_id                = "00000000-0000-0000-0000-000000000001"
  client_secret_wo         = var.graph_client_secret
  client_secret_wo_version = 1
  scopes                   = ["https://graph.microsoft.com/.default"]
}

# Any RFC 8414 or OpenID Connect server by its issuer: the endpoints and the
# client authentication come from its metadata.
resource "oauth2_connection" "okta" {
  label                    = "Okta (discovered)"
  issuer                   = "https://example.okta.com/oauth2/default"
  client_id                = var.billing_client_id
  client_secret_wo         = var.billing_client_secret
  client_secret_wo_version = 1
  scopes                   = ["billing.read"]
}
