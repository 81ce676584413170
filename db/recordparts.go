package db

import (
	"context"
	"fmt"
	"sort"

	"github.com/lib/pq"
)

// DeleteSampleIDs removes the samples stored under ids, without tombstoning them (the caller tombstones what
// the user named), and returns the ids that removed something.
func (t *Tx) DeleteSampleIDs(ctx context.Context, ids []string) (map[string]struct{}, error) {
	removed := map[string]struct{}{}
	if len(ids) == 0 {
		return removed, nil
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	spans, err := t.removeSamples(ctx, removed, `
		DELETE FROM samples WHERE user_id = $1 AND sample_id = ANY($2::text[])
		RETURNING sample_id, metric, source_id, start_time, end_time`, t.userID, pq.Array(sorted))
	if err != nil {
		return nil, fmt.Errorf("delete samples: %w", err)
	}
	return removed, t.recomputeHourly(ctx, spans)
}
