package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Export is a data export job and its progress.
type Export struct {
	UserID     int64      `db:"user_id"`
	ID         int64      `db:"export_id"`
	Format     string     `db:"format"`
	Status     string     `db:"status"`
	RowsDone   int64      `db:"rows_done"`
	RowsTotal  int64      `db:"rows_total"`
	Bytes      int64      `db:"bytes"`
	Counts     []byte     `db:"counts"`
	Attempts   int        `db:"attempts"`
	Error      *string    `db:"error"`
	CreatedAt  time.Time  `db:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at"`
	FinishedAt *time.Time `db:"finished_at"`
}

// Export statuses.
const (
	ExportQueued  = "QUEUED"
	ExportRunning = "RUNNING"
	ExportDone    = "DONE"
	ExportFailed  = "FAILED"
	// ExportExpired is a finished export past its retention: its zip is purged, the row stays as the record.
	ExportExpired = "EXPIRED"
)

const exportCols = `user_id, export_id, format, status, rows_done, rows_total, bytes, counts, attempts, error,
	created_at, updated_at, finished_at`

// ExportKinds are the kinds of data an export writes, each from one table, in the order they are written.
// Every column is exported but user_id (the file is the user's) and the provider tokens (secrets, not data).
var ExportKinds = []string{"devices", "sources", "samples", "category_samples", "workouts", "state_of_mind",
	"ecg_recordings", "medication_doses", "deletions", "sync_state", "source_priority", "provider_connections",
	"import_jobs"}

// NotExported names each user table an export leaves out, and why: what is derived from exported rows, the
// server's own bookkeeping, and the export and erasure machinery itself. A user table in neither list fails
// TestEveryUserTableIsExportedOrExplained, so a new kind cannot be forgotten by the export.
var NotExported = map[string]string{
	"sample_hourly":      "derived from samples",
	"merged_hourly":      "derived from samples",
	"daily_totals":       "derived from samples",
	"day_buckets":        "a cache of daily figures derived from samples",
	"idempotency_keys":   "stored answers to retried uploads, derived from the rows they stored",
	"import_chunks":      "the uploaded file's bytes while an import runs; the import's rows are exported",
	"provider_jobs":      "the server's fetch schedule for a connected provider",
	"provider_records":   "content hashes of provider records, to detect changes",
	"oauth_tickets":      "short-lived state of an OAuth consent in progress",
	"exports":            "the export jobs themselves",
	"export_chunks":      "the export files themselves",
	"erasures":           "the record of erasures, kept without health data",
	"webhook_events":     "outgoing notifications about exported rows",
	"webhook_deliveries": "delivery attempts of outgoing notifications",
}

// CreateExport queues an export of the user's data, unless one is open (QUEUED or RUNNING): then it returns
// that one and created is false. The unique index on open exports makes two concurrent requests agree.
func (t *Tx) CreateExport(ctx context.Context, format string, at time.Time) (e Export, created bool, err error) {
	err = t.tx.GetContext(ctx, &e, `INSERT INTO exports (user_id, format, status, created_at, updated_at)
		VALUES ($1, $2, 'QUEUED', $3, $3)
		ON CONFLICT (user_id) WHERE status IN ('QUEUED', 'RUNNING') DO NOTHING
		RETURNING `+exportCols, t.userID, format, at)
	if err == nil {
		return e, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return e, false, fmt.Errorf("create export: %w", err)
	}
	// A statement of its own sees the open export a concurrent request committed meanwhile.
	if err = t.tx.GetContext(ctx, &e, `SELECT `+exportCols+` FROM exports
		WHERE user_id = $1 AND status IN ('QUEUED', 'RUNNING')`, t.userID); err != nil {
		return e, false, fmt.Errorf("read open export: %w", err)
	}
	return e, false, nil
}

// Export returns one of the user's exports, or nil.
func (t *Tx) Export(ctx context.Context, id int64) (*Export, error) {
	var e Export
	err := t.tx.GetContext(ctx, &e, `SELECT `+exportCols+` FROM exports WHERE user_id = $1 AND export_id = $2`, t.userID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export: %w", err)
	}
	return &e, nil
}

// exportDue is when an export is due ($3 = now): queued, or RUNNING with its lease run out (its worker died).
const exportDue = `(status = 'QUEUED' OR (status = 'RUNNING' AND leased_until < $3))`

// ClaimExport takes the next queued export of any user, or one whose worker died, and leases it (claims.go).
// It returns nil when nothing is due.
func (t *SysTx) ClaimExport(ctx context.Context, now time.Time, lease time.Duration) (*Export, error) {
	var e *Export
	_, err := t.claimFirst(ctx, "export", `SELECT user_id, export_id AS id FROM exports
		WHERE `+strings.ReplaceAll(exportDue, "$3", "$1")+` ORDER BY created_at, export_id LIMIT $2`,
		[]any{now, claimCandidates}, func(k claimKey) (bool, error) {
			ok, err := t.lockDue(ctx, `SELECT 1 FROM exports WHERE user_id = $1 AND export_id = $2 AND `+exportDue+`
				FOR UPDATE SKIP LOCKED`, k, now)
			if err != nil || !ok {
				return false, err
			}
			e = new(Export)
			return true, t.tx.GetContext(ctx, e, `
				UPDATE exports SET status = 'RUNNING', attempts = attempts + 1, leased_until = $4, updated_at = $3
				WHERE user_id = $1 AND export_id = $2 RETURNING `+exportCols, k.UserID, k.ID, now, now.Add(lease))
		})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// StartExport drops what an earlier, interrupted run stored (the zip is written again from the start) and
// records how many rows there are to write.
func (t *Tx) StartExport(ctx context.Context, id, rowsTotal int64, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE user_id = $1 AND export_id = $2`, t.userID, id); err != nil {
		return fmt.Errorf("reset export: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE exports SET rows_done = 0, bytes = 0, rows_total = $3, updated_at = $4
		WHERE user_id = $1 AND export_id = $2`, t.userID, id, rowsTotal, at); err != nil {
		return fmt.Errorf("start export: %w", err)
	}
	return nil
}

// CountExportRows counts the user's rows of every export kind.
func (t *Tx) CountExportRows(ctx context.Context) (int64, error) {
	var total int64
	for _, k := range ExportKinds {
		var n int64
		if err := t.tx.GetContext(ctx, &n, `SELECT count(*) FROM `+pq.QuoteIdentifier(k)+` WHERE user_id = $1`, t.userID); err != nil {
			return 0, fmt.Errorf("count %s: %w", k, err)
		}
		total += n
	}
	return total, nil
}

// PutExportChunk stores the next piece of the export's zip and its progress, and renews the lease. It fails
// with ErrExportGone when the export row is gone (an erasure ran meanwhile), so no piece outlives it.
func (t *Tx) PutExportChunk(ctx context.Context, id int64, seq int, data []byte, rowsDone int64, at, leasedUntil time.Time) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE exports SET rows_done = $3, bytes = bytes + $4, updated_at = $5,
		leased_until = $6 WHERE user_id = $1 AND export_id = $2`, t.userID, id, rowsDone, len(data), at, leasedUntil)
	if err != nil {
		return fmt.Errorf("export progress: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExportGone
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO export_chunks (user_id, export_id, seq, data) VALUES ($1, $2, $3, $4)`,
		t.userID, id, seq, data); err != nil {
		return fmt.Errorf("store export chunk: %w", err)
	}
	return nil
}

// ErrExportGone is an export whose row was deleted while it was written.
var ErrExportGone = errors.New("the export was deleted while it was written")

// FinishExport records the end of the export: DONE with the counts per kind, or FAILED with the reason.
func (t *Tx) FinishExport(ctx context.Context, id int64, status string, counts map[string]int64, at time.Time, reason *string) error {
	c, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("encode counts: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE exports SET status = $3, counts = $4, finished_at = $5, updated_at = $5,
		error = $6, leased_until = NULL WHERE user_id = $1 AND export_id = $2`, t.userID, id, status, c, at, reason); err != nil {
		return fmt.Errorf("finish export: %w", err)
	}
	if status == ExportFailed { // the pieces of a half-written zip serve nobody
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE user_id = $1 AND export_id = $2`, t.userID, id); err != nil {
			return fmt.Errorf("purge failed export: %w", err)
		}
	}
	return nil
}

// ExportRef names one export of any user.
type ExportRef struct {
	UserID int64 `db:"user_id"`
	ID     int64 `db:"export_id"`
}

// ExportsFinishedBefore lists up to limit exports of any user that finished (DONE) before the given time.
func (t *SysTx) ExportsFinishedBefore(ctx context.Context, before time.Time, limit int) ([]ExportRef, error) {
	var out []ExportRef
	if err := t.tx.SelectContext(ctx, &out, `SELECT user_id, export_id FROM exports
		WHERE status = 'DONE' AND finished_at < $1 ORDER BY finished_at, export_id LIMIT $2`, before, limit); err != nil {
		return nil, fmt.Errorf("list expired exports: %w", err)
	}
	return out, nil
}

// ExpireExport turns a DONE export that finished before the given time into EXPIRED and deletes its zip, and
// reports whether this call did it: of two processes expiring the same export, one does and the other finds it
// done (the row lock orders them, the status check makes the second a no-op).
func (t *Tx) ExpireExport(ctx context.Context, id int64, finishedBefore, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE exports SET status = 'EXPIRED', updated_at = $4
		WHERE user_id = $1 AND export_id = $2 AND status = 'DONE' AND finished_at < $3`, t.userID, id, finishedBefore, at)
	if err != nil {
		return false, fmt.Errorf("expire export: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM export_chunks WHERE user_id = $1 AND export_id = $2`, t.userID, id); err != nil {
		return false, fmt.Errorf("purge expired export: %w", err)
	}
	return true, nil
}

// ExportChunk returns the piece seq of an export's zip, or nil after the last.
func (t *Tx) ExportChunk(ctx context.Context, id int64, seq int) ([]byte, error) {
	var data []byte
	err := t.tx.GetContext(ctx, &data, `SELECT data FROM export_chunks WHERE user_id = $1 AND export_id = $2 AND seq = $3`,
		t.userID, id, seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read export chunk: %w", err)
	}
	return data, nil
}

// ExportRows reads the user's rows of one kind as JSON objects through a cursor, batch rows per fetch, handing
// each to fn: memory holds one batch whatever the size of the account, and each fetch is its own statement (no
// statement runs for the whole export). fn may use other transactions, not this one.
func (t *Tx) ExportRows(ctx context.Context, kind string, batch int, fn func(line []byte) error) (int64, error) {
	ok := false
	for _, k := range ExportKinds {
		ok = ok || k == kind
	}
	if !ok {
		return 0, fmt.Errorf("export rows: unknown kind %q", kind)
	}
	// A cursor's query cannot take parameters through lib/pq's extended protocol: the user id is written in as
	// an integer, and RLS binds the cursor to the transaction's user regardless.
	if _, err := t.tx.ExecContext(ctx, fmt.Sprintf(`DECLARE export_rows NO SCROLL CURSOR FOR
		SELECT (to_jsonb(t) - 'user_id' - 'token_sealed')::text FROM %s t WHERE user_id = %d`,
		pq.QuoteIdentifier(kind), t.userID)); err != nil {
		return 0, fmt.Errorf("open %s cursor: %w", kind, err)
	}
	var n int64
	for {
		var lines []string
		if err := t.tx.SelectContext(ctx, &lines, fmt.Sprintf(`FETCH %d FROM export_rows`, batch)); err != nil {
			return n, fmt.Errorf("fetch %s: %w", kind, err)
		}
		for _, l := range lines {
			if err := fn([]byte(l)); err != nil {
				return n, err
			}
			n++
		}
		if len(lines) < batch {
			break
		}
	}
	if _, err := t.tx.ExecContext(ctx, `CLOSE export_rows`); err != nil {
		return n, fmt.Errorf("close %s cursor: %w", kind, err)
	}
	return n, nil
}
