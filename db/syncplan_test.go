package db

import (
	"context"
	"testing"
	"time"

	"healthsync/devtools/dbtest"
)

// A new phone's sync plan asks, per type, for the newest end of the stored samples: the latest end among the
// samples that start in the 32 days before the last start. That bound is only known when the statement runs, and
// for a one-sided range of an unknown value PostgreSQL guesses a third of the user's rows of the metric; for a user
// who holds much of the table it then read the whole samples table in parallel (677 ms for syncPlan at 10.2M stored
// rows, ×6.5 the empty level; 142 ms here at 0.95M). Bounded on both sides the guess is a small range, and the
// read is one index range whatever the table holds. The test holds a user with the whole table, analyzed, as the
// code runs it: the app role in a user transaction, every planner method allowed.
func TestHoldingsReadTheNewestEndByIndexRange(t *testing.T) {
	t.Parallel()
	dbtest.SkipOnCitus(t, "Citus plans the shards' scans itself; this is about plain PostgreSQL's planner")
	d := dbtest.New(t)
	s := New(d, Options{})
	ctx := context.Background()
	u, err := s.EnsureUser(ctx, "heavy")
	if err != nil {
		t.Fatal(err)
	}
	// Two years of heart rate every 5 minutes, dated back from the database's own clock.
	if _, err := d.ExecContext(ctx, `
		INSERT INTO samples (user_id, sample_id, metric, source_id, device_id, start_time, end_time, value, orig_value, orig_unit)
		SELECT $1, 'hr-' || g, 'heart_rate', 1, 'watch', now() - g * interval '5 minutes',
			now() - g * interval '5 minutes' + (g % 7) * interval '1 minute', 60, 60, 'count/min'
		FROM generate_series(1, 210000) g`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `ANALYZE samples`); err != nil {
		t.Fatal(err)
	}
	var root planNode
	var plan string
	var h TypeHoldings
	err = s.InUserTx(ctx, u.ID, func(tx *Tx) error {
		var err error
		if root, plan, err = explain(ctx, tx, holdings[QuantityTable], u.ID, "heart_rate", "UTC"); err != nil {
			return err
		}
		h, err = tx.Holdings(ctx, QuantityTable, "heart_rate", "UTC")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := seqScans(root, "samples"); n > 0 {
		t.Errorf("the holdings of heart rate scan the whole samples table (%d sequential scans):\n%s", n, plan)
	}
	// And the answer is the rows' own.
	var last, newestEnd time.Time
	if err := d.QueryRowContext(ctx, `SELECT max(start_time), max(end_time) FROM samples WHERE user_id = $1 AND metric = 'heart_rate'`,
		u.ID).Scan(&last, &newestEnd); err != nil {
		t.Fatal(err)
	}
	if h.Last == nil || h.NewestEnd == nil || !h.Last.Equal(last) || !h.NewestEnd.Equal(newestEnd) {
		t.Errorf("holdings %+v, the rows' last start %v and newest end %v", h, last, newestEnd)
	}
}

// seqScans counts the sequential scans of table under n.
func seqScans(n planNode, table string) int {
	k := 0
	if n.Type == "Seq Scan" && n.Relation == table {
		k++
	}
	for _, c := range n.Plans {
		k += seqScans(c, table)
	}
	return k
}
