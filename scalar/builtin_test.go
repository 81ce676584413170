package scalar

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// The scalars write exactly what gqlgen's own writers write.
func TestFloatAndTimeWriteWhatGqlgenWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 61.5, 1e21, 1e-7, 123456789012345678, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 3.0000000000000004}
	for range 2000 {
		floats = append(floats, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	ctx := context.Background()
	for _, f := range floats {
		var ours, theirs bytes.Buffer
		if err := MarshalFloatContext(f).MarshalGQLContext(ctx, &ours); err != nil {
			t.Fatal(err)
		}
		if err := graphql.MarshalFloatContext(f).MarshalGQLContext(ctx, &theirs); err != nil {
			t.Fatal(err)
		}
		if ours.String() != theirs.String() {
			t.Fatalf("%v: %s, gqlgen %s", f, ours.String(), theirs.String())
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if MarshalFloatContext(f).MarshalGQLContext(ctx, &bytes.Buffer{}) == nil {
			t.Errorf("%v written", f)
		}
	}
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -7*3600)}
	times := []time.Time{time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}
	for range 2000 {
		ns := []int{0, r.IntN(1000) * 1e6, r.IntN(1e9), 1}[r.IntN(4)]
		times = append(times, time.Unix(r.Int64N(4e9), int64(ns)).In(zones[r.IntN(len(zones))]))
	}
	for _, tm := range times {
		var ours, theirs bytes.Buffer
		MarshalTime(tm).MarshalGQL(&ours)
		graphql.MarshalTime(tm).MarshalGQL(&theirs)
		if ours.String() != theirs.String() {
			t.Fatalf("%v: %s, gqlgen %s", tm, ours.String(), theirs.String())
		}
	}
	if MarshalTime(time.Time{}) != graphql.Null {
		t.Error("the zero time is not null")
	}
}
