package db

import (
	"context"
	"fmt"
	"time"
)

// Interval is the time a stored category sample covers.
type Interval struct{ Start, End time.Time }

const qCategorySpans = `
	SELECT start_time, end_time
	FROM category_samples
	WHERE user_id = $1 AND category = $2 AND end_time > $3 AND start_time < $4
	ORDER BY start_time, end_time`

// CategorySpans lists the spans of the user's samples of one category that overlap [from, to), by start.
func (t *Tx) CategorySpans(ctx context.Context, category string, from, to time.Time) ([]Interval, error) {
	rows, err := t.query(ctx, qCategorySpans, t.userID, category, from, to)
	if err != nil {
		return nil, fmt.Errorf("list %s spans: %w", category, err)
	}
	defer rows.Close()
	var out []Interval
	for rows.Next() {
		var s Interval
		if err := rows.Scan(&s.Start, &s.End); err != nil {
			return nil, fmt.Errorf("list %s spans: %w", category, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s spans: %w", category, err)
	}
	return out, nil
}
