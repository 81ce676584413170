package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/client"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

var secret = []byte("0123456789abcdef0123456789abcdef-client-test")

// faults sits in front of the real server and spoils chosen attempts (1-based, counting every POST).
type faults struct {
	next http.Handler
	mu   sync.Mutex
	n    int
	// cutAfter: the server handles the request, the client gets 502 instead of the answer (lost after commit).
	// refuse: 503 before the server sees it. throttle: 429 with Retry-After: 1.
	cutAfter, refuse, throttle map[int]bool
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	switch {
	case f.refuse[n]:
		http.Error(w, "<html>upstream unavailable</html>", http.StatusServiceUnavailable)
	case f.throttle[n]:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case f.cutAfter[n]:
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		http.Error(w, "bad gateway", http.StatusBadGateway)
	default:
		f.next.ServeHTTP(w, r)
	}
}

func (f *faults) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func newServer(t *testing.T, f *faults) (url string, signer *auth.Signer) {
	t.Helper()
	store := db.New(dbtest.New(t), db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err = auth.NewHMACSigner(secret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.next = server.New(servertest.Wire(server.Options{Store: store, Catalog: cat, Verifier: v,
		Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 1000}, nil),
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil))}))
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/graphql", signer
}

func token(t *testing.T, s *auth.Signer, user string) string {
	t.Helper()
	tok, err := s.Sign(user, []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var (
	// day0 is a UTC midnight a month ago: the server refuses samples in its future, whatever day this runs.
	day0  = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -30)
	watch = client.Source{Name: "Apple Watch", ProductType: "Watch6,7"}
)

func heartRates(n, bad int) []client.QuantitySample {
	out := make([]client.QuantitySample, n)
	for i := range out {
		at := day0.Add(time.Duration(i) * time.Minute)
		v := 60 + float64(i%40)
		if i == bad {
			v = -5
		}
		out[i] = client.QuantitySample{ID: fmt.Sprintf("AAAAAAAA-0000-4000-8000-%012d", i), Type: "HKQuantityTypeIdentifierHeartRate",
			Value: v, Unit: "count/min", Start: at, End: at, Source: watch}
	}
	return out
}

func TestIngestBatchSplitsRetriesAndReads(t *testing.T) {
	f := &faults{cutAfter: map[int]bool{2: true}, refuse: map[int]bool{3: true}, throttle: map[int]bool{5: true}}
	url, signer := newServer(t, f)
	c := client.New(url, token(t, signer, "alice"), client.Options{MaxBatchItems: 1000, Backoff: 10 * time.Millisecond})
	ctx := context.Background()

	const n, bad = 2301, 1200
	newest := day0.Add((n - 1) * time.Minute)
	b := client.Batch{IdempotencyKey: "upload-1", Provider: client.AppleHealth,
		Device:  client.Device{ID: "iphone-1", Model: "iPhone15,2", TimeZone: "Europe/Zurich"},
		Samples: heartRates(n, bad),
		Cursors: []client.Cursor{{Type: "HKQuantityTypeIdentifierHeartRate", Cursor: "anchor-1", NewestSampleEnd: &newest}}}
	start := time.Now()
	res, err := c.IngestBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	// 2301 samples + 1 cursor in requests of 1000: three requests; attempts 2, 3 and 5 were spoiled.
	if res.Requests != 3 || res.Accepted != n-1 || res.Duplicates != 0 || res.Replayed || len(res.Rejected) != 1 {
		t.Fatalf("result %+v", res)
	}
	if r := res.Rejected[0]; r.Kind != "SAMPLE" || r.Index != bad || r.Code != "OUT_OF_RANGE" {
		t.Fatalf("rejection %+v, want sample %d OUT_OF_RANGE", r, bad)
	}
	if got := f.attempts(); got != 6 {
		t.Errorf("%d attempts, want 6 (3 requests + 3 retries)", got)
	}
	if time.Since(start) < time.Second {
		t.Error("the 429's Retry-After was not honoured")
	}

	states, err := c.SyncState(ctx, "iphone-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].DataType != "heart_rate" || states[0].Count != n-1 || states[0].Cursor == nil ||
		*states[0].Cursor != "anchor-1" || states[0].Status != "ACTIVE" {
		t.Fatalf("sync state %+v", states)
	}
	s, err := c.Series(ctx, client.SeriesQuery{Metric: "heart_rate", From: day0, To: day0.Add(72 * time.Hour),
		Bucket: client.Day, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range s.Points {
		total += p.Count
	}
	if s.Unit != "count/min" || len(s.Points) != 2 || total != n-1 || s.Points[0].Count != 1439 { // day one lost the bad sample
		t.Fatalf("series unit %q, %d points, %d samples: %+v", s.Unit, len(s.Points), total, s.Points)
	}

	// The same upload again (an app restarted mid-upload): every request is answered from the record.
	again, err := c.IngestBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Accepted != res.Accepted || again.Requests != 3 {
		t.Fatalf("repeat %+v", again)
	}
	if states, _ := c.SyncState(ctx, ""); len(states) != 1 || states[0].Count != n-1 {
		t.Fatalf("sync state after the repeat %+v", states)
	}
}

func TestErrorsThatRetriesCannotFix(t *testing.T) {
	f := &faults{}
	url, signer := newServer(t, f)
	ctx := context.Background()
	b := client.Batch{IdempotencyKey: "k", Provider: client.AppleHealth, Device: client.Device{ID: "iphone-1"},
		Samples: heartRates(3, -1)}

	_, err := client.New(url, "not-a-token", client.Options{Backoff: time.Millisecond}).IngestBatch(ctx, b)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "UNAUTHENTICATED" || ce.Status != http.StatusUnauthorized {
		t.Fatalf("bad token: %v", err)
	}
	if f.attempts() != 1 {
		t.Fatalf("%d attempts for an authentication failure, want 1", f.attempts())
	}

	c := client.New(url, token(t, signer, "bob"), client.Options{Backoff: time.Millisecond})
	if _, err := c.IngestBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Samples = heartRates(4, -1) // same key, other payload
	_, err = c.IngestBatch(ctx, b)
	if !errors.As(err, &ce) || ce.Code != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reused key: %v", err)
	}
	if f.attempts() != 3 {
		t.Fatalf("%d attempts, want 3", f.attempts())
	}
}

// Send resends a stored body byte for byte (an outbox's retry): the answer lost after the commit is replayed by
// the server under the key inside the body, and Query reaches fields without a typed method.
func TestSendRetriesAPreparedBodyAndQueryReadsAnyField(t *testing.T) {
	f := &faults{cutAfter: map[int]bool{1: true}}
	url, signer := newServer(t, f)
	c := client.New(url, token(t, signer, "alice"), client.Options{Backoff: 10 * time.Millisecond})
	ctx := context.Background()
	at := day0.Add(8 * time.Hour).Format(time.RFC3339)
	body := []byte(`{"query": "mutation($i: IngestBatchInput!) { ingestBatch(input: $i) { replayed accepted } }",
	  "variables": {"i": {"idempotencyKey": "outbox-7", "provider": "APPLE_HEALTH", "device": {"id": "phone"},
	    "samples": [{"id": "AAAAAAAA-0000-4000-8000-000000000001", "type": "HKQuantityTypeIdentifierHeartRate",
	      "value": 61, "unit": "count/min", "start": "` + at + `", "end": "` + at + `",
	      "source": {"name": "Apple Watch"}}]}}}`)
	var out struct {
		IngestBatch struct {
			Replayed bool `json:"replayed"`
			Accepted int  `json:"accepted"`
		} `json:"ingestBatch"`
	}
	if err := c.Send(ctx, body, &out); err != nil {
		t.Fatal(err)
	}
	// Attempt 1 was stored but its answer lost; attempt 2 gets the stored answer.
	if f.attempts() != 2 || !out.IngestBatch.Replayed || out.IngestBatch.Accepted != 1 {
		t.Fatalf("after %d attempts: %+v", f.attempts(), out.IngestBatch)
	}
	var me struct {
		Me struct{ ID string } `json:"me"`
	}
	if err := c.Query(ctx, `{ me { id } }`, nil, &me); err != nil || me.Me.ID != "alice" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	// Raw data is handed over as the server wrote it, without a second decoding.
	var raw json.RawMessage
	if err := c.Query(ctx, `{ me { id } }`, nil, &raw); err != nil || string(raw) != `{"me":{"id":"alice"}}` {
		t.Fatalf("raw data = %s, %v", raw, err)
	}
}
