package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"healthsync/devtools/bench/gen"
)

// Options are `healthsync-bench`'s flags.
type Options struct {
	Users       int
	Years       float64
	BatchSize   int
	Concurrency int
	ReadYears   float64 // data of the user the reads run on
	ReadReps    int
	// GrowthRows are the samples-table sizes (besides empty) at which the ingest rate is measured again; empty
	// skips growth.
	GrowthRows   []int64
	ProbeBatches int // batches uploaded at each growth level
	GrowthDays   int // days of data per prefilled user
	Seed         uint64
	Out          string // JSON report; "" writes none
	DatabaseURL  string // "" starts a private PostgreSQL in a temp folder
	TempDir      string // parent of the run's temp folder; "" = os.TempDir()
	// ServerBin is the healthsync binary the benchmark runs as `serve` in a child process, so that the server's
	// memory and CPU are measured alone; "" (or InProcess) wires the server inside the benchmark process.
	// ParseFlags defaults it to bin/healthsync, where `make build` puts it.
	ServerBin string
	InProcess bool
	// CPUProfile, when set with InProcess, is where the first upload's CPU profile goes (server and client).
	CPUProfile string
	// CPUProfileDuplicates, when set with InProcess, is where the CPU profile of the duplicates pass goes (the
	// same bodies under new keys): what recognising repeats costs, apart from the first upload's inserts.
	CPUProfileDuplicates string
	// MemProfile, when set with InProcess, is where the allocations of the first upload go (server and client).
	MemProfile string
	// Statements preloads pg_stat_statements (and auto_explain) on the private PostgreSQL and reports each
	// statement's share of PostgreSQL's time per batch of the first upload. Instrumentation costs: the pass's
	// rates are then not comparable to a run without it.
	Statements bool
	// ServerEnv adds KEY=VALUE settings to the child server's environment (e.g. GOGC, GOMEMLIMIT).
	ServerEnv []string
	// PGMemory is how the private PostgreSQL's memory is set: PGMemoryAuto, PGMemoryDefault or PGMemorySized.
	PGMemory string
	Log      *slog.Logger
}

// DefaultOptions fit a `make bench` in well under 15 minutes on 2 cores.
func DefaultOptions() Options {
	return Options{Users: 4, Years: 1, BatchSize: 5000, Concurrency: 4, ReadYears: 3, ReadReps: 30,
		GrowthRows: []int64{1_000_000, 10_000_000}, ProbeBatches: 40, GrowthDays: 730, Seed: 2026, Out: "devtools/bench/results/latest.json",
		PGMemory: PGMemoryAuto}
}

// ParseFlags reads the command line of `healthsync-bench` over DefaultOptions.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Users, "users", o.Users, "users whose data is uploaded")
	fs.Float64Var(&o.Years, "years", o.Years, "years of data per user")
	fs.IntVar(&o.BatchSize, "batch-size", o.BatchSize, "items per ingestBatch")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "concurrent uploads (and baseline writers)")
	fs.Float64Var(&o.ReadYears, "read-years", o.ReadYears, "years of data of the user the reads run on")
	fs.IntVar(&o.ReadReps, "read-reps", o.ReadReps, "timed repetitions of each read and its naive SQL")
	fs.IntVar(&o.ProbeBatches, "growth-batches", o.ProbeBatches, "batches uploaded at each growth level")
	fs.IntVar(&o.GrowthDays, "growth-days", o.GrowthDays, "days of data per prefilled user (PrefillPerDay samples a day)")
	growth := fs.String("growth", "1M,10M", "samples-table sizes to measure ingest at besides empty (e.g. 1M or 1M,10M); \"none\" skips")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "generator seed")
	fs.StringVar(&o.Out, "out", o.Out, "JSON report file (\"\" for none)")
	fs.StringVar(&o.ServerBin, "server", "bin/healthsync", "the healthsync binary run as its serve command in a child process (make build writes bin/healthsync)")
	fs.BoolVar(&o.InProcess, "in-process", o.InProcess, "run the server inside the benchmark process (for profiling) instead of as a child `healthsync serve`")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write a CPU profile of the first upload to this file (needs --in-process)")
	fs.StringVar(&o.CPUProfileDuplicates, "cpuprofile-duplicates", o.CPUProfileDuplicates, "write a CPU profile of the duplicates pass (same bodies, new keys) to this file (needs --in-process)")
	fs.StringVar(&o.MemProfile, "memprofile", o.MemProfile, "write an allocation profile of the first upload to this file (needs --in-process)")
	fs.BoolVar(&o.Statements, "statements", o.Statements, "report each SQL statement's share of PostgreSQL's time per batch of the first upload (pg_stat_statements; auto_explain logs plans over 500 ms)")
	fs.StringVar(&o.PGMemory, "pg-memory", o.PGMemory, "the private PostgreSQL's memory: default (PostgreSQL's), sized (6GB shared_buffers, 16GB effective_cache_size, 1GB maintenance_work_mem) auto (sized when a growth level is 30M rows or more) or a size such as 1GB (shared_buffers alone)")
	serverEnv := fs.String("server-env", "", "comma-separated KEY=VALUE settings for the child server's environment (e.g. GOGC=50,GOMEMLIMIT=200MiB)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	g, err := parseSizes(*growth)
	if err != nil {
		return o, err
	}
	o.GrowthRows = g
	for _, kv := range strings.Split(*serverEnv, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if !strings.Contains(kv, "=") {
				return o, fmt.Errorf("bench: --server-env wants KEY=VALUE, got %q", kv)
			}
			o.ServerEnv = append(o.ServerEnv, kv)
		}
	}
	if _, _, err := PGMemorySettings(o.PGMemory, o.GrowthRows); err != nil {
		return o, err
	}
	if (o.CPUProfile != "" || o.CPUProfileDuplicates != "" || o.MemProfile != "") && !o.InProcess {
		return o, errors.New("bench: --cpuprofile, --cpuprofile-duplicates and --memprofile profile this process: add --in-process")
	}
	if o.Users < 1 || o.Years <= 0 || o.BatchSize < 1 || o.Concurrency < 1 || o.ReadYears <= 0 || o.ReadReps < 1 || o.ProbeBatches < 1 || o.GrowthDays < 1 {
		return o, errors.New("bench: users, years, batch-size, concurrency, read-years, read-reps, growth-batches and growth-days must be positive")
	}
	return o, nil
}

func parseSizes(s string) ([]int64, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []int64
	for _, part := range bytes.Split([]byte(s), []byte(",")) {
		p := string(bytes.TrimSpace(part))
		mult := int64(1)
		switch {
		case len(p) > 1 && (p[len(p)-1] == 'M' || p[len(p)-1] == 'm'):
			mult, p = 1_000_000, p[:len(p)-1]
		case len(p) > 1 && (p[len(p)-1] == 'K' || p[len(p)-1] == 'k'):
			mult, p = 1_000, p[:len(p)-1]
		}
		var v float64
		if _, err := fmt.Sscanf(p, "%g", &v); err != nil || v <= 0 {
			return nil, fmt.Errorf("bench: bad growth size %q", part)
		}
		out = append(out, int64(v*float64(mult)))
	}
	return out, nil
}

// Report is the JSON result of a run.
type Report struct {
	StartedAt time.Time          `json:"started_at"`
	Seconds   float64            `json:"seconds"`
	Machine   Machine            `json:"machine"`
	Settings  map[string]any     `json:"settings"`
	Data      Data               `json:"data"`
	Ingest    map[string]Phase   `json:"ingest"`
	Ratios    map[string]float64 `json:"ratios"`
	Memory    Memory             `json:"memory"`
	Reads     []Read             `json:"reads"`
	Growth    []Level            `json:"growth"`
	// Statements are the first upload's SQL statements by their share of PostgreSQL's time (--statements).
	Statements []Statement `json:"statements,omitempty"`
	Notes      []string    `json:"notes"`
}

// Machine is where the run happened.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	MemoryMB   int64  `json:"memory_mb"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	PostgreSQL string `json:"postgresql"`
}

// Data is what was uploaded.
type Data struct {
	Users      int     `json:"users"`
	Days       int     `json:"days_per_user"`
	Batches    int     `json:"batches"`
	Items      int     `json:"items"`
	Samples    int     `json:"quantity_samples"`
	Categories int     `json:"category_samples"`
	Workouts   int     `json:"workouts"`
	BodyBytes  int64   `json:"body_bytes"`
	GenSeconds float64 `json:"generate_seconds"`
}

// Phase is one timed pass over the batches.
type Phase struct {
	Items     int     `json:"items"`
	Batches   int     `json:"batches"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"items_per_second"`
	Latency   Dist    `json:"batch_latency"`
	// CPU time spent during the pass: the server process (for the baselines: the benchmark process, which
	// encodes and sends the rows) and all of PostgreSQL's processes. Less noisy than rates on a shared machine.
	GoCPU       float64 `json:"go_cpu_seconds,omitempty"`
	PostgresCPU float64 `json:"postgres_cpu_seconds,omitempty"`
	// Steal is the machine's steal time during the pass (StealSeconds), all CPUs together: where it is more
	// than a few percent of the pass's seconds × CPUs, another guest on the host slowed the pass.
	Steal float64 `json:"steal_seconds,omitempty"`
	// WAL is what PostgreSQL logged during the pass (pg_stat_wal, the whole server), nil where unreadable.
	WAL *WAL `json:"wal,omitempty"`
}

// WAL is the write-ahead log a pass wrote: records, full-page images and bytes. Per row it shows how much
// more an INSERT logs than COPY for the same rows (COPY logs a page of heap rows as one record).
type WAL struct {
	Records int64 `json:"records"`
	FPI     int64 `json:"full_page_images"`
	Bytes   int64 `json:"bytes"`
}

// Memory is resident memory during the HTTP phases.
type Memory struct {
	GoPeakMB       map[string]float64 `json:"go_process_peak_rss_mb"`
	GoPeakExact    bool               `json:"go_peak_is_per_phase"`
	PostgresPeakMB map[string]float64 `json:"postgres_peak_pss_mb,omitempty"`
	GoRunPeakMB    float64            `json:"go_process_peak_rss_whole_run_mb"`
	// ServerAlone says GoPeakMB is the peak of the `healthsync serve` child process alone (else the benchmark
	// process with the server in it).
	ServerAlone bool `json:"go_peak_is_server_alone"`
}

// Read is one dashboard read beside its naive SQL.
type Read struct {
	Name    string  `json:"name"`
	API     Dist    `json:"api"`
	Naive   Dist    `json:"naive_sql"`
	Speedup float64 `json:"naive_p50_over_api_p50"`
	Result  int     `json:"result_size"`
	// Aligned is the read of the same length on local midnights or whole hours that this rolling-range read is
	// measured against, in the same run; VsAligned and VsAlignedP95 are API p50 (p95) over its API p50 (p95).
	Aligned      string  `json:"aligned_read,omitempty"`
	VsAligned    float64 `json:"api_p50_over_aligned_p50,omitempty"`
	VsAlignedP95 float64 `json:"api_p95_over_aligned_p95,omitempty"`
}

// Level is the ingest rate with the samples table already holding Rows rows.
type Level struct {
	Rows        int64   `json:"rows_before"`
	Phase       Phase   `json:"ingest"`
	VsEmpty     float64 `json:"rate_vs_empty"`
	PrefillSecs float64 `json:"prefill_seconds"`
	DiskMB      int64   `json:"database_mb"`
	// Reads are the read set's API calls at this size, against the same calls at the empty level.
	Reads []GrowthRead `json:"reads,omitempty"`
}

// GrowthRead is one read at one growth level.
type GrowthRead struct {
	Name       string  `json:"name"`
	API        Dist    `json:"api"`
	P50VsEmpty float64 `json:"p50_vs_empty"`
	P95VsEmpty float64 `json:"p95_vs_empty"`
}

// job is one prepared upload.
type job struct {
	path    string
	key     string
	subject string
	items   int
	samples int
	ref     gen.Ref
}

type runner struct {
	o     Options
	log   *slog.Logger
	dir   string
	db    *database
	app   *app
	g     *gen.Generator
	users []*gen.User
	jobs  []job
	rep   *Report
	// runPeakKB is the largest VmHWM seen before any reset: the whole run's peak.
	runPeakKB int64
}

// Run performs the whole benchmark and writes the table to stdout and the JSON to o.Out.
func Run(ctx context.Context, o Options, stdout io.Writer) (*Report, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	start := time.Now()
	dir, err := os.MkdirTemp(o.TempDir, "healthsync-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: temp folder: %w", err)
	}
	defer os.RemoveAll(dir)
	r := &runner{o: o, log: log, dir: dir, rep: &Report{StartedAt: start.UTC(), Ingest: map[string]Phase{},
		Ratios: map[string]float64{}, Memory: Memory{GoPeakMB: map[string]float64{}, PostgresPeakMB: map[string]float64{}}}}
	r.rep.Settings = map[string]any{"users": o.Users, "years": o.Years, "batch_size": o.BatchSize, "concurrency": o.Concurrency,
		"read_years": o.ReadYears, "read_reps": o.ReadReps, "growth_rows": o.GrowthRows, "growth_batches": o.ProbeBatches,
		"seed": o.Seed, "database": map[bool]string{true: "DATABASE_URL", false: "private PostgreSQL (pgembed)"}[o.DatabaseURL != ""]}
	memMode, memSettings, err := PGMemorySettings(o.PGMemory, o.GrowthRows)
	if err != nil {
		return nil, err
	}
	if o.DatabaseURL != "" {
		memMode = "the server's own (DATABASE_URL)"
	}
	r.rep.Settings["pg_memory"] = memMode
	if r.db, err = openDatabase(ctx, o.DatabaseURL, dir, o.Statements, memSettings, log); err != nil {
		return nil, err
	}
	defer r.db.stop()
	if r.app, err = startApp(ctx, r.appConfig(r.db.dsn), log); err != nil {
		return nil, err
	}
	defer func() { r.app.close() }()
	r.machine(ctx)
	var stored int
	if err := r.app.sql.GetContext(ctx, &stored, `SELECT count(*) FROM (SELECT 1 FROM samples LIMIT 1) x`); err != nil {
		return nil, err
	}
	if stored != 0 {
		return nil, errors.New("bench: the database already holds samples; point DATABASE_URL at an empty database")
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"generate", r.generate},
		{"ingest", r.ingestPhases},
		{"baselines", r.baselines},
		{"reads", r.reads},
		{"growth", r.growth},
	}
	for _, s := range steps {
		t := time.Now()
		log.Info("bench: "+s.name, "elapsed", time.Since(start).Round(time.Second))
		if err := s.fn(ctx); err != nil {
			return r.rep, fmt.Errorf("bench %s: %w", s.name, err)
		}
		log.Info("bench: "+s.name+" done", "took", time.Since(t).Round(100*time.Millisecond))
	}
	r.runPeakKB = max(r.runPeakKB, procStatusKB("self", "VmHWM"))
	r.rep.Memory.GoRunPeakMB = round(float64(r.runPeakKB)/1024, 1)
	r.rep.Seconds = round(time.Since(start).Seconds(), 1)
	if o.Out != "" {
		if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
			return r.rep, fmt.Errorf("bench: %w", err)
		}
		b, _ := json.MarshalIndent(r.rep, "", "  ")
		if err := os.WriteFile(o.Out, append(b, '\n'), 0o644); err != nil {
			return r.rep, fmt.Errorf("bench: write report: %w", err)
		}
	}
	WriteMarkdown(stdout, r.rep)
	return r.rep, nil
}

// appConfig is how the run's servers start.
func (r *runner) appConfig(dsn string) appConfig {
	c := appConfig{dsn: dsn, maxItems: r.o.BatchSize, conns: r.o.Concurrency, dir: r.dir}
	if !r.o.InProcess {
		c.serverBin, c.serverEnv = r.o.ServerBin, r.o.ServerEnv
	}
	return c
}

func (r *runner) machine(ctx context.Context) {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		MemoryMB: procMeminfoMB()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
				m.CPUModel = string(bytes.TrimSpace(v))
				break
			}
		}
	}
	_ = r.app.sql.GetContext(ctx, &m.PostgreSQL, `SELECT current_setting('server_version')`)
	r.rep.Machine = m
}

func procMeminfoMB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	return scanKB(f, "MemTotal:") / 1024
}

func days(years float64) int { return max(1, int(math.Round(years*365))) }

// generate writes every batch's request body to the temp folder, so uploads read files instead of holding the
// data in the process whose memory we measure.
func (r *runner) generate(ctx context.Context) error {
	t := time.Now()
	r.g = gen.New(gen.Config{Seed: r.o.Seed, Days: days(r.o.Years)})
	perUser := make([][]job, r.o.Users)
	for u := range r.o.Users {
		user := r.g.User(u)
		r.users = append(r.users, user)
		if _, err := r.app.token(user.Subject); err != nil {
			return err
		}
	}
	var bytesTotal atomic.Int64
	err := parallel(ctx, r.o.Users, min(r.o.Users, runtime.NumCPU()), func(ctx context.Context, u int) error {
		var err error
		perUser[u], err = r.writeBodies(r.g, r.users[u], "main", 0, &bytesTotal)
		return err
	})
	if err != nil {
		return err
	}
	// Interleave users so that concurrent uploads come from different phones, as on a real server.
	for i := 0; ; i++ {
		added := false
		for u := range perUser {
			if i < len(perUser[u]) {
				r.jobs = append(r.jobs, perUser[u][i])
				added = true
			}
		}
		if !added {
			break
		}
	}
	d := &r.rep.Data
	d.Users, d.Days, d.Batches, d.BodyBytes = r.o.Users, r.g.Days(), len(r.jobs), bytesTotal.Load()
	for _, j := range r.jobs {
		d.Items += j.items
		d.Samples += j.ref.Samples
		d.Categories += j.ref.Categories
		d.Workouts += j.ref.Workouts
	}
	d.GenSeconds = round(time.Since(t).Seconds(), 1)
	return nil
}

// writeBodies plans user's batches (at most limit, 0 = all) and writes their bodies.
func (r *runner) writeBodies(g *gen.Generator, user *gen.User, tag string, limit int, total *atomic.Int64) ([]job, error) {
	refs := g.Plan(user, r.o.BatchSize)
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	out := make([]job, 0, len(refs))
	for _, ref := range refs {
		key := ref.Key(r.o.Seed)
		body, err := Body(g.Batch(user, ref), key)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(r.dir, fmt.Sprintf("%s-u%d-b%d.json", tag, ref.User, ref.Index))
		if err := os.WriteFile(path, body, 0o600); err != nil {
			return nil, fmt.Errorf("write body: %w", err)
		}
		total.Add(int64(len(body)))
		out = append(out, job{path: path, key: key, subject: user.Subject, items: ref.Items, samples: ref.Samples, ref: ref})
	}
	return out, nil
}

// parallel runs fn(0…n-1) on workers goroutines; the first error stops the rest.
func parallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// timed runs n units of work on workers goroutines and returns the phase: wall time over all, latency per unit.
// work returns the unit's item count and its own latency (the part that is the measured operation).
func timed(ctx context.Context, n, workers int, work func(context.Context, int) (int, time.Duration, error)) (Phase, error) {
	lat := make([]time.Duration, n)
	var items atomic.Int64
	t := time.Now()
	err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		k, d, err := work(ctx, i)
		lat[i] = d
		items.Add(int64(k))
		return err
	})
	el := time.Since(t)
	if err != nil {
		return Phase{}, err
	}
	p := Phase{Items: int(items.Load()), Batches: n, Seconds: round(el.Seconds(), 2), Latency: distOf(lat)}
	p.PerSecond = math.Round(float64(p.Items) / el.Seconds())
	return p, nil
}

// upload posts every job's body (transformed, when keyOf is set, to carry another idempotency key) and checks
// each answer with check. While it runs it samples PostgreSQL's memory; it records the Go process's peak too.
func (r *runner) upload(ctx context.Context, a *app, name string, jobs []job, keyOf func(job) string, check func(job, Answer) error) (Phase, error) {
	r.quiesce(ctx, a)
	pid := a.serverPID()
	r.runPeakKB = max(r.runPeakKB, procStatusKB("self", "VmHWM"))
	exact := resetPeakRSS(pid)
	r.rep.Memory.GoPeakExact = exact
	r.rep.Memory.ServerAlone = a.proc != nil
	stopPG := r.samplePG(name)
	cpu := r.cpuMeter(pid)
	wal := r.walMeter(ctx)
	p, err := timed(ctx, len(jobs), r.o.Concurrency, func(ctx context.Context, i int) (int, time.Duration, error) {
		j := jobs[i]
		body, err := os.ReadFile(j.path)
		if err != nil {
			return 0, 0, err
		}
		if keyOf != nil {
			body = bytes.Replace(body, []byte(`"idempotencyKey":"`+j.key+`"`), []byte(`"idempotencyKey":"`+keyOf(j)+`"`), 1)
		}
		tok := a.tokens[j.subject]
		t := time.Now()
		ans, err := a.ingest(ctx, tok, body)
		d := time.Since(t)
		if err != nil {
			return 0, d, fmt.Errorf("%s batch %s: %w", name, j.key, err)
		}
		if err := check(j, ans); err != nil {
			return 0, d, fmt.Errorf("%s batch %s: %w", name, j.key, err)
		}
		return j.items, d, nil
	})
	stopPG()
	p.GoCPU, p.PostgresCPU, p.Steal = cpu()
	p.WAL = wal()
	r.rep.Memory.GoPeakMB[name] = round(float64(procStatusKB(pid, "VmHWM"))/1024, 1)
	return p, err
}

// walMeter reads pg_stat_wal now; the returned function reports what was logged since, or nil when the view
// cannot be read (PostgreSQL before 14).
func (r *runner) walMeter(ctx context.Context) func() *WAL {
	read := func() (WAL, error) {
		var w WAL
		err := r.app.sql.QueryRowContext(ctx, `SELECT wal_records, wal_fpi, wal_bytes::bigint FROM pg_stat_wal`).Scan(&w.Records, &w.FPI, &w.Bytes)
		return w, err
	}
	w0, err0 := read()
	return func() *WAL {
		w1, err := read()
		if err0 != nil || err != nil {
			return nil
		}
		return &WAL{Records: w1.Records - w0.Records, FPI: w1.FPI - w0.FPI, Bytes: w1.Bytes - w0.Bytes}
	}
}

// cpuMeter starts counting the CPU time of the Go process pid and of PostgreSQL, and the machine's steal time;
// the returned function stops and reports the three in seconds.
func (r *runner) cpuMeter(pid string) func() (goSecs, pgSecs, steal float64) {
	pg := r.db.postmasterPID()
	g0, p0, s0 := cpuSeconds(pid, false), treeCPUSeconds(pg), StealSeconds()
	return func() (float64, float64, float64) {
		return round(cpuSeconds(pid, false)-g0, 2), round(treeCPUSeconds(pg)-p0, 2), round(StealSeconds()-s0, 2)
	}
}

// quiesce flushes the previous pass's dirty pages before a timed pass, so a checkpoint it caused does not land
// in the next one. Best effort: CHECKPOINT needs a superuser (or pg_checkpoint) role.
func (r *runner) quiesce(ctx context.Context, a *app) {
	if _, err := a.sql.ExecContext(ctx, `CHECKPOINT`); err != nil {
		r.log.Debug("bench: checkpoint before a pass", "err", err)
	}
}

// samplePG records the peak proportional memory of the private PostgreSQL's processes until the returned stop.
// Reading every process's smaps_rollup costs CPU on the cores we measure (at 4 Hz it was a tenth of a pass's
// profile), so it samples once a second, and the baselines run with it too, so that every pass pays alike.
func (r *runner) samplePG(name string) func() {
	pid := r.db.postmasterPID()
	if pid == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			peak = max(peak, treePSSKB(pid))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if peak > 0 {
			r.rep.Memory.PostgresPeakMB[name] = round(float64(peak)/1024, 1)
		}
	}
}

func (r *runner) ingestPhases(ctx context.Context) error {
	if r.o.CPUProfile != "" {
		f, err := os.Create(r.o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	if r.o.MemProfile != "" {
		// The profile counts from the process's start: the first upload's own is this one minus the base
		// (go tool pprof -sample_index=alloc_space -diff_base FILE.base FILE).
		runtime.MemProfileRate = 64 << 10
		if err := writeHeapProfile(r.o.MemProfile + ".base"); err != nil {
			return err
		}
	}
	stmts := r.o.Statements && r.statementsStart(ctx)
	first, err := r.upload(ctx, r.app, "first_upload", r.jobs, nil, func(j job, a Answer) error { return expect(a, false, j.items, 0) })
	if err != nil {
		return err
	}
	pprof.StopCPUProfile()
	if r.o.MemProfile != "" {
		if err := writeHeapProfile(r.o.MemProfile); err != nil {
			return err
		}
	}
	if stmts {
		if err := r.statementsReport(ctx, len(r.jobs)); err != nil {
			return err
		}
	}
	r.rep.Ingest["first_upload"] = first
	replay, err := r.upload(ctx, r.app, "replay", r.jobs, nil, func(j job, a Answer) error { return expect(a, true, j.items, 0) })
	if err != nil {
		return err
	}
	r.rep.Ingest["replay"] = replay
	stop, err := startCPUProfile(r.o.CPUProfileDuplicates)
	if err != nil {
		return err
	}
	dups, err := r.upload(ctx, r.app, "duplicates", r.jobs, func(j job) string { return j.key + "-again" },
		func(j job, a Answer) error { return expect(a, false, 0, j.items) })
	stop()
	if err != nil {
		return err
	}
	r.rep.Ingest["duplicates"] = dups
	r.rep.Ratios["replay_vs_first"] = ratio(replay.PerSecond, first.PerSecond)
	r.rep.Ratios["duplicates_vs_first"] = ratio(dups.PerSecond, first.PerSecond)
	// By CPU as well: on a shared machine the wall-clock ratios move with the other jobs.
	r.rep.Ratios["replay_per_cpu_vs_first"] = ratio(perCPU(replay), perCPU(first))
	r.rep.Ratios["duplicates_per_cpu_vs_first"] = ratio(perCPU(dups), perCPU(first))
	return nil
}

// startCPUProfile starts a CPU profile of this process into path ("" = none) and returns what stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeHeapProfile writes the allocations so far (alloc_space and alloc_objects are what a pass allocated).
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// sourceIDs maps each user's generated sources to the ids the server gave them.
func (r *runner) sourceIDs(ctx context.Context, users []*gen.User) (map[int]int64, map[*gen.Source]int64, error) {
	userIDs, srcIDs := map[int]int64{}, map[*gen.Source]int64{}
	for _, u := range users {
		var id int64
		if err := r.app.sql.GetContext(ctx, &id, `SELECT id FROM users WHERE subject = $1`, u.Subject); err != nil {
			return nil, nil, fmt.Errorf("user %s: %w", u.Subject, err)
		}
		userIDs[u.Index] = id
		for _, s := range []*gen.Source{u.Watch, u.Phone, u.Health} {
			// As a superuser (the private server) row-level security does not hide the rows; elsewhere an id of
			// the right size is as good for the baseline.
			var sid int64
			if err := r.app.sql.GetContext(ctx, &sid, `SELECT source_id FROM sources WHERE user_id = $1 AND bundle_id = $2`, id, s.BundleID); err != nil {
				sid = int64(len(srcIDs) + 1)
			}
			srcIDs[s] = sid
		}
	}
	return userIDs, srcIDs, nil
}

// baselines writes the same normalized rows as the first upload, batch by batch and as concurrently, by COPY and
// by INSERT … SELECT unnest … ON CONFLICT DO NOTHING, into empty copies of samples.
func (r *runner) baselines(ctx context.Context) error {
	userIDs, srcIDs, err := r.sourceIDs(ctx, r.users)
	if err != nil {
		return err
	}
	rows := make([][]Row, len(r.jobs))
	total := 0
	err = parallel(ctx, len(r.jobs), runtime.NumCPU(), func(ctx context.Context, i int) error {
		j := r.jobs[i]
		u := r.users[j.ref.User]
		var err error
		rows[i], err = Rows(r.app.cat, r.g.Batch(u, j.ref), userIDs[u.Index], func(s *gen.Source) int64 { return srcIDs[s] })
		return err
	})
	if err != nil {
		return err
	}
	for _, rs := range rows {
		total += len(rs)
	}
	r.quiesce(ctx, r.app)
	cpu, wal := r.cpuMeter("self"), r.walMeter(ctx)
	stopPG := r.samplePG("copy")
	cp, err := timed(ctx, len(rows), r.o.Concurrency, func(ctx context.Context, i int) (int, time.Duration, error) {
		t := time.Now()
		err := CopyRows(ctx, r.app.sql, CopyTable, rows[i])
		return len(rows[i]), time.Since(t), err
	})
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	stopPG()
	cp.GoCPU, cp.PostgresCPU, cp.Steal = cpu()
	cp.WAL = wal()
	r.quiesce(ctx, r.app)
	cpu, wal = r.cpuMeter("self"), r.walMeter(ctx)
	stopPG = r.samplePG("insert_unnest")
	un, err := timed(ctx, len(rows), r.o.Concurrency, func(ctx context.Context, i int) (int, time.Duration, error) {
		t := time.Now()
		n, err := UnnestRows(ctx, r.app.sql, UnnestTable, rows[i])
		if err == nil && n != len(rows[i]) {
			err = fmt.Errorf("unnest inserted %d of %d rows", n, len(rows[i]))
		}
		return n, time.Since(t), err
	})
	if err != nil {
		return fmt.Errorf("unnest: %w", err)
	}
	stopPG()
	un.GoCPU, un.PostgresCPU, un.Steal = cpu()
	un.WAL = wal()
	for _, t := range []string{CopyTable, UnnestTable} {
		var n int
		if err := r.app.sql.GetContext(ctx, &n, `SELECT count(*) FROM `+quote(t)); err != nil {
			return err
		}
		if n != total {
			return fmt.Errorf("%s holds %d rows, want %d", t, n, total)
		}
	}
	r.rep.Ingest["copy"] = cp
	r.rep.Ingest["insert_unnest"] = un
	first := r.rep.Ingest["first_upload"]
	r.rep.Ratios["first_vs_copy"] = ratio(first.PerSecond, cp.PerSecond)
	r.rep.Ratios["first_vs_insert_unnest"] = ratio(first.PerSecond, un.PerSecond)
	r.rep.Ratios["insert_unnest_vs_copy"] = ratio(un.PerSecond, cp.PerSecond)
	if err := r.serverCopy(ctx); err != nil {
		return err
	}
	// The copies are not needed any more; free their space before reads and growth.
	_, err = r.app.sql.ExecContext(ctx, `TRUNCATE `+quote(CopyTable)+`, `+quote(UnnestTable))
	return err
}
