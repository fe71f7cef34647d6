package oauthclient

import "fmt"

// Error is a token endpoint's refusal: an RFC 6749 §5.2 error response, or
// an answer that is not a token response at all. Every field is scrubbed of
// the secrets the request carried and of the tokens the answer carried; the
// server-supplied ones (Code, Description, URI, and what Reason quotes) are
// also stripped of control and format characters and cut to a few hundred
// bytes, so they are safe to print.
type Error struct {
	// TokenURL is the endpoint that answered (the token endpoint, or the
	// revocation endpoint for Client.Revoke), as RedactURL shows it: without
	// user information or query values that can be secret.
	TokenURL string
	// StatusCode is the HTTP status; 0 when no answer arrived.
	StatusCode int
	// Code, Description and URI are RFC 6749 §5.2 error, error_description
	// and error_uri. Code keeps only the characters §5.2 allows.
	Code        string
	Description string
	URI         string
	// Reason says what was wrong with an answer that carried no RFC 6749
	// error, e.g. "the token endpoint answered with HTML (status 200), not a
	// token response".
	Reason string

	// cause is an underlying sentinel such as ErrBodyTooLarge.
	cause error
	// endpoint names the kind of endpoint in messages; empty means
	// "token endpoint". A revocation refusal says "revocation endpoint".
	endpoint string
}

// Unwrap returns the underlying cause, such as ErrBodyTooLarge, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Error returns "oauthclient: token endpoint URL refused the request (status
// N): code: description (see uri)" for an RFC 6749 §5.2 answer, and
// "oauthclient: token endpoint URL: reason" otherwise.
func (e *Error) Error() string {
	kind := e.endpoint
	if kind == "" {
		kind = "token endpoint"
	}
	if e.Code != "" {
		s := fmt.Sprintf("oauthclient: %s %s refused the request (status %d): %s", kind, e.TokenURL, e.StatusCode, e.Code)
		if e.Description != "" {
			s += ": " + e.Description
		}
		if e.URI != "" {
			s += " (see " + e.URI + ")"
		}
		return s
	}
	return fmt.Sprintf("oauthclient: %s %s: %s", kind, e.TokenURL, e.Reason)
}
