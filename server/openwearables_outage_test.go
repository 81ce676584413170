package server_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/server"
)

// TestOpenWearablesOutage: with PostgreSQL down the sync route answers 503 with Retry-After (their SDKs keep a
// chunk on 5xx and drop it on 4xx), and once it is back the same body is stored once.
func TestOpenWearablesOutage(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.NewOwnServer(t)
	d, err := sqlx.Open("postgres", pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := db.Migrate(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	a := newApp(t, func(o *server.Options) {
		o.Store = db.New(d, db.Options{})
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{MaxItems: 5000}, nil)
	})
	tok := a.token("alice")
	t0 := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	body := owBody("apple", []map[string]any{owRecord(uuid(50), "HKQuantityTypeIdentifierStepCount", "count", 42, t0, t0.Add(time.Minute))}, nil, nil)

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := pg.Stop(sctx); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	cancel()
	status, out, h := a.postOW(syncPath("alice"), "Bearer "+tok, body)
	if retry, _ := strconv.Atoi(h.Get("Retry-After")); status != http.StatusServiceUnavailable || out.code() != "UNAVAILABLE" || retry < 1 {
		t.Fatalf("while PostgreSQL is down: %d Retry-After %q %+v", status, h.Get("Retry-After"), out)
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, out, _ = a.postOW(syncPath("alice"), "Bearer "+tok, body)
		if status == http.StatusOK {
			break
		}
		if out.code() != "UNAVAILABLE" || time.Now().After(deadline) {
			t.Fatalf("after the restart: %d %+v", status, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out.Accepted != 1 {
		t.Fatalf("the retried body: %+v", out)
	}
	if status, out, _ = a.postOW(syncPath("alice"), "Bearer "+tok, body); status != http.StatusOK || out.Accepted != 0 || out.Duplicates != 1 {
		t.Fatalf("once more: %d %+v", status, out)
	}
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM samples`); err != nil || n != 1 {
		t.Fatalf("%d samples stored (%v), want 1", n, err)
	}
}
