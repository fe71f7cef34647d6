terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "salesforce_my_domain" {
  description = "My Domain host of the org, e.g. acme.my.salesforce.com."
  type        = string
}

variable "salesforce_client_id" {
  description = "Consumer key of the connected app."
  type        = string
}

variable "salesforce_client_secret" {
  description = "Consumer secret of the connected app."
  type        = string
  sensitive   = true
  ephemeral   = true
}

locals {
  salesforce_token_url = "https://${var.salesforce_my_domain}/services/oauth2/token"
  salesforce_api_url   = "https://${var.salesforce_my_domain}"
}

# Apply requests a token for the connected app's run-as user and fails with
# Salesforce's answer if the credentials or the app settings are wrong.
resource "oauth2_connection" "salesforce" {
  label                    = "Salesforce Production Integration"
  grant_type               = "client_credentials"
  token_url                = local.salesforce_token_url
  client_id                = var.salesforce_client_id
  client_secret_wo         = var.salesforce_client_secret
  client_secret_wo_version = 1
  api_base_url             = local.salesforce_api_url
}

# A fresh token for this run only, fed from the same variables and locals
# as the connection rather than from its attributes, so that OpenTofu opens
# it during the first plan too.
ephemeral "oauth2_access_token" "salesforce" {
  grant_type    = "client_credentials"
  token_url     = local.salesforce_token_url
  client_id     = var.salesforce_client_id
  client_secret = var.salesforce_client_secret
}

# Calls the REST API with the token: a failing call fails the apply.
resource "terraform_data" "salesforce_limits" {
  triggers_replace = [oauth2_connection.salesforce.id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null -H \"Authorization: $AUTH\" \"$API_URL/services/data/v62.0/limits\""
    environment = {
      AUTH    = ephemeral.oauth2_access_token.salesforce.authorization_header
      API_URL = local.salesforce_api_url
    }
  }
}
