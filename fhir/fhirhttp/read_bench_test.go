package fhirhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"healthsync/fhir"
)

// BenchmarkReadByID reads one Observation of a user with a year of minute heart rates (benchN samples) by its
// id, against a baseline from the same run: the identifier search for the same sample (a primary-key lookup).
// The id is a digest no column stores, so the read hashes the user's keys; this measures what that costs.
// _summary=count is measured against a plain count(*) of the same user's samples.
//
//	go test -run '^$' -bench ReadByID -benchtime 20x ./fhir/fhirhttp/
func BenchmarkReadByID(b *testing.B) {
	const benchN = 200_000
	f, raw, tok := heartRateYear(b, benchN)
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `VACUUM ANALYZE samples`); err != nil {
		b.Fatal(err)
	}
	id := fhir.ResourceID("bench", 0, "hr-150000", 0)
	get := func(b *testing.B, target string) {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
	}
	b.Run("baseline identifier search", func(b *testing.B) {
		for b.Loop() {
			get(b, "/fhir/Observation?identifier=hr-150000")
		}
	})
	b.Run("read by id", func(b *testing.B) {
		for b.Loop() {
			get(b, "/fhir/Observation/"+id)
		}
	})
	b.Run("baseline count(*)", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := raw.GetContext(ctx, &n, `SELECT count(*) FROM samples s JOIN users u ON u.id = s.user_id WHERE u.subject = 'bench'`); err != nil || n != benchN+1 {
				b.Fatalf("%d, %v", n, err)
			}
		}
	})
	b.Run("summary count", func(b *testing.B) {
		for b.Loop() {
			get(b, "/fhir/Observation?_summary=count")
		}
	})
}
