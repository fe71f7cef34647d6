variable "client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

# A fresh access token for this run only: it is never written to plan or
# state. The token handed out stays valid for at least min_validity.
ephemeral "oauth2_access_token" "billing" {
  grant_type    = "client_credentials"
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "billing-automation"
  client_secret = var.client_secret
  scopes        = ["billing.read"]
  min_validity  = "10m"
}

# Ephemeral values may configure other providers, or feed a provisioner's
# environment as here.
resource "terraform_data" "billing_smoke_test" {
  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -H \"Authorization: $AUTH\" https://billing.example.com/v1/health"
    environment = {
      AUTH = ephemeral.oauth2_access_token.billing.authorization_header
    }
  }
}
