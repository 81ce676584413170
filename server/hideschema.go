package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeIntrospectionDisabled refuses introspection in production.
const CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"

// hideSchema refuses introspection (__schema, __type) in production, with a code rather than gqlgen's generic
// "introspection disabled" at execution time. __typename stays: clients use it for unions and caching.
type hideSchema struct{}

func (hideSchema) ExtensionName() string                   { return "HideSchema" }
func (hideSchema) Validate(graphql.ExecutableSchema) error { return nil }

func (hideSchema) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	for _, f := range rootFields(op) {
		if f.Name == "__schema" || f.Name == "__type" {
			return codedError(CodeIntrospectionDisabled, "introspection is disabled on this server")
		}
	}
	return nil
}
