package ingest_test

import (
	"context"
	"testing"
	"time"
)

// Answers older than the retention go, newer ones stay, across users; a retry of a pruned batch stores
// nothing twice.
func TestPruneKeysKeepsRecentAnswersAndNothingDoubles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.user("alice"), e.user("bob")
	start := testNow.Add(-24 * time.Hour)
	for _, u := range []int64{a, b} {
		e.ingest(u, batch("old", heartRates(1, 1, start)...))
		e.ingest(u, batch("new", heartRates(2, 1, start)...))
	}
	e.sqlDB.MustExec(`UPDATE idempotency_keys SET created_at = now() - interval '40 days' WHERE key = 'old'`)
	n, err := e.svc.PruneKeys(context.Background(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("pruned %d answers, want 2 (one per user)", n)
	}
	if got := e.count(`SELECT count(*) FROM idempotency_keys`); got != 2 {
		t.Fatalf("%d answers left, want 2", got)
	}
	res := e.ingest(a, batch("old", heartRates(1, 1, start)...))
	if res.Replayed || res.Accepted != 0 || res.Duplicates != 1 {
		t.Fatalf("retry of a pruned batch: %+v, want a new answer with the sample as a duplicate", res)
	}
	if got := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, a); got != 2 {
		t.Fatalf("user a has %d samples, want 2", got)
	}
}
