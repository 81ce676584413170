package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"healthsync/auth"
	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
	"healthsync/pgembed"
)

// Options are the outside client's flags.
type Options struct {
	Samples       int // heart-rate and step samples uploaded, over all users
	Users         int
	BatchSize     int
	Concurrency   int // uploads in flight
	WarmupBatches int // per server, of a user of its own, before the timed passes
	Seed          uint64
	ServerBin     string // the healthsync binary, run as `serve`
	// DatabaseURL, when set, is healthsync's database (migrated here; it must hold no samples) and
	// PostGraphileURL PostGraphile's (its pgl_bench and pgl_twin schemas are replaced). Unset: a private
	// PostgreSQL in a temp folder with one database each. PostgreSQL's CPU is measured only on the private one.
	DatabaseURL     string
	PostGraphileURL string
	// PostGraphileDir is devtools/outside/postgraphile with its node_modules (npm ci); "" skips PostGraphile.
	PostGraphileDir string
	Node            string // the node binary
	// PGMemory sets the private PostgreSQL's memory as make bench's --pg-memory does: default, sized or a
	// shared_buffers size such as 1GB.
	PGMemory string
	TempDir  string
	Log      *slog.Logger
}

// DefaultOptions are `make bench-outside`'s: 200,000 samples of 4 phones in batches of 5,000, 4 in flight.
func DefaultOptions() Options {
	return Options{Samples: 200_000, Users: 4, BatchSize: 5000, Concurrency: 4, WarmupBatches: 4, Seed: 2026,
		ServerBin: "bin/healthsync", PostGraphileDir: "devtools/outside/postgraphile", Node: "node",
		PGMemory: bench.PGMemoryDefault}
}

// Phase is one timed pass of uploads (or of the server-side COPY) as the outside client saw it.
type Phase struct {
	Samples   int        `json:"samples"`
	Batches   int        `json:"batches"`
	Seconds   float64    `json:"seconds"`
	PerSecond float64    `json:"samples_per_second"`
	Latency   bench.Dist `json:"batch_latency"`
	// CPU during the pass: the server process (healthsync or node; 0 for COPY, which has none) and all of
	// PostgreSQL's processes.
	ServerCPU   float64 `json:"server_cpu_seconds"`
	PostgresCPU float64 `json:"postgres_cpu_seconds"`
	PerCPU      float64 `json:"samples_per_cpu_second,omitempty"`
	// Steal is the machine's steal time during the pass (bench.StealSeconds): another guest on the host.
	Steal     float64 `json:"steal_seconds"`
	PeakRSSMB float64 `json:"server_peak_rss_mb,omitempty"`
}

// Side is one server's passes: healthsync or PostGraphile.
type Side struct {
	Phases map[string]Phase `json:"phases"` // warmup, upload, replay (healthsync), duplicates, server_copy
	// Stored are the rows its table holds after every pass, warm-up user apart; they must be exactly the samples
	// uploaded once.
	Stored       int `json:"stored_rows"`
	WarmupStored int `json:"warmup_rows"`
}

// Report is the run's result.
type Report struct {
	Samples      int                `json:"samples"`
	Batches      int                `json:"batches"`
	BodyBytes    int64              `json:"upload_body_bytes"`
	Healthsync   Side               `json:"healthsync"`
	PostGraphile *Side              `json:"postgraphile,omitempty"`
	Ratios       map[string]float64 `json:"ratios"`
	PGMemory     string             `json:"pg_memory,omitempty"` // of the private PostgreSQL; "" when DATABASE_URL is used
	Notes        []string           `json:"notes,omitempty"`
}

// run is one outside-client run: its temp folder, PostgreSQL and the batches, built once.
type run struct {
	o      Options
	log    *slog.Logger
	dir    string
	pgPID  int // the private PostgreSQL's postmaster; 0 with DatabaseURL
	client *http.Client
	warm   []batch
	main   []batch
	rep    *Report
}

// Run measures healthsync (and PostGraphile, when its folder has node_modules) from outside and writes the
// figures to stdout.
func Run(ctx context.Context, o Options, stdout io.Writer) (*Report, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Samples < 1 || o.Users < 1 || o.BatchSize < 1 || o.Concurrency < 1 || o.WarmupBatches < 0 {
		return nil, errors.New("outside: samples, users, batch size and concurrency must be positive")
	}
	dir, err := os.MkdirTemp(o.TempDir, "healthsync-outside-")
	if err != nil {
		return nil, fmt.Errorf("outside: temp folder: %w", err)
	}
	defer os.RemoveAll(dir)
	r := &run{o: o, log: log, dir: dir, rep: &Report{Ratios: map[string]float64{}},
		client: newHTTPClient(o.Concurrency)}
	hsDSN, pglDSN := o.DatabaseURL, o.PostGraphileURL
	if hsDSN == "" {
		mode, settings, err := bench.PGMemorySettings(o.PGMemory, nil)
		if err != nil {
			return nil, err
		}
		r.rep.PGMemory = mode
		pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: filepath.Join(dir, "pg"), Logger: log, Settings: settings})
		if err != nil {
			return nil, err
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = pg.Stop(ctx)
		}()
		for _, name := range []string{"healthsync", "postgraphile"} {
			if err := pg.EnsureDatabase(ctx, name); err != nil {
				return nil, err
			}
		}
		hsDSN, pglDSN = pg.DSN("healthsync"), pg.DSN("postgraphile")
	}
	if r.pgPID, err = postmasterPID(ctx, hsDSN); err != nil {
		return nil, err
	}
	if r.pgPID == 0 {
		r.note("PostgreSQL's CPU is not measured (its server runs elsewhere): per-CPU-second figures count the server process alone")
	}

	t := time.Now()
	// A generated day holds about 660 heart-rate and step samples; a year is enough up to ~240,000 per phone.
	perUser := (o.Samples + o.Users - 1) / o.Users
	g := gen.New(gen.Config{Seed: o.Seed, Days: max(365, perUser/500+1)})
	users := make([]*gen.User, o.Users)
	for u := range users {
		users[u] = g.User(u)
	}
	if r.main, err = outbox(g, users, perUser, o.BatchSize, o.Seed, "main"); err != nil {
		return nil, err
	}
	if o.WarmupBatches > 0 {
		warm, err := outbox(g, []*gen.User{g.User(o.Users)}, o.WarmupBatches*o.BatchSize, o.BatchSize, o.Seed, "warmup")
		if err != nil {
			return nil, err
		}
		r.warm = warm
	}
	for _, b := range r.main {
		r.rep.Samples += b.samples
		r.rep.BodyBytes += int64(len(b.body))
	}
	r.rep.Batches = len(r.main)
	log.Info("outside: bodies built", "samples", r.rep.Samples, "batches", r.rep.Batches, "took", time.Since(t).Round(time.Millisecond))

	if err := r.healthsync(ctx, hsDSN); err != nil {
		return r.rep, err
	}
	switch reason := postGraphileMissing(o); {
	case reason != "":
		r.note("PostGraphile skipped: " + reason)
	case pglDSN == "":
		r.note("PostGraphile skipped: DATABASE_URL is set but no database for PostGraphile (--postgraphile-url)")
	default:
		if err := r.postGraphile(ctx, pglDSN); err != nil {
			return r.rep, err
		}
	}
	r.ratios()
	writeText(stdout, o, r.rep)
	return r.rep, nil
}

func (r *run) note(s string) {
	r.rep.Notes = append(r.rep.Notes, s)
	r.log.Info("outside: " + s)
}

// healthsync runs `healthsync serve` on hsDSN and its passes: warm-up, upload, replay (the same keys again) and
// duplicates (the same samples under new keys), then the server-side COPY of the rows the upload stored into a
// twin of samples.
func (r *run) healthsync(ctx context.Context, dsn string) error {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := db.Migrate(ctx, d, nil); err != nil {
		return err
	}
	var held bool
	if err := d.GetContext(ctx, &held, `SELECT EXISTS (SELECT 1 FROM samples)`); err != nil {
		return err
	}
	if held {
		return errors.New("outside: healthsync's database already holds samples; give it an empty one")
	}
	twin := pq.QuoteIdentifier(bench.ServerCopyTable)
	if _, err := d.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+twin+` (LIKE samples INCLUDING ALL)`); err != nil {
		return fmt.Errorf("outside: the COPY twin: %w", err)
	}
	if _, err := d.ExecContext(ctx, `TRUNCATE `+twin); err != nil {
		return err
	}
	bin, err := filepath.Abs(r.o.ServerBin)
	if err != nil {
		return err
	}
	srv, err := bench.StartServer(ctx, bin, r.dir, dsn, r.o.BatchSize, nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	signer, err := auth.NewHMACSigner(srv.Secret(), "", "")
	if err != nil {
		return err
	}
	tokens := map[*gen.User]string{}
	for _, b := range append(append([]batch{}, r.warm...), r.main...) {
		if _, ok := tokens[b.user]; !ok {
			if tokens[b.user], err = signer.Sign(b.user.Subject, []auth.Scope{auth.ScopeIngest}, 24*time.Hour); err != nil {
				return err
			}
		}
	}
	side := &r.rep.Healthsync
	side.Phases = map[string]Phase{}
	send := func(name string, batches []batch, body func(batch) []byte, want func(batch) answer) error {
		p, err := r.pass(ctx, d, srv.PID(), name, batches, func(ctx context.Context, b batch) error {
			got, err := r.ingest(ctx, srv.URL(), tokens[b.user], body(b))
			if err != nil {
				return err
			}
			if w := want(b); got.Replayed != w.Replayed || got.Accepted != w.Accepted || got.Duplicates != w.Duplicates ||
				got.Updated != 0 || got.Deleted != 0 || len(got.Rejected) != 0 {
				return fmt.Errorf("answer %+v, want %+v", got, w)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("healthsync %s: %w (server log: %s)", name, err, srv.LogTail())
		}
		side.Phases[name] = p
		return nil
	}
	first := func(b batch) []byte { return b.body }
	if err := send("warmup", r.warm, first, func(b batch) answer { return answer{Accepted: b.samples} }); err != nil {
		return err
	}
	if err := send("upload", r.main, first, func(b batch) answer { return answer{Accepted: b.samples} }); err != nil {
		return err
	}
	if err := send("replay", r.main, first, func(b batch) answer { return answer{Replayed: true, Accepted: b.samples} }); err != nil {
		return err
	}
	if err := send("duplicates", r.main, func(b batch) []byte { return b.dupBody },
		func(b batch) answer { return answer{Duplicates: b.samples} }); err != nil {
		return err
	}
	var warmID int64
	if len(r.warm) > 0 {
		if err := d.GetContext(ctx, &warmID, `SELECT id FROM users WHERE subject = $1`, r.warm[0].user.Subject); err != nil {
			return fmt.Errorf("outside: the warm-up user: %w", err)
		}
	}
	where := "user_id <> " + strconv.FormatInt(warmID, 10)
	if err := d.GetContext(ctx, &side.Stored, `SELECT count(*) FROM samples WHERE `+where); err != nil {
		return err
	}
	if err := d.GetContext(ctx, &side.WarmupStored, `SELECT count(*) FROM samples WHERE user_id = $1`, warmID); err != nil {
		return err
	}
	if want := samplesOf(r.main); side.Stored != want || side.WarmupStored != samplesOf(r.warm) {
		return fmt.Errorf("outside: samples holds %d rows of the uploaded users and %d of the warm-up user, want %d and %d: a pass stored a sample twice or lost one",
			side.Stored, side.WarmupStored, want, samplesOf(r.warm))
	}
	return r.serverCopy(ctx, d, side, "samples", where, twin)
}

// answer is the part of ingestBatch's result the passes check.
type answer struct {
	Replayed   bool  `json:"replayed"`
	Accepted   int   `json:"accepted"`
	Duplicates int   `json:"duplicates"`
	Updated    int   `json:"updated"`
	Deleted    int   `json:"deleted"`
	Rejected   []any `json:"rejected"`
}

func (r *run) ingest(ctx context.Context, url, token string, body []byte) (answer, error) {
	var out struct {
		IngestBatch *answer `json:"ingestBatch"`
	}
	if err := r.post(ctx, url, token, body, &out); err != nil {
		return answer{}, err
	}
	if out.IngestBatch == nil {
		return answer{}, errors.New("ingestBatch answered null")
	}
	return *out.IngestBatch, nil
}

// newHTTPClient keeps a connection per upload in flight, as a phone keeps its one connection alive.
func newHTTPClient(inFlight int) *http.Client {
	return &http.Client{Timeout: 5 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * inFlight, DisableCompression: true}}
}

// post sends one stored body, once (a benchmark must see a failure, not time a silent retry), and decodes data
// into out.
func (r *run) post(ctx context.Context, url, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &env); err != nil || resp.StatusCode != http.StatusOK || len(env.Errors) > 0 {
		if len(b) > 500 {
			b = b[:500]
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return json.Unmarshal(env.Data, out)
}

// pass sends batches, Concurrency at a time, after a checkpoint (so the previous pass's dirty pages are not
// written during this one), and measures the server process pid and PostgreSQL.
func (r *run) pass(ctx context.Context, d *sqlx.DB, pid int, name string, batches []batch, send func(context.Context, batch) error) (Phase, error) {
	r.checkpoint(ctx, d)
	bench.ResetPeakRSS(pid)
	s0, p0, st0 := bench.ProcessCPUSeconds(pid), bench.TreeCPUSeconds(r.pgPID), bench.StealSeconds()
	bp, err := bench.Timed(ctx, len(batches), r.o.Concurrency, func(ctx context.Context, i int) (int, time.Duration, error) {
		t := time.Now()
		err := send(ctx, batches[i])
		return batches[i].samples, time.Since(t), err
	})
	if err != nil {
		return Phase{}, err
	}
	p := phaseOf(bp, bench.ProcessCPUSeconds(pid)-s0, bench.TreeCPUSeconds(r.pgPID)-p0)
	p.Steal = round(bench.StealSeconds()-st0, 2)
	p.PeakRSSMB = bench.PeakRSSMB(pid)
	r.log.Info("outside: pass", "name", name, "samples_per_second", p.PerSecond, "seconds", p.Seconds)
	return p, nil
}

// serverCopy is the database's own limit for side: the rows of table that match where, written to files by the
// server and loaded back by server-side COPY FROM into twin (an empty table LIKE table INCLUDING ALL), in
// Concurrency parts at once, as the uploads ran. No client encodes or sends a row.
func (r *run) serverCopy(ctx context.Context, d *sqlx.DB, side *Side, table, where, twin string) error {
	files, cleanup, err := bench.ServerCopyDump(ctx, d, table, where, r.o.Concurrency)
	defer cleanup()
	if err != nil {
		r.note(fmt.Sprintf("server-side COPY of %s skipped: %v", table, err))
		return nil
	}
	r.checkpoint(ctx, d)
	p0, st0 := bench.TreeCPUSeconds(r.pgPID), bench.StealSeconds()
	bp, err := bench.ServerCopyLoad(ctx, d, twin, files, r.o.Concurrency)
	if err != nil {
		return err
	}
	p := phaseOf(bp, 0, bench.TreeCPUSeconds(r.pgPID)-p0)
	p.Steal = round(bench.StealSeconds()-st0, 2)
	var copied int
	if err := d.GetContext(ctx, &copied, `SELECT count(*) FROM `+twin); err != nil {
		return err
	}
	if copied != side.Stored || p.Samples != side.Stored {
		return fmt.Errorf("outside: the server-side COPY wrote %d rows (%d in %s), want %d", p.Samples, copied, twin, side.Stored)
	}
	side.Phases["server_copy"] = p
	// The twin is not needed any more: free its space.
	_, err = d.ExecContext(ctx, `TRUNCATE `+twin)
	return err
}

// checkpoint is best effort: CHECKPOINT needs a superuser (or pg_checkpoint).
func (r *run) checkpoint(ctx context.Context, d *sqlx.DB) {
	if _, err := d.ExecContext(ctx, `CHECKPOINT`); err != nil {
		r.log.Debug("outside: checkpoint before a pass", "err", err)
	}
}

func phaseOf(p bench.Phase, serverCPU, pgCPU float64) Phase {
	out := Phase{Samples: p.Items, Batches: p.Batches, Seconds: p.Seconds, PerSecond: p.PerSecond, Latency: p.Latency,
		ServerCPU: round(serverCPU, 2), PostgresCPU: round(pgCPU, 2)}
	if c := serverCPU + pgCPU; c > 0 {
		out.PerCPU = float64(int(float64(p.Items)/c + 0.5))
	}
	return out
}

func samplesOf(bs []batch) int {
	n := 0
	for _, b := range bs {
		n += b.samples
	}
	return n
}

// postmasterPID is the process id of dsn's PostgreSQL server when it runs on this machine (the parent of our
// backend, named postgres), for its CPU; 0 when it runs elsewhere.
func postmasterPID(ctx context.Context, dsn string) (int, error) {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	var backend int
	if err := d.GetContext(ctx, &backend, `SELECT pg_backend_pid()`); err != nil {
		return 0, err
	}
	comm := func(pid int) string {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
		return strings.TrimSpace(string(b))
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(backend), "stat"))
	if err != nil || comm(backend) != "postgres" {
		return 0, nil
	}
	// Fields after the parenthesized command: state ppid …
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0, nil
	}
	ppid, _ := strconv.Atoi(f[1])
	if comm(ppid) != "postgres" {
		return 0, nil
	}
	return ppid, nil
}
