package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"healthsync/db"
)

// DispatchOptions tune a Dispatcher; zero values take the defaults.
type DispatchOptions struct {
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RetryFor is how long a failing delivery is retried before it is dead-lettered: 72 h.
	RetryFor time.Duration
	// BaseDelay is the first retry's delay, doubled on every further failure up to MaxDelay: 30 s and 6 h.
	BaseDelay, MaxDelay time.Duration
	// Lease is how long a claimed delivery is out of the others' reach while it is being sent: 2 min. It
	// must outlast the client's timeout, or a slow receiver could get the event from two processes.
	Lease time.Duration
	// Batch bounds the deliveries one round claims: 32.
	Batch int
	// Jitter returns a number in [0, 1) that spreads retries; nil means math/rand.
	Jitter func() float64
}

// Stats counts what rounds did.
type Stats struct {
	Sent    int // delivered (2xx)
	Retried int // failed, scheduled again
	Dead    int // failed for the whole retry period, dead-lettered
}

func (s *Stats) add(o Stats) { s.Sent += o.Sent; s.Retried += o.Retried; s.Dead += o.Dead }

// Dispatcher delivers the outbox's events. Any number may run, in one process or many.
type Dispatcher struct {
	store *db.Store
	log   *slog.Logger
	o     DispatchOptions
}

// NewDispatcher builds a dispatcher over the store.
func NewDispatcher(store *db.Store, log *slog.Logger, o DispatchOptions) *Dispatcher {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 72 * time.Hour
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 30 * time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 6 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return &Dispatcher{store: store, log: log, o: o}
}

// Run delivers until ctx ends: a round whenever the previous one found work, else every interval; old
// delivered events are pruned hourly.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	lastPrune := time.Time{}
	for {
		st, claimed, err := d.round(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhook delivery round", "err", err)
		}
		if st.Dead > 0 {
			d.log.Warn("webhook deliveries dead-lettered", "count", st.Dead)
		}
		if now := d.o.Now(); now.Sub(lastPrune) >= time.Hour {
			lastPrune = now
			d.prune(ctx, now)
		}
		if claimed < d.o.Batch || err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		} else if ctx.Err() != nil {
			return
		}
	}
}

func (d *Dispatcher) prune(ctx context.Context, now time.Time) {
	err := d.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		n, err := tx.PruneWebhookEvents(ctx, now.Add(-7*24*time.Hour))
		if n > 0 {
			d.log.Info("pruned delivered webhook events", "events", n)
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		d.log.Error("prune webhook events", "err", err)
	}
}

// Drain runs rounds until one finds nothing due (tests, and a process that wants the outbox empty now).
func (d *Dispatcher) Drain(ctx context.Context) (Stats, error) {
	var total Stats
	for {
		st, claimed, err := d.round(ctx)
		total.add(st)
		if err != nil || claimed == 0 {
			return total, err
		}
	}
}

// round fans new events out, then claims, sends and settles one batch of due deliveries.
func (d *Dispatcher) round(ctx context.Context) (Stats, int, error) {
	var claimed []db.WebhookDelivery
	err := d.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		now := d.o.Now()
		for {
			n, err := tx.FanOutWebhookEvents(ctx, now, 500)
			if err != nil {
				return err
			}
			if n < 500 {
				break
			}
		}
		var err error
		claimed, err = tx.ClaimWebhookDeliveries(ctx, now, d.o.Lease, d.o.Batch)
		return err
	})
	if err != nil || len(claimed) == 0 {
		return Stats{}, 0, err
	}
	users := make([]int64, 0, len(claimed))
	for _, c := range claimed {
		users = append(users, c.UserID)
	}
	subjects, err := d.store.Subjects(ctx, users)
	if err != nil {
		return Stats{}, len(claimed), err
	}
	// At once: each claimed delivery heads its own user's queue for its endpoint, so sending them together keeps
	// every order, and the round stays within one client timeout, well inside the lease.
	outcomes := make([]db.DeliveryOutcome, len(claimed))
	var wg sync.WaitGroup
	for i, c := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = d.attempt(ctx, c, subjects[c.UserID])
		}()
	}
	wg.Wait()
	var st Stats
	for i := range claimed {
		switch outcomes[i].Status {
		case db.DeliveryDelivered:
			st.Sent++
		case db.DeliveryDead:
			st.Dead++
		default:
			st.Retried++
		}
	}
	// Not the round's context: a delivery that was sent must be recorded even when shutdown began meanwhile,
	// or it would be sent again after the lease.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = d.store.InSystemTx(settleCtx, func(tx *db.SysTx) error {
		at := d.o.Now()
		for i, c := range claimed {
			if err := tx.FinishWebhookDelivery(settleCtx, c, outcomes[i], at); err != nil {
				return err
			}
		}
		return nil
	})
	return st, len(claimed), err
}

// attempt sends one delivery and says what became of it.
func (d *Dispatcher) attempt(ctx context.Context, c db.WebhookDelivery, subject string) db.DeliveryOutcome {
	status, err := d.send(ctx, c, subject)
	if err == nil && status >= 200 && status < 300 {
		return db.DeliveryOutcome{Status: db.DeliveryDelivered, HTTPStatus: &status}
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	} else {
		msg = fmt.Sprintf("the receiver answered HTTP %d", status)
	}
	if len(msg) > 300 {
		msg = msg[:300]
	}
	o := db.DeliveryOutcome{Error: &msg}
	if status != 0 {
		o.HTTPStatus = &status
	}
	now := d.o.Now()
	if now.Sub(c.RetrySince) >= d.o.RetryFor {
		o.Status = db.DeliveryDead
		return o
	}
	o.Status, o.NextAttemptAt = db.DeliveryPending, now.Add(d.backoff(c.Attempts))
	return o
}

// backoff is the delay after the attempt-th failure: exponential, capped, with the upper half jittered so the
// retries of many deliveries that failed together (a receiver outage) do not all come back at once.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	delay := d.o.MaxDelay
	if attempt < 30 {
		if e := d.o.BaseDelay << (attempt - 1); e > 0 && e < delay {
			delay = e
		}
	}
	return delay/2 + time.Duration(d.o.Jitter()*float64(delay/2))
}

// MessageID is the webhook-id of an event: the same on every attempt, so a receiver dedupes by it.
func MessageID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// envelope is the body of a delivery (Standard Webhooks' type, timestamp, data).
type envelope struct {
	Type      string                     `json:"type"`
	Timestamp time.Time                  `json:"timestamp"`
	Data      map[string]json.RawMessage `json:"data"`
}

// Body is the JSON a delivery sends: the event's data with the user's subject, and its values only when the
// endpoint includes values.
func Body(c db.WebhookDelivery, subject string) ([]byte, error) {
	data := map[string]json.RawMessage{}
	if err := json.Unmarshal(c.Payload, &data); err != nil {
		return nil, fmt.Errorf("decode event %d: %w", c.EventID, err)
	}
	subj, _ := json.Marshal(subject)
	data["subject"] = subj
	if c.IncludeValues && len(c.Values) > 0 {
		data["values"] = json.RawMessage(c.Values)
	}
	return json.Marshal(envelope{Type: c.Type, Timestamp: c.CreatedAt.UTC(), Data: data})
}

func (d *Dispatcher) send(ctx context.Context, c db.WebhookDelivery, subject string) (int, error) {
	body, err := Body(c, subject)
	if err != nil {
		return 0, err
	}
	id, ts := MessageID(c.EventID), d.o.Now().Unix()
	sig, err := signature(c.Secrets, id, ts, body)
	if err != nil {
		return 0, fmt.Errorf("sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "healthsync-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
