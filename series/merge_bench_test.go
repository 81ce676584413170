package series

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A year of steps from a watch and a phone that overlap by half: the merge alone, without the database.
func BenchmarkMergeYearOfSteps(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	var samples []Sample
	for t := from; t.Before(to); t = t.Add(10 * time.Minute) {
		if h := t.Hour(); h < 7 || h >= 23 {
			continue
		}
		samples = append(samples,
			Sample{SourceID: watch, Start: t, End: t.Add(10 * time.Minute), Value: float64(r.IntN(400))},
			Sample{SourceID: phone, Start: t.Add(5 * time.Minute), End: t.Add(15 * time.Minute), Value: float64(r.IntN(400))})
	}
	edges, err := Edges(from, to, Day, berlin, MaxBuckets)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Merge(samples, byID, edges, from, to)
	}
	b.ReportMetric(float64(len(samples)*b.N)/b.Elapsed().Seconds(), "samples/s")
}
