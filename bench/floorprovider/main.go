// Command floorprovider serves bench/floor's provider, the bench's floor for
// a managed resource with oauth2_connection's schema and no logic. The bench
// builds it as terraform-provider-floor.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/oauth2-tf/terraform-provider-oauth2/bench/floor"
)

func main() {
	err := providerserver.Serve(context.Background(), floor.New, providerserver.ServeOpts{
		Address: "registry.terraform.io/oauth2-tf/floor",
	})
	if err != nil {
		log.Fatal(err)
	}
}
