package db

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/lib/pq"
)

// SampleRow is one normalized quantity sample, or one point of a series record.
type SampleRow struct {
	ID          string
	PointMS     int64 // the point's time in Unix ms for series points, 0 for plain samples
	Metric      string
	SourceID    int64
	Start, End  time.Time
	Value       float64
	OrigValue   float64
	OrigUnit    string
	TimeZone    string // "" = unknown
	UserEntered bool
	Version     int64
	Metadata    string // JSON object, "" = none
}

// WriteOutcome tells, per record id, what a write did. An id in neither set was already stored (a duplicate).
type WriteOutcome struct {
	Inserted map[string]struct{} // stored now (new, or replacing an older version)
	Replaced map[string]struct{} // an older version was removed to make room
	// AllInserted says every record given was stored now, the usual upload; Inserted is then left empty (a
	// set of every id of a 5,000-sample batch cost more than the rest of the bookkeeping).
	AllInserted bool
}

// WasInserted reports whether the record id was stored now.
func (o *WriteOutcome) WasInserted(id string) bool {
	if o.AllInserted {
		return true
	}
	_, ok := o.Inserted[id]
	return ok
}

func newOutcome() WriteOutcome {
	return WriteOutcome{Inserted: map[string]struct{}{}, Replaced: map[string]struct{}{}}
}

// WriteSamples stores rows in one INSERT … SELECT unnest(…) (insertSamples: a plain insert, or ON CONFLICT DO
// NOTHING once a stored id shows up): a sample id that is already stored is left alone, also when another
// transaction is inserting it at the same moment. Rows whose
// record carries a higher version than the stored one first remove the stored record. Rows of one record must
// share ID and Version; the caller removes duplicates inside the batch.
func (t *Tx) WriteSamples(ctx context.Context, deviceID string, rows []SampleRow) (WriteOutcome, error) {
	out := newOutcome()
	if len(rows) == 0 {
		return out, nil
	}
	// Key order gives concurrent overlapping batches one lock order, so they wait for each other instead of
	// deadlocking. Small keys are sorted, not the rows: moving 200-byte structs, or comparing through an index
	// into them (a cache miss per comparison), was most of the sort's time.
	type sortKey struct {
		id string
		pt int64
		at int
	}
	keys := make([]sortKey, len(rows))
	for i := range rows {
		keys[i] = sortKey{rows[i].ID, rows[i].PointMS, i}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(a.pt, b.pt)
	})
	settled, err := t.settleSamples(ctx, settledRecords(len(keys), func(i int) (string, int64, bool) {
		return keys[i].id, rows[keys[i].at].Version, keys[i].pt != 0
	}), out.Replaced)
	if err != nil {
		return out, err
	}
	if len(settled) > 0 {
		keys = slices.DeleteFunc(keys, func(k sortKey) bool { _, ok := settled[k.id]; return ok })
		if len(keys) == 0 {
			return out, nil
		}
	}

	// What is stored already is known before the statement's arrays are built, so a batch of repeats (a
	// re-export, the same samples under a new key) builds and sends nothing.
	stored, err := t.probeStored(ctx, len(keys), func(i int) *SampleRow { return &rows[keys[i].at] })
	if err != nil {
		return out, err
	}
	if len(stored) > 0 {
		before := len(keys)
		keys = slices.DeleteFunc(keys, func(k sortKey) bool { _, ok := stored[sampleKey{k.id, k.pt}]; return ok })
		if len(keys) == 0 {
			return out, nil
		}
		if len(keys) == before {
			stored = nil // the read found only other rows of the range
		}
	}

	n := len(keys)
	var count int64
	var some map[sampleKey]struct{}
	if t.values() {
		count, some, err = t.insertSampleValues(ctx, deviceID, rows, func(i int) int { return keys[i].at }, n)
	} else {
		count, some, err = t.insertSampleArrays(ctx, deviceID, rows, func(i int) int { return keys[i].at }, n)
	}
	if err != nil {
		return out, fmt.Errorf("insert samples: %w", err)
	}
	// The aggregate takes the rows in upload order, mostly time order: neighbours share their hour.
	var added []*SampleRow
	if count > 0 {
		added = make([]*SampleRow, 0, count)
		all := count == int64(n)
		out.AllInserted = all && len(settled) == 0 && len(stored) == 0
		for i := range rows {
			r := &rows[i]
			if !out.AllInserted {
				if _, ok := settled[r.ID]; ok {
					continue
				}
				if _, ok := stored[sampleKey{r.ID, r.PointMS}]; ok {
					continue
				}
				if _, ok := some[sampleKey{r.ID, r.PointMS}]; !all && !ok {
					continue
				}
				out.Inserted[r.ID] = struct{}{}
			}
			added = append(added, r)
		}
	}
	if err := t.addHourly(ctx, added); err != nil {
		return out, err
	}
	return out, nil
}

// insertSampleArrays stores the n rows at(0…n-1) (ids sorted) in the unnest form (sampleInsert, insertSamples).
func (t *Tx) insertSampleArrays(ctx context.Context, deviceID string, rows []SampleRow, at func(i int) int, n int) (int64, map[sampleKey]struct{}, error) {
	var (
		id, metric, unit, tz, meta  = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		point, src, start, end, ver = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		val, orig                   = make([]float64, n), make([]float64, n)
		manual                      = make([]bool, n)
	)
	for i := 0; i < n; i++ {
		r := &rows[at(i)]
		id[i], point[i], metric[i], src[i] = r.ID, r.PointMS, r.Metric, r.SourceID
		start[i], end[i], val[i], orig[i] = micros(r.Start), micros(r.End), r.Value, r.OrigValue
		unit[i], tz[i], manual[i], ver[i], meta[i] = r.OrigUnit, r.TimeZone, r.UserEntered, r.Version, r.Metadata
	}
	ins := sampleInsert{args: []any{t.userID, deviceID}}
	ins.add("id", "text", textArray(id))
	ins.add("pt", "bigint", int64Array(point))
	mSel := ins.addText("m", metric, false)
	ins.add("src", "bigint", int64Array(src))
	ins.add("s", "bigint", int64Array(start))
	ins.add("e", "bigint", int64Array(end))
	ins.add("v", "float8", float64Array(val))
	ins.add("ov", "float8", float64Array(orig))
	ouSel := ins.addText("ou", unit, false)
	tzSel := ins.addText("tz", tz, false)
	ins.add("manual", "bool", pq.Array(manual))
	ins.add("ver", "bigint", int64Array(ver))
	metaSel := ins.addText("meta", meta, true)
	ins.sql = fmt.Sprintf(`
		INSERT INTO samples (user_id, sample_id, point_ms, metric, source_id, device_id, start_time, end_time,
			value, orig_value, orig_unit, time_zone, user_entered, version, metadata)
		SELECT $1, id, pt, %s, src, $2, %s, %s, v, ov, %s, nullif(%s, ''), manual, ver, %s
		FROM (SELECT %s) r
		`, mSel, fmt.Sprintf(tsFromMicros, "s"), fmt.Sprintf(tsFromMicros, "e"), ouSel, tzSel, metaSel,
		strings.Join(ins.unnests, ", "))
	return t.insertSamples(ctx, n, &ins)
}

// insertSampleValues stores the n rows at(0…n-1) (ids sorted) as multi-row VALUES (InsertValues), ON CONFLICT
// DO NOTHING, and reports how many went in and which.
func (t *Tx) insertSampleValues(ctx context.Context, deviceID string, rows []SampleRow, at func(i int) int, n int) (int64, map[sampleKey]struct{}, error) {
	some := map[sampleKey]struct{}{}
	v := valuesInsert{
		head: `INSERT INTO samples (user_id, sample_id, point_ms, metric, source_id, device_id, start_time, end_time,
			value, orig_value, orig_unit, time_zone, user_entered, version, metadata)`,
		tuple: `($1, ?, ?, ?, ?, $2, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tail:  `ON CONFLICT (user_id, sample_id, point_ms) DO NOTHING RETURNING sample_id, point_ms`,
		fixed: []any{t.userID, deviceID},
	}
	count, err := v.run(ctx, t.tx, n, func(i int, args []any) []any {
		r := &rows[at(i)]
		return append(args, r.ID, r.PointMS, r.Metric, r.SourceID, tsMicros(r.Start), tsMicros(r.End), r.Value,
			r.OrigValue, r.OrigUnit, nullText(r.TimeZone), r.UserEntered, r.Version, nullText(r.Metadata))
	}, func(res *sql.Rows) error {
		var k sampleKey
		if err := res.Scan(&k.id, &k.pt); err != nil {
			return err
		}
		some[k] = struct{}{}
		return nil
	})
	return count, some, err
}

// sampleKey is a samples row's key within the user.
type sampleKey struct {
	id string
	pt int64
}

// sampleInsert is the statement the samples are stored with, over args $1 user, $2 device and then the columns,
// all of one length, so the unnests advance in step. The unnests sit in a select list, not in FROM: a function in
// FROM fills a tuplestore with every row before the insert reads them back, a select-list set function hands over
// one row at a time (a sixth less PostgreSQL CPU for the statement, 5,000 rows under RLS).
type sampleInsert struct {
	sql     string // without the ON CONFLICT clause
	args    []any
	unnests []string
}

func (q *sampleInsert) param(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// add sends one value per row.
func (q *sampleInsert) add(name, typ string, values driver.Valuer) {
	q.unnests = append(q.unnests, fmt.Sprintf("unnest(%s::%s[]) AS %s", q.param(values), typ, name))
}

// maxDictionary bounds the distinct values a text column is sent as a dictionary with: looking an element up
// walks the array from its start.
const maxDictionary = 32

// addText sends a text column, as jsonb ("" = NULL) when asJSON, and returns its select expression. A batch
// mostly repeats a few metrics, units, zones and metadata objects: those go as their distinct values and one
// index per row, which PostgreSQL parses (and, for jsonb, builds) once per value instead of once per row (a
// tenth less PostgreSQL CPU for the statement, and half the bytes to encode and send).
func (q *sampleInsert) addText(name string, values []string, asJSON bool) string {
	dict, index, ok := dictionary(values, maxDictionary)
	if !ok {
		q.add(name, "text", textArray(values))
		if asJSON {
			return "nullif(" + name + ", '')::jsonb"
		}
		return name
	}
	q.add(name, "int", int64Array(index))
	if asJSON {
		return fmt.Sprintf("(%s::jsonb[])[%s]", q.param(textArray(dict).nullEmpty()), name)
	}
	return fmt.Sprintf("(%s::text[])[%s]", q.param(textArray(dict)), name)
}

// dictionary lists the distinct values in first-seen order and each value's 1-based position among them, or
// reports false when there are more than limit.
func dictionary(values []string, limit int) ([]string, []int64, bool) {
	var dict []string
	index := make([]int64, len(values))
	last := -1
	for i, v := range values {
		if last >= 0 && dict[last] == v { // neighbours often repeat: skip the search
			index[i] = int64(last + 1)
			continue
		}
		at := slices.Index(dict, v)
		if at < 0 {
			if len(dict) == limit {
				return nil, nil, false
			}
			dict = append(dict, v)
			at = len(dict) - 1
		}
		index[i], last = int64(at+1), at
	}
	return dict, index, true
}

// probeStored returns the keys of the n rows at(0…n-1) (ids sorted) that are stored already, nil when none
// is. A probe of the first and last ids (two primary-key look-ups) settles the usual upload of new samples.
// When one of them is stored (a retry under a new key, a re-export, an overlapping sync), one read of the
// batch's time range, by the (user, metric, start) index, lists what is stored there: for a batch of repeats
// that is about one index range per metric instead of a primary-key probe per row at random places in the
// index. It may miss a stored row (one stored with another start time or metric under the same id, or past the
// read's limit): such a row goes to the insert and is kept out by its conflict handling, so the read only
// decides what needs no insert, never what is stored twice.
func (t *Tx) probeStored(ctx context.Context, n int, at func(i int) *SampleRow) (map[sampleKey]struct{}, error) {
	if n == 0 {
		return nil, nil
	}
	var seen bool
	if err := t.tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM samples WHERE user_id = $1 AND sample_id = ANY($2::text[]))`,
		t.userID, pq.Array([]string{at(0).ID, at(n - 1).ID})); err != nil {
		return nil, fmt.Errorf("probe stored samples: %w", err)
	}
	if !seen {
		return nil, nil
	}
	var metrics []string
	first, last := at(0).Start, at(0).Start
	for i := 0; i < n; i++ {
		r := at(i)
		if !slices.Contains(metrics, r.Metric) {
			metrics = append(metrics, r.Metric)
		}
		if r.Start.Before(first) {
			first = r.Start
		}
		if r.Start.After(last) {
			last = r.Start
		}
	}
	// The limit bounds what a sparse batch over a long range reads of other sources' rows; past it, rows
	// go to the insert's conflict handling.
	rows, err := t.tx.QueryContext(ctx, `
		SELECT sample_id, point_ms FROM samples
		WHERE user_id = $1 AND metric = ANY($2::text[]) AND start_time >= $3 AND start_time <= $4
		LIMIT $5`, t.userID, textArray(metrics), first, last, 2*n+1000)
	if err != nil {
		return nil, fmt.Errorf("read stored samples: %w", err)
	}
	defer rows.Close()
	stored := make(map[sampleKey]struct{}, n)
	for rows.Next() {
		var k sampleKey
		if err := rows.Scan(&k.id, &k.pt); err != nil {
			return nil, fmt.Errorf("read stored samples: %w", err)
		}
		stored[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stored samples: %w", err)
	}
	return stored, nil
}

// insertSamples stores the rows (ids sorted, none of them found stored by probeStored) and reports how many went
// in, and which when that is neither all nor none.
//
// The rows take a plain INSERT in a savepoint: ON CONFLICT's speculative insertion probes the primary key once
// more per row before inserting (about a sixth of the statement's PostgreSQL time, measured on 10,000 heart-rate
// rows). When the INSERT meets a stored key (one the probe missed, or a concurrent upload of the same ids that
// committed first), the savepoint is rolled back and the rows go through ON CONFLICT DO NOTHING, which keeps
// every stored row as it is. Either way the result is the same rows stored.
func (t *Tx) insertSamples(ctx context.Context, rows int, ins *sampleInsert) (int64, map[sampleKey]struct{}, error) {
	n := int64(rows)
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT new_samples`); err != nil {
		return 0, nil, err
	}
	done, err := t.tx.ExecContext(ctx, ins.sql, ins.args...)
	if err == nil {
		got, err := done.RowsAffected()
		if err == nil && got != n {
			err = fmt.Errorf("a plain insert of %d rows stored %d", n, got)
		}
		return got, nil, err
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" { // unique_violation
		return 0, nil, err
	}
	if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT new_samples`); err != nil {
		return 0, nil, err
	}
	// The answer is the number of rows inserted and, only when that is neither all nor none, which ones: a
	// batch of pure repeats sends back one row instead of one per sample.
	args := append(ins.args[:len(ins.args):len(ins.args)], n)
	q := `WITH ins AS (` + ins.sql + `ON CONFLICT (user_id, sample_id, point_ms) DO NOTHING RETURNING sample_id, point_ms),
		c AS (SELECT count(*) AS n FROM ins)
		SELECT c.n, NULL::text, NULL::bigint FROM c
		UNION ALL
		SELECT NULL, i.sample_id, i.point_ms FROM ins i, c WHERE c.n > 0 AND c.n < $` + strconv.Itoa(len(args))
	res, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, nil, err
	}
	defer res.Close()
	count := int64(-1)
	var some map[sampleKey]struct{}
	for res.Next() {
		var c sql.NullInt64
		var sid sql.NullString
		var pt sql.NullInt64
		if err := res.Scan(&c, &sid, &pt); err != nil {
			return 0, nil, err
		}
		if c.Valid {
			count = c.Int64
			continue
		}
		if some == nil {
			some = map[sampleKey]struct{}{}
		}
		some[sampleKey{sid.String, pt.Int64}] = struct{}{}
	}
	if err := res.Err(); err != nil {
		return 0, nil, err
	}
	if count < 0 {
		return 0, nil, errors.New("no row count in the answer")
	}
	return count, some, nil
}

// hourKey is one row of sample_hourly; hour in Unix microseconds.
type hourKey struct {
	metric string
	source int64
	hour   int64
}

type hourSums struct {
	n                  int64
	sumStart, prorated float64
	min, max           float64
}

const hourMicros = int64(time.Hour / time.Microsecond)

// floorHour is date_trunc('hour', t, 'UTC') on Unix microseconds.
func floorHour(us int64) int64 {
	h := us / hourMicros
	if us%hourMicros < 0 {
		h--
	}
	return h * hourMicros
}

// addHourly adds freshly inserted samples to the hourly aggregate and empties the merged totals of their hours.
// The sums are taken here, over rows the batch already holds, so PostgreSQL gets one row per touched hour
// instead of running the per-sample hour expansion and grouping (a sixth of the insert statement's time). The
// arithmetic is hourlyAggregates' (hourly.go), which recomputeHourly still uses after deletions: per hour [h,
// h+1h) a sample adds to n, sum_start, min and max when it starts in it, and to prorated its share of the value
// (all of it when start = end, else by the overlap's seconds over the sample's).
func (t *Tx) addHourly(ctx context.Context, rows []*SampleRow) error {
	if len(rows) == 0 {
		return nil
	}
	sums := map[hourKey]*hourSums{}
	var lastKey hourKey
	var last *hourSums
	add := func(k hourKey) *hourSums {
		if last != nil && k == lastKey {
			return last
		}
		a, ok := sums[k]
		if !ok {
			a = &hourSums{min: math.Inf(1), max: math.Inf(-1)}
			sums[k] = a
		}
		lastKey, last = k, a
		return a
	}
	for _, r := range rows {
		s, e := micros(r.Start), micros(r.End)
		first := floorHour(s)
		a := add(hourKey{r.Metric, r.SourceID, first})
		a.n++
		a.sumStart += r.Value
		a.min, a.max = min(a.min, r.Value), max(a.max, r.Value)
		if e <= s {
			a.prorated += r.Value
			continue
		}
		span := float64(e-s) / 1e6
		for h := first; h <= floorHour(e-1); h += hourMicros {
			if h != first {
				a = add(hourKey{r.Metric, r.SourceID, h})
			}
			overlap := float64(min(e, h+hourMicros)-max(s, h)) / 1e6
			a.prorated += r.Value * overlap / span
		}
	}
	keys := make([]hourKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	// The order of the old statement (metric, hour, source): concurrent batches lock aggregate rows alike.
	slices.SortFunc(keys, func(a, b hourKey) int {
		if c := strings.Compare(a.metric, b.metric); c != 0 {
			return c
		}
		if c := cmp.Compare(a.hour, b.hour); c != 0 {
			return c
		}
		return cmp.Compare(a.source, b.source)
	})
	k := len(keys)
	metric, src, hour, cnt := make([]string, k), make([]int64, k), make([]int64, k), make([]int64, k)
	sumStart, lo, hi, prorated := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	for i, key := range keys {
		a := sums[key]
		metric[i], src[i], hour[i], cnt[i] = key.metric, key.source, key.hour, a.n
		sumStart[i], prorated[i] = a.sumStart, a.prorated
		if a.n > 0 {
			lo[i], hi[i] = a.min, a.max
		}
	}
	if err := t.lockMergedShared(ctx); err != nil {
		return err
	}
	if t.values() {
		return t.addHourlyValues(ctx, metric, src, hour, cnt, sumStart, lo, hi, prorated)
	}
	// The unnests sit in a select list for the reason given at sampleInsert. The statement also forgets the
	// cached days and merged totals of the hours it changes (forgetDaysSQL), in this transaction.
	q := addHourlySQL()
	if _, err := t.tx.ExecContext(ctx, q, t.userID, pq.Array(metric), pq.Array(src), pq.Array(hour), pq.Array(cnt),
		pq.Array(sumStart), pq.Array(lo), pq.Array(hi), pq.Array(prorated)); err != nil {
		return fmt.Errorf("add to hourly aggregate: %w", err)
	}
	return nil
}

// addHourlySQL is addHourly's statement (the unnest form).
func addHourlySQL() string {
	return fmt.Sprintf(`
		WITH `+forgetKeysCTE(`SELECT m AS metric, %s AS hour FROM unnest($2::text[], $4::bigint[]) AS r(m, h)`)+`,
		days AS (`+forgetDaysSQL+`),
		agg AS (
			INSERT INTO sample_hourly AS a (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)
			SELECT $1, m, src, %s, n, ss, CASE WHEN n > 0 THEN lo END, CASE WHEN n > 0 THEN hi END, pr
			FROM (SELECT unnest($2::text[]) AS m, unnest($3::bigint[]) AS src, unnest($4::bigint[]) AS h,
				unnest($5::bigint[]) AS n, unnest($6::float8[]) AS ss, unnest($7::float8[]) AS lo,
				unnest($8::float8[]) AS hi, unnest($9::float8[]) AS pr) r
			`+hourlyUpsert+`)
		DELETE FROM merged_hourly x USING k WHERE x.user_id = $1 AND x.metric = k.metric AND x.hour = k.hour`,
		fmt.Sprintf(tsFromMicros, "h"), fmt.Sprintf(tsFromMicros, "h"))
}

// hourlyUpsert adds a row's sums to the stored ones.
const hourlyUpsert = `ON CONFLICT (user_id, metric, hour, source_id) DO UPDATE SET
	n         = a.n + EXCLUDED.n,
	sum_start = a.sum_start + EXCLUDED.sum_start,
	min_value = least(a.min_value, EXCLUDED.min_value),
	max_value = greatest(a.max_value, EXCLUDED.max_value),
	prorated  = a.prorated + EXCLUDED.prorated`

// forgetHourlySQL is addHourlyValues' first statement: it forgets the cached days and merged totals of the
// hours ($2 metrics, $3 hours in Unix microseconds).
func forgetHourlySQL() string {
	return fmt.Sprintf(`
		WITH `+forgetKeysCTE(`SELECT m AS metric, %s AS hour FROM unnest($2::text[], $3::bigint[]) AS r(m, h)`)+`,
		days AS (`+forgetDaysSQL+`)
		DELETE FROM merged_hourly x USING k WHERE x.user_id = $1 AND x.metric = k.metric AND x.hour = k.hour`,
		fmt.Sprintf(tsFromMicros, "h"))
}

// addHourlyValues is addHourly's write as multi-row VALUES (InsertValues): first the cached days and merged
// totals of the hours are forgotten, then the sums are added.
func (t *Tx) addHourlyValues(ctx context.Context, metric []string, src, hour, cnt []int64, sumStart, lo, hi, prorated []float64) error {
	if _, err := t.tx.ExecContext(ctx, forgetHourlySQL(), t.userID, pq.Array(metric), pq.Array(hour)); err != nil {
		return fmt.Errorf("forget merged totals and cached days: %w", err)
	}
	v := valuesInsert{
		head:  `INSERT INTO sample_hourly AS a (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)`,
		tuple: `($1, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tail:  hourlyUpsert,
		fixed: []any{t.userID},
	}
	if _, err := v.run(ctx, t.tx, len(metric), func(i int, args []any) []any {
		var mn, mx any
		if cnt[i] > 0 {
			mn, mx = lo[i], hi[i]
		}
		return append(args, metric[i], src[i], time.UnixMicro(hour[i]).UTC(), cnt[i], sumStart[i], mn, mx, prorated[i])
	}, nil); err != nil {
		return fmt.Errorf("add to hourly aggregate: %w", err)
	}
	return nil
}

type versioned struct {
	id  string
	ver int64
}

// versionedRecords lists the distinct records that carry a version (only those can replace anything).
func versionedRecords(n int, at func(i int) (string, int64)) []versioned {
	var out []versioned
	last := ""
	for i := 0; i < n; i++ {
		id, ver := at(i)
		if ver > 0 && (len(out) == 0 || id != last) {
			out = append(out, versioned{id, ver})
		}
		last = id
	}
	return out
}

// settledRecords lists the distinct records whose stored copy decides what happens to them: records that carry a
// version (a higher one replaces the stored record, a lower or equal one is a duplicate) and series records
// (several points under one id, which must never mix with the points of another upload of the record). Plain
// samples without a version need no look: their one row is stored once, whichever upload brings it.
func settledRecords(n int, at func(i int) (id string, ver int64, series bool)) []versioned {
	var out []versioned
	last := ""
	for i := 0; i < n; i++ {
		id, ver, series := at(i)
		if (ver > 0 || series) && (len(out) == 0 || id != last) {
			out = append(out, versioned{id, ver})
		}
		last = id
	}
	return out
}

// settleSamples decides, for each record given, between the stored copy and the incoming one: a stored copy of
// a lower version is removed (its ids noted in replaced, the hourly aggregate mended), and a stored copy of the
// same or a higher version stays as it is: the returned set lists those records, whose incoming rows must not be
// written (a lower version's extra points would otherwise land beside the stored ones). The records are locked
// first (lockRecords), so two uploads of one record settle one after the other, the second seeing the first's
// rows: otherwise both find nothing stored and both insert.
func (t *Tx) settleSamples(ctx context.Context, recs []versioned, replaced map[string]struct{}) (map[string]struct{}, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.id
	}
	if err := t.lockRecords(ctx, sampleRecordLocks, ids); err != nil {
		return nil, err
	}
	// The stored version of each record, read first: in the usual upload nothing is stored yet and there is
	// nothing to delete. The LATERAL keeps it an index probe per record; the DELETE joined to every id that ran
	// before cost more (BenchmarkIngestWrite/5000-versioned, alternating runs: 21.0-24.9 PostgreSQL µs per
	// sample with it, 14.8-18.3 with the probe). A record's rows share one version; max takes the higher where
	// earlier code left rows of two.
	rows, err := t.tx.QueryContext(ctx, `
		SELECT v.i - 1, s.ver FROM unnest($2::text[]) WITH ORDINALITY AS v(id, i)
		CROSS JOIN LATERAL (SELECT max(version) AS ver FROM samples s WHERE s.user_id = $1 AND s.sample_id = v.id) s
		WHERE s.ver IS NOT NULL`, t.userID, textArray(ids))
	if err != nil {
		return nil, fmt.Errorf("read stored versions: %w", err)
	}
	defer rows.Close()
	settled := map[string]struct{}{}
	var older []versioned
	for rows.Next() {
		var i int
		var stored int64
		if err := rows.Scan(&i, &stored); err != nil {
			return nil, fmt.Errorf("read stored versions: %w", err)
		}
		if stored >= recs[i].ver {
			settled[recs[i].id] = struct{}{}
		} else {
			older = append(older, recs[i])
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stored versions: %w", err)
	}
	if len(older) == 0 {
		return settled, nil
	}
	ids, vers := make([]string, len(older)), make([]int64, len(older))
	for i, r := range older {
		ids[i], vers[i] = r.id, r.ver
	}
	removed, err := t.removeSamples(ctx, replaced, `
		DELETE FROM samples t USING unnest($2::text[], $3::bigint[]) AS v(id, ver)
		WHERE t.user_id = $1 AND t.sample_id = v.id AND t.version < v.ver
		RETURNING t.sample_id, t.metric, t.source_id, t.start_time, t.end_time`, t.userID, pq.Array(ids), pq.Array(vers))
	if err != nil {
		return nil, fmt.Errorf("replace older samples: %w", err)
	}
	return settled, t.recomputeHourly(ctx, removed)
}

// removeSamples runs a DELETE … RETURNING sample_id, metric, source_id, start_time, end_time and collects
// the ids and the spans the aggregate must recompute.
func (t *Tx) removeSamples(ctx context.Context, ids map[string]struct{}, q string, args ...any) ([]span, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var spans []span
	for rows.Next() {
		var id string
		var sp span
		if err := rows.Scan(&id, &sp.metric, &sp.sourceID, &sp.start, &sp.end); err != nil {
			return nil, err
		}
		ids[id] = struct{}{}
		spans = append(spans, sp)
	}
	return spans, rows.Err()
}

// replaceOlder removes stored records whose version is lower than the incoming one and notes their ids; the
// insert that follows leaves a stored record of the same or a higher version alone (ON CONFLICT DO NOTHING).
// The records are locked first, as in settleSamples. table and key are package constants, never input.
func (t *Tx) replaceOlder(ctx context.Context, table, key string, lockSpace int32, recs []versioned, replaced map[string]struct{}) error {
	if len(recs) == 0 {
		return nil
	}
	ids, vers := make([]string, len(recs)), make([]int64, len(recs))
	for i, r := range recs {
		ids[i], vers[i] = r.id, r.ver
	}
	if err := t.lockRecords(ctx, lockSpace, ids); err != nil {
		return err
	}
	q := fmt.Sprintf(`
		DELETE FROM %[1]s t USING unnest($2::text[], $3::bigint[]) AS v(id, ver)
		WHERE t.user_id = $1 AND t.%[2]s = v.id AND t.version < v.ver
		RETURNING t.%[2]s`, table, key)
	if err := t.collectIDs(ctx, replaced, q, t.userID, pq.Array(ids), pq.Array(vers)); err != nil {
		return fmt.Errorf("replace older %s: %w", table, err)
	}
	return nil
}

// collectIDs runs a statement that returns one text column and adds each value to set.
func (t *Tx) collectIDs(ctx context.Context, set map[string]struct{}, q string, args ...any) error {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = struct{}{}
	}
	return rows.Err()
}

// scanID adds a returned row's id to set (valuesInsert's scan, for the inserts collectIDs reads).
func scanID(set map[string]struct{}) func(rows *sql.Rows) error {
	return func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = struct{}{}
		return nil
	}
}

// StoredSample is a quantity sample as read back.
type StoredSample struct {
	ID          string    `db:"sample_id"`
	PointMS     int64     `db:"point_ms"`
	Metric      string    `db:"metric"`
	SourceID    int64     `db:"source_id"`
	DeviceID    string    `db:"device_id"`
	Start       time.Time `db:"start_time"`
	End         time.Time `db:"end_time"`
	Value       float64   `db:"value"`
	OrigValue   float64   `db:"orig_value"`
	OrigUnit    string    `db:"orig_unit"`
	TimeZone    *string   `db:"time_zone"`
	UserEntered bool      `db:"user_entered"`
	Version     int64     `db:"version"`
	Metadata    *string   `db:"metadata"`
}

// Samples lists stored samples of one metric starting in [from, to), newest first.
func (t *Tx) Samples(ctx context.Context, metric string, from, to time.Time, limit int) ([]StoredSample, error) {
	var out []StoredSample
	err := t.tx.SelectContext(ctx, &out, `
		SELECT sample_id, point_ms, metric, source_id, device_id, start_time, end_time, value, orig_value,
			orig_unit, time_zone, user_entered, version, metadata::text AS metadata
		FROM samples
		WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4
		ORDER BY start_time DESC, sample_id, point_ms
		LIMIT $5`, t.userID, metric, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	return out, nil
}

// SpanRow is a sample reduced to what series need.
type SpanRow struct {
	SourceID    int64
	Start, End  time.Time
	Value       float64
	UserEntered bool
}

// SamplesOverlapping returns the metric's samples that overlap [from, to) (an instant sample: lies in it),
// optionally of some sources only, ordered by start.
func (t *Tx) SamplesOverlapping(ctx context.Context, metric string, from, to time.Time, sources []int64) ([]SpanRow, error) {
	// Samples are at most 31 days long (ingest refuses longer ones): that bounds the index range from below.
	rows, err := t.tx.QueryContext(ctx, `
		SELECT source_id, start_time, end_time, value, user_entered
		FROM samples
		WHERE user_id = $1 AND metric = $2 AND start_time < $4 AND start_time > $3::timestamptz - interval '32 days'
			AND (end_time > $3 OR (end_time = start_time AND start_time >= $3))
			AND ($5::bigint[] IS NULL OR source_id = ANY($5))
		ORDER BY start_time`, t.userID, metric, from, to, nullableIDs(sources))
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	return scanSpans(rows)
}

func scanSpans(rows *sql.Rows) ([]SpanRow, error) {
	defer rows.Close()
	var out []SpanRow
	for rows.Next() {
		var r SpanRow
		if err := rows.Scan(&r.SourceID, &r.Start, &r.End, &r.Value, &r.UserEntered); err != nil {
			return nil, fmt.Errorf("read samples: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	return out, nil
}

// Span is the half-open time interval [From, To); empty when To is not after From.
type Span struct{ From, To time.Time }

func twoSpans(spans []Span) ([2]Span, error) {
	var out [2]Span
	if len(spans) > 2 {
		return out, fmt.Errorf("read samples: %d intervals, at most 2", len(spans))
	}
	copy(out[:], spans)
	return out, nil
}

// StartStats is what the samples starting in one interval give a discrete statistic: how many, the sum of
// their values, the smallest and the largest (nil when none).
type StartStats struct {
	N        int64
	Sum      float64
	Min, Max *float64
}

// qStartStats sums, per interval, the samples that start in it: index ranges, one row each, instead of every
// sample (a clipped day of heart rate with a workout in it is a thousand rows to send and parse).
const qStartStats = `
	SELECT 1 AS i, count(*), coalesce(sum(value), 0), min(value), max(value) FROM samples
	WHERE user_id = $1 AND metric = $2 AND start_time >= $3 AND start_time < $4
		AND ($7::bigint[] IS NULL OR source_id = ANY($7))
	UNION ALL
	SELECT 2, count(*), coalesce(sum(value), 0), min(value), max(value) FROM samples
	WHERE user_id = $1 AND metric = $2 AND start_time >= $5 AND start_time < $6
		AND ($7::bigint[] IS NULL OR source_id = ANY($7))
	ORDER BY i`

// StartStatsIn returns, for each of at most two intervals (the clipped ends of a range), the statistics of the
// metric's samples that start in it, optionally of some sources only, in one statement.
func (t *Tx) StartStatsIn(ctx context.Context, metric string, spans []Span, sources []int64) ([]StartStats, error) {
	w, err := twoSpans(spans)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, qStartStats, t.userID, metric, w[0].From, w[0].To, w[1].From, w[1].To, nullableIDs(sources))
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	defer rows.Close()
	var out []StartStats
	for rows.Next() {
		var st StartStats
		var i int
		if err := rows.Scan(&i, &st.N, &st.Sum, &st.Min, &st.Max); err != nil {
			return nil, fmt.Errorf("read samples: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	if len(out) != 2 {
		return nil, fmt.Errorf("read samples: %d rows of statistics, want 2", len(out))
	}
	return out[:len(spans)], nil
}

// qSamplesOverlappingIn has one select per interval, each with its lookback bound computed once (an InitPlan,
// so an index bound): as a join to a VALUES list the planner did not use the times as index bounds. UNION keeps a
// sample reaching into both intervals once.
var qSamplesOverlappingIn = `
	SELECT source_id, start_time, end_time, value, user_entered FROM (` +
	overlappingOne("$3::timestamptz", "$4::timestamptz") + `
	UNION` + overlappingOne("$5::timestamptz", "$6::timestamptz") + `) s
	ORDER BY start_time`

func overlappingOne(f, t string) string {
	return fmt.Sprintf(`
		SELECT sample_id, point_ms, source_id, start_time, end_time, value, user_entered FROM samples
		WHERE user_id = $1 AND metric = $2 AND %[1]s < %[2]s AND start_time < %[2]s
			AND start_time > %[1]s - interval '32 days'
			AND start_time >= (SELECT coalesce((
				SELECT date_trunc('hour', %[1]s, 'UTC') - (k - 1) * interval '1 hour'
				FROM generate_series(0, 48) k
				-- The range as well as the hour: under row-level security the planner may hash all the metric's
				-- hours of the user instead of probing (three years of steps took 0.3 s).
				WHERE NOT EXISTS (SELECT 1 FROM sample_hourly h WHERE h.user_id = $1 AND h.metric = $2
					AND h.hour = date_trunc('hour', %[1]s, 'UTC') - k * interval '1 hour'
					AND h.hour BETWEEN date_trunc('hour', %[1]s, 'UTC') - interval '48 hours' AND date_trunc('hour', %[1]s, 'UTC'))
				LIMIT 1), %[1]s - interval '32 days'))
			AND (end_time > %[1]s OR (end_time = start_time AND start_time >= %[1]s))
			AND ($7::bigint[] IS NULL OR source_id = ANY($7))`, f, t)
}

// SamplesOverlappingIn is SamplesOverlapping for at most two intervals in one statement, each sample once. How
// far back a sample reaching into an interval may start is bounded by the hourly aggregate, not only by the
// longest sample ingest takes (31 days): a sample puts a row into sample_hourly for every hour it touches, so
// none that reaches the interval starts at or before the last hour without a row of the metric. For metrics
// that leave hours empty (steps at night) that is hours of index instead of a month. The search for an empty
// hour goes two days back (an index probe per hour, over integers: a generate_series of timestamps cost more to
// start); a metric with no empty hour in two days (energy every few minutes) keeps the month.
func (t *Tx) SamplesOverlappingIn(ctx context.Context, metric string, spans []Span, sources []int64) ([]SpanRow, error) {
	w, err := twoSpans(spans)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, qSamplesOverlappingIn, t.userID, metric, w[0].From, w[0].To, w[1].From, w[1].To, nullableIDs(sources))
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	return scanSpans(rows)
}

// textArray, int64Array and float64Array are PostgreSQL array literals for the insert's unnest. pq's array
// types grow their buffer a few bytes at a time and copy every string twice; these size the literal first and
// build it once (a 5,000-row batch sends about a megabyte of them).
type textArray []string

func (a textArray) Value() (driver.Value, error) { return arrayLiteral(a, false), nil }

// nullEmptyArray is a textArray whose empty strings are NULL elements.
type nullEmptyArray []string

func (a textArray) nullEmpty() nullEmptyArray { return nullEmptyArray(a) }

func (a nullEmptyArray) Value() (driver.Value, error) { return arrayLiteral(a, true), nil }

func arrayLiteral(a []string, nullEmpty bool) string {
	size := 2 + 3*len(a)
	for _, s := range a {
		size += len(s)
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		if nullEmpty && s == "" {
			b.WriteString("NULL")
			continue
		}
		b.WriteByte('"')
		// Two IndexByte scans (vectorized) are cheaper than ContainsAny's byte loop over ids and metadata.
		if strings.IndexByte(s, '"') < 0 && strings.IndexByte(s, '\\') < 0 {
			b.WriteString(s)
		} else {
			for j := 0; j < len(s); j++ {
				if s[j] == '"' || s[j] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(s[j])
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

type int64Array []int64

func (a int64Array) Value() (driver.Value, error) {
	b := make([]byte, 0, 2+21*len(a))
	b = append(b, '{')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return bytesString(append(b, '}')), nil
}

// bytesString hands over an array literal built in b without copying it: b is not touched afterwards, and a
// copy per literal doubled what the write path allocates for its arrays (0.29 GB in a make bench first upload).
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

type float64Array []float64

func (a float64Array) Value() (driver.Value, error) {
	b := make([]byte, 0, 2+25*len(a))
	b = append(b, '{')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		// Whole values (heart rates, step counts) are printed as integers: the shortest-float formatting is
		// the slowest part of the array otherwise. The same number reaches PostgreSQL; -0 keeps its sign.
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 && (v != 0 || !math.Signbit(v)) {
			b = strconv.AppendInt(b, int64(v), 10)
		} else {
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return bytesString(append(b, '}')), nil
}
