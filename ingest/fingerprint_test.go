package ingest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestFingerprintSeesEveryChangeButNotTheOffsetSpelling(t *testing.T) {
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	tz := "Europe/Zurich"
	base := func() Batch {
		return Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d", TimeZone: &tz},
			Samples: []QuantitySample{{ID: "a", Type: "HeartRate", Value: 60, Unit: "count/min", Start: at, End: at,
				Source: Source{Name: "W"}, Metadata: map[string]any{"x": 1, "y": "z"}}},
			Deletions: []string{"q"}}
	}
	b0 := base()
	h0, err := b0.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	same := base()
	same.Samples[0].Start = at.In(time.FixedZone("+02", 7200))  // the same instant
	same.Samples[0].Metadata = map[string]any{"y": "z", "x": 1} // the same map
	if h, _ := same.Fingerprint(); !bytes.Equal(h, h0) {
		t.Fatal("the same payload hashed differently")
	}
	changes := map[string]func(b *Batch){
		"value":      func(b *Batch) { b.Samples[0].Value = 61 },
		"NaN":        func(b *Batch) { b.Samples[0].Value = Float(math.NaN()) },
		"unit":       func(b *Batch) { b.Samples[0].Unit = "bpm" },
		"end":        func(b *Batch) { b.Samples[0].End = at.Add(time.Second) },
		"source":     func(b *Batch) { b.Samples[0].Source.BundleID = &tz },
		"metadata":   func(b *Batch) { b.Samples[0].Metadata["x"] = 2 },
		"deletion":   func(b *Batch) { b.Deletions = []string{"r"} },
		"moved item": func(b *Batch) { b.Deletions, b.Samples[0].ID = []string{"a"}, "q" },
		"device tz":  func(b *Batch) { b.Device.TimeZone = nil },
		"workout":    func(b *Batch) { b.Workouts = []Workout{{ID: "w"}} },
		"cursor":     func(b *Batch) { b.Cursors = []Cursor{{Type: "steps", Cursor: "c"}} },
	}
	for name, change := range changes {
		b := base()
		change(&b)
		h, err := b.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(h, h0) {
			t.Errorf("%s: fingerprint did not change", name)
		}
	}
}

// The fingerprint is stored with every idempotency key: a retry that arrives after an upgrade must hash as
// before, so its bytes are pinned (the value comes from the unbuffered implementation of format v2).
func TestFingerprintIsStableAcrossVersions(t *testing.T) {
	tz := "Europe/Zurich"
	b := Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d", TimeZone: &tz}}
	for i := 0; i < 3000; i++ {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		b.Samples = append(b.Samples, QuantitySample{ID: fmt.Sprint(i), Type: "x", Value: Float(i), Unit: "u",
			Start: at, End: at, Source: Source{Name: "w", BundleID: &tz}, Metadata: map[string]any{"a": i, "b": "x"}})
	}
	h, err := b.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(h), "04c9b3cbcb5cf7ab0cc7014d827ca8148c93f905e44a60fdc576a5450a4e4bb3"; got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
}

// Items that alternate between sources (the watch and the phone) hash as the implementation before the
// per-source byte cache did: the cache must only skip encoding, never change a byte.
func TestFingerprintOfAlternatingSourcesIsPinned(t *testing.T) {
	tz, model, other := "Europe/Zurich", "Watch6,1", "iPhone15,2"
	b := Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d", TimeZone: &tz}}
	for i := 0; i < 3000; i++ {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		src := Source{Name: "w", BundleID: &tz, DeviceModel: &model}
		if i%3 == 1 {
			src = Source{Name: "p" + fmt.Sprint(i%2), DeviceModel: &other, Version: &tz}
		}
		b.Samples = append(b.Samples, QuantitySample{ID: fmt.Sprint(i), Type: "x", Value: Float(i), Unit: "u",
			Start: at, End: at, Source: src})
		b.Categories = append(b.Categories, CategorySample{ID: fmt.Sprint(i), Type: "y", Value: "v", Start: at, End: at, Source: src})
	}
	h, err := b.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(h), "e4553a8d63f472f76145350a19db9215ebeaf57beaa7bfbf07506d2b1c635b50"; got != want {
		t.Fatalf("fingerprint %s, want %s (from the encoder without the source cache)", got, want)
	}
}

// A metadata map shared by many samples (as the upload decoder gives them) is encoded once, and hashes and
// stores exactly as separate equal maps do.
func TestFingerprintOfASharedMetadataMap(t *testing.T) {
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	build := func(shared bool) Batch {
		b := Batch{IdempotencyKey: "k", Provider: AppleHealth, Device: Device{ID: "d"}}
		one := map[string]any{"m": 1, "a": "x"}
		for i := 0; i < 6; i++ {
			meta := map[string]any{"m": 1, "a": "x"}
			if shared {
				meta = one
			}
			if i%3 == 2 {
				meta = map[string]any{"other": true}
			}
			b.Samples = append(b.Samples, QuantitySample{ID: fmt.Sprint(i), Type: "HeartRate", Value: 60, Unit: "count/min",
				Start: at, End: at, Source: Source{Name: "W"}, Metadata: meta})
		}
		return b
	}
	var sharedMetas, ownMetas []string
	bs, bo := build(true), build(false)
	hs, err := bs.fingerprint(&sharedMetas)
	if err != nil {
		t.Fatal(err)
	}
	ho, err := bo.fingerprint(&ownMetas)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hs, ho) {
		t.Error("a shared map hashed unlike equal maps of its own")
	}
	want := []string{`{"a":"x","m":1}`, `{"a":"x","m":1}`, `{"other":true}`}
	for i, got := range sharedMetas {
		if got != want[i%3] || ownMetas[i] != got {
			t.Errorf("sample %d: metadata JSON %q (own maps %q), want %q", i, got, ownMetas[i], want[i%3])
		}
	}
}
