package devices_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"healthsync/devices"
	"healthsync/devtools/seed"
	"healthsync/ingest"
)

func TestMain(m *testing.M) { seed.Main(m) }

func ptr[T any](v T) *T { return &v }

// A phone uploads heart rate, then three hours later only steps: with a one-hour staleness heart rate is STALE
// and steps ACTIVE, with the default 72 hours both are ACTIVE. Another user sees none of it.
func TestSyncStatesDevicesAndSourcesOfTheUser(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	e.Now = e.Now.Add(-6 * time.Hour).Truncate(time.Minute)
	alice := e.User(t, "alice")
	watch := ingest.Source{Name: "Watch", ProductType: ptr("Watch6,7")}
	upload := func(key, typ, unit string, id string) {
		t.Helper()
		at := e.Now.Add(-time.Hour)
		b := ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth,
			Device:  ingest.Device{ID: "phone-1", Model: ptr("iPhone"), TimeZone: ptr("Europe/Zurich")},
			Samples: []ingest.QuantitySample{{ID: id, Type: typ, Value: 70, Unit: unit, Start: at, End: at, Source: watch}},
			Cursors: []ingest.Cursor{{Type: typ, Cursor: key}}}
		e.Upload(t, alice.ID, b)
	}
	upload("first", "HKQuantityTypeIdentifierHeartRate", "count/min", "E0000000-0000-4000-8000-000000000001")
	e.Now = e.Now.Add(3 * time.Hour)
	upload("second", "HKQuantityTypeIdentifierStepCount", "count", "E0000000-0000-4000-8000-000000000002")

	svc := devices.NewService(e.Store)
	status := func(hours *int) map[string]string {
		t.Helper()
		states, err := svc.SyncStates(ctx, alice.ID, devices.SyncRequest{DeviceID: ptr("phone-1"), StaleAfterHours: hours})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range states {
			out[s.DataType] = s.Status
		}
		return out
	}
	if got := status(ptr(1)); len(got) != 2 || got["heart_rate"] != "STALE" || got["steps"] != "ACTIVE" {
		t.Fatalf("staleAfterHours 1: %v", got)
	}
	if got := status(nil); got["heart_rate"] != "ACTIVE" || got["steps"] != "ACTIVE" {
		t.Fatalf("default staleness: %v", got)
	}
	for _, h := range []int{0, devices.MaxStaleAfterHours + 1} {
		if _, err := svc.SyncStates(ctx, alice.ID, devices.SyncRequest{StaleAfterHours: &h}); !errors.Is(err, devices.ErrInvalid) {
			t.Errorf("staleAfterHours %d: %v, want ErrInvalid", h, err)
		}
	}
	ds, err := svc.Devices(ctx, alice.ID)
	if err != nil || len(ds) != 1 || ds[0].ID != "phone-1" {
		t.Fatalf("devices: %+v %v", ds, err)
	}
	ss, err := svc.Sources(ctx, alice.ID)
	if err != nil || len(ss) != 1 || ss[0].Name != "Watch" {
		t.Fatalf("sources: %+v %v", ss, err)
	}

	bob := e.User(t, "bob")
	states, err1 := svc.SyncStates(ctx, bob.ID, devices.SyncRequest{})
	ds, err2 := svc.Devices(ctx, bob.ID)
	ss, err3 := svc.Sources(ctx, bob.ID)
	if err := errors.Join(err1, err2, err3); err != nil || len(states)+len(ds)+len(ss) != 0 {
		t.Fatalf("bob sees %d states, %d devices, %d sources of alice's (%v)", len(states), len(ds), len(ss), err)
	}
}
