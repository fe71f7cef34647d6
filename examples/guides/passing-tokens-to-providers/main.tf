terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

ephemeral "oauth2_access_token" "api" {
  grant_type    = "client_credentials"
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "inventory-automation"
  client_secret = var.client_secret
  scopes        = ["inventory.read"]
  min_validity  = "15m"
}

# Ephemeral values are allowed in locals, provider blocks, provisioner and
# connection blocks, and write-only attributes.
locals {
  api_headers = {
    Authorization = ephemeral.oauth2_access_token.api.authorization_header
    Accept        = "application/json"
  }
}

resource "terraform_data" "inventory_check" {
  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null -H \"Authorization: $AUTH\" https://inventory.example.com/v1/items"
    environment = {
      AUTH = local.api_headers.Authorization
    }
  }
}
