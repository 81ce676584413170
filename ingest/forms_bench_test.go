package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// formVariant is one way of writing batches: its store options and what to do to its fresh database first.
type formVariant struct {
	name  string
	opts  db.Options
	setup func(ctx context.Context, d *sqlx.DB) error
}

// BenchmarkPolicyForm: the same 5,000-sample batches ingested into two databases, one with the tenant policies of
// migration 0012 (a scalar subquery on the tables written row by row), one with the plain form Citus needs
// (db.PlainPolicies), alternating batch by batch. Reports plain/subquery ratios of wall time and PostgreSQL CPU.
func BenchmarkPolicyForm(b *testing.B) {
	benchForms(b, formVariant{name: "subquery"}, formVariant{name: "plain", setup: func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.PlainPolicies(ctx, d)
		return err
	}})
}

// BenchmarkInsertForm: the same 5,000-sample batches ingested with the unnest form and the multi-row VALUES form
// (db.InsertValues, for Citus), alternating batch by batch. Reports values/unnest ratios.
func BenchmarkInsertForm(b *testing.B) {
	benchForms(b, formVariant{name: "unnest"}, formVariant{name: "values", opts: db.Options{InsertForm: db.InsertValues}})
}

func benchForms(b *testing.B, base, other formVariant) {
	ctx := context.Background()
	type side struct {
		formVariant
		svc         *ingest.Service
		user        int64
		dbName      string
		wall, pgCPU time.Duration
	}
	var postmaster int
	sides := []*side{{formVariant: base}, {formVariant: other}}
	for _, s := range sides {
		d := dbtest.New(b)
		if s.setup != nil {
			if err := s.setup(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		store := db.New(d, s.opts)
		s.svc = ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, func() time.Time { return testNow })
		u, err := store.EnsureUser(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		s.user = u.ID
		if err := d.GetContext(ctx, &s.dbName, `SELECT current_database()`); err != nil {
			b.Fatal(err)
		}
		var dataDir string
		if err := d.GetContext(ctx, &dataDir, `SHOW data_directory`); err != nil {
			b.Fatal(err)
		}
		pidFile, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
		if err != nil {
			b.Skipf("PostgreSQL is not local: %v", err)
		}
		postmaster, _ = strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	}
	const size = 5000
	start := testNow.AddDate(-1, 0, 0)
	mk := func(i int) ingest.Batch {
		s := heartRates(uint64(i+1), size, start.Add(time.Duration(i*size)*time.Minute))
		for j := range s {
			if j%4 == 0 {
				s[j].Type, s[j].Unit, s[j].Value, s[j].End = "HKQuantityTypeIdentifierDistanceWalkingRunning", "m", 12.5, s[j].Start.Add(3*time.Minute)
				s[j].Metadata = nil
			}
		}
		return batch(fmt.Sprintf("bench-%d", i), s...)
	}
	warm := mk(1_000_000)
	for _, s := range sides {
		if _, err := s.svc.Ingest(ctx, s.user, warm); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := mk(i)
		for k := range sides {
			s := sides[(i+k)%2] // alternate which goes first, so neither always meets the warmer cache
			p0 := backendCPU(postmaster, s.dbName)
			t0 := time.Now()
			res, err := s.svc.Ingest(ctx, s.user, in)
			s.wall += time.Since(t0)
			s.pgCPU += backendCPU(postmaster, s.dbName) - p0
			if err != nil {
				b.Fatal(err)
			}
			if res.Accepted != size {
				b.Fatalf("%s: accepted %d of %d", s.name, res.Accepted, size)
			}
		}
	}
	b.StopTimer()
	for _, s := range sides {
		b.ReportMetric(float64(s.wall.Microseconds())/float64(b.N)/1000, s.name+"-ms/batch")
	}
	b.ReportMetric(float64(sides[1].wall)/float64(sides[0].wall), other.name+"/"+base.name+"-wall")
	if sides[0].pgCPU > 0 {
		b.ReportMetric(float64(sides[1].pgCPU)/float64(sides[0].pgCPU), other.name+"/"+base.name+"-pgcpu")
	}
}
