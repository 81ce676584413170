package whoop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"healthsync/cloud/providers"
)

// BenchmarkMapWorkoutPage maps a full page (25) of decoded workouts, the sport lookup included.
func BenchmarkMapWorkoutPage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "workout_page.json"))
	if err != nil {
		b.Fatal(err)
	}
	var p page[workoutJSON]
	if err := json.Unmarshal(raw, &p); err != nil {
		b.Fatal(err)
	}
	full := make([]workoutJSON, 0, pageLimit)
	for len(full) < pageLimit {
		full = append(full, p.Records[len(full)%len(p.Records)])
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range full {
			if _, ok := mapWorkout(w); !ok {
				b.Fatal("not mapped")
			}
		}
	}
}

// BenchmarkDecodeAndMapSleepPage decodes and maps a page of sleeps as Fetch does.
func BenchmarkDecodeAndMapSleepPage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "sleep_page.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var p page[sleepJSON]
		if err := json.Unmarshal(raw, &p); err != nil {
			b.Fatal(err)
		}
		for _, s := range p.Records {
			mapSleep(s)
		}
	}
}

// BenchmarkWebhook verifies and parses one signed event.
func BenchmarkWebhook(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "webhook_sleep_updated.json"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	req := signed(body, testSecret, now, now)
	cfg := providers.Config{ClientSecret: testSecret}
	a := New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Webhook(cfg, req); err != nil {
			b.Fatal(err)
		}
	}
}
