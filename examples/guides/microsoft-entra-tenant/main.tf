terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "tenant_id" {
  description = "Directory (tenant) id of the Entra ID tenant."
  type        = string
}

variable "client_id" {
  description = "Application (client) id of the app registration."
  type        = string
}

variable "client_secret" {
  description = "Client secret of the app registration."
  type        = string
  sensitive   = true
  ephemeral   = true
}

locals {
  entra_token_url = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
  graph_scopes    = ["https://graph.microsoft.com/.default"]
}

resource "oauth2_connection" "graph" {
  label                    = "Microsoft Graph (app-only)"
  grant_type               = "client_credentials"
  token_url                = local.entra_token_url
  tenant_id                = var.tenant_id
  client_id                = var.client_id
  client_secret_wo         = var.client_secret
  client_secret_wo_version = 1
  scopes                   = local.graph_scopes
  api_base_url             = "https://graph.microsoft.com/v1.0"
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "graph" {
  grant_type    = "client_credentials"
  token_url     = local.entra_token_url
  tenant_id     = var.tenant_id
  client_id     = var.client_id
  client_secret = var.client_secret
  scopes        = local.graph_scopes
}
