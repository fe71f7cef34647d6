# Provider functions need the provider in required_providers.
terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

# A PKCE code verifier: 43 to 128 characters of A-Z, a-z, 0-9 and "-._~"
# (RFC 7636 §4.1), for example the result of a random_password resource
# with length = 64 and special = false. Keep it secret until the
# authorization code has been exchanged.
variable "code_verifier" {
  type      = string
  sensitive = true
}

# The challenge goes into the authorization request with
# code_challenge_method=S256. It is not secret, but Terraform marks it
# sensitive because the verifier is.
output "code_challenge" {
  value     = provider::oauth2::pkce_challenge(var.code_verifier)
  sensitive = true
}
