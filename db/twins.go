package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TwinProbe describes a sample to look for under another id.
type TwinProbe struct {
	ID         string
	Metric     string
	Start, End time.Time
	Value      float64
	SourceName string
}

// SampleTwins returns the positions of probes that match a stored sample with another id: same metric, the
// same start and end to the second (exports print whole seconds), the same value, and a source of the same
// name (exports carry names, not bundle ids). One statement; the LATERAL … LIMIT 1 keeps it one index probe per
// sample on (user, metric, start) (as a semi-join the planner may hash all of the user's samples instead).
func (t *Tx) SampleTwins(ctx context.Context, probes []TwinProbe) (map[int]bool, error) {
	twins := map[int]bool{}
	if len(probes) == 0 {
		return twins, nil
	}
	n := len(probes)
	id, metric, name := make([]string, n), make([]string, n), make([]string, n)
	start, end := make([]int64, n), make([]int64, n)
	value := make([]float64, n)
	for i, p := range probes {
		id[i], metric[i], name[i], value[i] = p.ID, p.Metric, p.SourceName, p.Value
		start[i], end[i] = micros(p.Start.Truncate(time.Second)), micros(p.End.Truncate(time.Second))
	}
	rows, err := t.tx.QueryContext(ctx, fmt.Sprintf(`
		SELECT r.i - 1 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::text[])
			WITH ORDINALITY AS r(id, m, s, e, v, n, i)
		CROSS JOIN LATERAL (
			SELECT 1 FROM samples x JOIN sources so ON so.user_id = x.user_id AND so.source_id = x.source_id
			WHERE x.user_id = $1 AND x.metric = r.m
				AND x.start_time >= %[1]s AND x.start_time < %[1]s + interval '1 second'
				AND date_trunc('second', x.end_time) = %[2]s
				AND abs(x.value - r.v) <= 1e-9 * greatest(1, abs(r.v))
				AND so.name = r.n AND x.sample_id <> r.id
			LIMIT 1) hit`,
		fmt.Sprintf(tsFromMicros, "r.s"), fmt.Sprintf(tsFromMicros, "r.e")),
		t.userID, pq.Array(id), pq.Array(metric), pq.Array(start), pq.Array(end), pq.Array(value), pq.Array(name))
	if err != nil {
		return nil, fmt.Errorf("find twin samples: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("find twin samples: %w", err)
		}
		twins[i] = true
	}
	return twins, rows.Err()
}
