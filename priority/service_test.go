package priority

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/devtools/seed"
	"healthsync/ingest"
)

func TestMain(m *testing.M) { seed.Main(m) }

func ptr[T any](v T) *T { return &v }

// heartRates stores one heart-rate sample per source for subject and answers the user and its sources by name.
func heartRates(t *testing.T, e *seed.Env, subject string, at time.Time, sources ...ingest.Source) (db.User, map[string]int64) {
	t.Helper()
	u := e.User(t, subject)
	b := ingest.Batch{IdempotencyKey: subject, Provider: ingest.AppleHealth, Device: ingest.Device{ID: subject + "-phone"}}
	for i, src := range sources {
		b.Samples = append(b.Samples, ingest.QuantitySample{ID: fmt.Sprintf("%08X-0000-4000-8000-%012d", u.ID, i),
			Type: "HKQuantityTypeIdentifierHeartRate", Value: 60, Unit: "count/min", Start: at, End: at, Source: src})
	}
	e.Upload(t, u.ID, b)
	ids := e.Sources(t, u.ID)
	if len(ids) != len(sources) {
		t.Fatalf("sources %v", ids)
	}
	return u, ids
}

// SetOrder stores the user's own order for a metric (by its catalog name, whatever alias it was given), answers
// the whole order, and refuses sources that are not the user's and scopes that do not exist.
func TestSetOrderStoresTheUsersOwnOrder(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	store := e.Store
	at := e.Now.Add(-48 * time.Hour).Truncate(time.Minute)
	alice, mine := heartRates(t, e, "alice", at,
		ingest.Source{Name: "Watch", ProductType: ptr("Watch6,7")}, ingest.Source{Name: "iPhone", ProductType: ptr("iPhone15,2")},
		ingest.Source{Name: "Oura", BundleID: ptr("com.ouraring.oura")})
	_, bobs := heartRates(t, e, "bob", at, ingest.Source{Name: "Bob's watch", ProductType: ptr("Watch6,7")})
	svc := NewService(store, e.Catalog)

	got, err := svc.SetOrder(ctx, alice.ID, "heart_rate", []int64{mine["Oura"], mine["iPhone"]})
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "Oura iPhone Watch " {
		t.Fatalf("answered order %q", names(got))
	}
	err = store.InUserTx(ctx, alice.ID, func(tx *db.Tx) error {
		for scope, want := range map[string]string{"heart_rate": "Oura iPhone Watch ", "steps": "Watch iPhone Oura "} {
			stored, err := Ordered(ctx, tx, scope)
			if err != nil {
				return err
			}
			if names(stored) != want {
				t.Errorf("%s: stored order %q, want %q", scope, names(stored), want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		scope string
		ids   []int64
	}{
		{"heart_rate", []int64{bobs["Bob's watch"]}}, // another user's source
		{"", []int64{mine["Watch"], 1 << 40}},        // no such source
		{"no_such_metric", nil},
	} {
		if _, err := svc.SetOrder(ctx, alice.ID, c.scope, c.ids); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetOrder(%q, %v): %v, want ErrInvalid", c.scope, c.ids, err)
		}
	}
	// The refused writes left the stored order alone.
	err = store.InUserTx(ctx, alice.ID, func(tx *db.Tx) error {
		stored, err := Ordered(ctx, tx, "heart_rate")
		if err == nil && names(stored) != "Oura iPhone Watch " {
			t.Errorf("after refused writes: %q", names(stored))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.SetOrder(ctx, alice.ID, "sleep", []int64{mine["iPhone"]}); err != nil || names(got) != "iPhone Watch Oura " {
		t.Fatalf("sleep scope: %q %v", names(got), err)
	}
}
