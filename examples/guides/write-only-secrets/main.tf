terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

# ephemeral = true: the value is available during plan and apply but is
# never written to a plan file or to state. Set it with -var,
# TF_VAR_client_secret or a .tfvars file kept out of version control.
variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

# Bump this whenever client_secret changes.
variable "client_secret_version" {
  type    = number
  default = 1
}

resource "oauth2_connection" "api" {
  label                    = "Inventory API"
  grant_type               = "client_credentials"
  token_url                = "https://auth.example.com/oauth2/token"
  client_id                = "inventory-automation"
  client_secret_wo         = var.client_secret
  client_secret_wo_version = var.client_secret_version
  scopes                   = ["inventory.read"]
}
