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
// its own (pid "self" for us; a child of ours is ours to reset too). It reports whether the kernel took it.
func resetPeakRSS(pid string) bool {
	return os.WriteFile(filepath.Join("/proc", pid, "clear_refs"), []byte("5"), 0) == nil
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

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on every Linux ABI Go supports).
const clockTicks = 100

// StealSeconds is the machine's steal time so far (/proc/stat): time the hypervisor ran someone else while one of
// our virtual CPUs had work. Another guest's load reaches a virtual machine's figures this way, and nothing the
// benchmark runs can cause it, so it tells a run on a quiet host from one on a busy host. 0 when /proc does not
// tell (no hypervisor counts it, or no Linux).
func StealSeconds() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	return stealOf(string(b))
}

// stealOf reads the steal time, in seconds, off the first line of /proc/stat's text.
func stealOf(stat string) float64 {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	t, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil || t < 0 {
		return 0
	}
	return float64(t) / clockTicks
}

// statFields are the fields of /proc/<pid>/stat after the parenthesized command (state is [0]).
func statFields(pid string) []string {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// cpuSeconds is the user + system CPU time of a process (pid "self" for us); with children, also that of its
// children that have exited and been waited for. 0 when /proc does not tell us.
func cpuSeconds(pid string, children bool) float64 {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	// utime, stime, cutime, cstime are fields 14–17 of stat, [11]–[14] here.
	n := 2
	if children {
		n = 4
	}
	var ticks int64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseInt(v, 10, 64)
		ticks += t
	}
	return float64(ticks) / clockTicks
}

// treeCPUSeconds is the CPU time of root, its live descendants, and the descendants it has reaped (PostgreSQL:
// the postmaster, its backends and workers, and backends that have exited).
func treeCPUSeconds(root int) float64 {
	if root <= 0 {
		return 0
	}
	total := 0.0
	for _, pid := range tree(root) {
		total += cpuSeconds(strconv.Itoa(pid), pid == root)
	}
	return total
}

// tree lists root and its descendants.
func tree(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(e.Name()); len(f) >= 2 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for pid := range parent {
		for p, hops := pid, 0; hops < 64 && p != 0; hops++ {
			if p == root {
				out = append(out, pid)
				break
			}
			p = parent[p]
		}
	}
	return out
}
