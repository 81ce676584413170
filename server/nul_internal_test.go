package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// BenchmarkNULGuard prices the NUL walk over an upload's variables that are not predecoded (5,000 category
// samples with metadata) against decoding the same variables from JSON, which every request pays before it:
// the ratio of the two is the guard's share.
func BenchmarkNULGuard(b *testing.B) {
	items := make([]map[string]any, 5000)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprintf("AAAAAAAA-0000-4000-8000-%012d", i),
			"type": "HKCategoryTypeIdentifierSleepAnalysis", "value": "HKCategoryValueSleepAnalysisAsleepCore",
			"start": "2026-11-02T01:00:00Z", "end": "2026-11-02T01:30:00Z",
			"source":   map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.8A1B"},
			"metadata": map[string]any{"HKTimeZone": "Europe/Zurich", "HKWasUserEntered": false}}
	}
	raw, _ := json.Marshal(map[string]any{"input": map[string]any{"idempotencyKey": "k", "categorySamples": items}})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	var vars map[string]any
	_ = json.Unmarshal(raw, &vars)
	op := &graphql.OperationContext{Variables: vars}
	for name, ctx := range map[string]context.Context{
		"guard-websocket": context.Background(),
		"guard-scanned":   context.WithValue(context.Background(), scannedKey{}, true), // POST and GET: limitBody scanned the text
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if err := (nulGuard{}).MutateOperationContext(ctx, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
