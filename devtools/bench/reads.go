package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"healthsync/devtools/bench/gen"
	"healthsync/ingest"
)

// readerIndex is the generated user the reads run on when the uploaded users have less data than --read-years.
const readerIndex = 1_000_000

// readQuery is one dashboard read: the GraphQL request, how big its answer is, and the naive SQL beside it.
type readQuery struct {
	name  string
	query string
	vars  map[string]any
	size  func(json.RawMessage) (int, error)
	naive []naiveSQL
	// before runs, untimed, ahead of every API call (nil: nothing).
	before func(ctx context.Context) error
	// aligned names the read of the same length on local midnights (or whole hours) that this rolling-range read
	// is compared with ("" for none).
	aligned string
}

type naiveSQL struct {
	sql  string
	args []any
}

// readUser returns the user the reads run on, loading one with --read-years of data when needed.
func (r *runner) readUser(ctx context.Context) (*gen.User, *gen.Generator, int64, error) {
	if r.o.Years >= r.o.ReadYears || days(r.o.Years) >= days(r.o.ReadYears) {
		u := r.users[0]
		ids, _, err := r.sourceIDs(ctx, []*gen.User{u})
		return u, r.g, ids[u.Index], err
	}
	g := gen.New(gen.Config{Seed: r.o.Seed, Days: days(r.o.ReadYears)})
	u := g.User(readerIndex)
	if _, err := r.app.token(u.Subject); err != nil {
		return nil, nil, 0, err
	}
	dbUser, err := r.app.store.EnsureUser(ctx, u.Subject)
	if err != nil {
		return nil, nil, 0, err
	}
	refs := g.Plan(u, r.o.BatchSize)
	r.log.Info("bench: loading the read user through the ingest service (not timed)", "days", g.Days(), "batches", len(refs))
	// One phone's backfill: two uploads at a time.
	err = parallel(ctx, len(refs), 2, func(ctx context.Context, i int) error {
		b := g.Batch(u, refs[i])
		res, err := r.app.svc.Ingest(ctx, dbUser.ID, IngestBatch(b, refs[i].Key(r.o.Seed)))
		if err != nil {
			return err
		}
		if res.Accepted != refs[i].Items || len(res.Rejected) > 0 {
			return fmt.Errorf("read user batch %d: accepted %d of %d, rejected %v", i, res.Accepted, refs[i].Items, res.Rejected)
		}
		return nil
	})
	return u, g, dbUser.ID, err
}

func listSize(field string) func(json.RawMessage) (int, error) {
	return func(raw json.RawMessage) (int, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return 0, err
		}
		var list []json.RawMessage
		err := json.Unmarshal(m[field], &list)
		return len(list), err
	}
}

func seriesSize(raw json.RawMessage) (int, error) {
	var v struct {
		Series struct {
			Points []json.RawMessage `json:"points"`
		} `json:"series"`
	}
	err := json.Unmarshal(raw, &v)
	return len(v.Series.Points), err
}

func columnsSize(raw json.RawMessage) (int, error) {
	var v struct {
		Series struct {
			Columns struct {
				Start []json.RawMessage `json:"start"`
			} `json:"columns"`
		} `json:"series"`
	}
	err := json.Unmarshal(raw, &v)
	return len(v.Series.Columns.Start), err
}

func workoutsSize(raw json.RawMessage) (int, error) {
	var v struct {
		Workouts struct {
			Edges []json.RawMessage `json:"edges"`
		} `json:"workouts"`
	}
	err := json.Unmarshal(raw, &v)
	return len(v.Workouts.Edges), err
}

const seriesQuery = `query S($metric: String!, $from: Time!, $to: Time!, $bucket: Bucket!) {
  series(metric: $metric, from: $from, to: $to, bucket: $bucket) { unit timeZone points { start end value count min max } }
}`

// columnsQuery asks for the same fields as seriesQuery, as parallel lists (what a chart library takes).
const columnsQuery = `query S($metric: String!, $from: Time!, $to: Time!, $bucket: Bucket!) {
  series(metric: $metric, from: $from, to: $to, bucket: $bucket) { unit timeZone columns { start end value count min max } }
}`

// naiveBucket is the SQL a developer writes first for a chart: date_trunc + GROUP BY over raw samples.
const naiveBucket = `SELECT date_trunc($5, start_time, $6) AS b, count(*), sum(value), avg(value), min(value), max(value)
FROM samples WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4 GROUP BY 1 ORDER BY 1`

// readQueries are the read set for user u (userID in a's database).
func (r *runner) readQueries(a *app, u *gen.User, g *gen.Generator, userID int64) []readQuery {
	_, to := g.Span(u)
	zone := u.Device.TimeZone
	yearFrom := to.AddDate(-1, 0, 0)
	from, _ := g.Span(u)
	// The week (and its first day) half a year back, or halfway through shorter data.
	weekFrom := to.AddDate(0, 0, -min(7*26, g.Days()/2))
	monthFrom := to.AddDate(0, 0, -30)
	ts := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	series := func(name, metric, bucket, trunc string, a, b time.Time) readQuery {
		return readQuery{name: name, query: seriesQuery, size: seriesSize,
			vars:  map[string]any{"metric": metric, "from": ts(a), "to": ts(b), "bucket": bucket},
			naive: []naiveSQL{{naiveBucket, []any{userID, metric, a, b, trunc, zone}}}}
	}
	columns := func(q readQuery) readQuery {
		q.name, q.query, q.size = q.name+", columns", columnsQuery, columnsSize
		return q
	}
	// Rolling ranges, as dashboards ask for "the last year": from now − 365 days to now, where now is some
	// minutes and seconds into the last day of the data.
	now := to.Add(-(2*time.Hour + 47*time.Minute + 13*time.Second + 370*time.Millisecond))
	rolling := func(q readQuery, aligned string) readQuery {
		q.name, q.aligned = q.name+", rolling to now", aligned
		return q
	}
	daily := func(name string, a, b time.Time) readQuery {
		return readQuery{name: name,
			query: `query D($from: Date!, $to: Date!) { dailySummary(from: $from, to: $to) {
  date steps distanceMeters activeEnergyKcal exerciseMinutes restingHeartRate hrvSdnnMs sleepMinutes workouts } }`,
			vars: map[string]any{"from": a.Format(time.DateOnly), "to": b.Format(time.DateOnly)},
			size: listSize("dailySummary"),
			naive: []naiveSQL{
				{`SELECT date_trunc('day', start_time, $4) AS d,
  sum(value) FILTER (WHERE metric = 'steps'), sum(value) FILTER (WHERE metric = 'distance_walking_running'),
  sum(value) FILTER (WHERE metric = 'active_energy_burned'), sum(value) FILTER (WHERE metric = 'exercise_time'),
  avg(value) FILTER (WHERE metric = 'resting_heart_rate'), avg(value) FILTER (WHERE metric = 'hrv_sdnn')
FROM samples WHERE user_id = $1 AND start_time >= $2 AND start_time < $3
  AND metric IN ('steps', 'distance_walking_running', 'active_energy_burned', 'exercise_time', 'resting_heart_rate', 'hrv_sdnn')
GROUP BY 1 ORDER BY 1`, []any{userID, a, b.AddDate(0, 0, 1), zone}},
				{`SELECT date_trunc('day', end_time, $4), sum(extract(epoch FROM end_time - start_time)) / 60
FROM category_samples WHERE user_id = $1 AND category = 'sleep' AND value LIKE 'asleep%' AND end_time >= $2 AND end_time < $3
GROUP BY 1 ORDER BY 1`, []any{userID, a, b.AddDate(0, 0, 1), zone}},
				{`SELECT date_trunc('day', start_time, $4), count(*) FROM workouts WHERE user_id = $1 AND start_time >= $2 AND start_time < $3
GROUP BY 1 ORDER BY 1`, []any{userID, a, b.AddDate(0, 0, 1), zone}},
			},
		}
	}
	const (
		hrYear   = "series heart_rate DAY, 1 year"
		hrWeek   = "series heart_rate HOUR, 1 week"
		stepYear = "series steps DAY merged, 1 year"
		month    = "dailySummary, 30 days"
	)
	// The local date of now and the 29 days before it: the whole local days dailySummary takes.
	nowDay := now.In(u.Zone)
	nowDay = time.Date(nowDay.Year(), nowDay.Month(), nowDay.Day(), 0, 0, 0, 0, u.Zone)
	return []readQuery{
		series(hrYear, "heart_rate", "DAY", "day", yearFrom, to),
		columns(series(hrYear, "heart_rate", "DAY", "day", yearFrom, to)),
		rolling(series(hrYear, "heart_rate", "DAY", "day", now.AddDate(0, 0, -365), now), hrYear),
		rolling(columns(series(hrYear, "heart_rate", "DAY", "day", now.AddDate(0, 0, -365), now)), hrYear+", columns"),
		series(hrWeek, "heart_rate", "HOUR", "hour", weekFrom, weekFrom.AddDate(0, 0, 7)),
		columns(series(hrWeek, "heart_rate", "HOUR", "hour", weekFrom, weekFrom.AddDate(0, 0, 7))),
		rolling(series(hrWeek, "heart_rate", "HOUR", "hour", now.AddDate(0, 0, -7), now), hrWeek),
		rolling(columns(series(hrWeek, "heart_rate", "HOUR", "hour", now.AddDate(0, 0, -7), now)), hrWeek+", columns"),
		series("series heart_rate MINUTE, 1 day", "heart_rate", "MINUTE", "minute", weekFrom, weekFrom.AddDate(0, 0, 1)),
		series(stepYear, "steps", "DAY", "day", yearFrom, to),
		columns(series(stepYear, "steps", "DAY", "day", yearFrom, to)),
		rolling(columns(series(stepYear, "steps", "DAY", "day", now.AddDate(0, 0, -365), now)), stepYear+", columns"),
		r.afterSync(a, series(stepYear+", after a sync", "steps", "DAY", "day", yearFrom, to), u, userID, to),
		daily(month, monthFrom, to.AddDate(0, 0, -1)),
		func() readQuery {
			q := daily(month+" ending today", nowDay.AddDate(0, 0, -29), nowDay)
			q.aligned = month
			return q
		}(),
		{
			name: "sleep, 30 days",
			query: `query Z($from: Time!, $to: Time!) { sleep(from: $from, to: $to) {
  start end date isNap inBedMinutes asleepMinutes coreMinutes deepMinutes remMinutes awakeMinutes efficiency source { name }
  stages { stage start end } } }`,
			vars: map[string]any{"from": ts(monthFrom), "to": ts(to)},
			size: listSize("sleep"),
			naive: []naiveSQL{{`SELECT date_trunc('day', end_time, $4) AS night, source_id, value,
  sum(extract(epoch FROM end_time - start_time)) / 60, min(start_time), max(end_time)
FROM category_samples WHERE user_id = $1 AND category = 'sleep' AND end_time >= $2 AND end_time < $3
GROUP BY 1, 2, 3 ORDER BY 1`, []any{userID, monthFrom, to, zone}}},
		},
		r.digestsRead(userID, to),
		r.planRead(userID, zone),
		{
			name: "workouts, first page of 20",
			query: `query W($from: Time!, $to: Time!) { workouts(from: $from, to: $to, first: 20) {
  edges { cursor node { id activityType start end durationSeconds energyKcal distanceMeters averageHeartRate maxHeartRate source { name } alsoRecordedBy { name } } }
  pageInfo { hasNextPage endCursor } } }`,
			vars: map[string]any{"from": ts(from), "to": ts(to)},
			size: workoutsSize,
			naive: []naiveSQL{{`SELECT w.workout_id, w.activity_type, w.start_time, w.end_time, w.energy_kcal, w.distance_m,
  avg(s.value), max(s.value)
FROM workouts w LEFT JOIN samples s ON s.user_id = w.user_id AND s.metric = 'heart_rate'
  AND s.start_time >= w.start_time AND s.start_time < w.end_time
WHERE w.user_id = $1 AND w.start_time >= $2 AND w.start_time < $3
GROUP BY w.user_id, w.workout_id ORDER BY w.start_time DESC LIMIT 20`, []any{userID, from, to}}},
		},
	}
}

// afterSync makes q the read a dashboard does right after the phone uploaded: before every call, a small batch
// of new watch steps in the last hour of the data lands (untimed), so the read finds that day's cached totals
// gone and computes them again, as it would after every sync. The batch goes through a's ingest service: the
// database the read runs on (the growth levels have their own).
func (r *runner) afterSync(a *app, q readQuery, u *gen.User, userID int64, to time.Time) readQuery {
	n := 0
	q.before = func(ctx context.Context) error {
		n++
		b := ingest.Batch{IdempotencyKey: fmt.Sprintf("bench-sync-%d", n), Provider: ingest.AppleHealth,
			Device: ingest.Device{ID: u.Device.ID, TimeZone: &u.Device.TimeZone}}
		for k := range 12 {
			start := to.Add(-time.Hour + time.Duration(k)*5*time.Minute)
			b.Samples = append(b.Samples, ingest.QuantitySample{ID: fmt.Sprintf("5E5E5E5E-%04X-4000-8000-%012X", k, n),
				Type: "HKQuantityTypeIdentifierStepCount", Value: ingest.Float(40 + k), Unit: "count",
				Start: start, End: start.Add(2 * time.Minute), Source: ingestSource(u.Watch)})
		}
		res, err := a.svc.Ingest(ctx, userID, b)
		if err == nil && (res.Accepted != len(b.Samples) || len(res.Rejected) > 0) {
			err = fmt.Errorf("accepted %d of %d, rejected %v", res.Accepted, len(b.Samples), res.Rejected)
		}
		if err != nil {
			return fmt.Errorf("%s: sync: %w", q.name, err)
		}
		return nil
	}
	return q
}

// reads times each dashboard read over HTTP and its naive SQL, alternating them so drift hits both alike.
func (r *runner) reads(ctx context.Context) error {
	u, g, userID, err := r.readUser(ctx)
	if err != nil {
		return err
	}
	if _, err := r.app.sql.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	tok, err := r.app.token(u.Subject)
	if err != nil {
		return err
	}
	r.rep.Settings["read_user_days"] = g.Days()
	for _, q := range r.readQueries(r.app, u, g, userID) {
		body, err := json.Marshal(map[string]any{"query": q.query, "variables": q.vars})
		if err != nil {
			return err
		}
		api := func() (int, time.Duration, error) {
			if q.before != nil {
				if err := q.before(ctx); err != nil {
					return 0, 0, err
				}
			}
			var data json.RawMessage
			t := time.Now()
			err := r.app.post(ctx, tok, body, &data)
			d := time.Since(t)
			if err != nil {
				return 0, d, fmt.Errorf("%s: %w", q.name, err)
			}
			n, err := q.size(data)
			return n, d, err
		}
		naive := func() (time.Duration, error) {
			t := time.Now()
			for _, s := range q.naive {
				rows, err := r.app.sql.QueryContext(ctx, s.sql, s.args...)
				if err != nil {
					return 0, fmt.Errorf("%s naive: %w", q.name, err)
				}
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
				if err != nil {
					return 0, fmt.Errorf("%s naive: %w", q.name, err)
				}
			}
			return time.Since(t), nil
		}
		// Two untimed rounds: plans cached, pages in memory, as for a dashboard opened twice.
		size := 0
		for range 2 {
			if size, _, err = api(); err != nil {
				return err
			}
			if _, err := naive(); err != nil {
				return err
			}
		}
		if size == 0 {
			return fmt.Errorf("%s: empty answer", q.name)
		}
		var apiT, naiveT []time.Duration
		for range r.o.ReadReps {
			_, d, err := api()
			if err != nil {
				return err
			}
			apiT = append(apiT, d)
			nd, err := naive()
			if err != nil {
				return err
			}
			naiveT = append(naiveT, nd)
		}
		rd := Read{Name: q.name, API: distOf(apiT), Naive: distOf(naiveT), Result: size, Aligned: q.aligned}
		rd.Speedup = ratio(rd.Naive.P50, rd.API.P50)
		r.rep.Reads = append(r.rep.Reads, rd)
	}
	for i, rd := range r.rep.Reads {
		for _, a := range r.rep.Reads {
			if rd.Aligned != "" && a.Name == rd.Aligned {
				r.rep.Reads[i].VsAligned, r.rep.Reads[i].VsAlignedP95 = ratio(rd.API.P50, a.API.P50), ratio(rd.API.P95, a.API.P95)
			}
		}
	}
	return nil
}
