package db

import (
	"context"
	"fmt"
	"time"
)

// NaiveUploadDigests is the benchmark's baseline for UploadDigests: the same digest computed the obvious way,
// grouping the user's whole history of the metric by week and keeping the weeks asked for.
func (t *Tx) NaiveUploadDigests(ctx context.Context, metric string, from, to time.Time) ([]DigestWeek, error) {
	var out []DigestWeek
	err := t.tx.SelectContext(ctx, &out, fmt.Sprintf(`
		SELECT s, s + interval '7 days' AS e, %s FROM (
			SELECT date_trunc('week', start_time, 'UTC') AS s, lower(sample_id COLLATE "C") AS id FROM samples
			WHERE user_id = $1 AND metric = $2
			UNION
			SELECT date_trunc('week', start_time, 'UTC'), lower(item_id COLLATE "C") FROM deletions
			WHERE user_id = $1 AND data_type = $2) ids
		GROUP BY s HAVING s >= $3 AND s < $4 ORDER BY s`, digestOf), t.userID, metric, from, to)
	if err != nil {
		return nil, fmt.Errorf("naive upload digests: %w", err)
	}
	return out, nil
}
