// Package devices reads what a user's uploads left behind about where they came from: the sources and devices
// seen, and the sync state per device and data type.
package devices

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/ingest"
)

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid devices request")

// MaxStaleAfterHours bounds the staleness a sync state read may ask for: 90 days.
const MaxStaleAfterHours = 2160

// SyncRequest asks for sync states.
type SyncRequest struct {
	DeviceID *string // nil = every device
	// StaleAfterHours is how long a type may stay silent while its device uploads (nil = ingest.StaleAfter).
	StaleAfterHours *int
}

// SyncState is a stored sync state with its status (ACTIVE or STALE) worked out.
type SyncState struct {
	db.SyncState
	Status string
}

// Service answers the per-user reads of sources, devices and sync state.
type Service struct {
	store *db.Store
}

// NewService wires the reads.
func NewService(store *db.Store) *Service { return &Service{store: store} }

// Sources lists the user's sources by id.
func (s *Service) Sources(ctx context.Context, userID int64) ([]db.Source, error) {
	var out []db.Source
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = tx.Sources(ctx)
		return err
	})
	return out, err
}

// Devices lists the user's devices.
func (s *Service) Devices(ctx context.Context, userID int64) ([]db.Device, error) {
	var out []db.Device
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = tx.Devices(ctx)
		return err
	})
	return out, err
}

// SyncStates lists the sync state of one device or all, by device then type.
func (s *Service) SyncStates(ctx context.Context, userID int64, req SyncRequest) ([]SyncState, error) {
	staleAfter := ingest.StaleAfter
	if h := req.StaleAfterHours; h != nil {
		if *h < 1 || *h > MaxStaleAfterHours {
			return nil, fmt.Errorf("%w: staleAfterHours must be between 1 and 2160 (90 days)", ErrInvalid)
		}
		staleAfter = time.Duration(*h) * time.Hour
	}
	var rows []db.SyncState
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		rows, err = tx.SyncStates(ctx, req.DeviceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]SyncState, len(rows))
	for i, r := range rows {
		out[i] = SyncState{SyncState: r, Status: ingest.SyncStatus(r.LastDataAt, r.DeviceLastSeen, staleAfter)}
	}
	return out, nil
}
