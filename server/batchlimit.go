package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// maxIngestBatchesPerRequest: aliases must not turn one request into many batches, each with its own
// transaction and item limit.
const maxIngestBatchesPerRequest = 1

// CodeTooManyBatches refuses a request that carries more than one ingestBatch.
const CodeTooManyBatches = "TOO_MANY_BATCHES"

// batchLimit refuses a mutation that carries more than one ingestBatch (aliases or fragments).
type batchLimit struct{ max int }

func (batchLimit) ExtensionName() string                   { return "BatchLimit" }
func (batchLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (b batchLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || op.Operation.Operation != ast.Mutation {
		return nil
	}
	n := 0
	for _, f := range rootFields(op) {
		if f.Name == "ingestBatch" {
			n++
		}
	}
	if n > b.max {
		return codedError(CodeTooManyBatches,
			"the request carries %d ingestBatch calls; send at most %d per request (one batch, one request)", n, b.max)
	}
	return nil
}
