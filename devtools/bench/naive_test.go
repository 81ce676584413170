package bench_test

import (
	"context"
	"testing"
	"time"

	"healthsync/devtools/bench/naive"
)

// The naive baseline must answer the same question as the read it is set beside: the user's days, nobody else's.
func TestNaiveDailyCountsTheUsersDays(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	samples := genBatch(0, smallBatch)
	if _, err := e.svc.Ingest(ctx, e.userID, toBatch("naive-0", samples)); err != nil {
		t.Fatal(err)
	}
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	from, to := samples[0].At, samples[0].At
	for _, s := range samples {
		days[s.At.In(zurich).Format(time.DateOnly)] = true
		if s.At.Before(from) {
			from = s.At
		}
		if s.At.After(to) {
			to = s.At
		}
	}
	to = to.Add(time.Second)
	n, err := naive.Daily(ctx, e.sql, e.userID, "heart_rate", from, to, "Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(days) || n < 2 {
		t.Fatalf("naive daily answered %d days, the samples cover %d", n, len(days))
	}
	// Another user's transaction sees none of these rows (the user filter and row-level security alike).
	if n, err := naive.Daily(ctx, e.sql, e.userID+1, "heart_rate", from, to, "Europe/Zurich"); err != nil || n != 0 {
		t.Fatalf("another user: %d days, err %v", n, err)
	}
}
