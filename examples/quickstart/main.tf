# Quickstart: prove a set of OAuth2 credentials works, register a webhook
# secret, and hand a fresh bearer token to something that calls the API.
#
# `make demo` runs this against a local token server; to run it against your
# own provider, set the variables in variables.tf.

terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

provider "oauth2" {}

locals {
  scopes = ["read", "write"]
}

# Apply requests a token with these credentials and fails if the token
# endpoint refuses them. The secret is write-only: it is sent, never stored.
resource "oauth2_connection" "api" {
  label                    = "Quickstart API"
  grant_type               = "client_credentials"
  token_url                = var.token_url
  client_id                = var.client_id
  client_secret_wo         = var.client_secret
  client_secret_wo_version = 1
  scopes                   = local.scopes
  api_base_url             = var.api_base_url
}

# The credentials a webhook sender uses to fetch its bearer token: the
# username/password convention, sent as a JSON body.
resource "oauth2_webhook_secret" "events" {
  name                = "quickstart-events"
  convention          = "username_password"
  token_url           = var.token_url
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

# A fresh access token for this run only: it never appears in plan or state.
# It is fed from the same variables as the connection, never from the
# connection's attributes: during plan, OpenTofu does not open an ephemeral
# resource that depends on a resource with pending changes, such as this
# connection on the first apply.
ephemeral "oauth2_access_token" "api" {
  token_url     = var.token_url
  client_id     = var.client_id
  client_secret = var.client_secret
  scopes        = local.scopes
}

# Proves the token works by calling the API with it. Ephemeral values may be
# used in a provisioner's environment; its output is then suppressed, but a
# failing command still fails the apply.
resource "terraform_data" "api_probe" {
  triggers_replace = [oauth2_connection.api.id]

  provisioner "local-exec" {
    command = var.probe_command
    environment = {
      AUTH    = ephemeral.oauth2_access_token.api.authorization_header
      API_URL = var.api_base_url
    }
  }
}
