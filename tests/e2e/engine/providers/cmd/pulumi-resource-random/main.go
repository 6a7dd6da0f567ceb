// pulumi-resource-random is the e2e's stand-in for the random provider plugin (see docs/e2e.md,
// "Stand-in provider plugins"): the engine starts it, reads its port from stdout and drives it over gRPC.
package main

import (
	"enrichment.e2e/providers/internal/random"
	"enrichment.e2e/providers/internal/standin"
)

func main() { standin.Main(random.Package()) }
