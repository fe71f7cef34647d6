# Provider functions need the provider in required_providers.
terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "client_id" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
}

# The Authorization header of client_secret_basic authentication (RFC 6749
# §2.3.1), for a provider or tool that calls a token endpoint itself. The
# id and secret are form-encoded before they are joined, unlike
# base64encode("${var.client_id}:${var.client_secret}") (RFC 7617), which
# differs once the secret holds characters such as "+", "/" or ":".
output "authorization_header" {
  value     = provider::oauth2::basic_auth(var.client_id, var.client_secret)
  sensitive = true
}
