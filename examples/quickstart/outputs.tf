output "connection_id" {
  description = "Id of the validated connection."
  value       = oauth2_connection.api.id
}

output "connection_status" {
  description = "Status of the connection after validation."
  value       = oauth2_connection.api.status
}

output "connection_validated_at" {
  description = "When apply last obtained a token with the connection's credentials."
  value       = oauth2_connection.api.validated_at
}

output "connection_token_type" {
  description = "Token type the token endpoint answered with."
  value       = oauth2_connection.api.token_type
}

output "webhook_token_type" {
  description = "Token type the webhook secret's endpoint answered with."
  value       = oauth2_webhook_secret.events.token_type
}

output "webhook_expires_in" {
  description = "Lifetime in seconds of the token the webhook secret obtained."
  value       = oauth2_webhook_secret.events.expires_in
}
