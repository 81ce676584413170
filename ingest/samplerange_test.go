package ingest

import "testing"

func TestSampleRange(t *testing.T) {
	for _, c := range []struct {
		name          string
		value, orig   float64
		meta          map[string]any
		ok            bool
		wantLo, wantH float64
	}{
		{"heart rate", 61.5, 61.5, map[string]any{"min": 52.0, "max": 88.0}, true, 52, 88},
		{"only min", 61.5, 61.5, map[string]any{"min": 52.0}, false, 0, 0},
		{"not numbers", 61.5, 61.5, map[string]any{"min": "52", "max": "88"}, false, 0, 0},
		{"value outside: another meaning", 61.5, 61.5, map[string]any{"min": 70.0, "max": 88.0}, false, 0, 0},
		{"converted unit", 37, 98.6, map[string]any{"min": 97.0, "max": 99.0}, false, 0, 0},
		{"no metadata", 61.5, 61.5, nil, false, 0, 0},
	} {
		lo, hi, ok := SampleRange(c.value, c.orig, c.meta)
		if ok != c.ok || lo != c.wantLo || hi != c.wantH {
			t.Errorf("%s: %v %v %v, want %v %v %v", c.name, lo, hi, ok, c.wantLo, c.wantH, c.ok)
		}
	}
}
