terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

variable "google_client_email" {
  description = "client_email of the service account key file: the assertion's issuer."
  type        = string
}

variable "google_private_key_id" {
  description = "private_key_id of the service account key file, sent as the kid header."
  type        = string
}

variable "google_private_key_file" {
  description = "Path of the PEM private key extracted from the key file with jq -r .private_key."
  type        = string
}

variable "google_subject" {
  description = "Google Workspace user to act for with domain-wide delegation; null acts as the service account itself."
  type        = string
  default     = null
}

variable "google_project_id" {
  description = "Project to read, to check the token."
  type        = string
}

locals {
  google_token_url = "https://oauth2.googleapis.com/token"

  # Google takes the scopes as a claim of the assertion, space-separated.
  google_claims = {
    scope = "https://www.googleapis.com/auth/cloud-platform"
  }
}

# The key is read from the file at every token request and never becomes a
# Terraform value; the provider signs a new assertion each time.
resource "oauth2_connection" "google" {
  label      = "Google Cloud (service account)"
  grant_type = "jwt_bearer"
  token_url  = local.google_token_url
  signing_key = {
    private_key_file = var.google_private_key_file
    key_id           = var.google_private_key_id
  }
  jwt_bearer = {
    issuer  = var.google_client_email
    subject = var.google_subject
    claims  = local.google_claims
  }
}

# The same variables and locals as the connection, not its attributes: see
# the passing-tokens guide.
ephemeral "oauth2_access_token" "google" {
  grant_type = "jwt_bearer"
  token_url  = local.google_token_url
  signing_key = {
    private_key_file = var.google_private_key_file
    key_id           = var.google_private_key_id
  }
  jwt_bearer = {
    issuer  = var.google_client_email
    subject = var.google_subject
    claims  = local.google_claims
  }
}

# Calls the Resource Manager API with the token: a failing call fails the
# apply.
resource "terraform_data" "google_project" {
  triggers_replace = [oauth2_connection.google.id]

  provisioner "local-exec" {
    command = "curl --fail --silent --show-error -o /dev/null -H \"Authorization: $AUTH\" \"https://cloudresourcemanager.googleapis.com/v1/projects/$PROJECT\""
    environment = {
      AUTH    = ephemeral.oauth2_access_token.google.authorization_header
      PROJECT = var.google_project_id
    }
  }
}
