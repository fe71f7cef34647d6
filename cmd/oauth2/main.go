// Command oauth2 authorizes connections declared with the Terraform / OpenTofu
// oauth2 provider, prints their access tokens and manages the provider's
// token store. Run "oauth2 help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/cli"
)

// version is set at release time.
var version = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		os.Stdout.WriteString("oauth2 " + version + "\n")
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
