terraform {
  required_providers {
    oauth2 = {
      source = "oauth2-tf/oauth2"
    }
  }
}

provider "oauth2" {
  # Hand out only tokens that stay valid for at least this long; a cached
  # token closer to its expiry is refreshed first.
  expiry_buffer = "5m"

  # Each attempt against a token endpoint gets this long; network errors,
  # 429 and 5xx answers are retried up to max_retries times.
  request_timeout = "30s"
  max_retries     = 3

  # Trust a private CA for token endpoints inside the network.
  # ca_cert_pem = file("${path.module}/internal-ca.pem")
}
