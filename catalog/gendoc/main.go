// Command gendoc writes the catalog reference page (docs/catalog.md) from the catalog tables.
package main

import (
	"fmt"
	"os"

	"healthsync/catalog"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendoc OUTPUT.md")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], catalog.New().Markdown(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}
