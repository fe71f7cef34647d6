package tokens

import (
	"errors"
	"fmt"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
)

// ErrNoRefreshToken is returned for a connection whose entry holds no
// refresh token: it was never applied with this store, or its grant issued
// none.
var ErrNoRefreshToken = errors.New("tokens: no refresh token is stored for this connection")

// RequestError is a token request that failed: the server refused it, or it
// could not be sent. Nothing was saved.
type RequestError struct {
	// Err is oauthclient's error; it holds no secret.
	Err error
	// StoredRefreshToken reports that the refresh token presented was a
	// stored successor of the configured one, not the configured one.
	StoredRefreshToken bool
}

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// InterruptedError is a refresh the server refused after an earlier refresh
// of the same chain was stopped between the server's answer and the save
// (Ctrl-C, a killed runner, a lost store connection). The server has most
// likely retired the refresh token the chain holds, and the one it issued
// instead is lost: the chain must start again from a new grant.
type InterruptedError struct {
	// Since is when the interrupted refresh started.
	Since time.Time
	// Err is the refusal, a *RequestError.
	Err error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("tokens: a refresh of this token chain started at %s was interrupted before its answer was saved, and the server now refuses the stored refresh token: %v",
		e.Since.UTC().Format(time.RFC3339), e.Err)
}
func (e *InterruptedError) Unwrap() error { return e.Err }

// SaveError is a token the server issued but the store could not save. It is
// not handed out: a refresh token the server rotated would otherwise be lost
// for the next run.
type SaveError struct{ Err error }

func (e *SaveError) Error() string { return "tokens: saving the token: " + e.Err.Error() }
func (e *SaveError) Unwrap() error { return e.Err }

// StoreError is a store that could not be read or locked before any token
// request was made.
type StoreError struct{ Err error }

func (e *StoreError) Error() string { return "tokens: reading the token store: " + e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// IsInvalidGrant reports whether err is the server refusing the grant itself
// (RFC 6749 §5.2): for a refresh token, one it does not know, retired or
// revoked.
func IsInvalidGrant(err error) bool {
	var oe *oauthclient.Error
	return errors.As(err, &oe) && oe.Code == "invalid_grant"
}
