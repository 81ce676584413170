// Package db is healthsync's storage: PostgreSQL through sqlx and lib/pq, plain SQL, set-based statements
// (unnest arrays) so that a batch costs one statement per table whatever its size. It knows nothing of GraphQL
// and nothing of the domain's rules; every statement on a user's data runs in a transaction that names the user.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store is the storage handle shared by the whole process.
type Store struct {
	db               *sqlx.DB
	statementTimeout time.Duration
	citus            bool
	insertForm       InsertForm
	formSeen         atomic.Int32 // with insertForm "": 0 not yet known, 1 unnest, 2 values (citus found)
	users            sync.Map     // subject → User: the mapping never changes once made, so caching it is safe across processes
	prepareOnce      sync.Once
	prepared         map[string]*sqlx.Stmt // read-only once prepareOnce has run; see Store.prepareReads
}

// Options tune a Store.
type Options struct {
	// StatementTimeout bounds every statement of a user transaction; 0 means 30 s.
	StatementTimeout time.Duration
	// Citus makes every transaction ask Citus to carry its SET LOCAL settings (the user, the role) to the
	// workers' connections, where the shards' policies read them (citus.propagate_set_commands = 'local').
	// Set it when the database has the citus extension (DetectCitus).
	Citus bool
	// InsertForm is how batches are written; "" means InsertValues when the database has the citus extension
	// (looked up once, on the first batch) and InsertUnnest otherwise.
	InsertForm InsertForm
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, dsn string) (*sqlx.DB, error) {
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	d.SetMaxOpenConns(16)
	d.SetMaxIdleConns(16)
	d.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return d, nil
}

// New wraps an open database.
func New(d *sqlx.DB, opts Options) *Store {
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 30 * time.Second
	}
	return &Store{db: d, statementTimeout: opts.StatementTimeout, citus: opts.Citus, insertForm: opts.InsertForm}
}

// DB exposes the handle for wiring (readiness checks, migrations).
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// AppRole is the role user transactions run as (created by migration 0003): it owns no table and has no
// BYPASSRLS, so the row-level security policies bind every statement of a user transaction.
const AppRole = "healthsync_app"

// Tx is a transaction bound to one user. Its methods only ever touch that user's rows.
type Tx struct {
	tx     *sqlx.Tx
	userID int64
	store  *Store
}

// prepareReads prepares the dashboard reads' statements (readStatements) once per process, the first time a
// user transaction starts and before it takes its connection (preparing holds one of the pool's connections
// for a moment; a transaction that already held one could wait on itself when the pool is exhausted). A
// statement that fails to prepare (say, an older schema) is simply sent unprepared.
func (s *Store) prepareReads(ctx context.Context) {
	s.prepareOnce.Do(func() {
		// Not the request's deadline: a cancelled first request must not leave the process unprepared.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		s.prepared = map[string]*sqlx.Stmt{}
		for _, q := range readStatements() {
			if st, err := s.db.PreparexContext(ctx, q); err == nil {
				s.prepared[q] = st
			}
		}
	})
}

// readStatements are the statements of the dashboard reads whose text is constant: prepared, each costs one
// round trip (Bind/Execute) instead of two (Parse/Describe, then Bind/Execute) and no parse.
func readStatements() []string {
	return []string{qLatestDeviceTimeZone, qSourcePriorities, qDayBuckets, qSleepStages, workoutStartsSQL(), qStartStats,
		qSamplesOverlappingIn}
}

// stmt is q prepared on the transaction's connection (database/sql prepares it there the first time and
// reuses it after), or nil when q is not one of readStatements.
func (t *Tx) stmt(ctx context.Context, q string) *sqlx.Stmt {
	st, ok := t.store.prepared[q]
	if !ok {
		return nil
	}
	return t.tx.StmtxContext(ctx, st)
}

// query runs q, prepared when it is one of readStatements.
func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

// selectRows is sqlx's Select for q, prepared when it is one of readStatements.
func (t *Tx) selectRows(ctx context.Context, dest any, q string, args ...any) error {
	if st := t.stmt(ctx, q); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return t.tx.SelectContext(ctx, dest, q, args...)
}

// getRow is sqlx's Get for q, prepared when it is one of readStatements.
func (t *Tx) getRow(ctx context.Context, dest any, q string, args ...any) error {
	if st := t.stmt(ctx, q); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return t.tx.GetContext(ctx, dest, q, args...)
}

// UserID is the user the transaction belongs to.
func (t *Tx) UserID() int64 { return t.userID }

// InUserTx runs fn in one transaction that first names the user (healthsync.user_id, for row-level security)
// and bounds statement time. A deadlock or serialization failure retries the whole function, so fn must not
// have effects outside the transaction.
func (s *Store) InUserTx(ctx context.Context, userID int64, fn func(tx *Tx) error) error {
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		err = s.inUserTxOnce(ctx, userID, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(i+1) * 20 * time.Millisecond)
	}
	return err
}

func (s *Store) inUserTxOnce(ctx context.Context, userID int64, fn func(tx *Tx) error) (err error) {
	s.prepareReads(ctx)
	sqlTx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if _, err = sqlTx.ExecContext(ctx, s.userTxSetup(userID)); err != nil {
		return fmt.Errorf("set user: %w", err)
	}
	if err = fn(&Tx{tx: sqlTx, userID: userID, store: s}); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// userTxSetup is the first statement of a user transaction. JIT off: the ingest statement's generate_series
// has no row estimate, so the planner guesses a huge cost and JIT-compiles it on every batch (about 0.5 s of a
// 0.7 s statement, measured); our statements are short and index-driven, JIT never pays off for them.
// The role comes last: from there on row-level security applies even when the connection belongs to a superuser
// or the tables' owner.
//
// Everything is SET LOCAL, undone at commit or rollback, so nothing reaches the next transaction on the pooled
// connection. They are SET statements rather than set_config(…, true) calls because Citus carries SET LOCAL
// statements to the connections it opens to the workers (with propagate_set_commands = 'local', set first) and
// does not carry set_config calls: without it the shards' policies would see no user.
// The values are written into the text (integers and constants, nothing a client chose) because a statement
// without parameters goes out as one simple query, one round trip, even with several statements in it.
func (s *Store) userTxSetup(userID int64) string {
	return s.setLocal(fmt.Sprintf("SET LOCAL healthsync.user_id = '%d'", userID))
}

// setLocal is the transaction set-up around the statement that names the user or the scope.
func (s *Store) setLocal(scope string) string {
	q := fmt.Sprintf("%s; SET LOCAL statement_timeout = %d; SET LOCAL jit = off; SET LOCAL ROLE %s",
		scope, s.statementTimeout.Milliseconds(), AppRole)
	if s.citus {
		q = "SET LOCAL citus.propagate_set_commands = 'local'; " + q
	}
	return q
}

func retryable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// IsTimeout reports whether err is a statement timeout or a cancelled query.
func IsTimeout(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "57014"
}

// micros turns times into Unix microseconds: integer arrays travel and parse faster than timestamp text.
func micros(t time.Time) int64 { return t.UnixMicro() }

// tsFromMicros is the SQL that turns a bigint of Unix microseconds back into timestamptz, exactly.
const tsFromMicros = `(timestamptz 'epoch' + %s * interval '1 microsecond')`

// windowsCTE is the WITH item `name AS MATERIALIZED (SELECT cols FROM from)`: the windows a statement probes once
// each (workouts, twin candidates, days), with their edges turned from Unix microseconds into timestamptz
// (tsFromMicros) before any probe reads them. Under row-level security PostgreSQL makes a condition an index
// condition only when every function in it is leakproof (else the policy's check must run first), and the
// conversion is not: `start_time >= <conversion>` was a filter over all of the user's rows of the metric, once per
// window (the first page of workouts read 463,800 buffers at 30M stored samples, 10,246 with this). Compared with
// a column of a materialized CTE it is an index condition; MATERIALIZED keeps the planner from inlining the
// conversion back into the probe. TestRangeProbesAreIndexConditions checks the statements that use it.
func windowsCTE(name, from string, cols ...string) string {
	return fmt.Sprintf(`%s AS MATERIALIZED (SELECT %s FROM %s)`, name, strings.Join(cols, ", "), from)
}

// tsCol is tsFromMicros of expr, named as; a column of windowsCTE.
func tsCol(expr, as string) string { return fmt.Sprintf(tsFromMicros, expr) + " AS " + as }

// DetectCitus reports whether the database has the citus extension, which changes how transactions name their
// user (Options.Citus) and how batches are inserted (Options.InsertForm).
func DetectCitus(ctx context.Context, d *sqlx.DB) (bool, error) {
	var ok bool
	if err := d.GetContext(ctx, &ok, `SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')`); err != nil {
		return false, fmt.Errorf("detect citus: %w", err)
	}
	return ok, nil
}
