package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

// BenchmarkIngestWrite: Service.Ingest of fresh 5,000-sample (and 10-sample) batches of heart rate and walking
// distance into one user, reporting the CPU per sample of this process (normalizing and the write's Go side) and
// of PostgreSQL's backends: the write path's cost without HTTP and GraphQL. Batches follow each other a year back
// from testNow, so 5000 takes at most -benchtime 100x before the samples reach the future.
func BenchmarkIngestWrite(b *testing.B) {
	b.Run("5000", func(b *testing.B) { benchIngestWrite(b, 5000, false, false) })
	// The same samples again under a new key (a client that lost its answer and rebuilt the batch): only
	// recognising the repeats is timed.
	b.Run("5000-duplicates", func(b *testing.B) { benchIngestWrite(b, 5000, false, true) })
	// The cost of a batch whatever its size: statements, round trips, the transaction.
	b.Run("10", func(b *testing.B) { benchIngestWrite(b, 10, false, false) })
	// Every sample with a version, as Health Connect sends them: each record is compared with its stored copy.
	b.Run("5000-versioned", func(b *testing.B) { benchIngestWrite(b, 5000, true, false) })
}

func benchIngestWrite(b *testing.B, size int, versioned, dups bool) {
	d := dbtest.New(b)
	store := db.New(d, db.Options{})
	svc := ingest.NewService(store, catalog.New(), ingest.Limits{MaxItems: 20000}, func() time.Time { return testNow })
	ctx := context.Background()
	u, err := store.EnsureUser(ctx, "bench")
	if err != nil {
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
	postmaster, _ := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	var dbName string
	if err := d.GetContext(ctx, &dbName, `SELECT current_database()`); err != nil {
		b.Fatal(err)
	}

	start := testNow.AddDate(-1, 0, 0)
	mk := func(i int) ingest.Batch {
		s := heartRates(uint64(i+1), size, start.Add(time.Duration(i*size)*time.Minute))
		for j := range s {
			if j%4 == 0 {
				s[j].Type, s[j].Unit, s[j].Value, s[j].End = "HKQuantityTypeIdentifierDistanceWalkingRunning", "m", 12.5, s[j].Start.Add(3*time.Minute)
				s[j].Metadata = nil
			}
			if versioned {
				s[j].Version = ptr(int64(1))
			}
		}
		return batch(fmt.Sprintf("bench-%d", i), s...)
	}
	if _, err := svc.Ingest(ctx, u.ID, mk(1_000_000)); err != nil {
		b.Fatal(err)
	}
	var goCPU, pgCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in := mk(i)
		if dups {
			if _, err := svc.Ingest(ctx, u.ID, in); err != nil {
				b.Fatal(err)
			}
			in.IdempotencyKey += "-again"
		}
		p0 := backendCPU(postmaster, dbName) // first, so that reading /proc is not counted as ours
		g0 := selfCPU()
		b.StartTimer()
		res, err := svc.Ingest(ctx, u.ID, in)
		b.StopTimer()
		goCPU += selfCPU() - g0
		pgCPU += backendCPU(postmaster, dbName) - p0
		if err != nil {
			b.Fatal(err)
		}
		if dups && (res.Accepted != 0 || res.Duplicates != size) || !dups && (res.Accepted != size || res.Duplicates != 0) || len(res.Rejected) != 0 {
			b.Fatalf("accepted %d, duplicates %d, rejected %v", res.Accepted, res.Duplicates, res.Rejected)
		}
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(size * b.N)
	b.ReportMetric(float64(goCPU.Microseconds())/n, "go-µs/sample")
	b.ReportMetric(float64(pgCPU.Microseconds())/n, "pg-µs/sample")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-µs/batch")
	b.ReportMetric(n/b.Elapsed().Seconds(), "samples/s")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time of the server's backends connected to database name: the statements' work,
// without the background writers and autovacuum, whose timing is their own.
func backendCPU(postmaster int, name string) time.Duration {
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	var ticks int64
	parent := strconv.Itoa(postmaster)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
		if len(f) < 13 || f[1] != parent {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err != nil || !strings.Contains(string(cmd), " "+name+" ") {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * tick
}
