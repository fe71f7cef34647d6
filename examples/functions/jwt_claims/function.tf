# Provider functions need the provider in required_providers.
terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "id_token" {
  type      = string
  sensitive = true
}

locals {
  # Decoded, NOT verified: anyone can write a token with these claims.
  # Use them for display and debugging, never to decide who gets access.
  id_token_claims = provider::oauth2::jwt_claims(var.id_token)
}

# The claims are sensitive because the token is; claims decoded from a
# value that is not sensitive would be shown in the plan.
output "token_subject" {
  value     = local.id_token_claims.sub
  sensitive = true
}

# Numbers keep their type: exp is seconds since 1970 (RFC 7519 §4.1.4).
output "token_expires" {
  value     = timeadd("1970-01-01T00:00:00Z", "${local.id_token_claims.exp}s")
  sensitive = true
}
