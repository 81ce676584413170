package server

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// rootFields lists an operation's root fields as executed: aliases count once each, fragments are expanded.
func rootFields(op *graphql.OperationContext) []*ast.Field {
	var out []*ast.Field
	var walk func(set ast.SelectionSet, visiting map[string]bool)
	walk = func(set ast.SelectionSet, visiting map[string]bool) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				out = append(out, s)
			case *ast.InlineFragment:
				walk(s.SelectionSet, visiting)
			case *ast.FragmentSpread:
				f := op.Doc.Fragments.ForName(s.Name)
				if f == nil || visiting[s.Name] {
					continue
				}
				visiting[s.Name] = true
				walk(f.SelectionSet, visiting)
				delete(visiting, s.Name)
			}
		}
	}
	if op.Operation != nil {
		walk(op.Operation.SelectionSet, map[string]bool{})
	}
	return out
}

func codedError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	return err
}
