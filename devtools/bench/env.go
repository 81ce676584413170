package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/client"
	"healthsync/db"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/pgembed"
	"healthsync/server"
)

// database is the PostgreSQL the run uses: the private one in a temp folder, or DATABASE_URL's.
type database struct {
	pg      *pgembed.Server // nil with DATABASE_URL
	dataDir string
	dsn     string
	log     *slog.Logger
}

// PGMemory values (--pg-memory): how the private PostgreSQL's memory is set.
const (
	PGMemoryAuto    = "auto"    // sized when the largest growth level is SizedFrom rows or more, else default
	PGMemoryDefault = "default" // PostgreSQL's own defaults (shared_buffers 128MB)
	PGMemorySized   = "sized"   // pgMemorySized
	// A size such as 1GB or 512MB sets only shared_buffers: the middle ground of a server sized for the run's
	// own data rather than for the growth levels (a 1.3M-sample run's samples table and indexes, some 600 MB,
	// outgrow the default 128MB, and an INSERT then pays for it more than COPY does, whose heap writes go
	// through a small ring of buffers).
)

// sharedBuffersSize is what a size given as --pg-memory looks like.
var sharedBuffersSize = regexp.MustCompile(`^[1-9][0-9]*(MB|GB)$`)

// SizedFrom is the growth level from which auto sizes PostgreSQL's memory: from about 30M stored samples the
// database (some 10 GB at 30M) outgrows the default 128MB of shared buffers many times over, and a server that
// holds that much data is not run with its defaults.
const SizedFrom = 30_000_000

// pgMemorySized is what sized sets, for the bench's 24 GiB machine: a quarter of it as shared buffers (the usual
// starting point), the rest counted as the kernel's cache for the planner, and more memory for VACUUM and index
// builds. Nothing else changes: durability (fsync, WAL) stays as in production.
var pgMemorySized = map[string]string{"shared_buffers": "6GB", "effective_cache_size": "16GB", "maintenance_work_mem": "1GB"}

// PGMemorySettings resolves mode for a run whose growth levels are growth: the mode in force (default or sized)
// and the server settings it adds. "" is auto.
func PGMemorySettings(mode string, growth []int64) (string, map[string]string, error) {
	switch mode {
	case PGMemoryAuto, "":
		if len(growth) > 0 && slices.Max(growth) >= SizedFrom {
			return PGMemorySized, pgMemorySized, nil
		}
		return PGMemoryDefault, nil, nil
	case PGMemoryDefault:
		return mode, nil, nil
	case PGMemorySized:
		return mode, pgMemorySized, nil
	}
	if sharedBuffersSize.MatchString(mode) {
		return mode, map[string]string{"shared_buffers": mode}, nil
	}
	return "", nil, fmt.Errorf("bench: --pg-memory wants auto, default, sized or a shared_buffers size such as 1GB, got %q", mode)
}

// statements preloads pg_stat_statements (and auto_explain for statements over 200 ms) on the private server;
// memory are settings of PGMemorySettings.
func openDatabase(ctx context.Context, url, dir string, statements bool, memory map[string]string, log *slog.Logger) (*database, error) {
	if url != "" {
		return &database{dsn: url, log: log}, nil
	}
	dataDir := filepath.Join(dir, "pg")
	settings := maps.Clone(memory)
	if settings == nil {
		settings = map[string]string{}
	}
	if statements {
		maps.Copy(settings, map[string]string{
			"shared_preload_libraries":          "pg_stat_statements,auto_explain",
			"pg_stat_statements.track_planning": "on",
			"pg_stat_statements.max":            "1000",
			// Plans of the statements over half a second, with row counts and buffers but without per-node
			// timing (timing every node would slow every statement the pass measures).
			"auto_explain.log_min_duration": "500ms",
			"auto_explain.log_analyze":      "on",
			"auto_explain.log_timing":       "off",
			"auto_explain.log_buffers":      "on",
		})
	}
	pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: dataDir, Logger: log, Settings: settings})
	if err != nil {
		return nil, err
	}
	if err := pg.EnsureDatabase(ctx, "healthsync"); err != nil {
		_ = pg.Stop(context.Background())
		return nil, err
	}
	return &database{pg: pg, dataDir: dataDir, dsn: pg.DSN("healthsync"), log: log}, nil
}

// another returns the DSN of a second, empty database on the same server (growth runs there), when we may
// create one.
func (d *database) another(ctx context.Context, name string) (string, error) {
	if d.pg == nil {
		return "", errors.New("growth needs the private PostgreSQL (DATABASE_URL is set)")
	}
	if err := d.pg.EnsureDatabase(ctx, name); err != nil {
		return "", err
	}
	return d.pg.DSN(name), nil
}

// postmasterPID is the private server's process id, for its memory; 0 when unknown.
func (d *database) postmasterPID() int {
	if d.pg == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(d.dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

func (d *database) stop() {
	if d.pg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.pg.Stop(ctx); err != nil {
		d.log.Error("stopping the private PostgreSQL", "err", err)
	}
}

// app is the server as `healthsync serve` wires it, on loopback, and what a client needs to call it: either
// `healthsync serve` itself as a child process (proc set; memory and CPU are then the server's alone) or the
// same wiring (store, catalog, ingest service, verifier, server.New, an http.Server with serve's timeouts) in
// this process. Either way the benchmark also keeps its own pool, store and ingest service for untimed loading.
type app struct {
	sql    *sqlx.DB
	store  *db.Store
	svc    *ingest.Service
	cat    *catalog.Catalog
	srv    *http.Server // in-process only
	proc   *serverProc  // child process only
	url    string
	client *http.Client
	signer *auth.Signer
	tokens map[string]string
}

// appConfig says how to run the server.
type appConfig struct {
	dsn      string
	maxItems int
	conns    int
	// serverBin, when set, is a healthsync binary to run as `serve` (in dir, with serverEnv added).
	serverBin string
	serverEnv []string
	dir       string
}

const statementTimeout = 5 * time.Minute // reads and writes here are large on purpose; config default is 30s

func startApp(ctx context.Context, c appConfig, log *slog.Logger) (*app, error) {
	d, err := db.Open(ctx, c.dsn)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*app, error) { d.Close(); return nil, err }
	if _, err := db.Migrate(ctx, d, log); err != nil {
		return fail(err)
	}
	if err := CreateBaselineTables(ctx, d); err != nil {
		return fail(err)
	}
	store := db.New(d, db.Options{StatementTimeout: statementTimeout})
	cat := catalog.New()
	svc := ingest.NewService(store, cat, ingest.Limits{MaxItems: max(20000, c.maxItems)}, nil)
	tr := &http.Transport{MaxIdleConns: c.conns * 2, MaxIdleConnsPerHost: c.conns * 2, DisableCompression: true}
	a := &app{sql: d, store: store, svc: svc, cat: cat, client: &http.Client{Transport: tr, Timeout: 5 * time.Minute},
		tokens: map[string]string{}}
	if c.serverBin != "" {
		p, err := startServerProc(ctx, c.serverBin, c.dir, c.dsn, c.maxItems, c.serverEnv)
		if err != nil {
			return fail(err)
		}
		if a.signer, err = auth.NewHMACSigner(p.secret, "", ""); err != nil {
			p.Stop()
			return fail(err)
		}
		a.proc, a.url = p, p.url
		return a, nil
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fail(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{HMACSecret: secret})
	if err != nil {
		return fail(err)
	}
	if a.signer, err = auth.NewHMACSigner(secret, "", ""); err != nil {
		return fail(err)
	}
	// The server logs only warnings and errors: per-request info lines would cost the server time we measure.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := server.New(servertest.Wire(server.Options{Store: store, Ingest: svc, Catalog: cat, Verifier: verifier, Log: quiet}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("listen on loopback: %w", err))
	}
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	go func() { _ = a.srv.Serve(ln) }()
	a.url = "http://" + ln.Addr().String() + "/graphql"
	return a, nil
}

// serverPID is the process whose memory and CPU are the server's: the child, or this process.
func (a *app) serverPID() string {
	if a.proc != nil {
		return strconv.Itoa(a.proc.PID())
	}
	return "self"
}

func (a *app) close() {
	if a.proc != nil {
		a.proc.Stop()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.srv.Shutdown(ctx)
	}
	a.client.CloseIdleConnections()
	a.sql.Close()
}

// token is a bearer token for subject with both scopes; call it before workers start (the map is not locked).
func (a *app) token(subject string) (string, error) {
	if t, ok := a.tokens[subject]; ok {
		return t, nil
	}
	t, err := a.signer.Sign(subject, []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, 24*time.Hour)
	if err != nil {
		return "", err
	}
	a.tokens[subject] = t
	return t, nil
}

// post sends one prepared GraphQL body through the project's client and decodes data into out. One attempt only:
// a benchmark must see a failure, not time a silent retry.
func (a *app) post(ctx context.Context, token string, body []byte, out any) error {
	return client.New(a.url, token, client.Options{HTTPClient: a.client, MaxAttempts: 1}).Send(ctx, body, out)
}

// Answer is ingestBatch's result.
type Answer struct {
	Replayed   bool `json:"replayed"`
	Accepted   int  `json:"accepted"`
	Duplicates int  `json:"duplicates"`
	Updated    int  `json:"updated"`
	Deleted    int  `json:"deleted"`
	Rejected   []struct {
		Kind    string `json:"kind"`
		Index   int    `json:"index"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"rejected"`
}

func (a *app) ingest(ctx context.Context, token string, body []byte) (Answer, error) {
	var out struct {
		IngestBatch *Answer `json:"ingestBatch"`
	}
	if err := a.post(ctx, token, body, &out); err != nil {
		return Answer{}, err
	}
	if out.IngestBatch == nil {
		return Answer{}, errors.New("ingestBatch answered null")
	}
	return *out.IngestBatch, nil
}

// expect says what is wrong with an answer, or nil when it is the expected one.
func expect(got Answer, replayed bool, accepted, duplicates int) error {
	if got.Replayed != replayed || got.Accepted != accepted || got.Duplicates != duplicates || got.Updated != 0 ||
		got.Deleted != 0 || len(got.Rejected) != 0 {
		return fmt.Errorf("answer %+v, want replayed=%v accepted=%d duplicates=%d and nothing else", got, replayed, accepted, duplicates)
	}
	return nil
}

func quote(s string) string { return pq.QuoteIdentifier(s) }
