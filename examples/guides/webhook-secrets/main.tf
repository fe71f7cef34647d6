terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "sender_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "sender_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

# username_password: the sender posts
#   {"grant_type":"password","username":...,"password":...,"scope":...}
# to the token URL and uses the access_token it gets back.
resource "oauth2_webhook_secret" "crm_events" {
  name                = "crm-events"
  convention          = "username_password"
  token_url           = "https://receiver.example.com/oauth/token"
  grant_type          = "password"
  scope               = "events:write"
  username            = "crm-sender"
  password_wo         = var.sender_password
  password_wo_version = 1
}

# client_credentials: the sender authenticates as a client instead.
resource "oauth2_webhook_secret" "billing_events" {
  name                     = "billing-events"
  convention               = "client_credentials"
  token_url                = "https://receiver.example.com/oauth/token"
  grant_type               = "client_credentials"
  scope                    = "events:write"
  client_id                = "billing-sender"
  client_secret_wo         = var.sender_client_secret
  client_secret_wo_version = 1
}
