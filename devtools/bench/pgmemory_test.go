package bench_test

import (
	"io"
	"testing"

	"healthsync/devtools/bench"
)

// auto sizes PostgreSQL's memory only for runs that reach bench.SizedFrom rows, the same for every level of the
// run (empty included), so that a level's ratio to empty compares one configuration; an unknown mode is refused.
func TestPGMemorySettings(t *testing.T) {
	for _, c := range []struct {
		mode   string
		growth []int64
		want   string
		shared string
	}{
		{"auto", []int64{1_000_000, 10_000_000}, "default", ""},
		{"auto", nil, "default", ""},
		{"auto", []int64{10_000_000, 100_000_000}, "sized", "6GB"},
		{"", []int64{30_000_000}, "sized", "6GB"},
		{"default", []int64{100_000_000}, "default", ""},
		{"sized", nil, "sized", "6GB"},
		{"1GB", []int64{100_000_000}, "1GB", "1GB"},
		{"512MB", nil, "512MB", "512MB"},
	} {
		got, settings, err := bench.PGMemorySettings(c.mode, c.growth)
		if err != nil || got != c.want || settings["shared_buffers"] != c.shared {
			t.Errorf("%q %v: %q %v %v, want %q with shared_buffers %q", c.mode, c.growth, got, settings, err, c.want, c.shared)
		}
	}
	for _, bad := range []string{"huge", "1TB", "0GB", "1 GB", "1gb", "1GB;fsync=off"} {
		if _, _, err := bench.PGMemorySettings(bad, nil); err == nil {
			t.Errorf("--pg-memory %q accepted", bad)
		}
	}
	if _, err := bench.ParseFlags([]string{"--pg-memory", "lots"}, io.Discard); err == nil {
		t.Error("ParseFlags accepted --pg-memory lots")
	}
	o, err := bench.ParseFlags([]string{"--growth", "10M,30M,100M"}, io.Discard)
	if err != nil || o.PGMemory != bench.PGMemoryAuto {
		t.Errorf("default --pg-memory = %q (%v), want auto", o.PGMemory, err)
	}
}
