terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "hubspot_client_id" {
  type = string
}

variable "hubspot_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

# Step 2 only: the code HubSpot appended to the redirect URI.
variable "hubspot_authorization_code" {
  type      = string
  default   = null
  ephemeral = true
}

# Step 2 only: raise it with every new code, so that the code is exchanged.
variable "hubspot_authorization_code_version" {
  type    = number
  default = 0
}

locals {
  hubspot_token_url = "https://api.hubapi.com/oauth/v1/token"
}

resource "oauth2_connection" "hubspot" {
  label                         = "HubSpot CRM"
  grant_type                    = "authorization_code"
  authorization_url             = "https://app.hubspot.com/oauth/authorize"
  token_url                     = local.hubspot_token_url
  redirect_uri                  = "http://localhost:8080/callback"
  client_id                     = var.hubspot_client_id
  client_secret_wo              = var.hubspot_client_secret
  client_secret_wo_version      = 1
  client_auth                   = "post"
  scopes                        = ["crm.objects.contacts.read"]
  api_base_url                  = "https://api.hubapi.com"
  authorization_code_wo         = var.hubspot_authorization_code
  authorization_code_wo_version = var.hubspot_authorization_code_version
}

output "hubspot_authorization_request_url" {
  description = "Open this URL, grant access, and copy the code from the redirect."
  value       = oauth2_connection.hubspot.authorization_request_url
}

output "hubspot_connection_id" {
  description = "The connection's id, for the connection_id of an oauth2_access_token."
  value       = oauth2_connection.hubspot.id
}
