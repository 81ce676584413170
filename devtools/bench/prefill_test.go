package bench_test

import (
	"context"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/dbtest"
)

// TestPrefillSQLConsistent checks that the SQL prefill leaves the tables as the write path would: the row count
// it promises, and an aggregate read (sample_hourly, as the series reads use it, under the user's row-level
// security) that agrees with the raw rows of one generated user.
func TestPrefillSQLConsistent(t *testing.T) {
	dbtest.SkipOnCitus(t, "PrefillSQL fills one PostgreSQL for the single-node growth benchmark, as a superuser with INSERT … SELECT from generate_series LATERAL joins, which Citus refuses to push down to the shards")
	e := newEnv(t)
	ctx := context.Background()
	const users, days = 3, 4
	end := time.Now()
	n, err := bench.PrefillSQL(ctx, e.sql, "prefill-test-", users, days, end)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(users * days * bench.PrefillPerDay); n != want {
		t.Fatalf("prefill wrote %d samples, want %d", n, want)
	}
	var uid int64
	if err := e.sql.GetContext(ctx, &uid, `SELECT id FROM users WHERE subject = 'prefill-test-2'`); err != nil {
		t.Fatal(err)
	}
	from := end.UTC().Truncate(24*time.Hour).AddDate(0, 0, -days-1)
	to := end.UTC().AddDate(0, 0, 1)
	for _, metric := range []string{"steps", "heart_rate", "active_energy"} {
		type day struct {
			Day      time.Time `db:"day"`
			N        int64     `db:"n"`
			Sum      float64   `db:"sum"`
			Min, Max float64
		}
		var raw []day
		if err := e.sql.SelectContext(ctx, &raw, `
			SELECT date_trunc('day', start_time, 'UTC') AS day, count(*) AS n, sum(value) AS sum, min(value) AS min, max(value) AS max
			FROM samples WHERE user_id = $1 AND metric = $2 GROUP BY 1 ORDER BY 1`, uid, metric); err != nil {
			t.Fatal(err)
		}
		var got []db.BucketRow
		if err := e.store.InUserTx(ctx, uid, func(tx *db.Tx) error {
			var err error
			got, err = tx.HourlyBuckets(ctx, metric, from, to, nil, "day", "UTC")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || len(got) != len(raw) {
			t.Fatalf("%s: %d aggregate days, %d raw days", metric, len(got), len(raw))
		}
		for i, r := range raw {
			g := got[i]
			if !g.Start.Equal(r.Day) || g.N != r.N || g.SumStart != r.Sum || g.Min == nil || *g.Min != r.Min || *g.Max != r.Max {
				t.Fatalf("%s day %d: aggregate %+v, raw %+v", metric, i, g, r)
			}
		}
	}
}
