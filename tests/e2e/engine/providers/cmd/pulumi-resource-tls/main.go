// pulumi-resource-tls is the e2e's stand-in for the tls provider plugin (see docs/e2e.md,
// "Stand-in provider plugins"): the engine starts it, reads its port from stdout and drives it over gRPC.
package main

import (
	"enrichment.e2e/providers/internal/standin"
	"enrichment.e2e/providers/internal/tls"
)

func main() { standin.Main(tls.Package()) }
