package bench_test

import (
	"strings"
	"testing"

	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
	"healthsync/scalar"
)

// BenchmarkPredecodeUpload: the server's first step on an upload, finding and decoding the samples of a
// generated 5,000-item body (scalar.RewriteUpload, as server/predecode.go calls it). No database.
func BenchmarkPredecodeUpload(b *testing.B) {
	g := gen.New(gen.Config{Seed: 2026, Days: 14})
	u := g.User(0)
	ref := g.Plan(u, batchSize)[0]
	body, err := bench.Body(g.Batch(u, ref), ref.Key(2026))
	if err != nil {
		b.Fatal(err)
	}
	isIngest := func(q, _ string) bool { return strings.Contains(q, "IngestBatchInput") }
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, reg := scalar.RewriteUpload(body, isIngest)
		if reg == nil || len(out) >= len(body) {
			b.Fatal("the upload's samples were not predecoded")
		}
	}
	b.ReportMetric(float64(ref.Samples*b.N)/b.Elapsed().Seconds(), "samples/s")
}
