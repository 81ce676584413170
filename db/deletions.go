package db

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Tombstoned returns which of ids the user has deleted before.
func (t *Tx) Tombstoned(ctx context.Context, ids []string) (map[string]struct{}, error) {
	set := map[string]struct{}{}
	if len(ids) == 0 {
		return set, nil
	}
	// Most users never delete anything: one cheap probe spares thousands of index lookups per batch.
	var any bool
	if err := t.tx.GetContext(ctx, &any, `SELECT EXISTS (SELECT 1 FROM deletions WHERE user_id = $1)`, t.userID); err != nil {
		return nil, fmt.Errorf("probe deletions: %w", err)
	}
	if !any {
		return set, nil
	}
	if err := t.collectIDs(ctx, set, `
		SELECT item_id FROM deletions WHERE user_id = $1 AND item_id = ANY($2::text[])`,
		t.userID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("read deletions: %w", err)
	}
	return set, nil
}

// DeleteItems removes the ids from samples, series, category samples and workouts, and tombstones them so a
// later upload of the same id is not stored again. It returns the ids that removed stored data.
func (t *Tx) DeleteItems(ctx context.Context, ids []string) (map[string]struct{}, error) {
	if len(ids) == 0 {
		return map[string]struct{}{}, nil
	}
	removed, err := t.DeleteSampleIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	err = t.collectIDs(ctx, removed, `
		WITH c AS (DELETE FROM category_samples WHERE user_id = $1 AND sample_id = ANY($2::text[]) RETURNING sample_id AS id),
		     w AS (DELETE FROM workouts WHERE user_id = $1 AND workout_id = ANY($2::text[]) RETURNING workout_id AS id),
		     t AS (INSERT INTO deletions (user_id, item_id)
		           SELECT $1, id FROM unnest($2::text[]) AS id ON CONFLICT (user_id, item_id) DO NOTHING)
		SELECT id FROM c UNION SELECT id FROM w`,
		t.userID, pq.Array(sorted))
	if err != nil {
		return nil, fmt.Errorf("delete items: %w", err)
	}
	return removed, nil
}

// PruneTombstones deletes up to limit tombstones older than retention whose ids start with one of prefixes,
// oldest first, and reports how many: small rounds keep each transaction short on a large table. deleted_at is
// dated by the database's clock, so the cut-off is too.
func (t *SysTx) PruneTombstones(ctx context.Context, prefixes []string, retention time.Duration, limit int) (int64, error) {
	patterns := make([]string, len(prefixes))
	for i, p := range prefixes {
		patterns[i] = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM deletions WHERE (user_id, item_id) IN (
		SELECT user_id, item_id FROM deletions
		WHERE deleted_at < now() - make_interval(secs => $1) AND item_id LIKE ANY($2::text[])
		ORDER BY deleted_at LIMIT $3)`, retention.Seconds(), pq.Array(patterns), limit)
	if err != nil {
		return 0, fmt.Errorf("prune tombstones: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
