package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
)

// Source is an app or device that produced samples.
type Source struct {
	ID                 int64     `db:"source_id"`
	Provider           string    `db:"provider"`
	Key                string    `db:"source_key"`
	Name               string    `db:"name"`
	BundleID           *string   `db:"bundle_id"`
	Version            *string   `db:"version"`
	ProductType        *string   `db:"product_type"`
	DeviceName         *string   `db:"device_name"`
	DeviceModel        *string   `db:"device_model"`
	DeviceManufacturer *string   `db:"device_manufacturer"`
	HardwareVersion    *string   `db:"hardware_version"`
	SoftwareVersion    *string   `db:"software_version"`
	FirstSeen          time.Time `db:"first_seen"`
	LastSeen           time.Time `db:"last_seen"`
}

// UpsertSources records the batch's sources (distinct by Provider+Key) in one statement and returns their
// ids by key. Rows are written in key order so that concurrent batches of one user lock them in the same
// order and cannot deadlock.
func (t *Tx) UpsertSources(ctx context.Context, sources []Source, at time.Time) (map[string]int64, error) {
	ids, _, err := t.UpsertSourcesNoting(ctx, sources, at)
	return ids, err
}

// UpsertSourcesNoting is UpsertSources that also tells which of the sources it created (by id): the caller
// removes those that end up with nothing stored (DeleteSources).
func (t *Tx) UpsertSourcesNoting(ctx context.Context, sources []Source, at time.Time) (map[string]int64, map[int64]struct{}, error) {
	ids := make(map[string]int64, len(sources))
	created := map[int64]struct{}{}
	if len(sources) == 0 {
		return ids, created, nil
	}
	sorted := append([]Source(nil), sources...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Provider != sorted[j].Provider {
			return sorted[i].Provider < sorted[j].Provider
		}
		return sorted[i].Key < sorted[j].Key
	})
	scan := func(rows *sql.Rows) error {
		var p, k string
		var id int64
		var inserted bool // xmax is 0 on a row the statement inserted, set on one its DO UPDATE locked
		if err := rows.Scan(&p, &k, &id, &inserted); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		ids[SourceRef(p, k)] = id
		if inserted {
			created[id] = struct{}{}
		}
		return nil
	}
	var err error
	if t.values() {
		err = t.upsertSourceValues(ctx, sorted, at, scan)
	} else {
		err = t.upsertSourceArrays(ctx, sorted, at, scan)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("upsert sources: %w", err)
	}
	return ids, created, nil
}

// sourceUpsert keeps a source's first sighting and takes the newest of what a batch says about it.
const sourceUpsert = `ON CONFLICT (user_id, provider, source_key) DO UPDATE SET
			name             = EXCLUDED.name,
			version          = coalesce(EXCLUDED.version, sources.version),
			product_type     = coalesce(EXCLUDED.product_type, sources.product_type),
			device_name      = coalesce(EXCLUDED.device_name, sources.device_name),
			software_version = coalesce(EXCLUDED.software_version, sources.software_version),
			last_seen        = greatest(sources.last_seen, EXCLUDED.last_seen)`

// upsertSourceArrays is UpsertSourcesNoting's statement in the unnest form.
func (t *Tx) upsertSourceArrays(ctx context.Context, sorted []Source, at time.Time, scan func(*sql.Rows) error) error {
	n := len(sorted)
	provider, key, name := make([]string, n), make([]string, n), make([]string, n)
	cols := make([][]string, 8)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, s := range sorted {
		provider[i], key[i], name[i] = s.Provider, s.Key, s.Name
		for j, p := range []*string{s.BundleID, s.Version, s.ProductType, s.DeviceName, s.DeviceModel,
			s.DeviceManufacturer, s.HardwareVersion, s.SoftwareVersion} {
			if p != nil {
				cols[j][i] = *p
			}
		}
	}
	rows, err := t.tx.QueryContext(ctx, `
		INSERT INTO sources (user_id, provider, source_key, name, bundle_id, version, product_type, device_name,
			device_model, device_manufacturer, hardware_version, software_version, first_seen, last_seen)
		SELECT $1, p, k, nm, nullif(b, ''), nullif(v, ''), nullif(pt, ''), nullif(dn, ''), nullif(dm, ''),
			nullif(dmf, ''), nullif(hw, ''), nullif(sw, ''), $13, $13
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[])
			AS u(p, k, nm, b, v, pt, dn, dm, dmf, hw, sw)
		`+sourceUpsert+`
		RETURNING provider, source_key, source_id, xmax = 0`,
		t.userID, pq.Array(provider), pq.Array(key), pq.Array(name), pq.Array(cols[0]), pq.Array(cols[1]),
		pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(cols[4]), pq.Array(cols[5]), pq.Array(cols[6]),
		pq.Array(cols[7]), at)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// upsertSourceValues is UpsertSourcesNoting's statement as multi-row VALUES (InsertValues).
func (t *Tx) upsertSourceValues(ctx context.Context, sorted []Source, at time.Time, scan func(*sql.Rows) error) error {
	v := valuesInsert{
		head: `INSERT INTO sources (user_id, provider, source_key, name, bundle_id, version, product_type, device_name,
			device_model, device_manufacturer, hardware_version, software_version, first_seen, last_seen)`,
		tuple: `($1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, $2, $2)`,
		tail:  sourceUpsert + ` RETURNING provider, source_key, source_id, xmax = 0`,
		fixed: []any{t.userID, at},
	}
	_, err := v.run(ctx, t.tx, len(sorted), func(i int, args []any) []any {
		s := &sorted[i]
		args = append(args, s.Provider, s.Key, s.Name)
		for _, p := range []*string{s.BundleID, s.Version, s.ProductType, s.DeviceName, s.DeviceModel,
			s.DeviceManufacturer, s.HardwareVersion, s.SoftwareVersion} {
			if p != nil && *p != "" {
				args = append(args, *p)
			} else {
				args = append(args, nil)
			}
		}
		return args
	}, scan)
	return err
}

// DeleteSources removes sources this transaction created (UpsertSourcesNoting) and stored nothing under; no
// other transaction can have seen them yet.
func (t *Tx) DeleteSources(ctx context.Context, ids map[int64]struct{}) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM sources WHERE user_id = $1 AND source_id = ANY($2::bigint[])`,
		t.userID, pq.Array(list)); err != nil {
		return fmt.Errorf("delete unused sources: %w", err)
	}
	return nil
}

// SourceRef is the map key UpsertSources uses for a source.
func SourceRef(provider, key string) string { return provider + "\x00" + key }

// Sources lists the user's sources in first-seen order.
func (t *Tx) Sources(ctx context.Context) ([]Source, error) {
	var out []Source
	err := t.tx.SelectContext(ctx, &out, `
		SELECT source_id, provider, source_key, name, bundle_id, version, product_type, device_name, device_model,
			device_manufacturer, hardware_version, software_version, first_seen, last_seen
		FROM sources WHERE user_id = $1 ORDER BY source_id`, t.userID)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}
