package ingest

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Observer hears about every batch the service handled, whatever its outcome (metrics, request logs).
// It runs on the request's goroutine after the transaction ended, so it must be quick.
type Observer interface {
	ObserveBatch(ctx context.Context, b BatchStats)
}

// BatchStats is what an observer learns about one batch: sizes and counts, never ids or values.
type BatchStats struct {
	// Items counts samples, series points, category samples, workouts, deletions and cursors.
	Items  int
	Result Result
	// Err is the reason the batch failed as a whole (nothing written); Result is empty then.
	Err  error
	Took time.Duration
}

// Option adjusts a Service at construction.
type Option func(*Service)

// WithObserver reports every batch to o.
func WithObserver(o Observer) Option {
	return func(s *Service) { s.observer = o }
}

// SyncChannel is the PostgreSQL NOTIFY channel that carries SyncNotice payloads.
const SyncChannel = "healthsync_sync"

// WithSyncNotify makes every batch that changed something send a SyncNotice on SyncChannel from inside its
// transaction, so listeners hear of it exactly when it commits (and never of a batch that rolled back). It is
// an option because a transaction that notifies takes a cluster-wide lock at commit; processes that serve no
// subscriptions do not pay for it.
func WithSyncNotify() Option {
	return func(s *Service) { s.notify = true }
}

// SyncNotice is the payload of a committed batch's notification. It stays small: PostgreSQL caps a payload at
// 8000 bytes, so the data types are left out (Truncated) when they would not fit.
type SyncNotice struct {
	UserID     int64     `json:"u"`
	DeviceID   string    `json:"d"`
	Accepted   int       `json:"a"`
	Duplicates int       `json:"p"`
	Updated    int       `json:"m"`
	Deleted    int       `json:"x"`
	DataTypes  []string  `json:"t,omitempty"`
	Truncated  bool      `json:"tr,omitempty"`
	At         time.Time `json:"at"`
}

const maxNoticeBytes = 7900

// encodeNotice renders n for pg_notify, dropping the data types when the payload would be too long.
func encodeNotice(n SyncNotice) (string, error) {
	slices.Sort(n.DataTypes)
	b, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	if len(b) > maxNoticeBytes {
		n.DataTypes, n.Truncated = nil, true
		if b, err = json.Marshal(n); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// DecodeSyncNotice reads a payload sent on SyncChannel.
func DecodeSyncNotice(payload string) (SyncNotice, error) {
	var n SyncNotice
	err := json.Unmarshal([]byte(payload), &n)
	return n, err
}

func batchItems(b *Batch) int {
	items := len(b.Samples) + len(b.Categories) + len(b.Workouts) + len(b.Deletions) + len(b.Cursors)
	for _, r := range b.Series {
		items += max(1, len(r.Points))
	}
	return items + kindItems(b) + workoutPartItems(b)
}

type statsKey struct{}

// TrackStats gives ctx a slot in which Ingest leaves the stats of the batch it handles under that context, so
// the request's log line can report counts without the HTTP layer knowing the write path.
func TrackStats(ctx context.Context) (context.Context, func() (BatchStats, bool)) {
	slot := &statsSlot{}
	return context.WithValue(ctx, statsKey{}, slot), func() (BatchStats, bool) { return slot.stats, slot.set }
}

type statsSlot struct {
	stats BatchStats
	set   bool
}

func recordStats(ctx context.Context, b BatchStats) {
	if slot, ok := ctx.Value(statsKey{}).(*statsSlot); ok {
		slot.stats, slot.set = b, true
	}
}
