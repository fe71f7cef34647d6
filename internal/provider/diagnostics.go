package provider

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// addTokenError adds the diagnostic for an error of the token engine.
// summary heads a refused or failed request; subject names what asked, such
// as `connection "CRM"`; backend names the token store; notes are sentences
// added to a refused request's detail.
func addTokenError(diags *diag.Diagnostics, summary, subject, tokenURL, backend string, err error, notes ...string) {
	var (
		interrupted *tokens.InterruptedError
		request     *tokens.RequestError
		save        *tokens.SaveError
		store       *tokens.StoreError
	)
	switch {
	case errors.As(err, &interrupted):
		diags.AddError(summary,
			fmt.Sprintf("A refresh of the refresh token chain of %s started at %s and was stopped before the %s token "+
				"store saved the server's answer (the run was interrupted, or the store could not be written). The token "+
				"endpoint %s now refuses the refresh token the store holds: it most likely retired it in that refresh, and "+
				"its successor is lost. Obtain a new refresh token (configure a new refresh_token or refresh_token_wo, "+
				"or authorize the connection again) and apply again.\n\n%s",
				subject, interrupted.Since.UTC().Format(time.RFC3339), backend, oauthclient.RedactURL(tokenURL), errorCause(interrupted.Err)))
	case errors.As(err, &request):
		consequence := "Nothing was saved."
		if request.StoredRefreshToken {
			consequence += " The refresh token presented was the newest one the token store keeps, the successor of " +
				"the configured one. If the server revoked the grant, configure a new refresh token and apply again " +
				"to start over from it."
		}
		diags.AddError(summary, validationErrorDetail(subject, tokenURL, consequence, request.Err, notes...))
	case errors.As(err, &save):
		diags.AddError("Unable to Save OAuth2 Token",
			fmt.Sprintf("The token endpoint %s issued a token for %s, but the %s token store could not save it, so it is "+
				"not used: a refresh token the server rotated would otherwise be lost for the next run. Check that the "+
				"token store is reachable and writable, then run again. If the server rotates refresh tokens, the one "+
				"just presented is now retired: obtain a new one.%s\n\n%s",
				oauthclient.RedactURL(tokenURL), subject, backend, joinNotes(notes), errorCause(save.Err)))
	case errors.As(err, &store):
		diags.AddError("Unable to Read OAuth2 Token Store",
			fmt.Sprintf("The %s token store could not be read or locked, so no token was requested for %s. Check that "+
				"the store is reachable and that its key is the one the entries were written with, then run again.\n\n%s",
				backend, subject, errorCause(store.Err)))
	default:
		diags.AddError(summary, validationErrorDetail(subject, tokenURL, "", err, notes...))
	}
}

func joinNotes(notes []string) string {
	s := ""
	for _, n := range notes {
		s += " " + n
	}
	return s
}

// validationErrorDetail explains a failed token request: which connection,
// which endpoint (through oauthclient.RedactURL), what the server said and
// what to check.
// subject names what asked, such as `connection "CRM"`; consequence, when
// set, is a sentence saying what did not happen; notes are sentences added
// after the hint, before the error.
func validationErrorDetail(subject, tokenURL, consequence string, err error, notes ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The token endpoint %s did not issue a token for %s.", oauthclient.RedactURL(tokenURL), subject)
	if consequence != "" {
		b.WriteString(" " + consequence)
	}
	var oe *oauthclient.Error
	if errors.As(err, &oe) {
		switch {
		case oe.Code != "":
			fmt.Fprintf(&b, " The server answered with status %d and error %q", oe.StatusCode, oe.Code)
			if d := strings.TrimRight(oe.Description, ". "); d != "" {
				fmt.Fprintf(&b, ": %s", d)
			}
			b.WriteString(".")
			b.WriteString(" " + errorHint(oe.Code))
		case oe.Reason != "":
			fmt.Fprintf(&b, " %s.", upperFirst(strings.TrimSuffix(oe.Reason, ".")))
			b.WriteString(" Check that token_url points at the token endpoint itself, not a login page or API base URL.")
		}
	} else {
		b.WriteString(" Check that token_url is right and reachable from where the CLI (terraform or tofu) runs, and that request_timeout and max_retries suit the network.")
	}
	for _, n := range notes {
		b.WriteString(" " + n)
	}
	// A refusal is told in full above; anything else ends with its cause.
	var fallback *oauthclient.AuthFallbackError
	if oe == nil || errors.As(err, &fallback) {
		b.WriteString("\n\n" + errorCause(err))
	}
	return b.String()
}

// errorHint says what to check for each RFC 6749 §5.2 error code.
func errorHint(code string) string {
	switch code {
	case "invalid_client":
		return "Check client_id and the client secret, and whether the server expects client_auth = \"basic\" or \"post\"."
	case "invalid_grant":
		return "Check the username and password, the refresh token, or the authorization code: codes are single-use and expire within minutes."
	case "invalid_scope":
		return "Check scopes and scope_delimiter against the scopes this client may request."
	case "unauthorized_client":
		return "The client is not allowed to use this grant_type; enable it for the client or choose another grant."
	case "unsupported_grant_type":
		return "The server does not support this grant_type; choose one it supports."
	case "invalid_request":
		return "Check request_encoding, extra_params and the settings the chosen grant_type needs."
	default:
		return "Check the credentials and settings against the authorization server's documentation."
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errorCause renders an underlying error as the last paragraph of a
// diagnostic detail. The CLI prints a detail as it is, so a paragraph
// starting "Error:" reads as a second error block; this one names the cause
// without the package prefix that means nothing to a user.
func errorCause(err error) string {
	return "Cause: " + strings.TrimPrefix(err.Error(), "oauthclient: ")
}
