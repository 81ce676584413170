package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// The first reads of a page of daily summaries in one round trip. The statements carry their values in the
// text (the user id and scope names of our own code: nothing a client wrote), so that they go out together as
// one simple query; separately they were four round trips (the sources statement is not prepared, so two).

// ReadPrelude is what a daily page needs before it can cut days and rank sources.
type ReadPrelude struct {
	// DeviceZone is the time zone of the user's most recently seen device ("" when none, or when not asked).
	DeviceZone string
	// Sources are all of the user's sources, by id.
	Sources []Source
	// Priorities are the stored source orders of the scopes asked for (a scope without its own takes the
	// all-metrics order, as SourcePriorities).
	Priorities map[string][]int64
}

// ReadPrelude reads, in one round trip, the user's latest device zone (when withZone), sources and the stored
// priority orders of scopes: what LatestDeviceTimeZone, Sources and SourcePriorities read one by one.
func (t *Tx) ReadPrelude(ctx context.Context, withZone bool, scopes []string) (ReadPrelude, error) {
	var out ReadPrelude
	quoted := make([]string, len(scopes))
	for i, s := range scopes {
		quoted[i] = pq.QuoteLiteral(s)
	}
	var q strings.Builder
	if withZone {
		fmt.Fprintf(&q, `SELECT time_zone FROM devices WHERE user_id = %d AND time_zone IS NOT NULL ORDER BY last_seen DESC LIMIT 1;`, t.userID)
	}
	fmt.Fprintf(&q, `
		SELECT source_id, provider, source_key, name, bundle_id, version, product_type, device_name, device_model,
			device_manufacturer, hardware_version, software_version, first_seen, last_seen
		FROM sources WHERE user_id = %d ORDER BY source_id;
		SELECT metric, source_ids FROM source_priority WHERE user_id = %[1]d AND (metric = ANY(ARRAY[%s]::text[]) OR metric = '')`,
		t.userID, strings.Join(quoted, ", "))
	rows, err := t.tx.QueryxContext(ctx, q.String())
	if err != nil {
		return out, fmt.Errorf("read sources: %w", err)
	}
	defer rows.Close()
	next := func() error {
		if rows.NextResultSet() {
			return nil
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("a result set is missing")
	}
	if withZone {
		for rows.Next() {
			if err := rows.Scan(&out.DeviceZone); err != nil {
				return out, fmt.Errorf("read device time zone: %w", err)
			}
		}
		if err := next(); err != nil {
			return out, fmt.Errorf("read device time zone: %w", err)
		}
	}
	for rows.Next() {
		var s Source
		if err := rows.StructScan(&s); err != nil {
			return out, fmt.Errorf("list sources: %w", err)
		}
		out.Sources = append(out.Sources, s)
	}
	if err := next(); err != nil {
		return out, fmt.Errorf("list sources: %w", err)
	}
	stored := map[string][]int64{}
	for rows.Next() {
		var m string
		var ids pq.Int64Array
		if err := rows.Scan(&m, &ids); err != nil {
			return out, fmt.Errorf("read source priorities: %w", err)
		}
		stored[m] = ids
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read source priorities: %w", err)
	}
	out.Priorities = make(map[string][]int64, len(scopes))
	for _, m := range scopes {
		if ids, ok := stored[m]; ok {
			out.Priorities[m] = ids
		} else if ids, ok := stored[""]; ok {
			out.Priorities[m] = ids
		}
	}
	return out, nil
}
