package bench

import (
	"bytes"
	"strings"
	"testing"
)

// A run whose first upload or server COPY lost more than stealWarnShare of the machine to other guests says so in
// its headline; a quiet run does not, and lists the passes' steal only where there was any.
func TestHeadlineWarnsOfStealTime(t *testing.T) {
	report := func(uploadSteal, copySteal float64) string {
		rep := &Report{Machine: Machine{CPUs: 2}, Ratios: map[string]float64{"first_vs_server_copy": 0.7},
			Ingest: map[string]Phase{
				"first_upload": {Items: 1000, Seconds: 10, PerSecond: 100, Steal: uploadSteal},
				"server_copy":  {Items: 1000, Seconds: 5, PerSecond: 200, Steal: copySteal},
			}}
		var b bytes.Buffer
		WriteMarkdown(&b, rep)
		return b.String()
	}
	quiet := report(0, 0)
	if strings.Contains(quiet, "host was busy") || strings.Contains(quiet, "Steal time during each pass") {
		t.Errorf("a run without steal time warns:\n%s", quiet)
	}
	// 0.4 s of 20 CPU seconds is 2 %: listed, not warned of.
	small := report(0.4, 0)
	if strings.Contains(small, "host was busy") || !strings.Contains(small, "first_upload 0.40 s (2.0 %)") {
		t.Errorf("2 %% steal in the upload:\n%s", small)
	}
	// 0.4 s of 10 CPU seconds in the COPY is 4 %: listed, not warned of; 0.8 s is 8 %: the headline warns and
	// names the pass.
	if some := report(0, 0.4); strings.Contains(some, "host was busy") {
		t.Errorf("4 %% steal in the server COPY warns:\n%s", some)
	}
	busy := report(0, 0.8)
	if !strings.Contains(busy, "host was busy") || !strings.Contains(busy, "server_copy 0.80 s (8.0 %)") {
		t.Errorf("8 %% steal in the server COPY:\n%s", busy)
	}
}

// Steal is the eighth number of the first line of /proc/stat, in clock ticks.
func TestStealOfProcStat(t *testing.T) {
	for _, c := range []struct {
		stat string
		want float64
	}{
		{"cpu  154661 0 44745 107977 4705 0 813 416 0 0\ncpu0 77330 0 22372 53988 2352 0 406 208 0 0\n", 4.16},
		{"cpu  1 2 3 4 5 6 7 0 0 0\n", 0},
		{"cpu  1 2 3 4 5 6 7\n", 0},        // a kernel too old to count steal
		{"cpu0 1 2 3 4 5 6 7 99 0 0\n", 0}, // not the machine's line
	} {
		if got := stealOf(c.stat); got != c.want {
			t.Errorf("stealOf(%q) = %v, want %v", c.stat, got, c.want)
		}
	}
}
