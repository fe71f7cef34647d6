variable "orders_webhook_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "payments_webhook_client_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

# username_password: the webhook sender posts a JSON body with grant_type,
# username, password and scope to the token URL. Apply checks that the
# endpoint answers with access_token and expires_in.
resource "oauth2_webhook_secret" "orders" {
  name                = "orders-events"
  convention          = "username_password"
  token_url           = "https://hooks.example.com/oauth/token"
  grant_type          = "password"
  scope               = "webhooks:write"
  username            = "orders-sender"
  password_wo         = var.orders_webhook_password
  password_wo_version = 1
}

# client_credentials: the sender authenticates as a client. This endpoint
# expects a form-encoded body instead of the default JSON.
resource "oauth2_webhook_secret" "payments" {
  name                     = "payments-events"
  convention               = "client_credentials"
  token_url                = "https://hooks.example.com/oauth/token"
  grant_type               = "client_credentials"
  scope                    = "webhooks:write"
  client_id                = "payments-sender"
  client_secret_wo         = var.payments_webhook_client_secret
  client_secret_wo_version = 1
  request_encoding         = "form"
}
