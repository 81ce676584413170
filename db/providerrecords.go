package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ProviderRecord is the stored version of one cloud provider record: which items it became.
type ProviderRecord struct {
	Provider    string         `db:"provider"`
	DataType    string         `db:"data_type"`
	RecordID    string         `db:"record_id"`
	Revision    int            `db:"revision"`
	ContentHash []byte         `db:"content_hash"`
	ItemIDs     pq.StringArray `db:"item_ids"`
}

// ErrRecordMoved means another writer stored a newer revision of a record since the caller read it.
var ErrRecordMoved = errors.New("provider record changed concurrently")

// ProviderRecords returns the stored versions of the given records of one data type, by record id.
func (t *Tx) ProviderRecords(ctx context.Context, provider, dataType string, ids []string) (map[string]ProviderRecord, error) {
	var rs []ProviderRecord
	if err := t.tx.SelectContext(ctx, &rs, `SELECT provider, data_type, record_id, revision, content_hash, item_ids
		FROM provider_records WHERE user_id = $1 AND provider = $2 AND data_type = $3 AND record_id = ANY($4)`,
		t.userID, provider, dataType, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("read provider records: %w", err)
	}
	out := make(map[string]ProviderRecord, len(rs))
	for _, r := range rs {
		out[r.RecordID] = r
	}
	return out, nil
}

// SaveProviderRecord stores a record's new revision, checking that the stored one is still the revision the
// caller built on (prev; 0 = none): a concurrent writer makes it fail with ErrRecordMoved, and the caller's
// transaction rolls back whole.
func (t *Tx) SaveProviderRecord(ctx context.Context, r ProviderRecord, prev int, at time.Time) error {
	var res interface{ RowsAffected() (int64, error) }
	var err error
	if prev == 0 {
		res, err = t.tx.ExecContext(ctx, `INSERT INTO provider_records (user_id, provider, data_type, record_id,
			revision, content_hash, item_ids, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT DO NOTHING`,
			t.userID, r.Provider, r.DataType, r.RecordID, r.Revision, r.ContentHash, r.ItemIDs, at)
	} else {
		res, err = t.tx.ExecContext(ctx, `UPDATE provider_records SET revision = $5, content_hash = $6,
			item_ids = $7, updated_at = $8
			WHERE user_id = $1 AND provider = $2 AND data_type = $3 AND record_id = $4 AND revision = $9`,
			t.userID, r.Provider, r.DataType, r.RecordID, r.Revision, r.ContentHash, r.ItemIDs, at, prev)
	}
	if err != nil {
		return fmt.Errorf("save provider record: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrRecordMoved
	}
	return nil
}

// DeleteProviderRecord forgets a record the provider deleted and returns the item ids it had become.
func (t *Tx) DeleteProviderRecord(ctx context.Context, provider, dataType, recordID string) ([]string, error) {
	var ids pq.StringArray
	err := t.tx.GetContext(ctx, &ids, `DELETE FROM provider_records
		WHERE user_id = $1 AND provider = $2 AND data_type = $3 AND record_id = $4 RETURNING item_ids`,
		t.userID, provider, dataType, recordID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("delete provider record: %w", err)
	}
	return ids, nil
}

// DailyTotal is a provider's own total of a metric for one local day.
type DailyTotal struct {
	Metric    string    `db:"metric"`
	Day       time.Time `db:"day"`
	SourceID  int64     `db:"source_id"`
	Value     float64   `db:"value"`
	OrigValue float64   `db:"orig_value"`
	OrigUnit  string    `db:"orig_unit"`
	TimeZone  *string   `db:"time_zone"`
	Provider  string    `db:"provider"`
	RecordID  string    `db:"record_id"`
	UpdatedAt time.Time `db:"updated_at"`
}

// UpsertDailyTotals stores totals, a later one for the same metric, day and source replacing the earlier (the
// provider corrected the day).
func (t *Tx) UpsertDailyTotals(ctx context.Context, ts []DailyTotal, at time.Time) error {
	for _, d := range ts {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO daily_totals (user_id, metric, day, source_id, value,
				orig_value, orig_unit, time_zone, provider, record_id, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (user_id, metric, day, source_id) DO UPDATE SET value = EXCLUDED.value,
				orig_value = EXCLUDED.orig_value, orig_unit = EXCLUDED.orig_unit, time_zone = EXCLUDED.time_zone,
				provider = EXCLUDED.provider, record_id = EXCLUDED.record_id, updated_at = EXCLUDED.updated_at`,
			t.userID, d.Metric, d.Day.Format("2006-01-02"), d.SourceID, d.Value, d.OrigValue, d.OrigUnit,
			d.TimeZone, d.Provider, d.RecordID, at); err != nil {
			return fmt.Errorf("store daily total: %w", err)
		}
	}
	return nil
}

// DeleteDailyTotals removes the totals a deleted record had given.
func (t *Tx) DeleteDailyTotals(ctx context.Context, provider, recordID string) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM daily_totals WHERE user_id = $1 AND provider = $2 AND record_id = $3`,
		t.userID, provider, recordID); err != nil {
		return fmt.Errorf("delete daily totals: %w", err)
	}
	return nil
}

// DailyTotals returns the totals of a metric for days in [from, to], by day then source.
func (t *Tx) DailyTotals(ctx context.Context, metric string, from, to time.Time) ([]DailyTotal, error) {
	var out []DailyTotal
	if err := t.tx.SelectContext(ctx, &out, `SELECT metric, day, source_id, value, orig_value, orig_unit,
			time_zone, provider, record_id, updated_at
		FROM daily_totals WHERE user_id = $1 AND metric = $2 AND day BETWEEN $3 AND $4
		ORDER BY day, source_id`, t.userID, metric, from.Format("2006-01-02"), to.Format("2006-01-02")); err != nil {
		return nil, fmt.Errorf("read daily totals: %w", err)
	}
	return out, nil
}
