package bench

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The baselines' tables: empty copies of samples with the same columns, defaults, primary key and indexes.
const (
	CopyTable   = "samples_copy"
	UnnestTable = "samples_unnest"
	// ServerCopyTable takes the server-side COPY of the rows the first upload stored: the database's own limit.
	ServerCopyTable = "samples_server_copy"
)

// CreateBaselineTables makes the baselines' empty copies of samples.
func CreateBaselineTables(ctx context.Context, d *sqlx.DB) error {
	for _, t := range []string{CopyTable, UnnestTable, ServerCopyTable} {
		if _, err := d.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (LIKE samples INCLUDING ALL)`, t)); err != nil {
			return fmt.Errorf("create %s: %w", t, err)
		}
	}
	return nil
}

var sampleCols = []string{"user_id", "sample_id", "point_ms", "metric", "source_id", "device_id", "start_time",
	"end_time", "value", "orig_value", "orig_unit", "time_zone", "user_entered", "version", "metadata"}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CopyRows is the physical baseline: one transaction, one COPY FROM STDIN, one Exec per row, then the flush.
func CopyRows(ctx context.Context, d *sqlx.DB, table string, rows []Row) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, sampleCols...))
	if err != nil {
		return fmt.Errorf("prepare copy: %w", err)
	}
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.UserID, r.ID, int64(0), r.Metric, r.SourceID, r.DeviceID, r.Start, r.End,
			r.Value, r.OrigValue, r.OrigUnit, nullable(r.TimeZone), r.UserEntered, int64(0), nullable(r.Metadata)); err != nil {
			return fmt.Errorf("copy row: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("flush copy: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("close copy: %w", err)
	}
	return tx.Commit()
}

// UnnestRows is the statement shape db.WriteSamples uses, on its own: the same arrays, microsecond times,
// conflict clause and RETURNING, into table, in one transaction. It reports how many rows went in. All rows must
// share one user and device.
func UnnestRows(ctx context.Context, d *sqlx.DB, table string, rows []Row) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	n := len(rows)
	var (
		id, metric, unit, tz, meta  = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		point, src, start, end, ver = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		val, orig                   = make([]float64, n), make([]float64, n)
		manual                      = make([]bool, n)
	)
	for i, r := range rows {
		id[i], metric[i], src[i] = r.ID, r.Metric, r.SourceID
		start[i], end[i], val[i], orig[i] = r.Start.UnixMicro(), r.End.UnixMicro(), r.Value, r.OrigValue
		unit[i], tz[i], meta[i], manual[i] = r.OrigUnit, r.TimeZone, r.Metadata, r.UserEntered
	}
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	q := fmt.Sprintf(`
		INSERT INTO %s (user_id, sample_id, point_ms, metric, source_id, device_id, start_time, end_time,
			value, orig_value, orig_unit, time_zone, user_entered, version, metadata)
		SELECT $1, id, pt, m, src, $2, timestamptz 'epoch' + s * interval '1 microsecond',
			timestamptz 'epoch' + e * interval '1 microsecond', v, ov, ou, nullif(tz, ''), manual, ver, nullif(meta, '')::jsonb
		FROM unnest($3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
			$9::float8[], $10::float8[], $11::text[], $12::text[], $13::bool[], $14::bigint[], $15::text[])
			AS r(id, pt, m, src, s, e, v, ov, ou, tz, manual, ver, meta)
		ON CONFLICT (user_id, sample_id, point_ms) DO NOTHING
		RETURNING sample_id`, pq.QuoteIdentifier(table))
	res, err := tx.QueryContext(ctx, q, rows[0].UserID, rows[0].DeviceID, pq.Array(id), pq.Array(point), pq.Array(metric),
		pq.Array(src), pq.Array(start), pq.Array(end), pq.Array(val), pq.Array(orig), pq.Array(unit), pq.Array(tz),
		pq.Array(manual), pq.Array(ver), pq.Array(meta))
	if err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	inserted := 0
	for res.Next() {
		inserted++
	}
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	if err := res.Close(); err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	return inserted, tx.Commit()
}
