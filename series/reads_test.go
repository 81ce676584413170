package series

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"healthsync/devtools/seed"
	"healthsync/ingest"
)

// Samples answers the user's own samples of a metric (an alias names it too) up to the limit; MetricStats counts
// them per metric; a request the caller must fix is ErrInvalid.
func TestSamplesAndMetricStatsOfTheUser(t *testing.T) {
	ctx := context.Background()
	e := seed.New(t)
	alice, bob := e.User(t, "alice"), e.User(t, "bob")
	at := e.Now.Truncate(time.Hour).Add(-30 * time.Hour)
	b := ingest.Batch{IdempotencyKey: "hr", Provider: ingest.AppleHealth, Device: ingest.Device{ID: "d"}}
	for i := 0; i < 3; i++ {
		t := at.Add(time.Duration(i) * time.Minute)
		b.Samples = append(b.Samples, ingest.QuantitySample{ID: fmt.Sprintf("F0000000-0000-4000-8000-%012d", i),
			Type: "HKQuantityTypeIdentifierHeartRate", Value: ingest.Float(60 + i), Unit: "count/min", Start: t, End: t,
			Source: ingest.Source{Name: "Watch"}})
	}
	e.Upload(t, alice.ID, b)
	svc := NewService(e.Store, e.Catalog)
	req := SamplesRequest{Metric: "HKQuantityTypeIdentifierHeartRate", From: at.Add(-time.Hour), To: at.Add(time.Hour)}
	m, rows, err := svc.Samples(ctx, alice.ID, req)
	if err != nil || m.Name != "heart_rate" || len(rows) != 3 {
		t.Fatalf("samples: %s, %d rows, %v", m.Name, len(rows), err)
	}
	two := 2
	if _, rows, err := svc.Samples(ctx, alice.ID, SamplesRequest{Metric: "heart_rate", From: req.From, To: req.To, Limit: &two}); err != nil || len(rows) != 2 {
		t.Fatalf("limit 2: %d rows, %v", len(rows), err)
	}
	if _, rows, err := svc.Samples(ctx, bob.ID, req); err != nil || len(rows) != 0 {
		t.Fatalf("bob reads %d of alice's samples (%v)", len(rows), err)
	}
	zero := 0
	for _, bad := range []SamplesRequest{
		{Metric: "no_such_metric", From: req.From, To: req.To},
		{Metric: "heart_rate", From: req.From, To: req.To, Limit: &zero},
		{Metric: "heart_rate", From: req.To, To: req.From},
	} {
		if _, _, err := svc.Samples(ctx, alice.ID, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}

	stats, err := svc.MetricStats(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := stats["heart_rate"]; !ok || s.Count != 3 || len(stats) != 1 {
		t.Fatalf("alice's stats: %+v", stats)
	}
	if stats, err := svc.MetricStats(ctx, bob.ID); err != nil || len(stats) != 0 {
		t.Fatalf("bob's stats: %+v %v", stats, err)
	}
}
