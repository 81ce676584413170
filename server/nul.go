package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"healthsync/resolvers"
	"healthsync/scalar"
	"healthsync/server/httpjson"
)

// nulGuard refuses an operation that would hand a field a NUL character. PostgreSQL's text and jsonb cannot
// hold one, so it would fail inside the resolver as an internal error. The body scan in limitBody cannot see
// GraphQL's braced escape (\u{0} is a NUL only after lexing), and GET and websocket messages have no body to
// scan; this runs after parsing, on every transport, over the literals and the coerced variables.
type nulGuard struct{}

func (nulGuard) ExtensionName() string                   { return "NULGuard" }
func (nulGuard) Validate(graphql.ExecutableSchema) error { return nil }

func (nulGuard) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if docHasNUL(op.Doc) || !scanned(ctx) && anyHasNUL(ctx, op.Variables) {
		return codedError(resolvers.CodeBadUserInput,
			`the request contains a NUL character (\u0000 or \u{0}), which no field accepts`)
	}
	return nil
}

func docHasNUL(doc *ast.QueryDocument) bool {
	if doc == nil {
		return false
	}
	for _, o := range doc.Operations {
		for _, v := range o.VariableDefinitions {
			if valueHasNUL(v.DefaultValue) {
				return true
			}
		}
		if directivesHaveNUL(o.Directives) || selectionsHaveNUL(o.SelectionSet) {
			return true
		}
	}
	for _, f := range doc.Fragments {
		if directivesHaveNUL(f.Directives) || selectionsHaveNUL(f.SelectionSet) {
			return true
		}
	}
	return false
}

func selectionsHaveNUL(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if valueHasNUL(a.Value) {
					return true
				}
			}
			if directivesHaveNUL(s.Directives) || selectionsHaveNUL(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if directivesHaveNUL(s.Directives) || selectionsHaveNUL(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if directivesHaveNUL(s.Directives) {
				return true
			}
		}
	}
	return false
}

func directivesHaveNUL(ds ast.DirectiveList) bool {
	for _, d := range ds {
		for _, a := range d.Arguments {
			if valueHasNUL(a.Value) {
				return true
			}
		}
	}
	return false
}

func valueHasNUL(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if strings.IndexByte(v.Raw, 0) >= 0 {
		return true
	}
	for _, c := range v.Children {
		if valueHasNUL(c.Value) {
			return true
		}
	}
	return false
}

// anyHasNUL walks decoded JSON variables; object keys count too, since jsonb fields keep them. The samples
// predecodeSamples took out of the body are placeholders here; their text was in the body limitBody scanned.
func anyHasNUL(ctx context.Context, v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0 && !scalar.IsPlaceholder(ctx, x)
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || anyHasNUL(ctx, e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if anyHasNUL(ctx, e) {
				return true
			}
		}
	}
	return false
}

type scannedKey struct{}

// markScanned records that limitBody found no NUL in the request's body or query string. JSON can carry a NUL
// only as a raw byte or \u0000, both of which it looks for, so variables decoded from that text need no second
// walk: the walk costs a tenth of decoding them (BenchmarkNULGuard). Websocket messages are not scanned.
func markScanned(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), scannedKey{}, true))
}

func scanned(ctx context.Context) bool {
	ok, _ := ctx.Value(scannedKey{}).(bool)
	return ok
}

// nulEscape is how a NUL character reaches us: JSON has no other way to carry one, and inside a JSON-encoded
// GraphQL query the GraphQL escape shows as the same six bytes after an escaped backslash.
var nulEscape = []byte(`\u0000`)

// hasNUL reports whether a request body or query string could deliver a NUL character to a field. PostgreSQL
// text and jsonb cannot hold one, so such a value would fail deep inside a batch's transaction (as an internal
// error, retried forever by the phone); refused up front it is the client's error to fix. Literal text
// "\u0000" in a field is refused too, a price worth paying for a check this cheap.
func hasNUL(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 || bytes.Contains(b, nulEscape) }

func refuseNUL(w http.ResponseWriter) {
	httpjson.Error(w, http.StatusBadRequest, "BAD_USER_INPUT",
		`the request contains a NUL character (\u0000), which no field accepts`)
}

// queryHasNUL is hasNUL for a GET request's parameters, after URL decoding.
func queryHasNUL(r *http.Request) bool {
	for _, vs := range r.URL.Query() {
		for _, v := range vs {
			if hasNUL([]byte(v)) {
				return true
			}
		}
	}
	return false
}
