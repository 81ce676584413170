package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

// FuzzIngestSample drives the batch validator end to end: one sample and one category sample with fuzzed fields,
// through the real handler into PostgreSQL. Whatever arrives, the answer is never a server error; a rejected
// item leaves no row; an accepted sample is stored once, finite and within its metric's plausible range.
func FuzzIngestSample(f *testing.F) {
	for _, s := range []struct {
		provider               uint8
		id, typ, unit, tz, cat string
		value                  float64
		startMin, spanMin      int64
	}{
		{0, "7D444840-9DC0-11D1-B245-5FFDCE74FAD2", "HKQuantityTypeIdentifierHeartRate", "count/min", "Europe/Zurich", "HKCategoryValueSleepAnalysisAsleepCore", 62, -60, 0},
		{1, "hc-1", "Steps", "count", "", "5", 1200, -600, 30},
		{1, "hc-2", "Weight", "lb", "America/New_York", "STAGE_TYPE_DEEP", 170, -10, 0},
		{0, "not-a-uuid", "HKQuantityTypeIdentifierBodyTemperature", "degF", "Mars/Base", "3", 98.6, -5, 1},
		{1, "rec\x07", "heart_rate", "bpm", "UTC", "", math.Inf(1), 0, 0},
		{1, strings.Repeat("x", 300), "OxygenSaturation", "%", "", "awake", 0.97, 5000000, -3},
		{0, "7D444840-9DC0-11D1-B245-5FFDCE74FAD3", "HKQuantityTypeIdentifierBloodGlucose", "mmol<180.15588000005408>/L", "", "", 5.4, -1e9, 1e9},
		{2, "g-1", "distance", "mi", "", "", -1, -30, 60000},
	} {
		f.Add(s.provider, s.id, s.typ, s.unit, s.tz, s.cat, s.value, s.startMin, s.spanMin)
	}

	d := dbtest.New(f)
	store := db.New(d, db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		f.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		f.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil),
		Catalog: cat, Verifier: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 1 << 20}))
	var seq atomic.Int64
	providers := []string{"APPLE_HEALTH", "HEALTH_CONNECT", "GARMIN"}
	now := time.Now().UTC().Truncate(time.Minute)

	f.Fuzz(func(t *testing.T, provider uint8, id, typ, unit, tz, catValue string, value float64, startMin, spanMin int64) {
		// A user per input: every input starts from nothing, so "no row" and "one row" are exact.
		subject := "fuzz-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(seq.Add(1), 10)
		tok, err := signer.Sign(subject, []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		startMin = max(min(startMin, 1e8), -1e8) // keep times inside what JSON and RFC 3339 can carry
		spanMin = max(min(spanMin, 1e8), -1e8)
		start := now.Add(time.Duration(startMin) * time.Minute)
		end := start.Add(time.Duration(spanMin) * time.Minute)
		src := map[string]any{"name": "Fuzz Watch"}
		sample := map[string]any{"id": id, "type": typ, "unit": unit, "start": start.Format(time.RFC3339Nano),
			"end": end.Format(time.RFC3339Nano), "source": src}
		// JSON has no NaN or infinities; send those as the strings a sloppy client would.
		if math.IsNaN(value) || math.IsInf(value, 0) {
			sample["value"] = strings.TrimPrefix(strings.ToLower(jsonFloatWord(value)), "+")
		} else {
			sample["value"] = value
		}
		if tz != "" {
			sample["timeZone"] = tz
		}
		category := map[string]any{"id": id + "-c", "type": "HKCategoryTypeIdentifierSleepAnalysis", "value": catValue,
			"start": start.Format(time.RFC3339Nano), "end": end.Format(time.RFC3339Nano), "source": src}
		in := map[string]any{"idempotencyKey": "fuzz", "provider": providers[int(provider)%len(providers)],
			"device": map[string]any{"id": "fuzz-device"}, "samples": []any{sample}, "categorySamples": []any{category}}
		payload, _ := json.Marshal(map[string]any{"query": ingestMutation, "variables": map[string]any{"input": in}})

		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(payload)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct {
			Data   *ingestResult `json:"data"`
			Errors []gqlError    `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON (%d): %.300s", rec.Code, rec.Body.String())
		}
		if rec.Code >= 500 {
			t.Fatalf("server error %d: %.300s", rec.Code, rec.Body.String())
		}
		for _, e := range out.Errors {
			if c, _ := e.Extensions["code"].(string); c == "INTERNAL" || c == "TIMEOUT" || c == "" {
				t.Fatalf("payload %.400s\nanswered %.400s", payload, rec.Body.String())
			}
		}
		var rows []struct {
			Metric string  `db:"metric"`
			Value  float64 `db:"value"`
		}
		if err := d.Select(&rows, `SELECT s.metric, s.value FROM samples s JOIN users u ON u.id = s.user_id
			WHERE u.subject = $1`, subject); err != nil {
			t.Fatal(err)
		}
		if out.Data == nil || len(out.Errors) > 0 {
			if len(rows) != 0 {
				t.Fatalf("a refused request stored %d samples", len(rows))
			}
			return
		}
		res := out.Data.IngestBatch
		sampleRejected := false
		for _, r := range res.Rejected {
			if !knownRejection[r.Code] {
				t.Fatalf("rejection code %q is not one of the documented ones: %.300s", r.Code, rec.Body.String())
			}
			if r.Kind == "SAMPLE" {
				sampleRejected = true
			}
		}
		switch {
		case sampleRejected && len(rows) != 0:
			t.Fatalf("a rejected sample was stored: %+v", rows)
		case !sampleRejected && len(rows) != 1:
			t.Fatalf("an accepted sample is stored %d times: %.300s", len(rows), rec.Body.String())
		case !sampleRejected:
			m, ok := cat.Lookup(rows[0].Metric)
			if !ok || !m.InRange(rows[0].Value) || math.IsNaN(rows[0].Value) || math.IsInf(rows[0].Value, 0) {
				t.Fatalf("stored %s %v, outside the plausible range", rows[0].Metric, rows[0].Value)
			}
		}
	})
}

var knownRejection = map[string]bool{"UNKNOWN_TYPE": true, "BAD_UNIT": true, "OUT_OF_RANGE": true, "BAD_VALUE": true,
	"BAD_TIME": true, "BAD_ID": true, "BAD_TIME_ZONE": true, "BAD_FIELD": true}

func jsonFloatWord(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case v > 0:
		return "Infinity"
	}
	return "-Infinity"
}
