// Package categories reads back stored category samples of one type (symptoms, cycle tracking, heart
// notifications, hygiene events, …) with the catalog's names for the type and its values.
package categories

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// MaxRange bounds one read: a year of daily logs.
const MaxRange = 366 * 24 * time.Hour

// MaxLimit bounds the samples of one read.
const MaxLimit = 10000

var (
	// ErrInvalid is a request the caller must fix; the message after it says how.
	ErrInvalid = errors.New("invalid request")
	// ErrUnknownType is a type the catalog has no category for.
	ErrUnknownType = errors.New("unknown category type")
)

// Service answers the reads.
type Service struct {
	store *db.Store
	cat   *catalog.Catalog
}

// NewService wires the reads over the store and the catalog that names the types.
func NewService(store *db.Store, cat *catalog.Catalog) *Service {
	return &Service{store: store, cat: cat}
}

// Samples are the stored samples of one category with the category they belong to.
type Samples struct {
	Category catalog.Category
	Samples  []db.StoredCategorySample
}

// Samples lists the samples of the category typ (a canonical name, a HealthKit or Health Connect identifier)
// starting in [from, to), oldest first, at most limit.
func (s *Service) Samples(ctx context.Context, userID int64, typ string, from, to time.Time, limit int) (Samples, error) {
	c, ok := s.cat.LookupCategory(typ)
	if !ok {
		return Samples{}, fmt.Errorf("%w: %q is not a category type; the categories query lists them", ErrUnknownType, typ)
	}
	switch {
	case !to.After(from):
		return Samples{}, fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	case to.Sub(from) > MaxRange:
		return Samples{}, fmt.Errorf("%w: categorySamples may span at most %d days; split the range", ErrInvalid, int(MaxRange.Hours()/24))
	case limit < 1 || limit > MaxLimit:
		return Samples{}, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, MaxLimit)
	}
	out := Samples{Category: c}
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out.Samples, err = tx.CategorySamples(ctx, c.Name, from, to, limit)
		return err
	})
	return out, err
}
