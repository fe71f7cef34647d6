// Package oauthclient requests OAuth 2.0 access tokens from a token endpoint
// (RFC 6749 §3.2) the way real authorization servers and integration
// platforms expect them.
//
// It performs the client credentials (RFC 6749 §4.4), resource owner password
// (§4.3), refresh token (§6) and authorization code (§4.1, with PKCE S256 from
// RFC 7636) grants; authenticates the client with HTTP Basic (§2.3.1), in the
// body, not at all, or by detecting which one the server accepts; encodes the
// request as a form (the RFC) or as JSON (a common platform convention); and
// parses JSON and form-encoded answers, including the quirks seen in the wild
// such as expires_in sent as a string.
//
// Every error and log field is scrubbed of the secrets the request carried,
// even when the server echoes them back. The package has no Terraform
// dependency and can be used on its own.
package oauthclient
