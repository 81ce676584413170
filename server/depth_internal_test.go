package server

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestDepthCountsFieldsThroughFragments(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		depth int
	}{
		{`{ me { id } }`, 2},
		{`{ a { b { c { d } } } x }`, 4},
		{`{ a { ...F } } fragment F on T { b { ... on T { c { d { e } } } } }`, 5},
		{`{ a { __typename b } __schema { types { fields { type { name } } } } }`, 2},
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: tc.doc})
		if err != nil {
			t.Fatal(err)
		}
		op := doc.Operations[0]
		if got := selectionDepth(op.SelectionSet, doc.Fragments, 0, map[string]bool{}); got != tc.depth {
			t.Errorf("%s: depth %d, want %d", tc.doc, got, tc.depth)
		}
		oc := &graphql.OperationContext{Operation: op, Doc: doc}
		err2 := depthLimit{max: 4}.MutateOperationContext(context.Background(), oc)
		if (err2 != nil) != (tc.depth > 4) {
			t.Errorf("%s: limit 4 gave %v", tc.doc, err2)
		}
		if err2 != nil && err2.Extensions["code"] != "QUERY_TOO_DEEP" {
			t.Errorf("code %v", err2.Extensions["code"])
		}
	}
}
