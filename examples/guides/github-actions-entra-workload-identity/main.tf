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
  description = "Application (client) id of the app registration that holds the federated credential."
  type        = string
}

locals {
  entra_token_url = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
  graph_scopes    = ["https://graph.microsoft.com/.default"]

  # The audience GitHub puts in the job's token; the federated credential
  # in Entra ID lists the same value.
  github_audience = "api://AzureADTokenExchange"
}

# No secret: at every token request the provider asks GitHub for the job's
# OpenID Connect token and presents it as the client assertion.
resource "oauth2_connection" "graph" {
  label        = "Microsoft Graph (GitHub Actions)"
  grant_type   = "client_credentials"
  token_url    = local.entra_token_url
  tenant_id    = var.tenant_id
  client_id    = var.client_id
  client_auth  = "private_key_jwt"
  scopes       = local.graph_scopes
  api_base_url = "https://graph.microsoft.com/v1.0"
  identity_token = {
    source   = "github_actions"
    audience = local.github_audience
  }
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "graph" {
  grant_type  = "client_credentials"
  token_url   = local.entra_token_url
  tenant_id   = var.tenant_id
  client_id   = var.client_id
  client_auth = "private_key_jwt"
  scopes      = local.graph_scopes
  identity_token = {
    source   = "github_actions"
    audience = local.github_audience
  }
}

# Calls Microsoft Graph with the token: a failing call fails the apply.
resource "terraform_data" "graph_users" {
  triggers_replace = [oauth2_connection.graph.id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null -H \"Authorization: $AUTH\" https://graph.microsoft.com/v1.0/users"
    environment = {
      AUTH = ephemeral.oauth2_access_token.graph.authorization_header
    }
  }
}
