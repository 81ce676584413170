// Package kinds reads back the items that are neither a number nor a category: State of Mind logs, ECG
// recordings, medication dose events and audiograms, as stored by the ingest.
package kinds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/db"
)

// MaxRange bounds one read of State of Mind logs or medication doses: a few a day for a year.
const MaxRange = 366 * 24 * time.Hour

// MaxECGRange bounds one read of ECG recordings, which carry thousands of voltages each.
const MaxECGRange = 31 * 24 * time.Hour

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid request")

// Service answers the reads.
type Service struct{ store *db.Store }

// NewService wires the reads over the store.
func NewService(store *db.Store) *Service { return &Service{store: store} }

func check(from, to time.Time, max time.Duration, what string) error {
	if !to.After(from) {
		return fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	if to.Sub(from) > max {
		return fmt.Errorf("%w: %s may span at most %d days; split the range", ErrInvalid, what, int(max.Hours()/24))
	}
	return nil
}

// read runs fn in the user's transaction once the range is checked.
func read[T any](ctx context.Context, s *Service, userID int64, from, to time.Time, max time.Duration, what string,
	fn func(tx *db.Tx) ([]T, error)) ([]T, error) {
	if err := check(from, to, max, what); err != nil {
		return nil, err
	}
	var out []T
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = fn(tx)
		return err
	})
	return out, err
}

// StatesOfMind lists the State of Mind logs starting in [from, to).
func (s *Service) StatesOfMind(ctx context.Context, userID int64, from, to time.Time) ([]db.StoredStateOfMind, error) {
	return read(ctx, s, userID, from, to, MaxRange, "stateOfMind", func(tx *db.Tx) ([]db.StoredStateOfMind, error) {
		return tx.StatesOfMind(ctx, from, to)
	})
}

// ECGRecordings lists the ECG recordings starting in [from, to).
func (s *Service) ECGRecordings(ctx context.Context, userID int64, from, to time.Time) ([]db.StoredECG, error) {
	return read(ctx, s, userID, from, to, MaxECGRange, "ecgRecordings", func(tx *db.Tx) ([]db.StoredECG, error) {
		return tx.ECGRecordings(ctx, from, to)
	})
}

// MedicationDoses lists the medication dose events logged in [from, to).
func (s *Service) MedicationDoses(ctx context.Context, userID int64, from, to time.Time) ([]db.StoredMedicationDose, error) {
	return read(ctx, s, userID, from, to, MaxRange, "medications", func(tx *db.Tx) ([]db.StoredMedicationDose, error) {
		return tx.MedicationDoses(ctx, from, to)
	})
}

// Audiograms lists the hearing tests starting in [from, to).
func (s *Service) Audiograms(ctx context.Context, userID int64, from, to time.Time) ([]db.StoredAudiogram, error) {
	return read(ctx, s, userID, from, to, MaxRange, "audiograms", func(tx *db.Tx) ([]db.StoredAudiogram, error) {
		return tx.Audiograms(ctx, from, to)
	})
}
