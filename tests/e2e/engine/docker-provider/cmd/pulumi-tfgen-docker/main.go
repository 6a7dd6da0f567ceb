// Writes the Pulumi schema of the bridged provider (the names and types the plugin accepts) to the
// file given as the only argument, with the bridge's own generator.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/terraform-providers/terraform-provider-docker/pulumi-e2e-bridge/mapping"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-tfgen-docker <schema.json>")
		os.Exit(2)
	}
	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	spec, err := tfgen.GenerateSchema(mapping.Provider(), sink)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-tfgen-docker:", err)
		os.Exit(1)
	}
	out, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-tfgen-docker:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], append(out, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-tfgen-docker:", err)
		os.Exit(1)
	}
}
