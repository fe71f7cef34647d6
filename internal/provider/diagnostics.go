package provider

import (
	"errors"
	"fmt"
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
				"or authorize the connection again) and apply again.\n\nError: %s",
				subject, interrupted.Since.UTC().Format(time.RFC3339), backend, oauthclient.RedactURL(tokenURL), interrupted.Err))
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
				"just presented is now retired: obtain a new one.%s\n\nError: %s",
				oauthclient.RedactURL(tokenURL), subject, backend, joinNotes(notes), save.Err))
	case errors.As(err, &store):
		diags.AddError("Unable to Read OAuth2 Token Store",
			fmt.Sprintf("The %s token store could not be read or locked, so no token was requested for %s. Check that "+
				"the store is reachable and that its key is the one the entries were written with, then run again.\n\nError: %s",
				backend, subject, store.Err))
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
