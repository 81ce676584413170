package db

import (
	"context"
	"fmt"
	"sort"
)

// DeleteSampleIDs removes the samples stored under ids, without tombstoning them (the caller tombstones what
// the user named), and returns the ids that removed something.
func (t *Tx) DeleteSampleIDs(ctx context.Context, ids []string) (map[string]struct{}, error) {
	removed := map[string]struct{}{}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	_, err := t.deleteSamples(ctx, removed, sorted)
	return removed, err
}

// deleteSamples removes the quantity samples (and series points) with the sorted ids, adds the removed ids to
// removed, keeps the hourly aggregate true, and returns each removed id's metric and start for its tombstone.
func (t *Tx) deleteSamples(ctx context.Context, removed map[string]struct{}, sorted []string) (deletedKinds, error) {
	if len(sorted) == 0 {
		return deletedKinds{}, nil
	}
	spans, kinds, err := t.removeSampleRows(ctx, removed, sorted)
	if err != nil {
		return nil, fmt.Errorf("delete samples: %w", err)
	}
	return kinds, t.recomputeHourly(ctx, spans)
}
