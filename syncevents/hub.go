// Package syncevents fans committed upload batches out to subscribers. The write path announces each batch
// with PostgreSQL NOTIFY from inside its transaction (ingest.WithSyncNotify); a Hub holds one LISTEN connection
// per process and hands each notice to that user's subscribers, so every server process sharing the database
// sees every batch, whichever process stored it.
package syncevents

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"

	"healthsync/ingest"
)

// subscriberBuffer is how many events a slow subscriber may fall behind before new ones are dropped for it:
// a stalled websocket must not hold up everyone else's events.
const subscriberBuffer = 64

// Hub listens on ingest.SyncChannel and routes notices to subscribers by user.
type Hub struct {
	listener *pq.Listener
	log      *slog.Logger

	mu   sync.Mutex
	subs map[int64]map[chan ingest.SyncNotice]struct{}
	done chan struct{}
}

// Listen opens the LISTEN connection to dsn and returns once it is in place, so any batch committed after
// Listen returns reaches the hub. ctx bounds only the wait for the first connection.
func Listen(ctx context.Context, dsn string, log *slog.Logger) (*Hub, error) {
	if log == nil {
		log = slog.Default()
	}
	h := &Hub{log: log, subs: map[int64]map[chan ingest.SyncNotice]struct{}{}, done: make(chan struct{})}
	h.listener = pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("sync events: listener disconnected; reconnecting", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("sync events: listener reconnected; events committed meanwhile were missed")
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn("sync events: listener cannot connect", "err", err)
		}
	})
	listening := make(chan error, 1)
	go func() { listening <- h.listener.Listen(ingest.SyncChannel) }()
	select {
	case err := <-listening:
		if err != nil {
			_ = h.listener.Close()
			return nil, fmt.Errorf("listen for sync events: %w", err)
		}
	case <-ctx.Done():
		_ = h.listener.Close()
		return nil, fmt.Errorf("listen for sync events: %w", ctx.Err())
	}
	go h.run()
	return h, nil
}

func (h *Hub) run() {
	defer close(h.done)
	for n := range h.listener.NotificationChannel() {
		if n == nil {
			continue // the connection was re-established; pq signals possible gaps this way
		}
		notice, err := ingest.DecodeSyncNotice(n.Extra)
		if err != nil {
			h.log.Warn("sync events: unreadable notification", "err", err)
			continue
		}
		h.deliver(notice)
	}
}

func (h *Hub) deliver(n ingest.SyncNotice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[n.UserID] {
		select {
		case ch <- n:
		default:
			h.log.Warn("sync events: a subscriber is too slow; event dropped for it")
		}
	}
}

// Subscribe returns the notices of userID's committed batches until ctx ends; then the channel is closed.
func (h *Hub) Subscribe(ctx context.Context, userID int64) <-chan ingest.SyncNotice {
	ch := make(chan ingest.SyncNotice, subscriberBuffer)
	h.mu.Lock()
	if h.subs[userID] == nil {
		h.subs[userID] = map[chan ingest.SyncNotice]struct{}{}
	}
	h.subs[userID][ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-h.done:
		}
		h.mu.Lock()
		delete(h.subs[userID], ch)
		if len(h.subs[userID]) == 0 {
			delete(h.subs, userID)
		}
		h.mu.Unlock()
		close(ch)
	}()
	return ch
}

// Subscribers counts the open subscriptions (for tests and diagnostics).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.subs {
		n += len(s)
	}
	return n
}

// Close stops listening and ends every subscription.
func (h *Hub) Close() error {
	err := h.listener.Close()
	<-h.done // the listener closes its channel once its connection loop ends
	return err
}
