package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// InsertForm is how a batch's rows travel to PostgreSQL.
type InsertForm string

const (
	// InsertUnnest sends each column as one array and inserts with INSERT … SELECT … unnest(…): one statement
	// and a fixed number of parameters whatever the batch's size. The default: the fastest on one PostgreSQL
	// (BenchmarkInsertForm).
	InsertUnnest InsertForm = "unnest"
	// InsertValues sends a multi-row INSERT … VALUES, in chunks under PostgreSQL's parameter limit. Citus routes
	// it to the user's shard as it is; an INSERT … SELECT from unnest it plans by collecting the rows on the
	// coordinator and copying them into the shard, which PostgreSQL refuses under row-level security ("COPY FROM
	// not supported with row-level security"). Chosen when the citus extension is present.
	InsertValues InsertForm = "values"
)

// maxParams is the most parameters a statement can carry (a 16-bit count in the protocol).
const maxParams = 65535

// maxValuesRows bounds the rows of one VALUES statement below what the parameter limit allows: parsing and
// planning a list grows faster than its length, and 500-row statements cost less in all than 5,000-row ones
// (BenchmarkInsertForm, same run: 2.2-2.5x the unnest form's time at 100-500 rows, 2.9x at 5,000).
const maxValuesRows = 500

// valuesInsert is a multi-row INSERT … VALUES: head ("INSERT INTO t (cols)"), one tuple per row in which each
// ? is the row's next parameter and $1…$k are the fixed parameters every row shares, and tail (ON CONFLICT,
// RETURNING).
type valuesInsert struct {
	head, tuple, tail string
	fixed             []any
}

// run inserts n rows, row(i, args) appending row i's values in the order of the tuple's ?, in as few statements
// as the parameter limit allows. With scan nil it executes each chunk; otherwise it calls scan for every row
// the chunks return. It reports the rows affected (or returned).
func (v valuesInsert) run(ctx context.Context, tx *sqlx.Tx, n int, row func(i int, args []any) []any,
	scan func(rows *sql.Rows) error) (int64, error) {
	parts := strings.Split(v.tuple, "?")
	perRow := len(parts) - 1
	chunk := min((maxParams-len(v.fixed))/max(perRow, 1), maxValuesRows)
	var total int64
	var b strings.Builder
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		args := append(make([]any, 0, len(v.fixed)+(hi-lo)*perRow), v.fixed...)
		b.Reset()
		b.WriteString(v.head)
		b.WriteString(" VALUES ")
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			base := len(args)
			b.WriteString(parts[0])
			for j, p := range parts[1:] {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(base + j + 1))
				b.WriteString(p)
			}
			if args = row(i, args); len(args) != base+perRow {
				return total, fmt.Errorf("%s: row %d has %d values for %d placeholders", v.head, i, len(args)-base, perRow)
			}
		}
		b.WriteString(" ")
		b.WriteString(v.tail)
		if scan == nil {
			res, err := tx.ExecContext(ctx, b.String(), args...)
			if err != nil {
				return total, err
			}
			got, _ := res.RowsAffected()
			total += got
			continue
		}
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return total, err
		}
		for rows.Next() {
			total++
			if err := scan(rows); err != nil {
				rows.Close()
				return total, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// values reports whether the store writes batches as multi-row VALUES: as Options.InsertForm says, or, left
// empty, when the database has the citus extension (see valuesFound).
func (t *Tx) values() bool { return t.store.values(t.tx) }

// values is Tx.values for a system transaction (the sweeps that write for several users).
func (t *SysTx) values() bool { return t.store.values(t.tx) }

func (s *Store) values(tx *sqlx.Tx) bool {
	switch s.insertForm {
	case InsertValues:
		return true
	case "":
		return s.valuesFound(tx)
	}
	return false
}

// valuesFound looks the citus extension up once per Store, in the transaction at hand, so a store built with
// Options{} (the tests, tools) writes what Citus accepts on a Citus database and keeps unnest elsewhere. Not
// cached when the look-up fails: the statement after it fails the same way and the batch is retried.
func (s *Store) valuesFound(tx *sqlx.Tx) bool {
	switch s.formSeen.Load() {
	case 1:
		return false
	case 2:
		return true
	}
	var citus bool
	if err := tx.Get(&citus, `SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')`); err != nil {
		return false
	}
	if citus {
		s.formSeen.Store(2)
	} else {
		s.formSeen.Store(1)
	}
	return citus
}

// tsMicros is a time at the microsecond the unnest form sends (micros), so both forms store the same instant.
func tsMicros(t time.Time) time.Time { return time.UnixMicro(micros(t)).UTC() }

// nullText is s, or NULL when empty (the unnest form's nullif(x, ”)).
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
