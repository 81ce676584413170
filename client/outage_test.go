package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/client"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

// PostgreSQL is down when an upload starts: the server answers UNAVAILABLE (503, Retry-After) and the client
// retries the same request, with the same key, until PostgreSQL is back; the batch is stored once.
func TestIngestBatchRidesOutADatabaseOutage(t *testing.T) {
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
	store, cat := db.New(d, db.Options{}), catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	f := &faults{next: server.New(servertest.Wire(server.Options{Store: store, Catalog: cat, Verifier: v,
		Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 1000}, nil),
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil))}))}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := client.New(srv.URL+"/graphql", token(t, signer, "alice"), client.Options{MaxAttempts: 20,
		Backoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := pg.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	type answer struct {
		res client.IngestResult
		err error
	}
	done := make(chan answer, 1)
	samples := heartRates(10, -1)
	go func() {
		res, err := c.IngestBatch(ctx, client.Batch{IdempotencyKey: "outage-1", Provider: client.AppleHealth,
			Device: client.Device{ID: "iphone-1", Model: "iPhone15,2", TimeZone: "Europe/Zurich"}, Samples: samples})
		done <- answer{res, err}
	}()
	for f.attempts() < 2 { // refused at least once while PostgreSQL is away
		time.Sleep(10 * time.Millisecond)
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	a := <-done
	if a.err != nil {
		t.Fatalf("upload across the outage: %v", a.err)
	}
	if a.res.Accepted != len(samples) || a.res.Duplicates != 0 {
		t.Fatalf("result %+v", a.res)
	}
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM samples`); err != nil || n != len(samples) {
		t.Fatalf("%d samples stored (%v), want %d", n, err, len(samples))
	}
}
