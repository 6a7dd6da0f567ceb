// The `docker` resource plugin: the bridged upstream provider with the schema tfgen wrote for it.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/terraform-providers/terraform-provider-docker/pulumi-e2e-bridge/mapping"
)

// schema.json is written by cmd/pulumi-tfgen-docker at build time (tests/e2e/engine/build.sh).
//
//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", mapping.Version, mapping.Provider(), schema)
}
