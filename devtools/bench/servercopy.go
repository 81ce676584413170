package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// serverCopyFile is where the server writes the rows the first upload stored, in its data directory, which the
// server's own user can always write and read.
const serverCopyFile = "healthsync-bench-samples.copy"

// serverCopy is the database's own limit: the rows the first upload stored, dumped by the server with COPY TO
// files and loaded back by server-side COPY FROM those files into an empty twin of samples (all its indexes). No
// client encodes or sends a row, so the pass is PostgreSQL's work alone. The rows go in --concurrency parts
// (contiguous ranges of the table's pages, so each part is whole uploaded batches in their order), loaded as
// many at a time as the uploads ran: on a shared machine one backend would get a smaller share of the cores
// than the upload's four connections, and on an idle one the parts use every core, as the upload may.
// It needs file access on the server (a superuser, or pg_read/write_server_files), as the private PostgreSQL
// gives; elsewhere it leaves a note.
func (r *runner) serverCopy(ctx context.Context) error {
	db := r.app.sql
	files, cleanup, err := ServerCopyDump(ctx, db, "samples", "", r.o.Concurrency)
	defer cleanup()
	if err != nil {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("server-side COPY baseline skipped: %v", err))
		return nil
	}
	r.quiesce(ctx, r.app)
	cpu, wal := r.cpuMeter("self"), r.walMeter(ctx)
	stopPG := r.samplePG("server_copy")
	p, err := ServerCopyLoad(ctx, db, quote(ServerCopyTable), files, r.o.Concurrency)
	stopPG()
	if err != nil {
		return err
	}
	p.GoCPU, p.PostgresCPU, p.Steal = cpu()
	p.WAL = wal()
	var stored, copied int
	if err := db.GetContext(ctx, &stored, `SELECT count(*) FROM samples`); err != nil {
		return err
	}
	if err := db.GetContext(ctx, &copied, `SELECT count(*) FROM `+quote(ServerCopyTable)); err != nil {
		return err
	}
	if want := r.rep.Data.Samples; stored != want || copied != want || p.Items != want {
		return fmt.Errorf("samples holds %d rows, the server-side COPY wrote %d (%d in its twin), want %d", stored, p.Items, copied, want)
	}
	r.rep.Ingest["server_copy"] = p
	first := r.rep.Ingest["first_upload"]
	r.rep.Ratios["first_vs_server_copy"] = ratio(first.PerSecond, p.PerSecond)
	// Quantity samples alone (what the twin holds) per second of the first upload, against the same rows.
	r.rep.Ratios["first_samples_vs_server_copy"] = ratio(float64(r.rep.Data.Samples)/first.Seconds, p.PerSecond)
	r.rep.Ratios["first_per_cpu_vs_server_copy"] = ratio(perCPU(first), perCPU(p))
	if cp, ok := r.rep.Ingest["copy"]; ok {
		r.rep.Ratios["copy_vs_server_copy"] = ratio(cp.PerSecond, p.PerSecond)
	}
	_, err = db.ExecContext(ctx, `TRUNCATE `+quote(ServerCopyTable))
	return err
}

// ServerCopyDump has the server write the rows of table (an SQL name, schema-qualified when needed) that match
// where (an SQL condition; "" for all) to files in its data directory, which the server's own user can always
// write and read, in parts: contiguous ranges of the table's pages, so each part is whole uploaded batches in
// their order. cleanup removes the files (when the server runs on this machine, as the private one does); call
// it even on an error. It needs file access on the server (a superuser, or pg_read/write_server_files).
func ServerCopyDump(ctx context.Context, db *sqlx.DB, table, where string, parts int) (files []string, cleanup func(), err error) {
	cleanup = func() {
		for _, f := range files {
			os.Remove(f)
		}
	}
	var dataDir string
	var pages int64
	if err := db.GetContext(ctx, &dataDir, `SELECT current_setting('data_directory')`); err != nil {
		return nil, cleanup, fmt.Errorf("the server's data directory is not readable (%w)", err)
	}
	if err := db.GetContext(ctx, &pages, `SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int`, table); err != nil {
		return nil, cleanup, err
	}
	if where != "" {
		where = " AND (" + where + ")"
	}
	parts = min(max(parts, 1), max(int(pages), 1))
	stem := fmt.Sprintf("%s.%d.%s", serverCopyFile, os.Getpid(), strings.Trim(spaces.ReplaceAllString(table, ""), `"`))
	for k := range parts {
		f := filepath.Join(dataDir, fmt.Sprintf("%s.%d", stem, k))
		files = append(files, f)
		lo, hi := pages*int64(k)/int64(parts), pages*int64(k+1)/int64(parts)
		if k == parts-1 {
			hi = pages + 1 // and anything past the size read above
		}
		q := fmt.Sprintf(`COPY (SELECT * FROM %s WHERE ctid >= '(%d,0)'::tid AND ctid < '(%d,0)'::tid%s) TO %s`,
			table, lo, hi, where, pq.QuoteLiteral(f))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return files, cleanup, fmt.Errorf("COPY TO a server file failed (%w)", err)
		}
	}
	return files, cleanup, nil
}

// ServerCopyLoad loads files (from ServerCopyDump) into twin (an SQL name) by server-side COPY FROM, workers at a
// time, and times it as a phase (CPU left to the caller).
func ServerCopyLoad(ctx context.Context, db *sqlx.DB, twin string, files []string, workers int) (Phase, error) {
	return timed(ctx, len(files), workers, func(ctx context.Context, k int) (int, time.Duration, error) {
		t := time.Now()
		res, err := db.ExecContext(ctx, `COPY `+twin+` FROM `+pq.QuoteLiteral(files[k]))
		if err != nil {
			return 0, time.Since(t), fmt.Errorf("server-side COPY: %w", err)
		}
		n, err := res.RowsAffected()
		return int(n), time.Since(t), err
	})
}

// perCPU is items per CPU second (Go + PostgreSQL) of a pass; 0 when the CPU was not measured.
func perCPU(p Phase) float64 {
	if c := p.GoCPU + p.PostgresCPU; c > 0 {
		return float64(p.Items) / c
	}
	return 0
}

// Statement is one normalized statement's share of PostgreSQL's time during the first upload
// (pg_stat_statements, with --statements).
type Statement struct {
	Query       string  `json:"query"`
	Calls       int64   `json:"calls"`
	CallsBatch  float64 `json:"calls_per_batch"`
	ExecMS      float64 `json:"exec_ms"`
	PlanMS      float64 `json:"plan_ms"`
	MSPerBatch  float64 `json:"ms_per_batch"` // execution + planning
	Share       float64 `json:"share"`        // of all statements' execution + planning time
	Rows        int64   `json:"rows"`
	SharedDirty int64   `json:"shared_blks_dirtied"`
	WALBytes    float64 `json:"wal_bytes"`
}

// statementsStart empties pg_stat_statements before the pass it is to describe; false when the extension is not
// loaded (then a note says how to get it).
func (r *runner) statementsStart(ctx context.Context) bool {
	db := r.app.sql
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("--statements: pg_stat_statements unavailable (%v)", err))
		return false
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err != nil {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("--statements: pg_stat_statements not preloaded (%v)", err))
		return false
	}
	return true
}

var spaces = regexp.MustCompile(`\s+`)

// statementsReport reads what pg_stat_statements collected since statementsStart, per batch of the pass.
func (r *runner) statementsReport(ctx context.Context, batches int) error {
	var rows []struct {
		Query    string  `db:"query"`
		Calls    int64   `db:"calls"`
		Exec     float64 `db:"exec"`
		Plan     float64 `db:"plan"`
		Rows     int64   `db:"rows"`
		Dirtied  int64   `db:"dirtied"`
		WALBytes float64 `db:"wal"`
	}
	// The benchmark's own statements (CHECKPOINT, these reads) are not the server's: leave them out.
	err := r.app.sql.SelectContext(ctx, &rows, `
		SELECT query, calls, total_exec_time AS exec, total_plan_time AS plan, rows, shared_blks_dirtied AS dirtied,
			wal_bytes::float8 AS wal
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT ILIKE '%pg_stat_statements%' AND query <> 'CHECKPOINT'
		ORDER BY total_exec_time + total_plan_time DESC`)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	total := 0.0
	for _, s := range rows {
		total += s.Exec + s.Plan
	}
	b := float64(max(batches, 1))
	for _, s := range rows {
		q := strings.TrimSpace(spaces.ReplaceAllString(s.Query, " "))
		if len(q) > 160 {
			q = q[:157] + "…"
		}
		r.rep.Statements = append(r.rep.Statements, Statement{Query: q, Calls: s.Calls, CallsBatch: round(float64(s.Calls)/b, 2),
			ExecMS: round(s.Exec, 1), PlanMS: round(s.Plan, 1), MSPerBatch: round((s.Exec+s.Plan)/b, 2),
			Share: round((s.Exec+s.Plan)/max(total, 1e-9), 4), Rows: s.Rows, SharedDirty: s.Dirtied, WALBytes: s.WALBytes})
	}
	r.saveExplains()
	return nil
}

// saveExplains copies auto_explain's plans (statements over half a second) from the private server's log next to
// the JSON report, since the server's folder goes away with the run.
func (r *runner) saveExplains() {
	if r.db.dataDir == "" || r.o.Out == "" {
		return
	}
	b, err := os.ReadFile(filepath.Join(r.db.dataDir, "pgembed.log"))
	if err != nil {
		return
	}
	// A log entry starts with its timestamp; auto_explain's plan lines follow it, indented.
	var out []string
	keep := false
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && line[0] >= '0' && line[0] <= '9' {
			keep = strings.Contains(line, "LOG:  duration:") && strings.Contains(line, "plan:")
		}
		if keep {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return
	}
	path := strings.TrimSuffix(r.o.Out, filepath.Ext(r.o.Out)) + ".explain.log"
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err == nil {
		r.rep.Notes = append(r.rep.Notes, "auto_explain's plans of statements over 500 ms: "+path)
	}
}
