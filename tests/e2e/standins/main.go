// Stand-ins for the e2e stack: one static program whose personality is chosen by the name it is
// run as (argv[0], through symlinks in the images) or by its first argument. Each personality
// offers exactly what the Pulumi program uses in the image it stands for (commands, paths,
// environment, flags, health endpoints) and fails loudly when what it needs is missing or
// unreadable, so that permission and wiring mistakes show in the e2e. What each does NOT prove is
// listed in tests/e2e/images/README.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

var personalities = map[string]func(args []string) int{
	"ollama":           ollamaMain,
	"grafana":          grafanaMain,
	"mongosh":          mongoshMain,
	"service":          serviceMain,
	"mongodb_exporter": mongodbExporterMain,
	"cadvisor":         cadvisorMain,
	"sink":             sinkMain,
	"gosu":             gosuMain,
	// The web-ingestion plane (ingestion.go).
	"npm":                    npmMain,
	"qdrant":                 qdrantMain,
	"text-embeddings-router": teiMain,
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if _, ok := personalities[name]; !ok && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	run, ok := personalities[name]
	if !ok {
		names := make([]string, 0, len(personalities))
		for n := range personalities {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "standin: unknown personality %q; run as (or with first argument) one of %v\n", name, names)
		os.Exit(2)
	}
	os.Exit(run(args))
}

// fatalf prints why the stand-in cannot do its job, the way the real program would refuse to start.
func fatalf(who, format string, a ...any) int {
	fmt.Fprintf(os.Stderr, who+": "+format+"\n", a...)
	return 1
}
