package sleep_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/devtools/seed"
	"healthsync/ingest"
	"healthsync/series"
	"healthsync/sleep"
)

func TestMain(m *testing.M) { seed.Main(m) }

func ptr[T any](v T) *T { return &v }

// One night recorded by a watch and a ring: the read answers it once, from the source the user's sleep order
// puts first (the watch by default), with that source; another user sees nothing of it.
func TestSessionsOneSourcePerNightInTheUsersOrder(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	store := e.Store
	alice, bob := e.User(t, "alice"), e.User(t, "bob")
	bed := e.Now.Truncate(24*time.Hour).AddDate(0, 0, -10).Add(-time.Hour) // 23:00 UTC, ten days ago
	watch := ingest.Source{Name: "Watch", ProductType: ptr("Watch6,7")}
	ring := ingest.Source{Name: "Oura", BundleID: ptr("com.ouraring.oura")}
	b := ingest.Batch{IdempotencyKey: "night", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "phone"},
		Categories: []ingest.CategorySample{
			{ID: "5EE90000-0000-4000-8000-000000000001", Type: "HKCategoryTypeIdentifierSleepAnalysis",
				Value: "HKCategoryValueSleepAnalysisAsleepCore", Start: bed, End: bed.Add(8 * time.Hour), Source: watch},
			{ID: "5EE90000-0000-4000-8000-000000000002", Type: "HKCategoryTypeIdentifierSleepAnalysis",
				Value: "HKCategoryValueSleepAnalysisAsleepCore", Start: bed.Add(30 * time.Minute), End: bed.Add(7*time.Hour + 30*time.Minute), Source: ring},
		}}
	e.Upload(t, alice.ID, b)
	svc := sleep.NewService(store, series.NewService(store, e.Catalog))
	req := sleep.Request{From: bed.Add(-12 * time.Hour), To: bed.Add(36 * time.Hour), TimeZone: "UTC"}
	night := func(user int64) string {
		t.Helper()
		nights, err := svc.Sessions(ctx, user, req)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, n := range nights {
			if n.Source.ID != n.SourceID {
				t.Fatalf("session of source %d answered with source %d", n.SourceID, n.Source.ID)
			}
			out += fmt.Sprintf("%s %v;", n.Source.Name, n.Asleep)
		}
		return out
	}
	if got := night(alice.ID); got != "Watch 8h0m0s;" {
		t.Fatalf("default order: %q", got)
	}
	if got := night(bob.ID); got != "" {
		t.Fatalf("bob sees alice's night: %q", got)
	}
	err := store.InUserTx(ctx, alice.ID, func(tx *db.Tx) error {
		all, err := tx.Sources(ctx)
		if err != nil {
			return err
		}
		for _, s := range all {
			if s.Name == "Oura" {
				return tx.SetSourcePriority(ctx, "sleep", []int64{s.ID})
			}
		}
		return errors.New("no Oura source")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := night(alice.ID); got != "Oura 7h0m0s;" {
		t.Fatalf("the ring first: %q", got)
	}

	for _, bad := range []sleep.Request{
		{From: req.To, To: req.From},
		{From: req.From, To: req.From.Add(367 * 24 * time.Hour)},
		{From: req.From, To: req.To, TimeZone: "Mars/Olympus"},
	} {
		if _, err := svc.Sessions(ctx, alice.ID, bad); !errors.Is(err, sleep.ErrInvalid) && !errors.Is(err, series.ErrInvalid) {
			t.Errorf("%+v: %v, want an invalid request", bad, err)
		}
	}
}
