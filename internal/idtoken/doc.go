// Package idtoken obtains the short-lived OIDC ID token a CI system issues to
// a job, so that the job can trade it for an OAuth access token: as a
// client_assertion (workload identity federation in the Entra style) or as
// the subject_token of an RFC 8693 token exchange. Pipelines then need no
// long-lived client secret.
//
// The package serves the Terraform provider and the command-line tool alike,
// so it knows nothing of Terraform and depends on the standard library only.
//
// # Secrets
//
// An error never contains a token: not the ID token obtained, not the
// request token GitHub Actions hands the job, and not a value that was
// rejected for not looking like a JWT (a misplaced secret is just as
// secret). Where a server's answer is quoted, it is an excerpt with those
// values and anything shaped like a JWT removed.
//
// # Verification
//
// Nothing here verifies a token's signature. The token server that receives
// it does that; Claims only reads who the token names, for use as a cache
// key.
package idtoken
