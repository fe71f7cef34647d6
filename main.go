// Command terraform-provider-oauth2 serves the oauth2 Terraform and OpenTofu
// provider over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/pluginproc"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/provider"
)

// version is set at release time through -ldflags "-X main.version=…".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	pluginproc.TuneGC(os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))

	// Run under a debugger, the provider's own output is what the user reads.
	if !debug {
		for _, name := range pluginproc.UnreadLogLevels(os.Environ(), "oauth2") {
			if err := os.Setenv(name, "off"); err != nil {
				log.Fatal(err.Error())
			}
		}
	}

	opts := providerserver.ServeOpts{
		Address:         "registry.terraform.io/oauth2-tf/oauth2",
		Debug:           debug,
		ProtocolVersion: 6,
	}

	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
		log.Fatal(err.Error())
	}
}
