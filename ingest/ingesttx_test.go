package ingest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"healthsync/db"
	"healthsync/ingest"
)

// A caller that owns the transaction (cloud sync) rolls the batch back with its own work: nothing of it stays,
// not even the answer under the key, so the same batch later is stored afresh, not replayed.
func TestIngestTxRolledBackLeavesNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	ctx := context.Background()
	b := batch("tx-1", heartRates(1, 20, t0)...)
	callerFails := errors.New("the caller's own bookkeeping failed")

	inside, err := ingestInTx(ctx, e, alice, b, callerFails)
	if !errors.Is(err, callerFails) {
		t.Fatalf("err = %v, want the caller's", err)
	}
	if inside.Accepted != 20 || inside.Replayed {
		t.Fatalf("inside the transaction: %+v, want 20 accepted", inside)
	}
	for _, q := range []string{
		`SELECT count(*) FROM samples WHERE user_id = $1`,
		`SELECT count(*) FROM idempotency_keys WHERE user_id = $1`,
		`SELECT count(*) FROM sync_state WHERE user_id = $1`,
		`SELECT count(*) FROM devices WHERE user_id = $1`,
		`SELECT count(*) FROM sources WHERE user_id = $1`,
	} {
		if n := e.count(q, alice); n != 0 {
			t.Errorf("%s = %d after rollback, want 0", q, n)
		}
	}
	again := e.ingest(alice, b)
	if again.Replayed || again.Accepted != 20 {
		t.Fatalf("the same batch after the rollback: %+v, want stored afresh", again)
	}
}

// Committed, the caller's batch is the same as one stored by Ingest: a replay, by either entry point, answers
// what the first run did and writes nothing.
func TestIngestTxCommittedIsReplayed(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	ctx := context.Background()
	samples := heartRates(2, 30, t0)
	samples[4].Unit = "kg" // one rejection, so the answer carries more than counts
	b := batch("tx-2", samples...)

	ctx, stats := ingest.TrackStats(ctx)
	first, err := ingestInTx(ctx, e, alice, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed || first.Accepted != 29 || len(first.Rejected) != 1 {
		t.Fatalf("first: %+v", first)
	}
	if _, set := stats(); set {
		t.Fatal("IngestTx reported the batch before its caller's transaction ended")
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 29 {
		t.Fatalf("rows = %d, want 29", n)
	}

	replay := e.ingest(alice, b)
	inTx, err := ingestInTx(ctx, e, alice, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]ingest.Result{"Ingest": replay, "IngestTx": inTx} {
		if !got.Replayed {
			t.Fatalf("%s replay not marked: %+v", name, got)
		}
		got.Replayed = false
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("%s replay answers differently:\nfirst %+v\nagain %+v", name, first, got)
		}
	}
	if n := e.count(`SELECT count(*) FROM samples WHERE user_id = $1`, alice); n != 29 {
		t.Fatalf("rows after the replays = %d, want 29", n)
	}
	e.svc.Finish(ctx, b, inTx, nil, 0)
	if st, set := stats(); !set || st.Items != 30 || !st.Result.Replayed {
		t.Fatalf("Finish reported %+v (set %v), want the replayed batch of 30 items", st, set)
	}
}

// ingestInTx stores b through IngestTx in a transaction the test owns; callerErr, when set, is the caller's own
// work failing after the batch was written, which rolls the transaction back.
func ingestInTx(ctx context.Context, e *env, userID int64, b ingest.Batch, callerErr error) (ingest.Result, error) {
	var res ingest.Result
	err := e.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		if res, err = e.svc.IngestTx(ctx, tx, b); err != nil {
			return err
		}
		return callerErr
	})
	return res, err
}
