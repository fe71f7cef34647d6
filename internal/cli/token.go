package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokens"
)

const tokenUsage = `Usage: oauth2 token [flags]

Prints an access token for a connection, through the token store: a stored token that is still
fresh is printed without any request; otherwise the connection's stored refresh token is
presented, and a refresh token the server rotates is saved before the new access token is
printed. With --grant client_credentials, no connection is needed.

  curl -H "Authorization: $(oauth2 token --address oauth2_connection.crm --header)" https://api.example.com/

Flags:
`

func runToken(ctx context.Context, args []string, env Env) error {
	var (
		conn        connectionFlags
		store       storeFlags
		header      bool
		grant       string
		minValidity time.Duration
	)
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, tokenUsage)
		fs.PrintDefaults()
	}
	conn.register(fs)
	store.register(fs)
	fs.BoolVar(&header, "header", false, "print the value of an Authorization header (\"Bearer …\") instead of the bare token")
	fs.StringVar(&grant, "grant", "refresh_token", "the `GRANT`: refresh_token (from the connection's stored refresh token) or client_credentials")
	fs.DurationVar(&minValidity, "min-validity", 5*time.Minute, "how long the printed token must still be valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; secrets are never given on the command line", fs.Arg(0))
	}
	engine, client, st, _, err := store.engine(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := conn.resolve(ctx, env, client)
	if err != nil {
		return err
	}
	req := c.req
	r := tokens.Request{Token: req}
	switch grant {
	case "refresh_token":
		if c.id == "" {
			return usageError("the refresh_token grant reads the connection's stored refresh token: give --address or --connection-id")
		}
		r.Token.GrantType = oauthclient.GrantRefreshToken
		r.Connection = c.id
	case "client_credentials":
		r.Token.GrantType = oauthclient.GrantClientCredentials
	default:
		return usageError("--grant must be refresh_token or client_credentials, not %q", grant)
	}
	res, err := engine.Token(ctx, r, tokens.Policy{MinValidity: minValidity})
	if err != nil {
		if r.Connection != "" && err == tokens.ErrNoRefreshToken {
			return fmt.Errorf("the token store holds no refresh token for connection %s: authorize it first (oauth2 authorize)", c.label)
		}
		return fmt.Errorf("obtaining a token from %s: %w", oauthclient.RedactURL(req.TokenURL), err)
	}
	tok := res.Token
	if header {
		typ := tok.TokenType
		if typ == "" || typ == "bearer" {
			typ = "Bearer"
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", typ, tok.AccessToken)
		return nil
	}
	fmt.Fprintln(env.Stdout, tok.AccessToken)
	return nil
}
