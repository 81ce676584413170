package devices

import (
	"context"
	"log/slog"
	"time"

	"healthsync/db"
	"healthsync/ingest"
	"healthsync/webhooks"
)

// staleBatch bounds the sync states one sweep transaction announces.
const staleBatch = 500

// AnnounceStale writes a sync.stale event for every (device, type) of any user that turned STALE since it was
// last announced, in the transaction that records the announcement, and says how many it wrote. STALE is the
// syncState query's own rule (ingest.SyncStatus with ingest.StaleAfter): the SQL only narrows the rows down, the
// rule decides. Any number of processes may sweep at once: rows are claimed with SKIP LOCKED (db.ClaimNewlyStale), and a transition
// is announced once (remembered in sync_state until new data of the type re-arms it).
func (s *Service) AnnounceStale(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for ctx.Err() == nil {
		picked, announced := 0, 0
		err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			cs, n, err := tx.ClaimNewlyStale(ctx, ingest.StaleAfter, staleBatch)
			if err != nil {
				return err
			}
			picked = n
			users := make([]int64, 0, len(cs))
			evs := make([]webhooks.Event, 0, len(cs))
			stale := cs[:0]
			for _, c := range cs {
				if ingest.SyncStatus(&c.LastDataAt, c.DeviceLastSeen, ingest.StaleAfter) != "STALE" {
					continue
				}
				stale = append(stale, c)
				users = append(users, c.UserID)
				evs = append(evs, webhooks.Event{Type: webhooks.SyncStale, Data: webhooks.Stale{Device: c.DeviceID,
					Type: c.DataType, LastSampleEnd: utc(c.NewestSampleEnd), LastDataAt: c.LastDataAt.UTC(),
					LastUploadAt: c.DeviceLastSeen.UTC(), StaleAfterHours: int(ingest.StaleAfter / time.Hour)}})
			}
			announced = len(stale)
			if err := tx.MarkStaleAnnounced(ctx, stale); err != nil {
				return err
			}
			return webhooks.EnqueueOf(ctx, tx, now, users, evs)
		})
		if err != nil {
			return total, err
		}
		total += announced
		// A full pick may have more behind it; one that announced nothing (all held by other sweeps, or not
		// STALE by the rule) would pick the same rows again.
		if picked < staleBatch || announced == 0 {
			return total, nil
		}
	}
	return total, ctx.Err()
}

// RunStaleSweep announces newly stale types every interval until ctx ends (serve runs it in every process).
func (s *Service) RunStaleSweep(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.AnnounceStale(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "announce stale sync states", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "announced stale sync states", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
