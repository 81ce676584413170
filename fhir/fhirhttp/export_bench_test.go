package fhirhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// BenchmarkNDJSONExport streams a user's year of minute heart rates (benchN samples) as FHIR NDJSON through
// the real server, against a baseline from the same run: one SELECT of the same rows, each encoded as plain
// JSON (the least any JSON export of them costs: no paging, no FHIR mapping, no HTTP).
//
//	go test -run '^$' -bench NDJSONExport -benchtime 3x ./fhir/fhirhttp/
func BenchmarkNDJSONExport(b *testing.B) {
	const benchN = 200_000
	f, raw, tok := heartRateYear(b, benchN)
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `ANALYZE samples`); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline select+json", func(b *testing.B) {
		for b.Loop() {
			rows, err := raw.QueryxContext(ctx, `SELECT sample_id, metric, start_time, end_time, value FROM samples ORDER BY metric, start_time`)
			if err != nil {
				b.Fatal(err)
			}
			enc, n := json.NewEncoder(io.Discard), 0
			for rows.Next() {
				m := map[string]any{}
				if err := rows.MapScan(m); err != nil {
					b.Fatal(err)
				}
				_ = enc.Encode(m)
				n++
			}
			rows.Close()
			if n != benchN+1 {
				b.Fatalf("%d rows", n)
			}
		}
	})
	b.Run("fhir ndjson", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/fhir/Observation?_format=ndjson", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := &countingWriter{header: http.Header{}}
			f.handler.ServeHTTP(w, req)
			if w.lines != benchN+1 {
				b.Fatalf("%d lines", w.lines)
			}
		}
	})
}

// countingWriter is a ResponseWriter that keeps nothing but the count of lines, so the benchmark measures the
// server and not a buffer of the whole answer.
type countingWriter struct {
	header http.Header
	lines  int
}

func (c *countingWriter) Header() http.Header { return c.header }
func (c *countingWriter) WriteHeader(int)     {}
func (c *countingWriter) Write(p []byte) (int, error) {
	for _, ch := range p {
		if ch == '\n' {
			c.lines++
		}
	}
	return len(p), nil
}

// heartRateYear gives a user one uploaded heart rate (so the user, source and device exist as the write path makes
// them) and then n more a minute apart, written directly: the write path's own cost is not what the benchmarks
// measure.
func heartRateYear(b *testing.B, n int) (*fixture, *sqlx.DB, string) {
	b.Helper()
	f, raw := newFixtureDB(b)
	tok := f.token("bench")
	f.upload(tok, "first", []map[string]any{sample(uuid(9, 1), "HKQuantityTypeIdentifierHeartRate", "count/min", 60,
		time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))}, nil, nil)
	if _, err := raw.ExecContext(context.Background(), `
		INSERT INTO samples (user_id, sample_id, metric, source_id, device_id, start_time, end_time, value, orig_value, orig_unit)
		SELECT s.user_id, 'hr-' || g, 'heart_rate', s.source_id, s.device_id, t, t, 60 + g % 40, 60 + g % 40, 'count/min'
		FROM (SELECT user_id, source_id, device_id FROM samples LIMIT 1) s,
			generate_series(1, $1) g, LATERAL (SELECT now() - interval '400 days' + g * interval '1 minute' AS t) x`, n); err != nil {
		b.Fatal(err)
	}
	return f, raw, tok
}
