variable "token_url" {
  description = "Token endpoint of the authorization server."
  type        = string
}

variable "api_base_url" {
  description = "Base URL of the API the tokens are for; the probe calls $API_URL/api/me."
  type        = string
}

variable "client_id" {
  description = "OAuth2 client id."
  type        = string
  default     = "demo-client"
}

variable "client_secret" {
  description = "OAuth2 client secret. Ephemeral: it is never written to plan or state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "username" {
  description = "Webhook sender's username."
  type        = string
  default     = "demo-user"
}

variable "password" {
  description = "Webhook sender's password. Ephemeral: it is never written to plan or state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "probe_command" {
  description = "Shell command that must succeed only if the API accepts the bearer token; it reads the Authorization header from $AUTH and the API base URL from $API_URL."
  type        = string
  default     = "curl -fsS -o /dev/null -H \"Authorization: $AUTH\" \"$API_URL/api/me\""
}
