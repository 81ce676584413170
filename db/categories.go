package db

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
)

// CategoryRow is one normalized category sample (a sleep stage, a mindful session, a stand hour, an event).
type CategoryRow struct {
	ID          string
	Category    string
	Value       string // canonical
	OrigValue   string
	SourceID    int64
	Start, End  time.Time
	TimeZone    string
	UserEntered bool
	Version     int64
	Metadata    string
}

// WriteCategorySamples stores rows like WriteSamples: one statement, stored ids left alone, higher versions replace.
func (t *Tx) WriteCategorySamples(ctx context.Context, deviceID string, rows []CategoryRow) (WriteOutcome, error) {
	out := newOutcome()
	if len(rows) == 0 {
		return out, nil
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	if err := t.replaceOlder(ctx, "category_samples", "sample_id", categoryRecordLocks, versionedRecords(len(rows), func(i int) (string, int64) {
		return rows[i].ID, rows[i].Version
	}), out.Replaced); err != nil {
		return out, err
	}
	if t.values() {
		v := valuesInsert{
			head: `INSERT INTO category_samples (user_id, sample_id, category, value, orig_value, source_id, device_id,
				start_time, end_time, time_zone, user_entered, version, metadata)`,
			tuple: `($1, ?, ?, ?, ?, ?, $2, ?, ?, ?, ?, ?, ?)`,
			tail:  `ON CONFLICT (user_id, sample_id) DO NOTHING RETURNING sample_id`,
			fixed: []any{t.userID, deviceID},
		}
		if _, err := v.run(ctx, t.tx, len(rows), func(i int, args []any) []any {
			r := &rows[i]
			return append(args, r.ID, r.Category, r.Value, r.OrigValue, r.SourceID, tsMicros(r.Start), tsMicros(r.End),
				nullText(r.TimeZone), r.UserEntered, r.Version, nullText(r.Metadata))
		}, scanID(out.Inserted)); err != nil {
			return out, fmt.Errorf("insert category samples: %w", err)
		}
		return out, nil
	}
	n := len(rows)
	var (
		id, cat, val, orig, tz, meta = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		src, start, end, ver         = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		manual                       = make([]bool, n)
	)
	for i, r := range rows {
		id[i], cat[i], val[i], orig[i], tz[i], meta[i] = r.ID, r.Category, r.Value, r.OrigValue, r.TimeZone, r.Metadata
		src[i], start[i], end[i], ver[i], manual[i] = r.SourceID, micros(r.Start), micros(r.End), r.Version, r.UserEntered
	}
	q := fmt.Sprintf(`
		INSERT INTO category_samples (user_id, sample_id, category, value, orig_value, source_id, device_id,
			start_time, end_time, time_zone, user_entered, version, metadata)
		SELECT $1, id, c, v, ov, src, $2, %s, %s, nullif(tz, ''), manual, ver, nullif(meta, '')::jsonb
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[],
			$10::text[], $11::bool[], $12::bigint[], $13::text[])
			AS r(id, c, v, ov, src, s, e, tz, manual, ver, meta)
		ON CONFLICT (user_id, sample_id) DO NOTHING
		RETURNING sample_id`, fmt.Sprintf(tsFromMicros, "s"), fmt.Sprintf(tsFromMicros, "e"))
	if err := t.collectIDs(ctx, out.Inserted, q, t.userID, deviceID, pq.Array(id), pq.Array(cat), pq.Array(val),
		pq.Array(orig), pq.Array(src), pq.Array(start), pq.Array(end), pq.Array(tz), pq.Array(manual),
		pq.Array(ver), pq.Array(meta)); err != nil {
		return out, fmt.Errorf("insert category samples: %w", err)
	}
	return out, nil
}
