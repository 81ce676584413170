package bench

import (
	"encoding/json"
	"time"
)

// digestsRead is what a reinstalled phone asks before its backfill: 26 weekly digests of heart rate (every 5
// minutes: 2,016 ids a week) in one request. The naive SQL groups the user's whole heart-rate history (and
// tombstones) by week and keeps the 26 weeks asked for: the obvious query without the per-week index ranges.
func (r *runner) digestsRead(userID int64, to time.Time) readQuery {
	from := to.AddDate(0, 0, -7*26)
	return readQuery{name: "uploadDigests heart_rate, 26 weeks",
		query: `query U($from: Time!, $to: Time!) { uploadDigests(type: "HKQuantityTypeIdentifierHeartRate", from: $from, to: $to) { weekStart count digest } }`,
		vars:  map[string]any{"from": from.Format(time.RFC3339Nano), "to": to.Format(time.RFC3339Nano)},
		size:  listSize("uploadDigests"),
		naive: []naiveSQL{{`SELECT s, count(*), encode(sha256(convert_to(string_agg(id, E'\n' ORDER BY id COLLATE "C"), 'UTF8')), 'hex')
FROM (SELECT date_trunc('week', start_time, 'UTC') AS s, lower(sample_id COLLATE "C") AS id FROM samples WHERE user_id = $1 AND metric = 'heart_rate'
  UNION SELECT date_trunc('week', start_time, 'UTC'), lower(item_id COLLATE "C") FROM deletions WHERE user_id = $1 AND data_type = 'heart_rate') ids
GROUP BY s HAVING s >= $2 AND s < $3 ORDER BY s`, []any{userID, from, to}}},
	}
}

// planRead is a new phone's syncPlan of five types; the naive SQL counts and lists the weeks of each type from
// the raw rows of the whole history.
func (r *runner) planRead(userID int64, zone string) readQuery {
	types := []string{"HKQuantityTypeIdentifierHeartRate", "HKQuantityTypeIdentifierStepCount",
		"HKQuantityTypeIdentifierActiveEnergyBurned", "HKCategoryTypeIdentifierSleepAnalysis", "workout"}
	return readQuery{name: "syncPlan, 5 types",
		query: `query P($types: [String!]!) { syncPlan(deviceId: "bench-new-phone", types: $types) { types { count firstSample lastSample newestSampleEnd weeks } } }`,
		vars:  map[string]any{"types": types},
		size: func(raw json.RawMessage) (int, error) {
			var v struct {
				SyncPlan struct{ Types []json.RawMessage }
			}
			err := json.Unmarshal(raw, &v)
			return len(v.SyncPlan.Types), err
		},
		naive: []naiveSQL{
			{`SELECT metric, count(*), min(start_time), max(start_time), max(end_time), array_agg(DISTINCT date_trunc('week', start_time AT TIME ZONE $2)::date)
FROM samples WHERE user_id = $1 AND metric IN ('heart_rate', 'steps', 'active_energy_burned') GROUP BY metric`, []any{userID, zone}},
			{`SELECT count(*), min(start_time), max(start_time), max(end_time), array_agg(DISTINCT date_trunc('week', start_time AT TIME ZONE $2)::date)
FROM category_samples WHERE user_id = $1 AND category = 'sleep'`, []any{userID, zone}},
			{`SELECT count(*), min(start_time), max(start_time), max(end_time), array_agg(DISTINCT date_trunc('week', start_time AT TIME ZONE $2)::date)
FROM workouts WHERE user_id = $1`, []any{userID, zone}},
		},
	}
}
