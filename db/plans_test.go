package db

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"

	"healthsync/devtools/dbtest"
)

// The statements that probe a time range once per window (a workout, a twin candidate, a day) must bound that
// range in the index, not filter it: under row-level security PostgreSQL makes a condition of the query an index
// condition only when every function in it is leakproof, because the policy's check has to run first otherwise.
// Written against an expression of the window (timestamptz 'epoch' + micros * interval, or + interval '1
// second'), the range became a filter over all of the user's rows of that metric, once per window: the first
// page of workouts read 463,800 buffers at 30M stored samples. The test runs each statement's EXPLAIN as the app
// role inside a user transaction, as the code runs it, with sequential scans, hash and merge joins and materialized inner scans off, so that
// the empty tables of a test database get the per-window index probes that full tables get: the question is
// whether the range can be an index condition, not what the planner prefers for three rows.
func TestRangeProbesAreIndexConditions(t *testing.T) {
	t.Parallel()
	dbtest.SkipOnCitus(t, "Citus plans the shards' scans itself; this is about plain PostgreSQL's planner")
	s := New(dbtest.New(t), Options{})
	ctx := context.Background()
	u, err := s.EnsureUser(ctx, "planner")
	if err != nil {
		t.Fatal(err)
	}
	const t0, t1 = int64(1_700_000_000_000_000), int64(1_700_000_600_000_000)
	texts := func(v ...string) any { return pq.Array(v) }
	ints := func(v ...int64) any { return pq.Array(v) }
	one := pq.Array([]float64{1})
	cases := []struct {
		name string
		sql  string
		args []any
		// every scan of table must have column's lower and upper bound in its index condition
		table, column string
	}{
		{"HeartRateWithin", heartRateWithinSQL(), []any{u.ID, texts("w1"), ints(t0), ints(t1)}, "samples", "start_time"},
		{"SampleTwins", sampleTwinsSQL(), []any{u.ID, texts("a"), texts("steps"), ints(t0), ints(t1),
			one, texts("Watch")}, "samples", "start_time"},
		{"CategoryTwins", categoryTwinsSQL(), []any{u.ID, texts("a"), texts("sleep"), ints(t0), ints(t1), texts("asleep"),
			texts("Watch")}, "category_samples", "start_time"},
		{"WorkoutTwins", workoutTwinsSQL(), []any{u.ID, texts("a"), texts("running"), ints(t0), ints(t1), texts("Watch")},
			"workouts", "start_time"},
		{"FillDayBuckets", fillDayBucketsSQL(), []any{u.ID, "steps", ints(t0), ints(t1), false}, "sample_hourly", "hour"},
		{"FillDayBuckets merged", fillDayBucketsSQL(), []any{u.ID, "steps", ints(t0), ints(t1), true}, "merged_hourly", "hour"},
		// Every write to sample_hourly forgets the cached days holding its hours, in the same statement
		// (recomputeHourly's forget has the same k and DELETE; its k of generated hours is estimated at 200 rows, so
		// on empty tables the planner scans day_buckets first whatever the conditions).
		{"addHourly", addHourlySQL(), []any{u.ID, texts("steps"), ints(1), ints(t0), ints(1), one, one, one, one},
			"day_buckets", "bucket_start"},
		{"addHourlyValues", forgetHourlySQL(), []any{u.ID, texts("steps"), ints(t0)}, "day_buckets", "bucket_start"},
	}
	for _, c := range cases {
		var root planNode
		var plan string
		err := s.InUserTx(ctx, u.ID, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_material = off`); err != nil {
				return err
			}
			var err error
			root, plan, err = explain(ctx, tx, c.sql, c.args...)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		scans, bad := rangeScans(root, c.table, c.column, "")
		if scans == 0 {
			t.Errorf("%s: no index scan of %s in the plan:\n%s", c.name, c.table, plan)
		}
		for _, b := range bad {
			t.Errorf("%s: %s is scanned without the %s range in the index condition: %s\n%s", c.name, c.table, c.column, b, plan)
		}
	}
}

// explain is the plan of sql in tx, as its root node and as the JSON PostgreSQL wrote (for failure messages).
func explain(ctx context.Context, tx *Tx, sql string, args ...any) (planNode, string, error) {
	var plan string
	if err := tx.tx.GetContext(ctx, &plan, `EXPLAIN (FORMAT JSON) `+sql, args...); err != nil {
		return planNode{}, "", fmt.Errorf("explain: %w", err)
	}
	var root []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &root); err != nil || len(root) != 1 {
		return planNode{}, plan, fmt.Errorf("plan %q: %v", plan, err)
	}
	return root[0].Plan, plan, nil
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the test reads.
type planNode struct {
	Type      string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	IndexCond string     `json:"Index Cond"`
	Filter    string     `json:"Filter"`
	Plans     []planNode `json:"Plans"`
}

// rangeScans counts the scans of table under n and describes those whose index condition does not bound column
// from both sides. A bitmap index scan belongs to the bitmap heap scan above it (heap names that table).
func rangeScans(n planNode, table, column, heap string) (scans int, bad []string) {
	rel := n.Relation
	if n.Type == "Bitmap Index Scan" {
		rel = heap
	}
	if rel == table {
		switch n.Type {
		case "Seq Scan":
			scans++
			bad = append(bad, "a sequential scan")
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			scans++
			if !strings.Contains(n.IndexCond, column+" >") || !strings.Contains(n.IndexCond, column+" <") {
				bad = append(bad, fmt.Sprintf("%s, Index Cond %q, Filter %q", n.Type, n.IndexCond, n.Filter))
			}
		}
	}
	if n.Type == "Bitmap Heap Scan" {
		heap = n.Relation
	}
	for _, c := range n.Plans {
		k, b := rangeScans(c, table, column, heap)
		scans += k
		bad = append(bad, b...)
	}
	return scans, bad
}
