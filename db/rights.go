package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Erasure is one request to erase a user's data, and afterwards its record. It holds no health data.
type Erasure struct {
	UserID           int64      `db:"user_id"`
	ID               int64      `db:"erasure_id"`
	Status           string     `db:"status"`
	RequestedAt      time.Time  `db:"requested_at"`
	RunAfter         time.Time  `db:"run_after"`
	RequestedSubject string     `db:"requested_subject"`
	RequestedJTI     *string    `db:"requested_jti"`
	StartedAt        *time.Time `db:"started_at"`
	FinishedAt       *time.Time `db:"finished_at"`
	Attempts         int        `db:"attempts"`
	RowsErased       []byte     `db:"rows_erased"`
	LastError        *string    `db:"last_error"`
}

// Rows decodes RowsErased: table name to rows deleted.
func (e Erasure) Rows() map[string]int64 {
	m := map[string]int64{}
	_ = json.Unmarshal(e.RowsErased, &m)
	return m
}

// Erasure statuses.
const (
	ErasurePending   = "PENDING"
	ErasureRunning   = "RUNNING"
	ErasureDone      = "DONE"
	ErasureCancelled = "CANCELLED"
)

const erasureCols = `user_id, erasure_id, status, requested_at, run_after, requested_subject, requested_jti,
	started_at, finished_at, attempts, rows_erased, last_error`

// erasureRecordTable is the one table with a user_id that an erasure keeps: it is the record of the erasure.
const erasureRecordTable = "erasures"

// RequestErasure opens an erasure that runs after runAfter, or returns the one already open (PENDING or
// RUNNING); asking again with an earlier runAfter (erase now) moves a pending one forward.
func (t *Tx) RequestErasure(ctx context.Context, subject, jti string, at, runAfter time.Time) (Erasure, error) {
	var e Erasure
	err := t.tx.GetContext(ctx, &e, `UPDATE erasures SET run_after = least(run_after, $2)
		WHERE user_id = $1 AND status IN ('PENDING', 'RUNNING') RETURNING `+erasureCols, t.userID, runAfter)
	if err == nil {
		return e, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("move erasure: %w", err)
	}
	var jtiArg *string
	if jti != "" {
		jtiArg = &jti
	}
	err = t.tx.GetContext(ctx, &e, `INSERT INTO erasures (user_id, status, requested_at, run_after, requested_subject, requested_jti)
		VALUES ($1, 'PENDING', $2, $3, $4, $5) RETURNING `+erasureCols, t.userID, at, runAfter, subject, jtiArg)
	if err != nil {
		return e, fmt.Errorf("request erasure: %w", err)
	}
	return e, nil
}

// CancelErasure cancels the user's pending erasure and returns it, or nil when none is pending (a running
// erasure cannot be stopped halfway).
func (t *Tx) CancelErasure(ctx context.Context, at time.Time) (*Erasure, error) {
	var e Erasure
	err := t.tx.GetContext(ctx, &e, `UPDATE erasures SET status = 'CANCELLED', finished_at = $2
		WHERE user_id = $1 AND status = 'PENDING' RETURNING `+erasureCols, t.userID, at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cancel erasure: %w", err)
	}
	return &e, nil
}

// LatestErasure is the user's most recent erasure, or nil.
func (t *Tx) LatestErasure(ctx context.Context) (*Erasure, error) {
	var e Erasure
	err := t.tx.GetContext(ctx, &e, `SELECT `+erasureCols+` FROM erasures WHERE user_id = $1
		ORDER BY erasure_id DESC LIMIT 1`, t.userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read erasure: %w", err)
	}
	return &e, nil
}

// ErasedBefore is the user's erasure epoch: when the latest erasure that ran began, or nil when none ran.
// Data dated before it existed before the erasure and is never stored again.
func (t *Tx) ErasedBefore(ctx context.Context) (*time.Time, error) {
	var at *time.Time
	if err := t.tx.GetContext(ctx, &at, `SELECT max(started_at) FROM erasures
		WHERE user_id = $1 AND status IN ('RUNNING', 'DONE')`, t.userID); err != nil {
		return nil, fmt.Errorf("read erasure epoch: %w", err)
	}
	return at, nil
}

// ClaimErasure takes the next erasure of any user whose grace period is over, or one whose worker died, and
// leases it (claims.go); the first claim sets its epoch (started_at). It returns nil when nothing is due.
func (t *SysTx) ClaimErasure(ctx context.Context, now time.Time, lease time.Duration) (*Erasure, error) {
	const due = `((status = 'PENDING' AND run_after <= $3) OR (status = 'RUNNING' AND leased_until < $3))`
	var e *Erasure
	_, err := t.claimFirst(ctx, "erasure", `SELECT user_id, erasure_id AS id FROM erasures
		WHERE `+strings.ReplaceAll(due, "$3", "$1")+` ORDER BY run_after, erasure_id LIMIT $2`,
		[]any{now, claimCandidates}, func(k claimKey) (bool, error) {
			ok, err := t.lockDue(ctx, `SELECT 1 FROM erasures WHERE user_id = $1 AND erasure_id = $2 AND `+due+`
				FOR UPDATE SKIP LOCKED`, k, now)
			if err != nil || !ok {
				return false, err
			}
			e = new(Erasure)
			return true, t.tx.GetContext(ctx, e, `
				UPDATE erasures SET status = 'RUNNING', attempts = attempts + 1, leased_until = $4,
					started_at = coalesce(started_at, $3)
				WHERE user_id = $1 AND erasure_id = $2 RETURNING `+erasureCols, k.UserID, k.ID, now, now.Add(lease))
		})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// UserDataTables lists, from the database's catalog, every table with a user_id column but the erasure record,
// ordered so that a table comes before the tables its foreign keys point to (deleting in this order never
// violates a key). A table added by a later migration is found without a change here.
func (s *Store) UserDataTables(ctx context.Context) ([]string, error) {
	var tables []string
	if err := s.db.SelectContext(ctx, &tables, `
		SELECT c.table_name FROM information_schema.columns c
		JOIN pg_class k ON k.oid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
		WHERE c.column_name = 'user_id' AND c.table_schema = current_schema() AND k.relkind IN ('r', 'p')
		  AND c.table_name <> $1
		ORDER BY 1`, erasureRecordTable); err != nil {
		return nil, fmt.Errorf("list user tables: %w", err)
	}
	var edges []struct {
		Child  string `db:"child"`
		Parent string `db:"parent"`
	}
	if err := s.db.SelectContext(ctx, &edges, `
		SELECT c.relname AS child, p.relname AS parent FROM pg_constraint f
		JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class p ON p.oid = f.confrelid
		WHERE f.contype = 'f' AND c.relnamespace = current_schema()::regnamespace AND c.oid <> p.oid`); err != nil {
		return nil, fmt.Errorf("list foreign keys: %w", err)
	}
	return childrenFirst(tables, edges), nil
}

// childrenFirst orders tables so that every referencing table precedes the tables it references.
func childrenFirst(tables []string, edges []struct {
	Child  string `db:"child"`
	Parent string `db:"parent"`
}) []string {
	in := map[string]bool{}
	for _, t := range tables {
		in[t] = true
	}
	parents := map[string][]string{}
	for _, e := range edges {
		if in[e.Child] && in[e.Parent] {
			parents[e.Child] = append(parents[e.Child], e.Parent)
		}
	}
	// A table goes out once every table referencing it has gone out: count the referencing tables.
	refs := map[string]int{}
	for _, ps := range parents {
		for _, p := range ps {
			refs[p]++
		}
	}
	var out, ready []string
	for _, t := range tables {
		if refs[t] == 0 {
			ready = append(ready, t)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		t := ready[0]
		ready = ready[1:]
		out = append(out, t)
		for _, p := range parents[t] {
			if refs[p]--; refs[p] == 0 {
				ready = append(ready, p)
			}
		}
	}
	if len(out) < len(tables) { // a cycle of keys: append the rest, the delete will report the violation
		seen := map[string]bool{}
		for _, t := range out {
			seen[t] = true
		}
		for _, t := range tables {
			if !seen[t] {
				out = append(out, t)
			}
		}
	}
	return out
}

// EraseTable deletes every row of the user in table (a name from UserDataTables) and counts them. Row-level
// security binds the statement to the transaction's user as well.
func (t *Tx) EraseTable(ctx context.Context, table string) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM `+pq.QuoteIdentifier(table)+` WHERE user_id = $1`, t.userID)
	if err != nil {
		return 0, fmt.Errorf("erase %s: %w", table, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RecordErased adds n rows of table to the erasure's record and renews its lease.
func (t *Tx) RecordErased(ctx context.Context, erasureID int64, table string, n int64, leasedUntil time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE erasures SET leased_until = $5,
		rows_erased = jsonb_set(rows_erased, ARRAY[$3::text], to_jsonb(coalesce((rows_erased ->> $3)::bigint, 0) + $4))
		WHERE user_id = $1 AND erasure_id = $2`, t.userID, erasureID, table, n, leasedUntil)
	if err != nil {
		return fmt.Errorf("record erased rows: %w", err)
	}
	return nil
}

// FinishErasure marks the erasure done (or records the error of a run that will be retried).
func (t *Tx) FinishErasure(ctx context.Context, erasureID int64, at time.Time, runErr *string) error {
	q := `UPDATE erasures SET status = 'DONE', finished_at = $3, leased_until = NULL, last_error = NULL
		WHERE user_id = $1 AND erasure_id = $2`
	args := []any{t.userID, erasureID, at}
	if runErr != nil {
		q = `UPDATE erasures SET last_error = $3 WHERE user_id = $1 AND erasure_id = $2`
		args = []any{t.userID, erasureID, *runErr}
	}
	if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("finish erasure: %w", err)
	}
	return nil
}
