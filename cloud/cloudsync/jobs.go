package cloudsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/cloud/providers"
	"healthsync/db"
	"healthsync/ingest"
	"healthsync/webhooks"
)

// Run works on due jobs until ctx ends, waiting idle between empty rounds. Every server process may run it:
// jobs are claimed with SKIP LOCKED, so no job runs twice at once.
func (s *Service) Run(ctx context.Context, idle time.Duration) { s.run(ctx, idle, nil) }

// run is Run; idled, when not nil, is called each time the loop has nothing due (its first call comes after
// the first round's pruning), and the loop stops when it returns false.
func (s *Service) run(ctx context.Context, idle time.Duration, idled func() bool) {
	if idle <= 0 {
		idle = 5 * time.Second
	}
	var pruned, subscribed time.Time
	for ctx.Err() == nil {
		if now := s.o.Now(); now.Sub(pruned) > time.Hour {
			pruned = now
			s.prune(ctx, now, 7*24*time.Hour)
			if now.Sub(subscribed) > 24*time.Hour {
				subscribed = now
				_ = s.EnsureSubscriptions(ctx) // logged inside; retried tomorrow, polling covers meanwhile
			}
		}
		n, err := s.RunDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.o.Logger.Error("cloud provider jobs", "err", err)
		}
		if n == 0 || err != nil {
			if idled != nil && !idled() {
				return
			}
			if providers.SleepContext(ctx, idle) != nil {
				return
			}
		}
	}
}

// prune deletes jobs that ended longer than retention ago (finished record fetches would otherwise pile up),
// connection links that expired unopened, and the tombstones corrections left longer than retention ago. Jobs
// and links are dated by our clock (now), tombstones by the database's.
func (s *Service) prune(ctx context.Context, now time.Time, retention time.Duration) {
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		n, err := tx.PruneJobs(ctx, now.Add(-retention))
		if err != nil {
			return err
		}
		if n > 0 {
			s.o.Logger.Info("pruned ended cloud provider jobs", "jobs", n)
		}
		_, err = tx.PruneOAuthTickets(ctx, now)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.o.Logger.Error("prune cloud provider jobs", "err", err)
	}
	// Tombstones of replaced revisions' items: no upload sends those ids again (see migration 0011).
	prefixes := make([]string, 0, len(s.providers))
	for name := range s.providers {
		prefixes = append(prefixes, itemPrefix(name))
	}
	var total int64
	for ctx.Err() == nil {
		var n int64
		err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			n, err = tx.PruneTombstones(ctx, prefixes, retention, 5000)
			return err
		})
		total += n
		if err != nil {
			if ctx.Err() == nil {
				s.o.Logger.Error("prune cloud provider tombstones", "err", err)
			}
			break
		}
		if n < 5000 {
			break
		}
	}
	if total > 0 {
		s.o.Logger.Info("pruned tombstones of replaced cloud provider records", "tombstones", total)
	}
}

// RunDue runs every job that is due now, one after the other, and reports how many ran. A job that is
// requeued for now (the next chunk of a backfill) runs in the same call.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	ran := 0
	for ctx.Err() == nil {
		var j *db.ProviderJob
		err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			j, err = tx.ClaimJob(ctx, s.o.Now().UTC(), s.o.Lease)
			return err
		})
		if err != nil {
			return ran, err
		}
		if j == nil {
			return ran, nil
		}
		ran++
		s.runJob(ctx, *j)
	}
	return ran, ctx.Err()
}

// runJob runs one claimed job and records its outcome; failures are retried with backoff, and a refused
// token stops the connection's jobs until the user connects again.
func (s *Service) runJob(ctx context.Context, j db.ProviderJob) {
	name := ingest.Provider(j.Provider)
	now := s.o.Now().UTC()
	outcome, syncErr := s.work(ctx, j)
	log := s.o.Logger.With("provider", name, "job", j.JobID, "kind", j.Kind, "data_type", j.DataType)
	connStatus := db.ConnConnected
	if syncErr != nil {
		msg := syncErr.Error()
		outcome.Error = &msg
		switch {
		case isReauthorize(syncErr):
			connStatus = db.ConnReauthorize
			outcome.Status = "FAILED"
			log.Warn("cloud provider refused the token; the user must connect again", "err", syncErr)
		case errors.Is(syncErr, errGone):
			outcome.Status = "CANCELLED"
		case errors.Is(syncErr, providers.ErrForbidden):
			// Not granted: retrying will not help until the user connects again with the type ticked; the other
			// data types of the connection keep flowing.
			outcome.Status = "FAILED"
			msg := fmt.Sprintf("%s was not granted by the user (connect again and allow it): %v", j.DataType, syncErr)
			outcome.Error = &msg
			log.Warn("cloud provider data type not granted", "err", syncErr)
		case j.Attempts >= s.o.MaxAttempts:
			outcome.Status = "FAILED"
			log.Error("cloud provider job failed for good", "attempts", j.Attempts, "err", syncErr)
		default:
			outcome.Status = "QUEUED"
			outcome.RunAt = now.Add(retryDelay(j.Attempts))
			log.Warn("cloud provider job will be retried", "attempt", j.Attempts, "retry_at", outcome.RunAt, "err", syncErr)
		}
	}
	if outcome.RunAt.IsZero() {
		outcome.RunAt = now
	}
	s.o.Observer.ObserveJob(j.Provider, j.Kind, jobOutcome(syncErr, connStatus, outcome.Status))
	err := s.store.InUserTx(ctx, j.UserID, func(tx *db.Tx) error {
		if err := tx.FinishJob(ctx, j.JobID, outcome, now); err != nil {
			return err
		}
		if errors.Is(syncErr, errGone) {
			return nil
		}
		if connStatus == db.ConnReauthorize {
			if err := announceReauthorize(ctx, tx, j.Provider, now); err != nil {
				return err
			}
		}
		return tx.MarkConnection(ctx, j.Provider, connStatus, outcome.Error, syncErr == nil, now)
	})
	if err != nil {
		log.Error("record cloud provider job outcome", "err", err)
	}
}

func jobOutcome(err error, conn, status string) string {
	switch {
	case err == nil:
		return "ok"
	case conn == db.ConnReauthorize:
		return "reauthorize"
	case errors.Is(err, providers.ErrForbidden):
		return "forbidden"
	case status == "CANCELLED":
		return "cancelled"
	case status == "QUEUED":
		return "retry"
	}
	return "failed"
}

// errGone means the connection went away (disconnected) while the job waited.
var errGone = errors.New("connection no longer exists")

// retryDelay backs off from 30 s to an hour.
func retryDelay(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d
}

func (s *Service) work(ctx context.Context, j db.ProviderJob) (db.JobOutcome, error) {
	name := ingest.Provider(j.Provider)
	p, err := s.provider(name)
	if err != nil {
		return db.JobOutcome{}, fmt.Errorf("%w: %v", errGone, err)
	}
	conn, err := s.connection(ctx, j.UserID, name)
	if err != nil {
		return db.JobOutcome{}, err
	}
	if conn == nil || conn.Status == db.ConnDisconnected || len(conn.TokenSealed) == 0 {
		return db.JobOutcome{}, errGone
	}
	tok, err := s.openToken(*conn)
	if err != nil {
		return db.JobOutcome{}, err
	}
	sess := s.storedSession(ctx, p, *conn, tok)

	now := s.o.Now().UTC()
	switch j.Kind {
	case db.JobFetchRecord:
		if j.RecordID == nil {
			return db.JobOutcome{Status: "DONE"}, nil
		}
		recs, err := p.Adapter.FetchRecord(ctx, sess.api, j.DataType, *j.RecordID)
		if errors.Is(err, providers.ErrNotFound) {
			return db.JobOutcome{Status: "DONE"}, nil
		}
		if err != nil {
			return db.JobOutcome{}, err
		}
		r, err := s.storeRecords(ctx, j.UserID, name, recs)
		if err != nil {
			return db.JobOutcome{}, err
		}
		return db.JobOutcome{Status: "DONE"}, s.progress(ctx, j.UserID, name, j.DataType, nil, r)

	case db.JobPoll:
		from, to := now.Add(-s.o.PollOverlap), now
		r, err := s.fetchWindow(ctx, p, sess, j, from, to)
		if err != nil {
			return db.JobOutcome{}, err
		}
		cur := "polled through " + to.Format(time.RFC3339)
		next := now.Add(s.o.PollEvery)
		return db.JobOutcome{Status: "QUEUED", RunAt: next, ResetAttempts: true},
			s.progress(ctx, j.UserID, name, j.DataType, &cur, r)

	default: // BACKFILL: one chunk per run, so a long window never holds a worker for long and progress shows
		if j.WindowFrom == nil || j.WindowTo == nil || !j.WindowFrom.Before(*j.WindowTo) {
			return db.JobOutcome{Status: "DONE"}, nil
		}
		from, to := *j.WindowFrom, *j.WindowTo
		end := from.Add(time.Duration(s.o.ChunkDays) * 24 * time.Hour)
		if end.After(to) {
			end = to
		}
		r, err := s.fetchWindow(ctx, p, sess, j, from, end)
		if err != nil {
			return db.JobOutcome{}, err
		}
		total := j.WindowTotalDays
		if total <= 0 {
			total = int((to.Sub(from) + 24*time.Hour - 1) / (24 * time.Hour))
		}
		left := int((to.Sub(end) + 24*time.Hour - 1) / (24 * time.Hour))
		done := end.Equal(to)
		cur := fmt.Sprintf("backfill through %s: %d/%d days", to.Format("2006-01-02"), total-left, total)
		if done {
			cur += " (done)"
		}
		if err := s.progress(ctx, j.UserID, name, j.DataType, &cur, r); err != nil {
			return db.JobOutcome{}, err
		}
		if !done {
			return db.JobOutcome{Status: "QUEUED", RunAt: now, WindowFrom: &end, ResetAttempts: true}, nil
		}
		// The window is in; from now on the data type is polled (webhooks bring most changes sooner).
		err = s.store.InUserTx(ctx, j.UserID, func(tx *db.Tx) error {
			return tx.EnqueueJobs(ctx, []db.ProviderJob{{Provider: j.Provider, Kind: db.JobPoll,
				DataType: j.DataType, RunAt: now.Add(s.o.PollEvery)}}, now)
		})
		return db.JobOutcome{Status: "DONE"}, err
	}
}

// fetchWindow fetches and stores one data type over [from, to) in chunks of ChunkDays.
func (s *Service) fetchWindow(ctx context.Context, p Provider, sess *session, j db.ProviderJob, from, to time.Time) (StoreResult, error) {
	var sum StoreResult
	step := time.Duration(s.o.ChunkDays) * 24 * time.Hour
	for f := from; f.Before(to); f = f.Add(step) {
		t := f.Add(step)
		if t.After(to) {
			t = to
		}
		recs, err := p.Adapter.Fetch(ctx, sess.api, j.DataType, f, t)
		if err != nil {
			return sum, err
		}
		r, err := s.storeRecords(ctx, j.UserID, p.Adapter.Provider(), recs)
		if err != nil {
			return sum, err
		}
		sum.Records += r.Records
		sum.add(r)
	}
	return sum, nil
}

// progress shows a provider data type's sync position in syncState, under the provider's device.
func (s *Service) progress(ctx context.Context, userID int64, name ingest.Provider, dataType string, cursor *string, r StoreResult) error {
	now := s.o.Now().UTC()
	return s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		if err := tx.UpsertDevice(ctx, db.Device{ID: DeviceID(name), Provider: string(name)}, now); err != nil {
			return err
		}
		return tx.UpdateSyncState(ctx, DeviceID(name), []db.SyncUpdate{{DataType: progressType(name, dataType),
			Cursor: cursor, NewestEnd: r.NewestEnd, NewItems: int64(r.Changed)}}, now)
	})
}

// announceReauthorize writes provider.reauthorize_required when the connection turns from CONNECTED to
// REAUTHORIZE: every job of the connection fails on the refused token, the receiver hears of it once.
func announceReauthorize(ctx context.Context, tx *db.Tx, provider string, at time.Time) error {
	c, err := tx.Connection(ctx, provider)
	if err != nil || c == nil || c.Status != db.ConnConnected {
		return err
	}
	return webhooks.Enqueue(ctx, tx, at, webhooks.Event{Type: webhooks.ProviderReauthorizeRequired,
		Data: webhooks.Provider{Provider: provider, Reason: "the provider refused the token; the user must connect again"}})
}
