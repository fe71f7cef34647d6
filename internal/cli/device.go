package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

// authorizeDevice runs the device authorization grant (RFC 8628): it prints
// where to go and which code to enter, polls until the user approves, and
// saves the refresh token under the connection's entry.
func authorizeDevice(ctx context.Context, env Env, engine *tokens.Engine, client *oauthclient.Client, conn *connection, where string) error {
	if conn.deviceAuthorizationURL == "" {
		return usageError("no device authorization endpoint: give --device-authorization-url, or a --preset or --issuer that names one")
	}
	auth, err := client.AuthorizeDevice(ctx, oauthclient.DeviceAuthorizationRequest{
		DeviceAuthorizationURL: conn.deviceAuthorizationURL,
		ClientID:               conn.req.ClientID,
		ClientSecret:           conn.req.ClientSecret,
		AuthStyle:              conn.req.AuthStyle,
		Scopes:                 conn.req.Scopes,
		ScopeDelimiter:         conn.req.ScopeDelimiter,
		ExtraParams:            conn.req.ExtraParams,
	})
	if err != nil {
		return fmt.Errorf("starting the device authorization: %w", err)
	}
	if auth.VerificationURIComplete != "" {
		fmt.Fprintf(env.Stderr, "To authorize %s, open\n\n  %s\n\nand check that it shows the code %s (or open %s and enter it).\n",
			conn.label, auth.VerificationURIComplete, auth.UserCode, auth.VerificationURI)
	} else {
		fmt.Fprintf(env.Stderr, "To authorize %s, open\n\n  %s\n\nand enter the code %s\n", conn.label, auth.VerificationURI, auth.UserCode)
	}
	fmt.Fprintf(env.Stderr, "Waiting for the approval (polling every %d s) ...\n", auth.Interval)

	req := conn.req
	req.GrantType = oauthclient.GrantDeviceCode
	tok, err := client.PollDeviceToken(ctx, req, auth)
	switch {
	case errors.Is(err, oauthclient.ErrDeviceAccessDenied):
		return errors.New("the request was denied (access_denied); nothing was saved")
	case errors.Is(err, oauthclient.ErrDeviceExpired):
		return errors.New("the code expired before it was approved (expired_token); run the command again")
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("no approval within --timeout; nothing was saved")
	case errors.Is(err, context.Canceled):
		return errors.New("stopped before the approval; nothing was saved")
	case err != nil:
		return fmt.Errorf("polling for the token: %w", err)
	}
	if tok.RefreshToken == "" {
		return fmt.Errorf("the token endpoint %s issued no refresh token, so there is nothing for the connection to use later; ask for offline access", oauthclient.RedactURL(req.TokenURL))
	}
	// The device grant's answer starts the connection's chain.
	if err := engine.Adopt(ctx, conn.id, tokens.Request{Token: req, Connection: conn.id, Label: conn.label}, tok); err != nil {
		return fmt.Errorf("saving the refresh token in the %s: %w", where, err)
	}
	fmt.Fprintf(env.Stdout, "Authorized %s: its refresh token is in the %s. The next apply finds the connection authorized.\n", conn.label, where)
	return nil
}
