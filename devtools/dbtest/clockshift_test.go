package dbtest_test

import (
	"os"
	"testing"
	"time"

	"healthsync/devtools/dbtest"
)

// The test PostgreSQL's now() and Go's time.Now() are one clock, also in a run shifted by
// scripts/with-time-shift: a shift that reached only one side would let every date-dependent test pass
// for the wrong reason, or fail for one.
func TestDatabaseAndGoClocksAgree(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	before := time.Now()
	var dbNow time.Time
	if err := d.Get(&dbNow, `SELECT now()`); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if dbNow.Before(before.Add(-time.Minute)) || dbNow.After(after.Add(time.Minute)) {
		t.Fatalf("PostgreSQL's now() is %s, Go's clock %s..%s (shift %s): the two clocks disagree",
			dbNow.UTC(), before.UTC(), after.UTC(), dbtest.ClockShift())
	}
	// The kernel dates a new file by the machine's own clock, which no shift moves.
	f, err := os.CreateTemp(t.TempDir(), "clock")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, err := os.Stat(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := time.Now().Sub(fi.ModTime()), dbtest.ClockShift(); got < want-time.Minute || got > want+time.Minute {
		t.Fatalf("Go's clock is %s from the machine's, want the shift %s: run a shifted suite through scripts/with-time-shift", got, want)
	}
}
