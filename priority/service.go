package priority

import (
	"context"
	"errors"
	"fmt"

	"healthsync/catalog"
	"healthsync/db"
)

// ErrInvalid is an order the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid source priority")

// Scopes are the names an order may be set for besides catalog metrics.
var Scopes = map[string]bool{"sleep": true, "workout": true}

// Service stores the users' own source orders.
type Service struct {
	store *db.Store
	cat   *catalog.Catalog
}

// NewService wires the priority writes.
func NewService(store *db.Store, cat *catalog.Catalog) *Service {
	return &Service{store: store, cat: cat}
}

// Ordered is the user's sources in priority order for metric ("" = the all-metrics order).
func Ordered(ctx context.Context, tx *db.Tx, metric string) ([]db.Source, error) {
	all, err := tx.Sources(ctx)
	if err != nil {
		return nil, err
	}
	custom, err := tx.SourcePriority(ctx, metric)
	if err != nil {
		return nil, err
	}
	return Order(all, custom), nil
}

// SetOrder stores the user's order for scope (a catalog metric, sleep, workout, or "" for all metrics) in its
// own transaction and answers the resulting order of all the user's sources.
func (s *Service) SetOrder(ctx context.Context, userID int64, scope string, sourceIDs []int64) ([]db.Source, error) {
	name, err := s.scope(scope)
	if err != nil {
		return nil, err
	}
	var ordered []db.Source
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		ordered, err = s.setOrderTx(ctx, tx, name, sourceIDs)
		return err
	})
	return ordered, err
}

// SetOrderTx is SetOrder inside the caller's user transaction.
func (s *Service) SetOrderTx(ctx context.Context, tx *db.Tx, scope string, sourceIDs []int64) ([]db.Source, error) {
	name, err := s.scope(scope)
	if err != nil {
		return nil, err
	}
	return s.setOrderTx(ctx, tx, name, sourceIDs)
}

func (s *Service) setOrderTx(ctx context.Context, tx *db.Tx, name string, sourceIDs []int64) ([]db.Source, error) {
	all, err := tx.Sources(ctx)
	if err != nil {
		return nil, err
	}
	mine := make(map[int64]bool, len(all))
	for _, src := range all {
		mine[src.ID] = true
	}
	for _, id := range sourceIDs {
		// The same answer whether the id does not exist or belongs to someone else.
		if !mine[id] {
			return nil, fmt.Errorf("%w: source %d is not one of your sources (the sources query lists them)", ErrInvalid, id)
		}
	}
	if err := tx.SetSourcePriority(ctx, name, sourceIDs); err != nil {
		return nil, err
	}
	return Ordered(ctx, tx, name)
}

// scope resolves a metric's alias to its catalog name; sleep and workout are scopes of their own.
func (s *Service) scope(scope string) (string, error) {
	if scope == "" {
		return "", nil
	}
	if m, ok := s.cat.Lookup(scope); ok {
		return m.Name, nil
	}
	if Scopes[scope] {
		return scope, nil
	}
	return "", fmt.Errorf("%w: unknown metric %q; the metrics query lists them (also: sleep, workout)", ErrInvalid, scope)
}
