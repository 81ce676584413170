// Command gentypes writes client/types.go, the Go client's request and answer types, from schema.graphqls:
//
//	go generate ./client/
//
// The client names and documents the types for Go callers (Batch, not IngestBatchInput); the fields, their
// order, their JSON names and whether they may be absent come from the schema, so a schema change reaches the
// client through `go generate` and TestTypesAreGenerated fails until it does.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// goType is one generated type: the schema type it mirrors and what the client says about it.
type goType struct {
	name, schema, doc string
	// constDoc introduces an enum's constants.
	constDoc string
	// fieldDocs are comments for fields whose use needs explaining on the client's side.
	fieldDocs map[string]string
	// skip lists schema fields the client does not read.
	skip []string
}

// types are the client's schema types, in the order types.go lists them.
var types = []goType{
	{name: "Provider", schema: "Provider", doc: "Provider names the platform a batch comes from.", constDoc: "Providers the server knows."},
	{name: "Batch", schema: "IngestBatchInput", doc: `Batch is one upload: the schema's IngestBatchInput. IngestBatch splits it into requests of at most
Options.MaxBatchItems items; IdempotencyKey names the whole upload and must stay the same when the upload is
repeated (after a crash, on the next app start), so the server answers the parts it already stored from
its record instead of storing them again.`,
		fieldDocs: map[string]string{"cursors": `Cursors travel with the last request of a split upload, so a device's sync position never moves past
data that has not been stored yet.`}},
	{name: "Device", schema: "DeviceInput", doc: "Device is the uploading app installation."},
	{name: "Source", schema: "SourceInput", doc: "Source is the app and hardware that recorded an item."},
	{name: "QuantitySample", schema: "QuantitySampleInput", doc: "QuantitySample is a HealthKit quantity sample or a one-value Health Connect record."},
	{name: "SeriesPoint", schema: "SeriesPointInput", doc: "SeriesPoint is one value of a series record."},
	{name: "SeriesSample", schema: "SeriesSampleInput", doc: "SeriesSample is a Health Connect series record (heart rate, speed, power, cadence)."},
	{name: "CategorySample", schema: "CategorySampleInput", doc: "CategorySample is a sleep stage, an event or a mindful session."},
	{name: "Quantity", schema: "QuantityInput", doc: "Quantity is a value with its unit."},
	{name: "Workout", schema: "WorkoutInput", doc: "Workout is one exercise session."},
	{name: "Cursor", schema: "SyncCursorInput", doc: "Cursor is a device's sync position for one data type."},
	{name: "Rejection", schema: "Rejection", doc: `Rejection is an item the server refused; the batch's other items were stored. Index counts within its kind
over the whole Batch, also when IngestBatch split it.`},
	{name: "Bucket", schema: "Bucket", doc: "Bucket is the width of a series point.", constDoc: "Buckets."},
	{name: "Series", schema: "Series", doc: "Series is a metric's values in buckets.", skip: []string{"columns"}},
	{name: "SeriesValue", schema: "SeriesPoint", doc: "SeriesValue is one bucket of a Series."},
	{name: "SyncState", schema: "SyncState", doc: "SyncState is a device's position and health for one data type.",
		fieldDocs: map[string]string{"status": `Status is ACTIVE or STALE (the type brought nothing new for 72 hours while the device kept uploading:
check the app's Health permissions).`}},
}

// constNames are enum values whose Go constant is not simply the value in CamelCase.
var constNames = map[string]string{"Provider.OTHER": "OtherProvider"}

// fieldTypes are fields whose Go type is not the rule's: a rejected item without an id reads as "".
var fieldTypes = map[string]string{"Rejection.id": "string"}

// scalars are the schema's scalars in Go; enums the client has no type for are strings.
var scalars = map[string]string{"String": "string", "ID": "string", "Boolean": "bool", "Int": "int", "Int64": "int64",
	"Float": "float64", "Number": "float64", "Time": "time.Time", "Map": "map[string]any",
	"QuantitySampleList": "[]QuantitySample"}

func main() {
	schemaPath := flag.String("schema", "../schema.graphqls", "the GraphQL schema")
	out := flag.String("out", "types.go", "the Go file to write")
	flag.Parse()
	src, err := os.ReadFile(*schemaPath)
	if err != nil {
		fail(err)
	}
	code, err := generate(string(src))
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gentypes:", err)
	os.Exit(1)
}

// generate renders types.go from the schema's text.
func generate(schemaText string) ([]byte, error) {
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: schemaText})
	if gerr != nil {
		return nil, fmt.Errorf("schema: %w", gerr)
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.schema] = t.name
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by client/internal/gentypes from schema.graphqls; DO NOT EDIT.\n\npackage client\n\nimport \"time\"\n")
	for _, t := range types {
		def := schema.Types[t.schema]
		if def == nil {
			return nil, fmt.Errorf("the schema has no type %s (client type %s)", t.schema, t.name)
		}
		b.WriteString("\n" + comment(t.doc, ""))
		switch def.Kind {
		case ast.Enum:
			writeEnum(&b, t, def)
		case ast.InputObject, ast.Object:
			if err := writeStruct(&b, t, def, names); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s is a %s: only enums, inputs and objects are generated", t.schema, def.Kind)
		}
	}
	return format.Source(b.Bytes())
}

func writeEnum(b *bytes.Buffer, t goType, def *ast.Definition) {
	fmt.Fprintf(b, "type %s string\n\n%sconst (\n", t.name, comment(t.constDoc, ""))
	for _, v := range def.EnumValues {
		c := constNames[t.schema+"."+v.Name]
		if c == "" {
			c = camel(v.Name)
		}
		fmt.Fprintf(b, "\t%s %s = %q\n", c, t.name, v.Name)
	}
	b.WriteString(")\n")
}

func writeStruct(b *bytes.Buffer, t goType, def *ast.Definition, names map[string]string) error {
	fmt.Fprintf(b, "type %s struct {\n", t.name)
	input := def.Kind == ast.InputObject
	for _, f := range def.Fields {
		if slices.Contains(t.skip, f.Name) {
			continue
		}
		goT, omit, err := fieldType(f.Type, input, names)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.schema, f.Name, err)
		}
		if o, ok := fieldTypes[t.schema+"."+f.Name]; ok {
			goT, omit = o, true
		}
		tag := f.Name
		if omit {
			tag += ",omitempty"
		}
		if doc := t.fieldDocs[f.Name]; doc != "" {
			b.WriteString(comment(doc, "\t"))
		}
		fmt.Fprintf(b, "\t%s %s `json:%q`\n", goName(f.Name), goT, tag)
	}
	b.WriteString("}\n")
	return nil
}

// fieldType is a field's Go type and whether its JSON omits it when empty. A value that may be absent is a
// pointer when its zero value means something (a number, a time, an object), and otherwise the plain value,
// left out of a request when empty; answers decode absent values as nil pointers.
func fieldType(t *ast.Type, input bool, names map[string]string) (string, bool, error) {
	var goT string
	zeroMeans := false
	switch {
	case t.Elem != nil:
		elem, _, err := fieldType(t.Elem, input, names)
		if err != nil {
			return "", false, err
		}
		goT = "[]" + strings.TrimPrefix(elem, "*")
	case names[t.NamedType] != "":
		goT = names[t.NamedType]
		zeroMeans = !isEnum(goT)
	case scalars[t.NamedType] != "":
		goT = scalars[t.NamedType]
		zeroMeans = goT == "int" || goT == "int64" || goT == "float64" || goT == "time.Time"
	default:
		// Enums the client has no type for (kinds, codes, statuses) read as their names.
		goT = "string"
	}
	if t.NonNull {
		return goT, false, nil
	}
	if zeroMeans || !input {
		if !strings.HasPrefix(goT, "[]") && !strings.HasPrefix(goT, "map[") {
			goT = "*" + goT
		}
	}
	return goT, input, nil
}

func isEnum(goName string) bool {
	for _, t := range types {
		if t.name == goName {
			return t.schema == "Provider" || t.schema == "Bucket"
		}
	}
	return false
}

// goName is a GraphQL field name as a Go identifier: bundleId → BundleID, osVersion → OSVersion.
func goName(s string) string {
	if s == "id" {
		return "ID"
	}
	if strings.HasPrefix(s, "os") && len(s) > 2 && unicode.IsUpper(rune(s[2])) {
		s = "OS" + s[2:]
	}
	if strings.HasSuffix(s, "Id") {
		s = strings.TrimSuffix(s, "Id") + "ID"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// camel is an enum value as a Go name: HEALTH_CONNECT → HealthConnect.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(s), "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func comment(text, indent string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		b.WriteString(indent + "// " + line + "\n")
	}
	return b.String()
}
