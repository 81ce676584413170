package ingest

import (
	"context"
	"time"

	"healthsync/db"
)

// PruneKeys deletes the answers stored under idempotency keys older than retention, in rounds of 5,000, and
// reports how many went. A retry of a pruned batch is then stored as a new request: its samples count as
// duplicates by their ids and deleted ids stay deleted, so nothing is lost or doubled; only the answer is no
// longer the stored one.
func (s *Service) PruneKeys(ctx context.Context, retention time.Duration) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			n, err = tx.PruneIdempotencyKeys(ctx, retention, 5000)
			return err
		})
		total += n
		if err != nil || n < 5000 {
			return total, err
		}
	}
}
