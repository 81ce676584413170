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
	removed := map[string]struct{}{}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	kinds, err := t.deleteSamples(ctx, removed, sorted)
	if err != nil {
		return nil, err
	}
	// The tombstone keeps the removed item's type and start (upload digests count it as held in its week); a
	// quantity sample's come from the rows deleted above, a category sample's and a workout's from their own
	// DELETE ... RETURNING in this statement.
	sIDs, sTypes, sStarts := kinds.columns()
	err = t.collectIDs(ctx, removed, `
		WITH c AS (DELETE FROM category_samples WHERE user_id = $1 AND sample_id = ANY($2::text[])
		           RETURNING sample_id AS id, category AS data_type, start_time),
		     w AS (DELETE FROM workouts WHERE user_id = $1 AND workout_id = ANY($2::text[])
		           RETURNING workout_id AS id, 'workout'::text AS data_type, start_time),
		     k AS (SELECT * FROM c UNION ALL SELECT * FROM w
		           UNION ALL SELECT * FROM unnest($3::text[], $4::text[], $5::timestamptz[])),
		     t AS (INSERT INTO deletions (user_id, item_id, data_type, start_time)
		           SELECT $1, id, k.data_type, k.start_time
		           FROM unnest($2::text[]) AS id LEFT JOIN (SELECT DISTINCT ON (id) * FROM k ORDER BY id) k USING (id)
		           ON CONFLICT (user_id, item_id) DO NOTHING)
		SELECT id FROM c UNION SELECT id FROM w`,
		t.userID, pq.Array(sorted), pq.Array(sIDs), pq.Array(sTypes), pq.Array(sStarts))
	if err != nil {
		return nil, fmt.Errorf("delete items: %w", err)
	}
	return removed, nil
}

// deletedKinds maps a removed quantity sample's id to its metric and earliest start (a series record has a row
// per point).
type deletedKinds map[string]span

func (k deletedKinds) columns() (ids, types []string, starts []time.Time) {
	for id, sp := range k {
		ids, types, starts = append(ids, id), append(types, sp.metric), append(starts, sp.start)
	}
	return ids, types, starts
}

// removeSampleRows deletes the quantity samples (and series points) with the ids and returns the removed spans
// for the hourly aggregate, and each removed id's metric and start for its tombstone.
func (t *Tx) removeSampleRows(ctx context.Context, removed map[string]struct{}, ids []string) ([]span, deletedKinds, error) {
	rows, err := t.tx.QueryContext(ctx, `
		DELETE FROM samples WHERE user_id = $1 AND sample_id = ANY($2::text[])
		RETURNING sample_id, metric, source_id, start_time, end_time`, t.userID, pq.Array(ids))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var spans []span
	kinds := deletedKinds{}
	for rows.Next() {
		var id string
		var sp span
		if err := rows.Scan(&id, &sp.metric, &sp.sourceID, &sp.start, &sp.end); err != nil {
			return nil, nil, err
		}
		removed[id] = struct{}{}
		spans = append(spans, sp)
		if k, ok := kinds[id]; !ok || sp.start.Before(k.start) {
			kinds[id] = sp
		}
	}
	return spans, kinds, rows.Err()
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
