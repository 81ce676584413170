package rights_test

import (
	"context"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/rights"
)

// A worker that claims an erasure and an export and dies leaves them RUNNING; once the lease has run out,
// another process takes each up again and finishes it, and not before.
func TestJobsOfADeadWorkerAreTakenUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := db.New(dbtest.New(t), db.Options{})
	u, err := store.EnsureUser(ctx, "resume")
	if err != nil {
		t.Fatal(err)
	}
	uploadDays(t, ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 5000}, nil), u.ID, 3, 2)
	now := time.Now()
	clock := func() time.Time { return now }
	r := rights.NewService(store, rights.Options{Now: clock, Lease: time.Minute})
	ex, err := r.RequestExport(ctx, u.ID, rights.FormatNDJSONZip)
	if err != nil {
		t.Fatal(err)
	}
	// The dead worker: it claimed both jobs and did nothing more.
	if err := store.InSystemTx(ctx, func(tx *db.SysTx) error {
		if e, err := tx.ClaimExport(ctx, now, time.Minute); err != nil || e == nil {
			t.Fatalf("claim export: %v, %v", e, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDueExports(ctx); err != nil || n != 0 {
		t.Fatalf("an export under a live lease ran: %d, %v", n, err)
	}
	now = now.Add(2 * time.Minute)
	if n, err := r.RunDueExports(ctx); err != nil || n != 1 {
		t.Fatalf("the abandoned export did not run again: %d, %v", n, err)
	}
	got, err := r.Export(ctx, u.ID, ex.ID)
	if err != nil || got.Status != db.ExportDone || got.Attempts != 2 || got.RowsDone != got.RowsTotal || got.RowsTotal == 0 {
		t.Fatalf("export after the retake: %+v, %v", got, err)
	}

	if _, err := r.RequestErasure(ctx, u.ID, rights.ErasureRequest{Subject: "resume", EraseNow: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.InSystemTx(ctx, func(tx *db.SysTx) error {
		if e, err := tx.ClaimErasure(ctx, now, time.Minute); err != nil || e == nil {
			t.Fatalf("claim erasure: %v, %v", e, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDueErasures(ctx); err != nil || n != 0 {
		t.Fatalf("an erasure under a live lease ran: %d, %v", n, err)
	}
	claimedAt := now
	now = now.Add(2 * time.Minute)
	if n, err := r.RunDueErasures(ctx); err != nil || n != 1 {
		t.Fatalf("the abandoned erasure did not run again: %d, %v", n, err)
	}
	e, err := r.Erasure(ctx, u.ID)
	if err != nil || e.Status != db.ErasureDone || e.Attempts != 2 || e.Rows()["samples"] == 0 {
		t.Fatalf("erasure after the retake: %+v, %v", e, err)
	}
	// The epoch is the first claim's: an upload racing the dead worker was already held to it.
	if e.StartedAt == nil || !e.StartedAt.Equal(claimedAt.UTC().Round(time.Microsecond)) {
		t.Fatalf("epoch %v, want the first claim's %v", e.StartedAt, claimedAt)
	}
}
