package rights

import (
	"context"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/ingest"
	"healthsync/webhooks"
)

// ErasureRequest is what requestErasure asks.
type ErasureRequest struct {
	Subject, TokenID string // recorded with the erasure
	EraseNow         bool
	GraceDays        *int // nil: the service's default
}

// RequestErasure schedules the erasure of everything of the user after the grace period (or at once). An
// erasure already open is returned (moved forward by EraseNow) rather than doubled.
func (s *Service) RequestErasure(ctx context.Context, userID int64, r ErasureRequest) (db.Erasure, error) {
	grace := s.o.Grace
	if r.GraceDays != nil {
		if *r.GraceDays < 0 || *r.GraceDays > MaxGraceDays {
			return db.Erasure{}, fmt.Errorf("%w: graceDays must be between 0 and %d", ErrInvalid, MaxGraceDays)
		}
		grace = time.Duration(*r.GraceDays) * 24 * time.Hour
	}
	if r.EraseNow {
		grace = 0
	}
	now := s.o.Now().UTC()
	var e db.Erasure
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		e, err = tx.RequestErasure(ctx, r.Subject, r.TokenID, now, now.Add(grace))
		return err
	})
	return e, err
}

// CancelErasure cancels the user's erasure during its grace period; nil when none is pending.
func (s *Service) CancelErasure(ctx context.Context, userID int64) (*db.Erasure, error) {
	var e *db.Erasure
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		e, err = tx.CancelErasure(ctx, s.o.Now().UTC())
		return err
	})
	return e, err
}

// Erasure is the user's latest erasure, or nil.
func (s *Service) Erasure(ctx context.Context, userID int64) (*db.Erasure, error) {
	var e *db.Erasure
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		e, err = tx.LatestErasure(ctx)
		return err
	})
	return e, err
}

// RunDueErasures claims and runs erasures whose grace period is over until none is due, and says how many ran.
func (s *Service) RunDueErasures(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		var e *db.Erasure
		if err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			e, err = tx.ClaimErasure(ctx, s.o.Now().UTC(), s.o.Lease)
			return err
		}); err != nil || e == nil {
			return n, err
		}
		if err := s.erase(ctx, *e); err != nil {
			msg := err.Error()
			_ = s.store.InUserTx(ctx, e.UserID, func(tx *db.Tx) error { return tx.FinishErasure(ctx, e.ID, time.Time{}, &msg) })
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}

// erase deletes every row of the user in every table with a user_id, one transaction per table so that a huge
// account neither holds one transaction for minutes nor starts over after a crash (the job is taken up again
// when its lease runs out, and deleting a table already emptied costs nothing). Uploads that began before the
// erasure's epoch was set may still commit rows into a table already walked: a second walk removes them, and
// the ingest refuses data dated before the epoch from then on.
func (s *Service) erase(ctx context.Context, e db.Erasure) error {
	s.revokeProviders(ctx, e.UserID)
	tables, err := s.store.UserDataTables(ctx)
	if err != nil {
		return err
	}
	for pass := 0; pass < 2; pass++ {
		for _, table := range tables {
			if err := s.store.InUserTx(ctx, e.UserID, func(tx *db.Tx) error {
				n, err := tx.EraseTable(ctx, table)
				if err != nil {
					return err
				}
				if n == 0 && pass > 0 {
					return nil
				}
				return tx.RecordErased(ctx, e.ID, table, n, s.o.Now().UTC().Add(s.o.Lease))
			}); err != nil {
				return err
			}
		}
	}
	return s.store.InUserTx(ctx, e.UserID, func(tx *db.Tx) error { return s.finish(ctx, tx, e) })
}

// finish marks the erasure done and announces it (erasure.done) in one transaction. The user's events still in
// the outbox are dropped first, undelivered: they announce data that no longer exists (the walk above already
// took those queued before it; this takes any an upload committed since), so a receiver hears nothing of the
// erased data after it hears of the erasure.
func (s *Service) finish(ctx context.Context, tx *db.Tx, e db.Erasure) error {
	now := s.o.Now().UTC()
	dropped, err := tx.DropWebhookEvents(ctx)
	if err != nil {
		return err
	}
	if dropped > 0 {
		if err := tx.RecordErased(ctx, e.ID, "webhook_events", dropped, now.Add(s.o.Lease)); err != nil {
			return err
		}
	}
	if err := tx.FinishErasure(ctx, e.ID, now, nil); err != nil {
		return err
	}
	rec, err := tx.LatestErasure(ctx)
	if err != nil {
		return err
	}
	if rec == nil || rec.ID != e.ID {
		return fmt.Errorf("finish erasure %d: its record is gone", e.ID)
	}
	return webhooks.Enqueue(ctx, tx, now, webhooks.Event{Type: webhooks.ErasureDone, Data: webhooks.Erased{
		ErasureID: e.ID, RequestedAt: rec.RequestedAt.UTC(), StartedAt: utc(rec.StartedAt), FinishedAt: now,
		Rows: rec.Rows()}})
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// revokeProviders withdraws the user's grants at the providers (best effort, as a disconnect: a provider that
// is down must not keep the erasure from running; the connection rows go with the rest of the data).
func (s *Service) revokeProviders(ctx context.Context, userID int64) {
	if s.o.Revoker == nil {
		return
	}
	var conns []db.Connection
	if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		conns, err = tx.Connections(ctx)
		return err
	}); err != nil {
		s.o.Log.WarnContext(ctx, "erasure: list provider connections", "err", err)
		return
	}
	for _, c := range conns {
		if c.Status == db.ConnDisconnected {
			continue
		}
		if _, err := s.o.Revoker.Disconnect(ctx, userID, ingest.Provider(c.Provider)); err != nil {
			s.o.Log.WarnContext(ctx, "erasure: revoke provider grant", "provider", c.Provider, "err", err)
		}
	}
}
