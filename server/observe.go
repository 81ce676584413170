package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"healthsync/auth"
	"healthsync/ingest"
	"healthsync/metrics"
)

// observeRequest writes the request's log line and counts it. The line names the user only by a hash of the
// token's subject and carries counts, never tokens, ids or sample values.
func observeRequest(ctx context.Context, log *slog.Logger, m *metrics.Metrics, resp *graphql.Response,
	batch func() (ingest.BatchStats, bool), took time.Duration) {
	outcome, nErrors := "ok", 0
	if resp != nil && len(resp.Errors) > 0 {
		nErrors = len(resp.Errors)
		outcome = "error"
		if c, ok := resp.Errors[0].Extensions["code"].(string); ok && c != "" {
			outcome = c
		}
	}
	var opName, opType string
	var fields []string
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		opName = oc.OperationName
		if oc.Operation != nil {
			if opName == "" {
				opName = oc.Operation.Name // the document's only operation, named in the query text
			}
			opType = string(oc.Operation.Operation)
			fields = operationFields(oc)
		}
	}
	if m != nil {
		m.ObserveRequest(opType, fields, outcome, took)
	}

	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("operation", opName), slog.String("type", opType), slog.Any("fields", fields))
	if p, ok := auth.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("user", auth.LogID(p.Subject)))
	}
	attrs = append(attrs, slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("outcome", outcome), slog.Int("errors", nErrors))
	if st, ok := batch(); ok {
		attrs = append(attrs, slog.Int("items", st.Items))
		if st.Err == nil {
			r := st.Result
			attrs = append(attrs, slog.Bool("replayed", r.Replayed), slog.Int("accepted", r.Accepted),
				slog.Int("duplicates", r.Duplicates), slog.Int("updated", r.Updated), slog.Int("deleted", r.Deleted),
				slog.Int("rejected", len(r.Rejected)))
		}
	}
	log.LogAttrs(ctx, slog.LevelInfo, "graphql", attrs...)
}

// operationFields lists the distinct root fields of the operation, introspection folded into one name, so the
// metrics' operation label is bounded by the schema.
func operationFields(oc *graphql.OperationContext) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range rootFields(oc) {
		name := f.Name
		if len(name) > 1 && name[:2] == "__" {
			name = "introspection"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
