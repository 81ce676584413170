package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

var (
	testSecret = []byte("bench-secret-0123456789abcdef-0123456789")
	testIssuer = "https://id.bench.test"
	testAud    = "healthsync-bench"
)

// env is one fresh database (cloned from the migrated template, so every benchmark run starts from empty tables
// on the same server) wired the way `healthsync serve` wires it.
type env struct {
	sql    *sqlx.DB
	store  *db.Store
	svc    *ingest.Service
	userID int64
}

const benchUser = "bench-user"

func newEnv(tb testing.TB, opts ...ingest.Option) *env {
	tb.Helper()
	ctx := context.Background()
	// db.Open: the production pool settings.
	d, err := db.Open(ctx, dbtest.NewDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() }) // runs before NewDSN's drop
	store := db.New(d, db.Options{})
	// The production defaults (config: HEALTHSYNC_MAX_BATCH_ITEMS=20000) and the real clock.
	svc := ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, nil, opts...)
	u, err := store.EnsureUser(ctx, benchUser)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{sql: d, store: store, svc: svc, userID: u.ID}
}

// warmKey is the batch that brings the user, device, source and pooled connections into their steady state
// before anything is timed: a phone that uploads its first 10,000 samples is the rare case.
const warmKey = "warm-up"

// warmSamples lies far before every measured batch, so it never collides with one.
func warmSamples() []hrSample { return genBatch(1_000_000, 1) }

func (e *env) count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := e.sql.Get(&n, "SELECT count(*) FROM "+pq.QuoteIdentifier(table)); err != nil {
		tb.Fatal(err)
	}
	return n
}

// copyRows and unnestRows are the runner's baselines (bench.CopyRows, bench.UnnestRows).
func copyRows(ctx context.Context, d *sqlx.DB, table string, rows []bench.Row) error {
	return bench.CopyRows(ctx, d, table, rows)
}

func unnestRows(ctx context.Context, d *sqlx.DB, table string, rows []bench.Row) (int, error) {
	return bench.UnnestRows(ctx, d, table, rows)
}

// api is the real handler behind a real listener on loopback, and a client holding a valid token.
type api struct {
	url    string
	client *http.Client
	token  string
}

func newAPI(tb testing.TB, e *env) *api {
	tb.Helper()
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAud})
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAud)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := signer.Sign(benchUser, []auth.Scope{auth.ScopeIngest}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	// MaxRequestBytes 0: the server's default, which is also the config default (32 MiB).
	srv := httptest.NewServer(server.New(servertest.Wire(server.Options{Store: e.store, Ingest: e.svc, Catalog: cat, Verifier: v,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})))
	tb.Cleanup(srv.Close)
	return &api{url: srv.URL + "/graphql", client: srv.Client(), token: tok}
}

// ingestAnswer is the mutation's answer.
type ingestAnswer struct {
	Replayed   bool `json:"replayed"`
	Accepted   int  `json:"accepted"`
	Duplicates int  `json:"duplicates"`
	Updated    int  `json:"updated"`
	Deleted    int  `json:"deleted"`
	Rejected   []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"rejected"`
}

// post sends one ingestBatch body and returns the answer; any transport, HTTP or GraphQL error is an error.
func (a *api) post(ctx context.Context, body []byte) (ingestAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return ingestAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.client.Do(req)
	if err != nil {
		return ingestAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return ingestAnswer{}, err
	}
	var out struct {
		Data struct {
			IngestBatch *ingestAnswer `json:"ingestBatch"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusOK || len(out.Errors) > 0 || out.Data.IngestBatch == nil {
		return ingestAnswer{}, fmt.Errorf("status %d: %.500s", resp.StatusCode, raw)
	}
	return *out.Data.IngestBatch, nil
}

// check says what is wrong with an answer, or "" when it is what the benchmark expects.
func check(got ingestAnswer, replayed bool, accepted, duplicates int) string {
	if got.Replayed != replayed || got.Accepted != accepted || got.Duplicates != duplicates || got.Updated != 0 ||
		got.Deleted != 0 || len(got.Rejected) != 0 {
		return fmt.Sprintf("got %+v, want replayed=%v accepted=%d duplicates=%d and nothing else", got, replayed, accepted, duplicates)
	}
	return ""
}

func fromResult(r ingest.Result) ingestAnswer {
	a := ingestAnswer{Replayed: r.Replayed, Accepted: r.Accepted, Duplicates: r.Duplicates, Updated: r.Updated, Deleted: r.Deleted}
	for _, rj := range r.Rejected {
		a.Rejected = append(a.Rejected, struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{string(rj.Code), rj.Message})
	}
	return a
}
