// Package dbtest gives each test its own real PostgreSQL database.
//
// A test binary calls Main from TestMain. Main starts one embedded PostgreSQL for the whole
// binary (or uses the server named by HEALTHSYNC_TEST_DATABASE_URL), builds a template
// database with the caller's migrations, and each New clones that template, which costs a few
// milliseconds instead of a migration run. Clones are independent, so tests may run in parallel.
// With HEALTHSYNC_TEST_CITUS (EnvCitus) the databases are made on a Citus cluster instead.
//
//	func TestMain(m *testing.M) { dbtest.Main(m, migrations.Apply) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		db := dbtest.New(t)
//		...
//	}
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"healthsync/pgembed"
)

// EnvTimeShift names the test-only offset between the machine's clock and the clock the tests run on,
// a Go duration such as 8760h or -8760h. scripts/with-time-shift sets it, moves Go's time.Now by it and
// Main moves the embedded PostgreSQL's now() by it, so the whole suite runs as if on another day.
const EnvTimeShift = "HEALTHSYNC_TEST_TIME_SHIFT"

// ClockShift is the offset named by EnvTimeShift, zero when unset. A malformed value panics: a shifted
// run that silently ran unshifted would prove nothing.
func ClockShift() time.Duration {
	v := os.Getenv(EnvTimeShift)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		panic(fmt.Sprintf("dbtest: %s=%q: %v", EnvTimeShift, v, err))
	}
	return d
}

// EnvDatabaseURL names the variable that points tests at an existing server instead of an
// embedded one. Its user needs the CREATEDB privilege.
const EnvDatabaseURL = "HEALTHSYNC_TEST_DATABASE_URL"

const (
	dirPattern = "healthsync-dbtest-*"
	// ownerFile in a cluster folder holds the pid of the test binary using it.
	ownerFile = "owner.pid"
)

// harness is the per-test-binary state Main sets up and New uses.
type harness struct {
	admin    *sqlx.DB // connection to the maintenance database, for CREATE/DROP DATABASE
	baseDSN  string
	prefix   string // unique per test binary, so binaries sharing one server do not collide
	template string
	seq      atomic.Int64
	// On Citus (EnvCitus) there is no template: every New builds its database with prepare.
	citus   *citusCluster
	prepare func(ctx context.Context, db *sqlx.DB) error
}

// current is set by Main before any test runs and never changed afterwards.
var current *harness

// Main starts PostgreSQL for the test binary, builds the template database by running prepare
// on it, runs the tests, tears everything down and exits. A failure to set up is reported on
// stderr and fails the binary: tests that need a database must not silently skip.
func Main(m *testing.M, prepare func(ctx context.Context, db *sqlx.DB) error) {
	os.Exit(run(m, prepare))
}

func run(m *testing.M, prepare func(ctx context.Context, db *sqlx.DB) error) int {
	ctx := context.Background()
	baseDSN, stopServer, err := server(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	defer stopServer()

	h, err := newHarness(ctx, baseDSN, prepare)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	defer h.close()
	current = h
	return m.Run()
}

// server returns a DSN for the maintenance database of the server tests use, and how to stop it.
func server(ctx context.Context) (string, func(), error) {
	if dsn := os.Getenv(EnvCitus); dsn != "" {
		if ClockShift() != 0 || os.Getenv(EnvDatabaseURL) != "" {
			return "", nil, fmt.Errorf("%s runs on its own cluster: unset %s and %s", EnvCitus, EnvTimeShift, EnvDatabaseURL)
		}
		return dsn, func() {}, nil
	}
	if dsn := os.Getenv(EnvDatabaseURL); dsn != "" {
		if ClockShift() != 0 {
			return "", nil, fmt.Errorf("%s needs the embedded PostgreSQL (its clock is shifted with it): unset %s", EnvTimeShift, EnvDatabaseURL)
		}
		return dsn, func() {}, nil
	}
	base := baseDir()
	sweepLeftovers(base)
	dir, err := os.MkdirTemp(base, dirPattern)
	if err != nil {
		return "", nil, fmt.Errorf("temp dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("temp dir: %w", err)
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{
		DataDir:   filepath.Join(dir, "data"),
		Ephemeral: true,
		// Parallel tests each hold a small pool; the default 100 runs out on many-core machines.
		Settings:   map[string]string{"max_connections": "300"},
		ClockShift: ClockShift(),
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start embedded PostgreSQL (or set %s): %w", EnvDatabaseURL, err)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		}
		os.RemoveAll(dir)
	}
	return srv.DSN("postgres"), stop, nil
}

func newHarness(ctx context.Context, baseDSN string, prepare func(ctx context.Context, db *sqlx.DB) error) (*harness, error) {
	admin, err := sqlx.Open("postgres", baseDSN)
	if err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to test server: %w", err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	h := &harness{admin: admin, baseDSN: baseDSN, prefix: "hstest_" + hex.EncodeToString(suffix)}
	h.template = h.prefix + "_template"
	if OnCitus() {
		if h.citus, err = openCitus(ctx, admin, baseDSN); err != nil {
			admin.Close()
			return nil, err
		}
		h.prepare = prepare
		return h, nil
	}

	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(h.template)); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create template database: %w", err)
	}
	db, err := sqlx.Open("postgres", h.dsn(h.template))
	if err == nil {
		err = prepare(ctx, db)
		// Cloning needs the template free of sessions, so none may outlive prepare.
		db.Close()
	}
	if err != nil {
		h.close()
		return nil, fmt.Errorf("prepare template database: %w", err)
	}
	return h, nil
}

func (h *harness) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if h.citus != nil {
		h.citus.close()
		h.admin.Close()
		return
	}
	// Matters on a shared server; an embedded one is deleted whole anyway.
	if _, err := h.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(h.template)+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: drop template: %v\n", err)
	}
	h.admin.Close()
}

// dsn returns baseDSN pointed at database name, keeping its form (URL or key=value).
func (h *harness) dsn(name string) string {
	if strings.HasPrefix(h.baseDSN, "postgres://") || strings.HasPrefix(h.baseDSN, "postgresql://") {
		if u, err := url.Parse(h.baseDSN); err == nil {
			u.Path, u.RawPath = "/"+name, ""
			return u.String()
		}
	}
	// lib/pq keeps the last value of a repeated key. Names are ours, [a-z0-9_] only, so no quoting.
	return h.baseDSN + " dbname=" + name
}

// New returns a connection pool to a fresh database cloned from the template; the pool is
// closed and the database dropped when the test ends.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	dsn := NewDSN(t)
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	// Registered after NewDSN's cleanup, so it runs before the drop.
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDSN creates a fresh database cloned from the template and returns its DSN, for tests that
// hand it to code that opens its own connections. The database is dropped when the test ends.
func NewDSN(t testing.TB) string {
	t.Helper()
	h := current
	if h == nil {
		t.Fatal("dbtest: no test server; call dbtest.Main(m, prepare) from TestMain")
	}
	name := fmt.Sprintf("%s_%d_%s", h.prefix, h.seq.Add(1), slug(t.Name()))
	if h.citus != nil {
		return h.newCitusDSN(t, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := "CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(h.template)
	if _, err := h.admin.ExecContext(ctx, q); err != nil {
		t.Fatalf("dbtest: create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE: a connection the test leaked must not turn into a failed drop and a leaked database.
		if _, err := h.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop test database %s: %v", name, err)
		}
	})
	return h.dsn(name)
}

// slug turns a test name into something readable in pg_stat_activity that fits the 63-byte
// identifier limit next to our prefix.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() == 30 {
			break
		}
	}
	return b.String()
}
