package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

var (
	// ErrInvalidBatch is a whole-request problem; nothing was written.
	ErrInvalidBatch = errors.New("invalid batch")
	// ErrBatchTooLarge means the batch holds more items than the server takes in one request.
	ErrBatchTooLarge = errors.New("batch too large")
	// ErrKeyReused means the idempotency key was used before for a different payload.
	ErrKeyReused = errors.New("idempotency key reused with a different payload")
)

// Limits bound one batch.
type Limits struct {
	// MaxItems bounds samples + series points + category samples + workouts + deletions + cursors.
	MaxItems int
}

// Service runs the write path.
type Service struct {
	store  *db.Store
	cat    *catalog.Catalog
	limits Limits
	now    func() time.Time
	// observer, when set, hears of every batch; notify sends a SyncNotice from every batch's transaction.
	observer Observer
	notify   bool
	// outbox writes webhook events from every batch's transaction (WithWebhooks).
	outbox bool
}

// NewService wires the write path. now may be nil (time.Now).
func NewService(store *db.Store, cat *catalog.Catalog, limits Limits, now func() time.Time, opts ...Option) *Service {
	if limits.MaxItems <= 0 {
		limits.MaxItems = 20000
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, cat: cat, limits: limits, now: now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Limits reports the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// Ingest validates, normalizes and stores one batch for the user in a transaction of its own, and returns the
// answer that is also stored under the batch's idempotency key.
func (s *Service) Ingest(ctx context.Context, userID int64, b Batch) (Result, error) {
	start := time.Now()
	res, err := s.ingest(ctx, userID, &b)
	s.Finish(ctx, b, res, err, time.Since(start))
	return res, err
}

func (s *Service) ingest(ctx context.Context, userID int64, b *Batch) (Result, error) {
	pb, err := s.prepare(b)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		res, err = s.write(ctx, tx, pb)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// IngestTx stores one batch inside a transaction the caller owns, so the caller's own bookkeeping (cloud provider
// record versions, daily totals) commits or rolls back with the batch. The answer is saved under the idempotency
// key in tx too: if the caller rolls back, nothing of the batch stays, not even its answer. On a replay
// (Result.Replayed) nothing was written; a caller skips its bookkeeping then, which the first run did.
// IngestTx reports to no observer: the caller calls Finish once its transaction ended, so a deadlock retry of
// the caller's transaction is counted once.
func (s *Service) IngestTx(ctx context.Context, tx *db.Tx, b Batch) (Result, error) {
	pb, err := s.prepare(&b)
	if err != nil {
		return Result{}, err
	}
	return s.write(ctx, tx, pb)
}

// Finish reports a batch whose transaction ended to the request's stats slot (TrackStats) and the observer.
// Ingest calls it itself; a caller of IngestTx calls it after its commit or rollback.
func (s *Service) Finish(ctx context.Context, b Batch, res Result, err error, took time.Duration) {
	st := BatchStats{Items: batchItems(&b), Result: res, Err: err, Took: took}
	recordStats(ctx, st)
	if s.observer != nil {
		s.observer.ObserveBatch(ctx, st)
	}
}

// prepared is a batch checked and fingerprinted, with the normalizer that will plan it; no database yet.
type prepared struct {
	b    *Batch
	hash []byte
	n    *normalizer
	now  time.Time
	p    *plan
}

// prepare checks the batch as a whole and fingerprints it for the idempotency key.
func (s *Service) prepare(b *Batch) (*prepared, error) {
	if err := s.checkBatch(b); err != nil {
		return nil, err
	}
	var metas []string
	hash, err := b.fingerprint(&metas)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata cannot be encoded: %v", ErrInvalidBatch, err)
	}
	now := s.now().UTC()
	n := &normalizer{cat: s.cat, dialect: dialectOf(b.Provider), provider: b.Provider, now: now,
		zones: map[string]bool{}, sources: map[string]db.Source{}, metas: metas}
	if b.Device.TimeZone != nil && *b.Device.TimeZone != "" {
		if !n.validZone(*b.Device.TimeZone) {
			return nil, fmt.Errorf("%w: device.timeZone %q is not an IANA zone name such as Europe/Zurich", ErrInvalidBatch, clip(*b.Device.TimeZone))
		}
		n.deviceTZ = *b.Device.TimeZone
	}
	return &prepared{b: b, hash: hash, n: n, now: now}, nil
}

// plan normalizes the batch the first time it is asked for. Normalizing waits until the key is claimed: a
// replay (a client retrying a batch whose answer it lost) is answered from the stored result without it. The
// plan is made once, whatever the deadlock retries.
func (pb *prepared) plan() *plan {
	if pb.p == nil {
		pb.p = pb.n.plan(pb.b)
	}
	return pb.p
}

func (s *Service) checkBatch(b *Batch) error {
	switch {
	case b.IdempotencyKey == "" || len(b.IdempotencyKey) > 255:
		return fmt.Errorf("%w: idempotencyKey must be 1 to 255 characters", ErrInvalidBatch)
	case b.Device.ID == "" || len(b.Device.ID) > maxIDLen:
		return fmt.Errorf("%w: device.id must be 1 to %d characters", ErrInvalidBatch, maxIDLen)
	}
	switch b.Provider {
	case AppleHealth, HealthConnect, Garmin, Oura, Whoop, OtherProvider:
	default:
		return fmt.Errorf("%w: unknown provider %q", ErrInvalidBatch, clip(string(b.Provider)))
	}
	for _, f := range []*string{&b.IdempotencyKey, &b.Device.ID, b.Device.Model, b.Device.OSVersion, b.Device.AppVersion, b.Device.TimeZone} {
		if f != nil && len(*f) > maxFieldLen {
			return fmt.Errorf("%w: a device field is longer than %d bytes", ErrInvalidBatch, maxFieldLen)
		}
		if f != nil && hasNUL(*f) {
			return fmt.Errorf("%w: the idempotency key or a device field contains a NUL character", ErrInvalidBatch)
		}
	}
	if items := batchItems(b); items > s.limits.MaxItems {
		return fmt.Errorf("%w: %d items (samples, series points, category samples, workouts, deletions and cursors together); at most %d per batch: split it", ErrBatchTooLarge, items, s.limits.MaxItems)
	}
	return nil
}
