package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/client"
	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/series"
	"healthsync/server"
)

// readBench is one generated user (bench/gen, the data `healthsync-bench` reads) behind the real handler, for
// seeing where a dashboard read's time goes:
//
//	go test -run '^$' -bench Reads -benchtime 200x -cpuprofile /tmp/cpu.out ./server/
//	go tool pprof -top -cum server.test /tmp/cpu.out
//
// HEALTHSYNC_BENCH_READ_DAYS sets the user's days of data (default 365; loading takes about a minute a year).
type readBench struct {
	handler http.Handler
	store   *db.Store
	svc     *series.Service
	token   string
	userID  int64
	from    time.Time // the last year of data: [from, to)
	to      time.Time
	zone    *time.Location // the user's device's
}

var (
	readBenchOnce sync.Once
	readBenchVal  *readBench
	readBenchErr  error
)

func loadReadBench(b *testing.B) *readBench {
	readBenchOnce.Do(func() { readBenchVal, readBenchErr = newReadBench(b) })
	if readBenchErr != nil {
		b.Fatal(readBenchErr)
	}
	return readBenchVal
}

func newReadBench(b *testing.B) (*readBench, error) {
	ctx := context.Background()
	days := 365
	if s := os.Getenv("HEALTHSYNC_BENCH_READ_DAYS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, err
		}
		days = n
	}
	d := dbtest.New(b)
	store := db.New(d, db.Options{StatementTimeout: 5 * time.Minute})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		return nil, err
	}
	ing := ingest.NewService(store, cat, ingest.Limits{MaxItems: 20000}, nil)
	g := gen.New(gen.Config{Seed: 2026, Days: days})
	u := g.User(1)
	dbUser, err := store.EnsureUser(ctx, u.Subject)
	if err != nil {
		return nil, err
	}
	for _, ref := range g.Plan(u, 5000) {
		if _, err := ing.Ingest(ctx, dbUser.ID, bench.IngestBatch(g.Batch(u, ref), ref.Key(2026))); err != nil {
			return nil, err
		}
	}
	if _, err := d.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	tok, err := signer.Sign(u.Subject, []auth.Scope{auth.ScopeRead}, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	_, to := g.Span(u)
	h := server.New(servertest.Wire(server.Options{Store: store, Ingest: ing, Catalog: cat, Verifier: v,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 1 << 20}))
	return &readBench{handler: h, store: store, svc: series.NewService(store, cat), token: tok, userID: dbUser.ID,
		from: to.AddDate(-1, 0, 0), to: to, zone: u.Zone}, nil
}

// cpuLoop runs fn b.N times and reports, besides the wall time, this process's CPU time per call (user +
// system, all goroutines): on a shared machine it moves much less than the wall time. PostgreSQL's is not in it.
func cpuLoop(b *testing.B, fn func()) {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	for b.Loop() {
		fn()
	}
	b.ReportMetric(float64(cpu()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func (rb *readBench) post(b *testing.B, body []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rb.token)
	rec := httptest.NewRecorder()
	rb.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
	}
}

// BenchmarkReads times the benchmark's dashboard reads through the handler (no TCP), and the parts of one:
// a request that touches no table (JWT, gqlgen parse/validate, response), an empty user transaction (its
// set-up round trips), and the series service without GraphQL.
func BenchmarkReads(b *testing.B) {
	rb := loadReadBench(b)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	gql := func(query string, vars map[string]any) []byte {
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	const points = `query S($metric: String!, $from: Time!, $to: Time!, $bucket: Bucket!) {
  series(metric: $metric, from: $from, to: $to, bucket: $bucket) { unit timeZone points { start end value count min max } } }`
	const columns = `query S($metric: String!, $from: Time!, $to: Time!, $bucket: Bucket!) {
  series(metric: $metric, from: $from, to: $to, bucket: $bucket) { unit timeZone columns { start end value count min max } } }`
	year := func(metric string) map[string]any {
		return map[string]any{"metric": metric, "from": ts(rb.from), "to": ts(rb.to), "bucket": "DAY"}
	}
	month := map[string]any{"from": rb.to.AddDate(0, 0, -30).Format(time.DateOnly), "to": rb.to.AddDate(0, 0, -1).Format(time.DateOnly)}
	http := []struct {
		name string
		body []byte
	}{
		{"http/me", gql(`{ me { id } }`, nil)},
		{"http/heart_rate_day_year_points", gql(points, year("heart_rate"))},
		{"http/heart_rate_day_year_columns", gql(columns, year("heart_rate"))},
		{"http/steps_day_year_points", gql(points, year("steps"))},
		{"http/steps_day_year_columns", gql(columns, year("steps"))},
		{"http/daily_summary_30", gql(`query D($from: Date!, $to: Date!) { dailySummary(from: $from, to: $to) {
  date steps distanceMeters activeEnergyKcal exerciseMinutes restingHeartRate hrvSdnnMs sleepMinutes workouts } }`, month)},
	}
	for _, c := range http {
		b.Run(c.name, func(b *testing.B) {
			rb.post(b, c.body) // caches warm, as in the benchmark's untimed rounds
			cpuLoop(b, func() { rb.post(b, c.body) })
		})
	}
	// The same reads over a real loopback connection with the project's client (what `healthsync-bench` does):
	// the difference to http/… is net/http on both sides and the client reading and decoding the answer.
	srv := httptest.NewServer(rb.handler)
	defer srv.Close()
	cl := client.New(srv.URL+"/graphql", rb.token, client.Options{MaxAttempts: 1})
	for _, c := range http[1:] {
		b.Run("tcp/"+strings.TrimPrefix(c.name, "http/"), func(b *testing.B) {
			var data json.RawMessage
			send := func() {
				if err := cl.Send(context.Background(), c.body, &data); err != nil {
					b.Fatal(err)
				}
			}
			send()
			cpuLoop(b, send)
		})
	}
	ctx := context.Background()
	b.Run("db/empty_user_tx", func(b *testing.B) {
		for b.Loop() {
			if err := rb.store.InUserTx(ctx, rb.userID, func(*db.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	// dailySummary's statements one by one (each in its own user transaction: subtract db/empty_user_tx).
	mFrom, mTo := rb.to.AddDate(0, 0, -30), rb.to
	daily := []struct {
		name string
		fn   func(tx *db.Tx) error
	}{
		{"zone_sources_priorities_separately", func(tx *db.Tx) error {
			if _, err := tx.LatestDeviceTimeZone(ctx); err != nil {
				return err
			}
			if _, err := tx.Sources(ctx); err != nil {
				return err
			}
			_, err := tx.SourcePriorities(ctx, []string{"sleep", "workout"})
			return err
		}},
		{"prelude", func(tx *db.Tx) error { _, err := tx.ReadPrelude(ctx, true, []string{"sleep", "workout"}); return err }},
		{"zone", func(tx *db.Tx) error { _, err := tx.LatestDeviceTimeZone(ctx); return err }},
		{"sources", func(tx *db.Tx) error { _, err := tx.Sources(ctx); return err }},
		{"priorities", func(tx *db.Tx) error { _, err := tx.SourcePriorities(ctx, []string{"sleep", "workout"}); return err }},
		{"sleep_stages", func(tx *db.Tx) error {
			_, err := tx.SleepStages(ctx, mFrom.Add(-36*time.Hour), mTo.Add(6*time.Hour))
			return err
		}},
		{"workout_starts", func(tx *db.Tx) error { _, err := tx.WorkoutStarts(ctx, mFrom, mTo, nil, 1, 2); return err }},
		{"day_buckets", func(tx *db.Tx) error {
			_, err := tx.DayBuckets(ctx, []string{"steps", "distance_walking_running", "active_energy_burned", "exercise_time", "resting_heart_rate", "hrv_sdnn"}, mFrom.In(rb.zone), mTo)
			return err
		}},
	}
	for _, st := range daily {
		b.Run("db/daily_"+st.name, func(b *testing.B) {
			cpuLoop(b, func() {
				if err := rb.store.InUserTx(ctx, rb.userID, st.fn); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	for _, metric := range []string{"heart_rate", "steps"} {
		b.Run(fmt.Sprintf("service/%s_day_year", metric), func(b *testing.B) {
			req := series.Request{Metric: metric, From: rb.from, To: rb.to, Bucket: series.Day}
			cpuLoop(b, func() {
				if _, err := rb.svc.Series(ctx, rb.userID, req); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
