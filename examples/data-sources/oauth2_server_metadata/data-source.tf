# The endpoints and methods an authorization server publishes (RFC 8414 or
# OpenID Connect Discovery).
data "oauth2_server_metadata" "okta" {
  issuer = "https://example.okta.com/oauth2/default"
}

output "okta_token_endpoint" {
  value = data.oauth2_server_metadata.okta.token_endpoint
}

output "okta_auth_methods" {
  value = data.oauth2_server_metadata.okta.token_endpoint_auth_methods_supported
}

# Fields without an attribute of their own are in the document.
output "okta_dpop_algorithms" {
  value = try(jsondecode(data.oauth2_server_metadata.okta.document).dpop_signing_alg_values_supported, [])
}
