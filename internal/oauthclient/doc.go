// Package oauthclient requests OAuth 2.0 access tokens from a token endpoint
// (RFC 6749 §3.2) the way real authorization servers and integration
// platforms expect them.
//
// It performs the client credentials (RFC 6749 §4.4), resource owner password
// (§4.3), refresh token (§6) and authorization code (§4.1, with PKCE S256 from
// RFC 7636) grants, and the device authorization grant (RFC 8628, see
// AuthorizeDevice and PollDeviceToken); authenticates the client with HTTP Basic (§2.3.1), in the
// body, not at all, or by detecting which one the server accepts; encodes the
// request as a form (the RFC) or as JSON (a common platform convention); and
// parses JSON and form-encoded answers, including the quirks seen in the wild
// such as expires_in sent as a string.
//
// # Secrets
//
// Every error and log field is scrubbed of the secrets the request carried
// (client secret, password, refresh token, authorization code, code verifier,
// device code)
// and of the tokens an answer carried, even when the server echoes them back
// in its body, its error_description or a Location header, and in any
// encoding a server or gateway may apply: percent-encoded in either case or
// twice, JSON, JavaScript or Go escaped, as HTML character references, and
// base64 (alone, inside a longer base64 text, and as HTTP Basic
// credentials). Any non-empty secret is scrubbed, however short; a very
// short secret therefore makes server text harder to read, which is
// preferred to leaking it. The token endpoint's host and port, status codes
// and attempt counts are never scrubbed. The token URL is shown through
// RedactURL: user information is hidden, and so are query values that can
// be secret (a parameter named like a credential, or a value of 16 bytes or
// more).
//
// An error never quotes a server's body as sent. An RFC 6749 §5.2 answer
// gives its error, error_description and error_uri; another JSON or form
// answer is re-encoded with only a short list of explanatory fields; a text
// body is quoted as an excerpt. Every piece of server text is stripped of
// terminal escapes, control characters and Unicode format (bidirectional)
// characters, and cut to a few hundred bytes.
//
// # Transport
//
// Each attempt has its own timeout. Network errors, 429 and 5xx answers are
// retried at most MaxRetriesLimit times with exponential backoff and jitter,
// honouring Retry-After (RFC 9110 §10.2.3) up to 30 seconds and never past
// the context's deadline; 4xx credential errors and failures another attempt
// cannot mend (a certificate that does not verify, a refused TLS handshake)
// are never retried. A token
// request is never redirected: it carries credentials, and a redirected POST
// may turn into a GET without its body. Plain http is accepted only for
// loopback hosts unless the Client allows it (RFC 6749 §3.2 requires TLS).
// Answers are read up to MaxResponseBytes.
//
// # Cache
//
// Client.Token and Client.TokenValidFor return a cached token while it stays
// valid for longer than the expiry buffer, keyed by a SHA-256 hash of the
// whole request; concurrent callers for the same request share one round
// trip. Client.Exchange always asks the server.
//
// # Discovery and revocation
//
// Client.Discover reads an authorization server's metadata (RFC 8414, or
// OpenID Connect Discovery 1.0 where RFC 8414's address has none), checks
// that it names the configured issuer and only https endpoints, and keeps
// it for the Client's life; AuthStyleFor picks a client authentication from
// the methods it lists. Client.Revoke revokes a token (RFC 7009) with the
// client authentication, retries and redaction of a token request.
//
// The package has no Terraform dependency and can be used on its own.
package oauthclient
