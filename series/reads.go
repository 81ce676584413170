package series

import (
	"context"
	"fmt"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// Bounds of one samples read.
const (
	DefaultSampleLimit = 100
	MaxSampleLimit     = 10000
)

// SamplesRequest asks for a metric's raw samples in [From, To).
type SamplesRequest struct {
	Metric   string
	From, To time.Time
	Limit    *int // nil = DefaultSampleLimit
}

// Samples reads a metric's stored samples in its own transaction of the user, with the metric they are of.
func (s *Service) Samples(ctx context.Context, userID int64, req SamplesRequest) (catalog.Metric, []db.StoredSample, error) {
	m, err := s.metric(req.Metric)
	if err != nil {
		return m, nil, err
	}
	n := DefaultSampleLimit
	if req.Limit != nil {
		n = *req.Limit
	}
	if n < 1 || n > MaxSampleLimit {
		return m, nil, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, MaxSampleLimit)
	}
	if !req.To.After(req.From) {
		return m, nil, fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	var rows []db.StoredSample
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		rows, err = tx.Samples(ctx, m.Name, req.From, req.To, n)
		return err
	})
	return m, rows, err
}

// MetricStats reads the user's first and last sample and count per metric, for the metrics the user has data of.
func (s *Service) MetricStats(ctx context.Context, userID int64) (map[string]db.MetricStats, error) {
	var stats []db.MetricStats
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		stats, err = tx.MetricStats(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	by := make(map[string]db.MetricStats, len(stats))
	for _, st := range stats {
		by[st.Metric] = st
	}
	return by, nil
}
