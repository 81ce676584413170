package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than max fields (gqlgen has no built-in depth limit;
// complexity alone lets a narrow but very deep query through). Introspection is exempt: GraphiQL's
// schema query is deep by nature and reads no user data.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	if depth := selectionDepth(op.Operation.SelectionSet, op.Doc.Fragments, 0, map[string]bool{}); depth > d.max {
		err := gqlerror.Errorf("the operation is nested %d levels deep; at most %d are allowed", depth, d.max)
		err.Extensions = map[string]any{"code": "QUERY_TOO_DEEP"}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, depth int, visiting map[string]bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 2 && s.Name[:2] == "__" {
				continue
			}
			d = selectionDepth(s.SelectionSet, frags, depth+1, visiting)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, depth, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] { // validation refuses cycles; this only guards the walk
				continue
			}
			f := frags.ForName(s.Name)
			if f == nil {
				continue
			}
			visiting[s.Name] = true
			d = selectionDepth(f.SelectionSet, frags, depth, visiting)
			delete(visiting, s.Name)
		default:
			panic(fmt.Sprintf("server: unknown selection %T", sel))
		}
		deepest = max(deepest, d)
	}
	return deepest
}
