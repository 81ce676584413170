package db

import (
	"context"
	"fmt"
	"time"
)

// Device is an uploading app installation.
type Device struct {
	ID         string    `db:"device_id"`
	Provider   string    `db:"provider"`
	Model      *string   `db:"model"`
	OSVersion  *string   `db:"os_version"`
	AppVersion *string   `db:"app_version"`
	TimeZone   *string   `db:"time_zone"`
	ContentIDs bool      `db:"content_ids"`
	FirstSeen  time.Time `db:"first_seen"`
	LastSeen   time.Time `db:"last_seen"`
}

// UpsertDevice records that the device uploaded at `at`; descriptive fields take the newest non-empty value.
func (t *Tx) UpsertDevice(ctx context.Context, d Device, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO devices (user_id, device_id, provider, model, os_version, app_version, time_zone, content_ids,
			first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8, $8)
		ON CONFLICT (user_id, device_id) DO UPDATE SET
			provider    = EXCLUDED.provider,
			model       = coalesce(EXCLUDED.model, devices.model),
			os_version  = coalesce(EXCLUDED.os_version, devices.os_version),
			app_version = coalesce(EXCLUDED.app_version, devices.app_version),
			time_zone   = coalesce(EXCLUDED.time_zone, devices.time_zone),
			content_ids = EXCLUDED.content_ids,
			last_seen   = greatest(devices.last_seen, EXCLUDED.last_seen)`,
		t.userID, d.ID, d.Provider, d.Model, d.OSVersion, d.AppVersion, d.TimeZone, at, d.ContentIDs)
	if err != nil {
		return fmt.Errorf("upsert device: %w", err)
	}
	return nil
}

// Devices lists the user's devices, most recently seen first.
func (t *Tx) Devices(ctx context.Context) ([]Device, error) {
	var out []Device
	err := t.tx.SelectContext(ctx, &out, `
		SELECT device_id, provider, model, os_version, app_version, time_zone, content_ids, first_seen, last_seen
		FROM devices WHERE user_id = $1 ORDER BY last_seen DESC, device_id`, t.userID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

// MixesIDKinds reports whether the user has devices of the provider whose ids are of the other kind than
// contentIDs: then the same record may be stored under two ids.
func (t *Tx) MixesIDKinds(ctx context.Context, provider string, contentIDs bool) (bool, error) {
	var mixed bool
	err := t.tx.GetContext(ctx, &mixed, `
		SELECT EXISTS (SELECT 1 FROM devices WHERE user_id = $1 AND provider = $2 AND content_ids <> $3)`,
		t.userID, provider, contentIDs)
	if err != nil {
		return false, fmt.Errorf("read device id kinds: %w", err)
	}
	return mixed, nil
}
