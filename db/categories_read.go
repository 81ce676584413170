package db

import (
	"context"
	"fmt"
	"time"
)

// StoredCategorySample is a category sample as read back, with its source's name.
type StoredCategorySample struct {
	ID          string
	Value       string // canonical ('' for events and sessions)
	OrigValue   string
	SourceName  string
	Start, End  time.Time
	TimeZone    string // "" = unknown
	UserEntered bool
	Metadata    string // JSON object, "" when none
}

const qCategorySamples = `
	SELECT c.sample_id, c.value, c.orig_value, s.name, c.start_time, c.end_time, coalesce(c.time_zone, ''),
		c.user_entered, coalesce(c.metadata::text, '')
	FROM category_samples c JOIN sources s ON s.user_id = c.user_id AND s.source_id = c.source_id
	WHERE c.user_id = $1 AND c.category = $2 AND c.start_time >= $3 AND c.start_time < $4
	ORDER BY c.start_time, c.sample_id COLLATE "C"
	LIMIT $5`

// CategorySamples lists the user's samples of one category (its canonical name) starting in [from, to), oldest
// first, at most limit of them.
func (t *Tx) CategorySamples(ctx context.Context, category string, from, to time.Time, limit int) ([]StoredCategorySample, error) {
	rows, err := t.query(ctx, qCategorySamples, t.userID, category, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s samples: %w", category, err)
	}
	defer rows.Close()
	var out []StoredCategorySample
	for rows.Next() {
		var r StoredCategorySample
		if err := rows.Scan(&r.ID, &r.Value, &r.OrigValue, &r.SourceName, &r.Start, &r.End, &r.TimeZone, &r.UserEntered,
			&r.Metadata); err != nil {
			return nil, fmt.Errorf("list %s samples: %w", category, err)
		}
		r.Start, r.End = r.Start.UTC(), r.End.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s samples: %w", category, err)
	}
	return out, nil
}
