package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"healthsync/db"
	"healthsync/devtools/bench"
)

// pglSchema is PostGraphile's side: a 7-column samples table with a primary key and one more index (healthsync's
// samples has two), and insert_samples, the unnest bulk insert PostGraphile's maintainers recommend for bulk
// creates (a VOLATILE function is a mutation). pgl_twin holds the server-side COPY's empty twin; it is outside
// the schema PostGraphile exposes.
const pglSchema = `
DROP SCHEMA IF EXISTS pgl_bench, pgl_twin CASCADE;
CREATE SCHEMA pgl_bench;
CREATE TABLE pgl_bench.samples (
	user_id integer NOT NULL,
	sample_id uuid NOT NULL,
	metric text NOT NULL,
	start_time timestamptz NOT NULL,
	end_time timestamptz NOT NULL,
	value float8 NOT NULL,
	unit text NOT NULL,
	PRIMARY KEY (user_id, sample_id)
);
CREATE INDEX samples_user_metric_start ON pgl_bench.samples (user_id, metric, start_time);
CREATE FUNCTION pgl_bench.insert_samples(samples pgl_bench.samples[]) RETURNS integer
LANGUAGE sql VOLATILE AS $$
	WITH ins AS (
		INSERT INTO pgl_bench.samples SELECT * FROM unnest(samples) ON CONFLICT DO NOTHING RETURNING 1
	)
	SELECT count(*)::integer FROM ins
$$;
CREATE SCHEMA pgl_twin;
CREATE TABLE pgl_twin.samples (LIKE pgl_bench.samples INCLUDING ALL);
`

// postGraphileMissing says why PostGraphile cannot run here, or "".
func postGraphileMissing(o Options) string {
	if o.PostGraphileDir == "" {
		return "no --postgraphile folder"
	}
	if _, err := os.Stat(filepath.Join(o.PostGraphileDir, "node_modules", "postgraphile", "package.json")); err != nil {
		return fmt.Sprintf("%s has no node_modules/postgraphile (run `npm ci` there; `make bench-outside` does)", o.PostGraphileDir)
	}
	if _, err := exec.LookPath(o.Node); err != nil {
		return fmt.Sprintf("no %s on PATH (%v)", o.Node, err)
	}
	return ""
}

// postGraphile runs PostGraphile 5 on dsn and its passes with the same samples in the same batches: warm-up,
// upload and duplicates (the same bodies again; it has no idempotency keys, so a replay is a duplicate pass),
// then the server-side COPY of its rows into its twin.
func (r *run) postGraphile(ctx context.Context, dsn string) error {
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ExecContext(ctx, pglSchema); err != nil {
		return fmt.Errorf("outside: PostGraphile's schema: %w", err)
	}
	node, err := startNode(ctx, r.o, r.dir, dsn)
	if err != nil {
		return err
	}
	defer node.Stop()
	side := &Side{Phases: map[string]Phase{}}
	r.rep.PostGraphile = side
	send := func(name string, batches []batch, want func(batch) int) error {
		p, err := r.pass(ctx, d, node.PID(), name, batches, func(ctx context.Context, b batch) error {
			var out struct {
				InsertSamples *struct {
					Result *int `json:"result"`
				} `json:"insertSamples"`
			}
			if err := r.post(ctx, node.url, "", b.pgl, &out); err != nil {
				return err
			}
			if out.InsertSamples == nil || out.InsertSamples.Result == nil || *out.InsertSamples.Result != want(b) {
				return fmt.Errorf("insertSamples answered %+v, want %d rows inserted", out.InsertSamples, want(b))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("PostGraphile %s: %w (its log: %s)", name, err, node.Tail())
		}
		side.Phases[name] = p
		return nil
	}
	all := func(b batch) int { return b.samples }
	if err := send("warmup", r.warm, all); err != nil {
		return err
	}
	if err := send("upload", r.main, all); err != nil {
		return err
	}
	if err := send("duplicates", r.main, func(batch) int { return 0 }); err != nil {
		return err
	}
	warmUser := 0
	if len(r.warm) > 0 {
		warmUser = r.warm[0].pglUser
	}
	where := "user_id <> " + strconv.Itoa(warmUser)
	if err := d.GetContext(ctx, &side.Stored, `SELECT count(*) FROM pgl_bench.samples WHERE `+where); err != nil {
		return err
	}
	if err := d.GetContext(ctx, &side.WarmupStored, `SELECT count(*) FROM pgl_bench.samples WHERE user_id = $1`, warmUser); err != nil {
		return err
	}
	if want := samplesOf(r.main); side.Stored != want || side.WarmupStored != samplesOf(r.warm) {
		return fmt.Errorf("outside: pgl_bench.samples holds %d rows of the uploaded users and %d of the warm-up user, want %d and %d",
			side.Stored, side.WarmupStored, want, samplesOf(r.warm))
	}
	return r.serverCopy(ctx, d, side, "pgl_bench.samples", where, "pgl_twin.samples")
}

// nodeProc is `node server.mjs` of the PostGraphile folder.
type nodeProc struct {
	*bench.Child
	url string
}

// startNode runs PostGraphile on a free loopback port against dsn and waits until it answers a query.
func startNode(ctx context.Context, o Options, dir, dsn string) (*nodeProc, error) {
	addr, err := bench.FreeLoopbackAddr()
	if err != nil {
		return nil, fmt.Errorf("outside: %w", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	env, err := pgEnv(dsn)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.Node, "server.mjs")
	cmd.Dir = o.PostGraphileDir
	cmd.Env = append(append(os.Environ(), "PGL_PORT="+port, "NODE_ENV=production"), env...)
	child, err := bench.StartChild(cmd, filepath.Join(dir, "postgraphile.log"), 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("outside: start PostGraphile: %w", err)
	}
	p := &nodeProc{Child: child, url: "http://" + addr + "/graphql"}
	probe := &run{client: newHTTPClient(1)}
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-p.Exited():
			return nil, fmt.Errorf("outside: PostGraphile exited while starting (%v): %s", err, p.Tail())
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		var out struct {
			Typename string `json:"__typename"`
		}
		if err := probe.post(ctx, p.url, "", []byte(`{"query":"{ __typename }"}`), &out); err == nil && out.Typename == "Query" {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, errors.New("outside: PostGraphile did not answer in a minute: " + p.Tail())
		}
	}
}

// pgEnv is dsn as node-postgres reads it: a URL as is (PGL_DATABASE_URL), key=value pairs (lib/pq's other form,
// which the private PostgreSQL's Unix socket DSN uses) as the PG* variables.
func pgEnv(dsn string) ([]string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return []string{"PGL_DATABASE_URL=" + dsn}, nil
	}
	names := map[string]string{"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
		"dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}
	var env []string
	for _, kv := range splitDSN(dsn) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("outside: cannot read the DSN part %q", kv)
		}
		if name, ok := names[k]; ok {
			env = append(env, name+"="+v)
		}
	}
	return env, nil
}

// splitDSN splits lib/pq's key=value form on spaces outside single quotes, unquoting values.
func splitDSN(dsn string) []string {
	var out []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, c := range dsn {
		switch {
		case escaped:
			cur.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '\'':
			quoted = !quoted
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
