package db

import (
	"context"
	"fmt"
	"time"
)

// FlowRow is one stored menstrual flow sample.
type FlowRow struct {
	Value    string // canonical flow value
	Start    time.Time
	TimeZone string // "" = unknown
}

const qFlowDays = `
	SELECT value, start_time, coalesce(time_zone, '')
	FROM category_samples
	WHERE user_id = $1 AND category = 'menstrual_flow' AND start_time >= $2 AND start_time < $3
	ORDER BY start_time, sample_id COLLATE "C"`

// FlowSamples lists the user's menstrual flow samples starting in [from, to), oldest first.
func (t *Tx) FlowSamples(ctx context.Context, from, to time.Time) ([]FlowRow, error) {
	rows, err := t.query(ctx, qFlowDays, t.userID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list flow samples: %w", err)
	}
	defer rows.Close()
	var out []FlowRow
	for rows.Next() {
		var r FlowRow
		if err := rows.Scan(&r.Value, &r.Start, &r.TimeZone); err != nil {
			return nil, fmt.Errorf("list flow samples: %w", err)
		}
		r.Start = r.Start.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flow samples: %w", err)
	}
	return out, nil
}
