// Command genschema writes the JSON schema of kiln.yaml. "go generate
// ./spec" runs it in the spec folder:
//
//	go run ./internal/genschema -o ../schema/kiln.schema.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kilnbuild/kiln/spec/internal/schemagen"
)

func main() {
	out := flag.String("o", "", "file to write the schema to")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genschema: -o is required")
		os.Exit(2)
	}
	data, err := schemagen.Generate(".")
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}
