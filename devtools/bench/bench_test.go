package bench_test

import (
	"context"
	"fmt"
	"testing"

	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
)

// Every benchmark writes batchSize-sample batches; iteration i of a run uses batch i (fresh ids, its own time
// window) unless it measures a repeat on purpose. Inputs are built with the timer stopped, results are checked,
// and each run starts on a fresh clone of the same template on the same server.

func reportRate(b *testing.B) {
	b.ReportMetric(float64(batchSize*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkCopyBaseline: the already-normalized rows through COPY FROM STDIN, one transaction per batch.
func BenchmarkCopyBaseline(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	if err := e.sql.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := toRows(e.userID, 1, genBatch(i, batchSize))
		b.StartTimer()
		if err := copyRows(ctx, e.sql, copyTable, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b)
	if got := e.count(b, copyTable); got != batchSize*b.N {
		b.Fatalf("%s holds %d rows, want %d", copyTable, got, batchSize*b.N)
	}
}

// BenchmarkInsertUnnest: the ingest path's INSERT … SELECT FROM unnest … ON CONFLICT DO NOTHING RETURNING alone,
// on the same rows, one transaction per batch: what our approach could reach if everything around it were free.
func BenchmarkInsertUnnest(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	if err := e.sql.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := toRows(e.userID, 1, genBatch(i, batchSize))
		b.StartTimer()
		n, err := unnestRows(ctx, e.sql, unnestTable, rows)
		if err != nil {
			b.Fatal(err)
		}
		if n != batchSize {
			b.Fatalf("inserted %d rows, want %d", n, batchSize)
		}
	}
	b.StopTimer()
	reportRate(b)
	if got := e.count(b, unnestTable); got != batchSize*b.N {
		b.Fatalf("%s holds %d rows, want %d", unnestTable, got, batchSize*b.N)
	}
}

// BenchmarkServiceIngest: ingest.Service.Ingest with a fresh batch each iteration; no GraphQL, no HTTP.
func BenchmarkServiceIngest(b *testing.B) { benchServiceIngest(b, newEnv(b)) }

func benchServiceIngest(b *testing.B, e *env) {
	ctx := context.Background()
	if _, err := e.svc.Ingest(ctx, e.userID, toBatch(warmKey, warmSamples())); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		batch := toBatch(fmt.Sprintf("batch-%d", i), genBatch(i, batchSize))
		b.StartTimer()
		res, err := e.svc.Ingest(ctx, e.userID, batch)
		if err != nil {
			b.Fatal(err)
		}
		if msg := check(fromResult(res), false, batchSize, 0); msg != "" {
			b.Fatal(msg)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkHTTPIngest: the whole path, a JSON body POSTed to /graphql on a real listener over loopback, with a
// fresh batch each iteration. The client's request and response handling run in this process too.
func BenchmarkHTTPIngest(b *testing.B) {
	e := newEnv(b)
	a := newAPI(b, e)
	ctx := context.Background()
	if _, err := a.post(ctx, toBody(warmKey, warmSamples())); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := toBody(fmt.Sprintf("batch-%d", i), genBatch(i, batchSize))
		b.StartTimer()
		got, err := a.post(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		if msg := check(got, false, batchSize, 0); msg != "" {
			b.Fatal(msg)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkHTTPReplay: a client retrying a batch that was stored (its answer got lost): the same body, the same
// idempotency key. The server still parses and checks the whole body before it finds the stored answer.
func BenchmarkHTTPReplay(b *testing.B) {
	e := newEnv(b)
	a := newAPI(b, e)
	ctx := context.Background()
	body := toBody("batch-0", genBatch(0, batchSize))
	first, err := a.post(ctx, body)
	if err != nil {
		b.Fatal(err)
	}
	if msg := check(first, false, batchSize, 0); msg != "" {
		b.Fatal(msg)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := a.post(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		if msg := check(got, true, batchSize, 0); msg != "" {
			b.Fatal(msg)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkHTTPDuplicates: samples the server already holds under a new idempotency key (a client that lost its
// anchor and re-exports): every sample goes through the write and is counted as a duplicate.
func BenchmarkHTTPDuplicates(b *testing.B) {
	e := newEnv(b)
	a := newAPI(b, e)
	ctx := context.Background()
	samples := genBatch(0, batchSize)
	first, err := a.post(ctx, toBody("batch-0", samples))
	if err != nil {
		b.Fatal(err)
	}
	if msg := check(first, false, batchSize, 0); msg != "" {
		b.Fatal(msg)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		body := toBody(fmt.Sprintf("again-%d", i), samples)
		b.StartTimer()
		got, err := a.post(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		if msg := check(got, false, 0, batchSize); msg != "" {
			b.Fatal(msg)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkHTTPIngestMixed: the whole path with the runner's realistic mixed batches (bench/gen: heart rate,
// overlapping watch and phone steps and distance, energy, HRV, sleep stages, workouts), batchSize items each.
func BenchmarkHTTPIngestMixed(b *testing.B) {
	e := newEnv(b)
	a := newAPI(b, e)
	ctx := context.Background()
	g := gen.New(gen.Config{Seed: genSeed, Days: b.N*batchSize/800 + 2})
	u := g.User(0)
	refs := g.Plan(u, batchSize)
	if len(refs) < b.N+1 {
		b.Fatalf("planned %d batches, need %d", len(refs), b.N+1)
	}
	items := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ref := refs[i]
		body, err := bench.Body(g.Batch(u, ref), ref.Key(genSeed))
		if err != nil {
			b.Fatal(err)
		}
		items += ref.Items
		b.StartTimer()
		got, err := a.post(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		if msg := check(got, false, ref.Items, 0); msg != "" {
			b.Fatal(msg)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}
