package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestTypesAreGenerated fails when client/types.go is not what the schema generates: after a schema change,
// run `go generate ./client/`.
func TestTypesAreGenerated(t *testing.T) {
	schema, err := os.ReadFile("../../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(string(schema))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../types.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("client/types.go is out of date with schema.graphqls: run go generate ./client/")
	}

	// The comparison can fail: a field added to an input the client sends must show in the generated code.
	changed := strings.Replace(string(schema), "input DeviceInput {", "input DeviceInput {\n  carrier: String", 1)
	if changed == string(schema) {
		t.Fatal("the schema has no DeviceInput to change")
	}
	other, err := generate(changed)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, want) || !regexp.MustCompile("Carrier +string +`json:\"carrier,omitempty\"`").Match(other) {
		t.Fatal("a new DeviceInput field did not reach the generated code")
	}
}
