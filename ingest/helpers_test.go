package ingest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// testNow is the service's clock in these tests: read once, so "the future" stays put while they run, and
// from the machine's clock, so the data they date by it is as old as the database's now() says.
var testNow = time.Now().UTC().Truncate(time.Hour)

type env struct {
	t     *testing.T
	sqlDB *sqlx.DB
	store *db.Store
	svc   *ingest.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	return &env{t: t, sqlDB: d, store: store,
		svc: ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, func() time.Time { return testNow })}
}

func (e *env) user(subject string) int64 {
	e.t.Helper()
	u, err := e.store.EnsureUser(context.Background(), subject)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func (e *env) ingest(userID int64, b ingest.Batch) ingest.Result {
	e.t.Helper()
	res, err := e.svc.Ingest(context.Background(), userID, b)
	if err != nil {
		e.t.Fatalf("ingest %s: %v", b.IdempotencyKey, err)
	}
	return res
}

// count runs a counting query scoped by user id.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.sqlDB.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

var watch = ingest.Source{Name: "Alice's Apple Watch", BundleID: ptr("com.apple.health.8A1B"), ProductType: ptr("Watch6,7"),
	DeviceModel: ptr("Watch"), HardwareVersion: ptr("Watch6,7")}
var phone = ingest.Source{Name: "Alice's iPhone", BundleID: ptr("com.apple.health.77C2"), ProductType: ptr("iPhone15,2"),
	DeviceModel: ptr("iPhone"), HardwareVersion: ptr("iPhone15,2")}

func ptr[T any](v T) *T { return &v }

func uuidFor(r *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// heartRates makes n heart-rate samples, one a minute from start, with ids drawn from seed.
func heartRates(seed uint64, n int, start time.Time) []ingest.QuantitySample {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]ingest.QuantitySample, n)
	for i := range out {
		at := start.Add(time.Duration(i) * time.Minute)
		out[i] = ingest.QuantitySample{ID: uuidFor(r), Type: "HKQuantityTypeIdentifierHeartRate",
			Value: ingest.Float(55 + r.IntN(90)), Unit: "count/min", Start: at, End: at, Source: watch,
			Metadata: map[string]any{"HKMetadataKeyHeartRateMotionContext": "1"}}
	}
	return out
}

func batch(key string, samples ...ingest.QuantitySample) ingest.Batch {
	return ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth,
		Device:  ingest.Device{ID: "iphone-install-1", Model: ptr("iPhone15,2"), TimeZone: ptr("Europe/Zurich")},
		Samples: samples}
}
