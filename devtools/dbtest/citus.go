package dbtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// EnvCitus names the variable that runs the tests on a Citus cluster instead of the embedded PostgreSQL: the URL
// of the coordinator's maintenance database (postgres://user@host:port/postgres?sslmode=disable), where the citus
// extension is created and the workers are registered (citus_add_node). Its user must be a superuser on every
// node, and the nodes must accept it at the addresses pg_dist_node names.
//
// A Citus database cannot be cloned from a template (the workers' shards are separate databases, and Citus's
// maintenance daemon stays connected to every database that has the extension), so each New builds its database
// from scratch on every node: the database, the extension, the workers registered, then prepare. That costs
// seconds per test instead of milliseconds; run the packages that matter for tenancy, not the whole suite.
const EnvCitus = "HEALTHSYNC_TEST_CITUS"

// OnCitus reports whether the tests run on a Citus cluster (EnvCitus).
func OnCitus() bool { return os.Getenv(EnvCitus) != "" }

// SkipOnCitus skips a test that cannot run on Citus, for the reason given, which must say why (it shows in the
// run's output next to the test). A test that merely has not been tried there should run and fail instead.
func SkipOnCitus(t testing.TB, reason string) {
	t.Helper()
	if strings.TrimSpace(reason) == "" {
		t.Fatal("dbtest.SkipOnCitus: say why the test cannot run on Citus")
	}
	if OnCitus() {
		t.Skip("not on Citus: " + reason)
	}
}

// citusCluster is the coordinator's workers, as dbtest reaches them to create and drop each test's database.
type citusCluster struct {
	workers []citusWorker
}

type citusWorker struct {
	host  string // as the coordinator names it, for citus_add_node
	port  int
	admin *sqlx.DB // the worker's maintenance database, as the coordinator's URL names it
}

// openCitus reads the workers from the coordinator's maintenance database and connects to each one with the
// coordinator URL's user, password and options.
func openCitus(ctx context.Context, coordinator *sqlx.DB, baseDSN string) (*citusCluster, error) {
	u, err := url.Parse(baseDSN)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL", EnvCitus)
	}
	var nodes []struct {
		Host string `db:"nodename"`
		Port int    `db:"nodeport"`
	}
	if err := coordinator.SelectContext(ctx, &nodes, `
		SELECT nodename, nodeport FROM pg_dist_node
		WHERE noderole = 'primary' AND isactive AND groupid <> 0 ORDER BY nodeid`); err != nil {
		return nil, fmt.Errorf("%s: list the workers (is the citus extension created and are the workers added in that database?): %w", EnvCitus, err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%s: the coordinator has no active workers (citus_add_node)", EnvCitus)
	}
	c := &citusCluster{}
	for _, n := range nodes {
		w := *u
		w.Host = net.JoinHostPort(n.Host, strconv.Itoa(n.Port))
		admin, err := sqlx.Open("postgres", w.String())
		if err == nil {
			err = admin.PingContext(ctx)
		}
		if err != nil {
			c.close()
			return nil, fmt.Errorf("%s: connect to worker %s: %w", EnvCitus, w.Host, err)
		}
		c.workers = append(c.workers, citusWorker{host: n.Host, port: n.Port, admin: admin})
	}
	return c, nil
}

func (c *citusCluster) close() {
	for _, w := range c.workers {
		w.admin.Close()
	}
}

// newCitusDatabase creates database name on every node with the extension, registers the workers in it and runs
// prepare on it.
func (h *harness) newCitusDatabase(ctx context.Context, name string) error {
	q := pq.QuoteIdentifier(name)
	for _, w := range h.citus.workers {
		if _, err := w.admin.ExecContext(ctx, "CREATE DATABASE "+q); err != nil {
			return fmt.Errorf("create database on worker %s:%d: %w", w.host, w.port, err)
		}
		if err := execIn(ctx, workerDSN(h.baseDSN, w, name), `CREATE EXTENSION citus`); err != nil {
			return fmt.Errorf("worker %s:%d: %w", w.host, w.port, err)
		}
	}
	if _, err := h.admin.ExecContext(ctx, "CREATE DATABASE "+q); err != nil {
		return fmt.Errorf("create database on the coordinator: %w", err)
	}
	// The database default carries the transactions' SET LOCAL (user, role) to the workers' connections for every
	// session, also those of stores the tests build with db.Options{} (serve sets it per transaction instead).
	if err := execIn(ctx, h.dsn(name), `CREATE EXTENSION citus`,
		`ALTER DATABASE `+q+` SET citus.propagate_set_commands = 'local'`); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	var add []string
	for _, w := range h.citus.workers {
		add = append(add, fmt.Sprintf(`SELECT citus_add_node(%s, %d)`, pq.QuoteLiteral(w.host), w.port))
	}
	// Adding a node re-creates the roles on it, and roles are shared by all databases of a node: two tests adding
	// nodes at once fail with "tuple concurrently updated". One at a time, across test binaries too.
	if err := h.clusterWide(ctx, func() error { return execIn(ctx, h.dsn(name), add...) }); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	d, err := sqlx.Open("postgres", h.dsn(name))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := h.prepare(ctx, d); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

// clusterWideLock is the advisory lock, in the coordinator's maintenance database, that serializes the steps that
// change roles.
const clusterWideLock = 7_311_640_119

func (h *harness) clusterWide(ctx context.Context, fn func() error) error {
	conn, err := h.admin.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, clusterWideLock); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, clusterWideLock)
	return fn()
}

// dropCitusDatabase drops name on the coordinator first (its sessions hold connections to the workers), then on
// the workers.
func (h *harness) dropCitusDatabase(ctx context.Context, name string) error {
	q := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"
	if _, err := h.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	for _, w := range h.citus.workers {
		if _, err := w.admin.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("worker %s:%d: %w", w.host, w.port, err)
		}
	}
	return nil
}

func workerDSN(base string, w citusWorker, name string) string {
	u, _ := url.Parse(base) // parsed once already by openCitus
	u.Host = net.JoinHostPort(w.host, strconv.Itoa(w.port))
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// execIn runs statements in database dsn on one connection that is closed afterwards, so no session outlives it.
func execIn(ctx context.Context, dsn string, stmts ...string) error {
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	for _, s := range stmts {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := d.ExecContext(ctx, s)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func (h *harness) newCitusDSN(t testing.TB, name string) string {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.dropCitusDatabase(ctx, name); err != nil {
			t.Errorf("dbtest: drop test database %s: %v", name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.newCitusDatabase(ctx, name); err != nil {
		t.Fatalf("dbtest: create test database %s on Citus: %v", name, err)
	}
	return h.dsn(name)
}
