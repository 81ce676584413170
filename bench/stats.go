package bench

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dist summarizes repeated durations in milliseconds.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Min float64 `json:"min_ms"`
	Max float64 `json:"max_ms"`
}

// distOf is the nearest-rank distribution of ds.
func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	ms := make([]float64, len(ds))
	for i, d := range ds {
		ms[i] = float64(d.Microseconds()) / 1000
	}
	slices.Sort(ms)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ms)))) - 1
		return round(ms[min(max(i, 0), len(ms)-1)], 2)
	}
	return Dist{N: len(ms), P50: rank(0.5), P95: rank(0.95), P99: rank(0.99), Min: round(ms[0], 2), Max: round(ms[len(ms)-1], 2)}
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 3)
}

// procStatusKB reads a "Name:   123 kB" line of /proc/<pid>/status (pid "self" for us); 0 when unavailable.
func procStatusKB(pid, field string) int64 {
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	return scanKB(f, field+":")
}

func scanKB(f *os.File, prefix string) int64 {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// resetPeakRSS restarts VmHWM from the current resident size (Linux: "5" to clear_refs), so a phase's peak is
// its own. It reports whether the kernel took it.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// treePSSKB is the proportional set size (shared pages split among their users, so the sum is meaningful) of
// process root and all its descendants, in kB; 0 when /proc does not tell us.
func treePSSKB(root int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the parenthesized command: state ppid …
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parent[pid] = ppid
	}
	inTree := func(pid int) bool {
		for range 64 {
			if pid == root {
				return true
			}
			p, ok := parent[pid]
			if !ok || p == 0 {
				return false
			}
			pid = p
		}
		return false
	}
	var total int64
	for pid := range parent {
		if !inTree(pid) {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
		if err != nil {
			continue
		}
		total += scanKB(f, "Pss:")
		f.Close()
	}
	return total
}
