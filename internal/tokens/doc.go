// Package tokens owns the life of OAuth 2.0 tokens between the token endpoint
// and whoever needs one: reuse a stored access token while it is fresh, else
// refresh with the newest refresh token of its chain, else run the grant;
// save what the server answered before handing anything out; follow refresh
// token rotation (RFC 6749 §6, RFC 9700 §4.14.2).
//
// The layers below it promise:
//
//   - internal/oauthclient performs one token request and never keeps a
//     secret in an error or a log line;
//   - internal/tokenstore keeps entries encrypted between processes and
//     changes one only under its lock ([tokenstore.Store.Update]), so that a
//     rotated refresh token is never replaced by an older one.
//
// This package promises, on top of them:
//
//   - A refresh chain is named by its lineage: the token endpoint, the client
//     and the refresh token it started from (or the oauth2_connection whose
//     grant started it). Every request that starts from one refresh token
//     shares the chain's newest successor, whatever scopes or extra
//     parameters it asks for; access tokens are kept per whole request.
//   - Nothing is handed out whose successor could not be saved: a refresh
//     that succeeded at the server but could not be stored is a [SaveError],
//     and the token is dropped.
//   - A refresh is recorded as in flight while it runs. A process stopped
//     between the server's answer and the save leaves that record behind, and
//     the next refresh that the server refuses says so ([InterruptedError])
//     instead of a bare invalid_grant.
//   - A token whose server announced no lifetime is reused for at most
//     [Options.UnknownLifetime] after it was obtained, minus the requested
//     validity; an announced lifetime is capped by oauthclient before any
//     arithmetic.
//   - Entries written under the names of earlier versions (a whole-request
//     entry holding a refresh token, a connection entry holding the chain of
//     a configured refresh token) are moved to the chain's name under its
//     lock the first time it is used, so no process presents a retired token
//     from the old name.
//   - Requests that present a refresh token, or start a chain, run under the
//     chain's lock, one at a time. A fresh token that starts no chain
//     ([Policy.Fresh] for client credentials and the like) presents nothing
//     another request could retire, so it is requested outside any lock and
//     the lock is taken only to save it: connections that share a client
//     prove their credentials together.
//
// It imports no Terraform package: the provider and the command-line tool
// share it.
package tokens
