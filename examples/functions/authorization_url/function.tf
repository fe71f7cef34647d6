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

# Functions cannot generate random values: make the state elsewhere, for
# example with a random_password resource, and check it when the user comes
# back to the redirect URI (RFC 6749 §10.12).
variable "state" {
  type = string
}

# The URL a user opens to grant access. Only authorization_url and
# client_id are required; redirect_uri, scopes, scope_delimiter, tenant_id,
# extra_params and code_verifier can be left out. With a code_verifier the
# URL carries its S256 challenge (PKCE, RFC 7636).
output "authorization_url" {
  value = provider::oauth2::authorization_url({
    authorization_url = "https://accounts.google.com/o/oauth2/v2/auth"
    client_id         = var.client_id
    redirect_uri      = "http://127.0.0.1:8085/callback"
    scopes            = ["openid", "email", "https://www.googleapis.com/auth/calendar.readonly"]
    extra_params = {
      access_type = "offline"
      prompt      = "consent"
    }
  }, var.state)
}
