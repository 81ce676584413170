package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/server"
)

// PostgreSQL stops under a running server: uploads and reads are answered UNAVAILABLE with 503 and
// Retry-After (an outage, retryable with the same idempotency key), not INTERNAL with 200 (a bug). When it
// comes back the same server, not restarted, stores the retried upload once.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	ctx := context.Background()
	pg := dbtest.NewOwnServer(t) // of this test's own, since it is stopped
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
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("before", hrSample(uuid(1), t0, 60))).decode(t, &r)

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := pg.Stop(sctx); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	cancel()
	during := ingestInput("during", hrSample(uuid(2), t0.Add(time.Minute), 61))
	haeBody := fmt.Sprintf(`{"data":{"metrics":[{"name":"step_count","units":"count",
		"data":[{"date":%q,"qty":42,"source":"iPhone"}]}]}}`, t0.Format("2006-01-02 15:04:05 -0700"))
	for name, send := range map[string]func() (*http.Response, response){
		"upload": func() (*http.Response, response) { return a.doHTTP(tok, ingestMutation, during) },
		"read":   func() (*http.Response, response) { return a.doHTTP(tok, `{ sources { id } }`, nil) },
		"Health Auto Export": func() (*http.Response, response) {
			req := httptest.NewRequest(http.MethodPost, "/ingest/health-auto-export", strings.NewReader(haeBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, req)
			out := response{Status: rec.Code, Raw: rec.Body.String()}
			_ = json.Unmarshal(rec.Body.Bytes(), &out) // its errors are shaped like GraphQL's
			return rec.Result(), out
		},
	} {
		resp, res := send()
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusServiceUnavailable || res.code() != "UNAVAILABLE" || retry < 1 || retry > 60 {
			t.Fatalf("%s while PostgreSQL is down: %d Retry-After %q %s", name, resp.StatusCode, resp.Header.Get("Retry-After"), res.Raw)
		}
	}

	if err := pg.Start(ctx); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	// The retry with the same key is stored once, by the same handler.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, res := a.doHTTP(tok, ingestMutation, during)
		if resp.StatusCode == http.StatusOK && len(res.Errors) == 0 {
			res.decode(t, &r)
			break
		}
		if res.code() != "UNAVAILABLE" || time.Now().After(deadline) {
			t.Fatalf("after the restart: %d %s", resp.StatusCode, res.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r.IngestBatch.Accepted != 1 || r.IngestBatch.Replayed {
		t.Fatalf("the retried upload: %+v", r.IngestBatch)
	}
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM samples`); err != nil || n != 2 {
		t.Fatalf("%d samples stored (%v), want 2", n, err)
	}
}

// doHTTP is do with the HTTP answer kept, for its status and headers.
func (a *app) doHTTP(token, query string, vars map[string]any) (*http.Response, response) {
	a.t.Helper()
	rec := a.rawPost(token, query, vars)
	out := response{Status: rec.Code, Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		a.t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	return rec.Result(), out
}
