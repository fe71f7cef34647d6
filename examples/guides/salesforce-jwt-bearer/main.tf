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
  description = "Consumer key of the connected app: the assertion's issuer."
  type        = string
}

variable "salesforce_username" {
  description = "Username of the pre-authorized integration user: the assertion's subject."
  type        = string
}

variable "salesforce_audience" {
  description = "The assertion's audience: https://login.salesforce.com, or https://test.salesforce.com for a sandbox."
  type        = string
  default     = "https://login.salesforce.com"
}

variable "salesforce_private_key" {
  description = "PEM private key of the certificate uploaded to the connected app."
  type        = string
  sensitive   = true
  ephemeral   = true
}

locals {
  salesforce_token_url = "https://${var.salesforce_my_domain}/services/oauth2/token"
  salesforce_api_url   = "https://${var.salesforce_my_domain}"
}

# The provider signs a new assertion (iss, sub, aud, exp) with the key for
# every token request; the key itself is never sent, nor stored.
resource "oauth2_connection" "salesforce" {
  label        = "Salesforce (JWT bearer)"
  grant_type   = "jwt_bearer"
  token_url    = local.salesforce_token_url
  api_base_url = local.salesforce_api_url
  signing_key = {
    private_key_wo         = var.salesforce_private_key
    private_key_wo_version = 1
  }
  jwt_bearer = {
    issuer   = var.salesforce_client_id
    subject  = var.salesforce_username
    audience = var.salesforce_audience
  }
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "salesforce" {
  grant_type = "jwt_bearer"
  token_url  = local.salesforce_token_url
  signing_key = {
    private_key = var.salesforce_private_key
  }
  jwt_bearer = {
    issuer   = var.salesforce_client_id
    subject  = var.salesforce_username
    audience = var.salesforce_audience
  }
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
