package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SleepStageRow is one stored sleep sample, as the sleep assembly needs it.
type SleepStageRow struct {
	SourceID int64     `db:"source_id"`
	Value    string    `db:"value"` // canonical stage
	Start    time.Time `db:"start_time"`
	End      time.Time `db:"end_time"`
	TimeZone string    `db:"time_zone"` // "" = unknown
	// StageMinutes is the sample's metadata entry "stageMinutes" (a night summed up by stage, in minutes), nil
	// when it has none.
	StageMinutes map[string]float64 `db:"stage_minutes"`
}

// maxCategorySpan mirrors ingest's limit on a sample's length: with it, a lower bound on start_time lets the
// (user_id, category, start_time) index bound the scan from both sides.
const maxCategorySpan = 31 * 24 * time.Hour

// Ties are broken by sample id in byte order (COLLATE "C"): deterministic without the locale's comparisons,
// whatever the database's collation. Times travel as Unix microseconds: parsing timestamp text was the larger
// part of reading a month of stages in Go.
const qSleepStages = `
	SELECT source_id, value, (extract(epoch FROM start_time) * 1000000)::bigint,
		(extract(epoch FROM end_time) * 1000000)::bigint, coalesce(time_zone, ''),
		coalesce(metadata->'stageMinutes', 'null')::text
	FROM category_samples
	WHERE user_id = $1 AND category = 'sleep'
		AND start_time > $2 AND start_time < $4 AND end_time > $3
	ORDER BY source_id, start_time, end_time, sample_id COLLATE "C"`

// SleepStages lists the user's sleep samples that overlap [from, to), by source and start.
func (t *Tx) SleepStages(ctx context.Context, from, to time.Time) ([]SleepStageRow, error) {
	rows, err := t.query(ctx, qSleepStages, t.userID, from.Add(-maxCategorySpan), from, to)
	if err != nil {
		return nil, fmt.Errorf("list sleep stages: %w", err)
	}
	defer rows.Close()
	var out []SleepStageRow
	for rows.Next() {
		var r SleepStageRow
		var start, end int64
		var minutes []byte
		if err := rows.Scan(&r.SourceID, &r.Value, &start, &end, &r.TimeZone, &minutes); err != nil {
			return nil, fmt.Errorf("list sleep stages: %w", err)
		}
		if string(minutes) != "null" {
			// A stored entry of another shape is someone else's metadata under the same name: no totals.
			if json.Unmarshal(minutes, &r.StageMinutes) != nil {
				r.StageMinutes = nil
			}
		}
		r.Start, r.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sleep stages: %w", err)
	}
	return out, nil
}
