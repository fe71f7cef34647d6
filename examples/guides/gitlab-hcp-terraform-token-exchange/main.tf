terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "sts_token_url" {
  description = "Token endpoint of the security token service, e.g. https://sts.example.com/oauth2/token."
  type        = string
}

locals {
  # The name the job gives its token under id_tokens: in .gitlab-ci.yml.
  gitlab_id_token = "OAUTH2_ID_TOKEN"

  # What to ask the security token service for (RFC 8693 §2.1).
  api_audiences        = ["https://api.example.com"]
  api_resources        = ["https://api.example.com/v1/"]
  api_scopes           = ["deploy"]
  requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
}

# No secret: the job's GitLab ID token is the subject token, read from the
# environment at every token request.
resource "oauth2_connection" "api" {
  label      = "Example API (GitLab CI token exchange)"
  grant_type = "token_exchange"
  token_url  = var.sts_token_url
  scopes     = local.api_scopes
  identity_token = {
    source = "gitlab_ci"
    name   = local.gitlab_id_token
  }
  token_exchange = {
    audiences            = local.api_audiences
    resources            = local.api_resources
    requested_token_type = local.requested_token_type
  }
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "api" {
  grant_type = "token_exchange"
  token_url  = var.sts_token_url
  scopes     = local.api_scopes
  identity_token = {
    source = "gitlab_ci"
    name   = local.gitlab_id_token
  }
  token_exchange = {
    audiences            = local.api_audiences
    resources            = local.api_resources
    requested_token_type = local.requested_token_type
  }
}

# Calls the API with the exchanged token: a failing call fails the apply.
resource "terraform_data" "api_check" {
  triggers_replace = [oauth2_connection.api.id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null -H \"Authorization: $AUTH\" https://api.example.com/v1/status"
    environment = {
      AUTH = ephemeral.oauth2_access_token.api.authorization_header
    }
  }
}

# The type of token the service issued (RFC 8693 §2.2.1), such as
# urn:ietf:params:oauth:token-type:access_token.
output "issued_token_type" {
  value = oauth2_connection.api.issued_token_type
}
