package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"healthsync/auth"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"healthsync/ingest"
	"healthsync/metrics"
	"healthsync/server"
)

// scrape reads GET /metrics and returns every sample line as "name{labels}" → value.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsAndRequestLogsAfterAnIngest(t *testing.T) {
	var logs bytes.Buffer
	a := newApp(t, func(o *server.Options) {
		m, err := metrics.New(prometheus.NewRegistry(), o.Store.DB().DB)
		if err != nil {
			t.Fatal(err)
		}
		o.Metrics = m
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{MaxItems: 5000}, nil, ingest.WithObserver(m))
		o.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	tok := a.token("alice@example.com")
	vars := ingestInput("metrics-1", hrSample(uuid(1), at, 61.375), hrSample(uuid(2), at.Add(time.Minute), 62),
		hrSample(uuid(1), at, 61.375), hrSample(uuid(3), at.Add(2*time.Minute), -4))
	var r ingestResult
	a.do(tok, ingestMutation, vars).decode(t, &r)
	if r.IngestBatch.Accepted != 2 || r.IngestBatch.Duplicates != 1 || len(r.IngestBatch.Rejected) != 1 {
		t.Fatalf("unexpected answer %+v", r.IngestBatch)
	}
	a.do(tok, ingestMutation, vars).decode(t, &r) // replay: counted as a batch, not as items again
	if !r.IngestBatch.Replayed {
		t.Fatal("second upload was not a replay")
	}
	var me struct{ Me struct{ ID string } }
	a.do(tok, `query Who { me { id } }`, nil).decode(t, &me)
	if res := a.do("", `{ me { id } }`, nil); res.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous me: %s", res.Raw)
	}

	got := scrape(t, a.handler)
	want := map[string]float64{
		`healthsync_ingest_items_total{outcome="accepted"}`:                                          2,
		`healthsync_ingest_items_total{outcome="duplicate"}`:                                         1,
		`healthsync_ingest_items_total{outcome="rejected"}`:                                          1,
		`healthsync_ingest_items_total{outcome="updated"}`:                                           0,
		`healthsync_ingest_batches_total{outcome="stored"}`:                                          1,
		`healthsync_ingest_batches_total{outcome="replayed"}`:                                        1,
		`healthsync_ingest_batches_total{outcome="failed"}`:                                          0,
		`healthsync_ingest_batch_items_count`:                                                        2,
		`healthsync_ingest_batch_items_sum`:                                                          8,
		`healthsync_ingest_duration_seconds_count`:                                                   2,
		`healthsync_graphql_requests_total{operation="ingestBatch",outcome="ok"}`:                    2,
		`healthsync_graphql_requests_total{operation="me",outcome="ok"}`:                             1,
		`healthsync_graphql_requests_total{operation="me",outcome="UNAUTHENTICATED"}`:                1,
		`healthsync_graphql_request_duration_seconds_count{operation="ingestBatch",type="mutation"}`: 2,
		`healthsync_graphql_request_duration_seconds_count{operation="me",type="query"}`:             2,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got[`go_sql_max_open_connections{db_name="healthsync"}`]; !ok {
		t.Error("database pool statistics are missing")
	}
	if got[`healthsync_ingest_duration_seconds_sum`] <= 0 {
		t.Error("ingest latency was not observed")
	}

	// One line per request; the user appears only as a hash; no token, sample id or value leaks.
	text := logs.String()
	for _, secret := range []string{"alice", tok, uuid(1), "61.375", "metrics-1"} {
		if strings.Contains(text, secret) {
			t.Errorf("the request log contains %q:\n%s", secret, text)
		}
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["msg"] == "graphql" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("%d request lines, want 4:\n%s", len(lines), text)
	}
	first := lines[0]
	if first["type"] != "mutation" || first["accepted"] != 2.0 || first["duplicates"] != 1.0 || first["rejected"] != 1.0 ||
		first["items"] != 4.0 || first["replayed"] != false || first["outcome"] != "ok" {
		t.Errorf("ingest line: %v", first)
	}
	user, _ := first["user"].(string)
	if len(user) != 16 || lines[2]["user"] != user || lines[2]["operation"] != "Who" {
		t.Errorf("user hash %q, query line %v", user, lines[2])
	}
	if lines[1]["replayed"] != true {
		t.Errorf("replay line: %v", lines[1])
	}
	if _, ok := lines[3]["user"]; ok || lines[3]["outcome"] != "UNAUTHENTICATED" {
		t.Errorf("anonymous line: %v", lines[3])
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Errorf("no duration: %v", first)
	}
}

// Strings a request controls are logged cut to a bounded length: one request must not be able to write a
// megabyte of log (or fill a log pipeline) for free.
func TestLoggedRequestStringsAreCapped(t *testing.T) {
	var logs bytes.Buffer
	a := newApp(t, func(o *server.Options) { o.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	long := "Op" + strings.Repeat("x", 1_000_000)
	// Unauthenticated, the operation named in the query text and in operationName.
	res := a.post("", body("query "+long+" { me { id } }", nil))
	if res.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous request: %s", res.Raw)
	}
	body2, _ := json.Marshal(map[string]any{"query": "{ me { id } }", "operationName": long})
	a.post("", body2)
	// A header the Health Auto Export endpoint logs.
	req := httptest.NewRequest(http.MethodPost, "/ingest/health-auto-export", strings.NewReader(`{"data":{"metrics":[]}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token("alice"))
	req.Header.Set("automation-name", long)
	a.handler.ServeHTTP(httptest.NewRecorder(), req)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	sawOp, sawHAE := false, false
	for _, l := range lines {
		if len(l) > 4096 {
			t.Errorf("log line of %d bytes: %.200s…", len(l), l)
		}
		sawOp = sawOp || strings.Contains(l, `"operation":"Opxxx`)
		sawHAE = sawHAE || strings.Contains(l, `"automation":"Opxxx`)
	}
	if !sawOp || !sawHAE {
		t.Fatalf("the capped names were not logged at all (operation %v, automation %v):\n%.2000s", sawOp, sawHAE, logs.String())
	}
	// Users are named by a digest, on this endpoint as on /graphql: the token's subject is often an e-mail.
	if strings.Contains(logs.String(), `"user":"alice"`) || !strings.Contains(logs.String(), `"user":"`+auth.LogID("alice")+`"`) {
		t.Fatalf("the Health Auto Export log names the user by its subject, not its digest:\n%.2000s", logs.String())
	}
}
