package ingest

import (
	"errors"

	"healthsync/db"
)

// SourceRow validates a source and returns the row UpsertSources stores for it, with the same key the write
// path gives the items of that source: data that reaches the database beside a batch (a cloud provider's daily
// totals) then names the same source as the provider's samples.
func SourceRow(p Provider, s Source) (db.Source, error) {
	n := &normalizer{provider: p}
	row, prob := n.source(s)
	if prob != nil {
		return db.Source{}, errors.New(prob.msg)
	}
	return *row, nil
}
