terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "client_id" {
  description = "Client id registered with the authorization server for the certificate."
  type        = string
}

variable "tls_certificate_file" {
  description = "Path of the PEM client certificate (and any intermediates)."
  type        = string
}

variable "tls_key_file" {
  description = "Path of the unencrypted PEM private key of the client certificate."
  type        = string
}

locals {
  # The server's mutual TLS endpoint; some servers publish it under
  # mtls_endpoint_aliases in their metadata (RFC 8705 §5).
  inventory_token_url = "https://mtls.auth.example.com/oauth2/token"
  inventory_scopes    = ["inventory.read"]
}

# The certificate in the TLS handshake is the client's credential: no secret
# in the request, and the key is read from its file at every token request.
resource "oauth2_connection" "inventory" {
  label        = "Inventory API (mutual TLS)"
  grant_type   = "client_credentials"
  token_url    = local.inventory_token_url
  client_id    = var.client_id
  client_auth  = "tls_client_auth"
  scopes       = local.inventory_scopes
  api_base_url = "https://inventory.example.com/v1"
  tls_client = {
    certificate_file = var.tls_certificate_file
    key_file         = var.tls_key_file
  }
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "inventory" {
  grant_type  = "client_credentials"
  token_url   = local.inventory_token_url
  client_id   = var.client_id
  client_auth = "tls_client_auth"
  scopes      = local.inventory_scopes
  tls_client = {
    certificate_file = var.tls_certificate_file
    key_file         = var.tls_key_file
  }
}

# A certificate-bound token works only for a client that presents the same
# certificate to the API, so curl presents it too.
resource "terraform_data" "inventory_check" {
  triggers_replace = [oauth2_connection.inventory.id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null --cert \"$CERT\" --key \"$KEY\" -H \"Authorization: $AUTH\" https://inventory.example.com/v1/items"
    environment = {
      AUTH = ephemeral.oauth2_access_token.inventory.authorization_header
      CERT = var.tls_certificate_file
      KEY  = var.tls_key_file
    }
  }
}
