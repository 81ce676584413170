package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// WebhookEvent is one event of the transaction's user for the outbox: its type, its data without health values,
// and the health values that only endpoints configured to include them receive (nil: none).
type WebhookEvent struct {
	Type    string
	Payload json.RawMessage
	Values  json.RawMessage
}

// EnqueueWebhooks writes the events to the outbox in the caller's transaction, in one statement whatever their
// number (or chunks of multi-row VALUES on Citus), so they commit or roll back with the data they announce.
func (t *Tx) EnqueueWebhooks(ctx context.Context, evs []WebhookEvent, at time.Time) error {
	users := make([]int64, len(evs))
	for i := range users {
		users[i] = t.userID
	}
	return enqueueWebhooks(ctx, t.tx, t.values(), users, evs, at)
}

// EnqueueWebhooksOf writes events of several users (users[i] is evs[i]'s) in a system transaction: the sweeps
// that work across users announce what they change in the transaction that changes it.
func (t *SysTx) EnqueueWebhooksOf(ctx context.Context, users []int64, evs []WebhookEvent, at time.Time) error {
	if len(users) != len(evs) {
		return fmt.Errorf("enqueue webhook events: %d users for %d events", len(users), len(evs))
	}
	return enqueueWebhooks(ctx, t.tx, t.values(), users, evs, at)
}

// enqueueWebhooks inserts the events in their order (ids follow it) with the unnest form, or, with values, as
// multi-row VALUES: Citus plans an INSERT … SELECT from unnest by copying the rows into the shards, which
// row-level security refuses, and splits a VALUES list by shard, so the sweeps' events of many users go too.
func enqueueWebhooks(ctx context.Context, tx *sqlx.Tx, values bool, users []int64, evs []WebhookEvent, at time.Time) error {
	if len(evs) == 0 {
		return nil
	}
	if values {
		v := valuesInsert{head: `INSERT INTO webhook_events (user_id, type, payload, vals, created_at)`,
			tuple: `(?, ?, ?::jsonb, ?::jsonb, $1)`, fixed: []any{at}}
		if _, err := v.run(ctx, tx, len(evs), func(i int, args []any) []any {
			var vals any
			if len(evs[i].Values) > 0 {
				vals = string(evs[i].Values)
			}
			return append(args, users[i], evs[i].Type, string(evs[i].Payload), vals)
		}, nil); err != nil {
			return fmt.Errorf("enqueue webhook events: %w", err)
		}
		return nil
	}
	types := make([]string, len(evs))
	payloads := make([]string, len(evs))
	vals := make([]*string, len(evs)) // NULL: no values
	for i, e := range evs {
		types[i], payloads[i] = e.Type, string(e.Payload)
		if len(e.Values) > 0 {
			v := string(e.Values)
			vals[i] = &v
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO webhook_events (user_id, type, payload, vals, created_at)
		SELECT u, t, p::jsonb, v::jsonb, $5
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(u, t, p, v, n)
		ORDER BY n`,
		pq.Array(users), pq.Array(types), pq.Array(payloads), pq.Array(vals), at)
	if err != nil {
		return fmt.Errorf("enqueue webhook events: %w", err)
	}
	return nil
}

// DropWebhookEvents deletes every event of the transaction's user from the outbox, with its deliveries, and
// counts them: an erasure does it before it announces itself, so nothing queued before the erasure (data it
// erased) is delivered after it.
func (t *Tx) DropWebhookEvents(ctx context.Context) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE user_id = $1`, t.userID)
	if err != nil {
		return 0, fmt.Errorf("drop webhook events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// WebhookEndpoint is a receiver registered for the deployment.
type WebhookEndpoint struct {
	ID            int64          `db:"endpoint_id"`
	Name          string         `db:"name"`
	URL           string         `db:"url"`
	Secrets       pq.StringArray `db:"secrets"`
	EventTypes    pq.StringArray `db:"event_types"`
	Enabled       bool           `db:"enabled"`
	IncludeValues bool           `db:"include_values"`
	CreatedAt     time.Time      `db:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
}

const endpointCols = `endpoint_id, name, url, secrets, event_types, enabled, include_values, created_at, updated_at`

// SaveWebhookEndpoint creates the endpoint or replaces the one of the same name, and returns it.
func (t *SysTx) SaveWebhookEndpoint(ctx context.Context, e WebhookEndpoint, at time.Time) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	if e.EventTypes == nil {
		e.EventTypes = pq.StringArray{}
	}
	err := t.tx.GetContext(ctx, &out, `
		INSERT INTO webhook_endpoints (name, url, secrets, event_types, enabled, include_values, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, secrets = EXCLUDED.secrets,
			event_types = EXCLUDED.event_types, enabled = EXCLUDED.enabled,
			include_values = EXCLUDED.include_values, updated_at = EXCLUDED.updated_at
		RETURNING `+endpointCols, e.Name, e.URL, e.Secrets, e.EventTypes, e.Enabled, e.IncludeValues, at)
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("save webhook endpoint: %w", err)
	}
	return out, nil
}

// WebhookEndpoints lists the registered endpoints by id.
func (t *SysTx) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var es []WebhookEndpoint
	if err := t.tx.SelectContext(ctx, &es, `SELECT `+endpointCols+` FROM webhook_endpoints ORDER BY endpoint_id`); err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	return es, nil
}

// FanOutWebhookEvents creates the deliveries of up to limit events not fanned out yet, one per enabled endpoint
// that wants the event's type, and reports how many events it handled. Like the job claims (claims.go) it picks
// the events without locks and locks them user by user, SKIP LOCKED, so processes share the work.
func (t *SysTx) FanOutWebhookEvents(ctx context.Context, at time.Time, limit int) (int, error) {
	var cands []claimKey
	if err := t.tx.SelectContext(ctx, &cands, `SELECT user_id, event_id AS id FROM webhook_events
		WHERE NOT fanned_out ORDER BY event_id LIMIT $1`, limit); err != nil {
		return 0, fmt.Errorf("pick webhook events: %w", err)
	}
	n := 0
	for _, u := range byUser(cands) {
		var ids []int64
		if err := t.tx.SelectContext(ctx, &ids, `SELECT event_id FROM webhook_events
			WHERE user_id = $1 AND event_id = ANY ($2) AND NOT fanned_out FOR UPDATE SKIP LOCKED`,
			u.userID, pq.Array(u.ids)); err != nil {
			return n, fmt.Errorf("lock webhook events: %w", err)
		}
		if len(ids) == 0 {
			continue
		}
		// One user's locked events on one shard and the endpoints (a reference table on Citus): the insert runs
		// where the events are.
		if _, err := t.tx.ExecContext(ctx, `
			INSERT INTO webhook_deliveries (user_id, event_id, endpoint_id, status, next_attempt_at, retry_since, updated_at)
			SELECT ev.user_id, ev.event_id, e.endpoint_id, 'PENDING', $3, $3, $3
			FROM webhook_events ev JOIN webhook_endpoints e
			  ON e.enabled AND (cardinality(e.event_types) = 0 OR ev.type = ANY (e.event_types))
			WHERE ev.user_id = $1 AND ev.event_id = ANY ($2)
			ON CONFLICT DO NOTHING`, u.userID, pq.Array(ids), at); err != nil {
			return n, fmt.Errorf("fan out webhook events: %w", err)
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE webhook_events SET fanned_out = true
			WHERE user_id = $1 AND event_id = ANY ($2)`, u.userID, pq.Array(ids)); err != nil {
			return n, fmt.Errorf("mark webhook events fanned out: %w", err)
		}
		n += len(ids)
	}
	return n, nil
}

// userIDs is one user's share of a claim's candidates, in the candidates' order.
type userIDs struct {
	userID int64
	ids    []int64
	others []int64 // claimKey.Other of each
}

// byUser groups candidates by user, users in the order of their first candidate.
func byUser(cands []claimKey) []*userIDs {
	var out []*userIDs
	at := map[int64]*userIDs{}
	for _, c := range cands {
		u, ok := at[c.UserID]
		if !ok {
			u = &userIDs{userID: c.UserID}
			at[c.UserID] = u
			out = append(out, u)
		}
		u.ids, u.others = append(u.ids, c.ID), append(u.others, c.Other)
	}
	return out
}

// Delivery statuses.
const (
	DeliveryPending   = "PENDING"
	DeliveryDelivered = "DELIVERED"
	DeliveryDead      = "DEAD"
)

// WebhookDelivery is one event to one endpoint, with what sending it needs.
type WebhookDelivery struct {
	UserID        int64          `db:"user_id"`
	EventID       int64          `db:"event_id"`
	EndpointID    int64          `db:"endpoint_id"`
	Status        string         `db:"status"`
	Attempts      int            `db:"attempts"`
	NextAttemptAt time.Time      `db:"next_attempt_at"`
	RetrySince    time.Time      `db:"retry_since"`
	LastStatus    *int           `db:"last_status"`
	LastError     *string        `db:"last_error"`
	DeliveredAt   *time.Time     `db:"delivered_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
	Type          string         `db:"type"`
	Payload       []byte         `db:"payload"`
	Values        []byte         `db:"vals"` // nil: no values
	CreatedAt     time.Time      `db:"created_at"`
	URL           string         `db:"url"`
	Secrets       pq.StringArray `db:"secrets"`
	IncludeValues bool           `db:"include_values"`
}

// ClaimWebhookDeliveries leases up to limit due deliveries: each is the oldest pending event of its user for
// its endpoint (a later one waits until the earlier is delivered or dead, and while an earlier event of the user
// is not fanned out yet, which keeps each user's events in the order of their ids). Like the job claims
// (claims.go) it picks them without locks and locks them user by user, SKIP LOCKED. The lease moves
// next_attempt_at forward, so a delivery whose process died is due again when it ends (at-least-once; receivers
// dedupe by webhook-id). It looks at more candidates than it takes, so that claimers running at once each find
// some.
func (t *SysTx) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error) {
	var cands []claimKey
	if err := t.tx.SelectContext(ctx, &cands, `
		SELECT user_id, event_id AS id, endpoint_id AS other FROM webhook_deliveries c
		WHERE status = 'PENDING' AND next_attempt_at <= $1
		  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
			WHERE p.endpoint_id = c.endpoint_id AND p.user_id = c.user_id AND p.status = 'PENDING'
			  AND p.event_id < c.event_id)
		  AND NOT EXISTS (SELECT 1 FROM webhook_events q
			WHERE q.user_id = c.user_id AND NOT q.fanned_out AND q.event_id < c.event_id)
		ORDER BY next_attempt_at, event_id LIMIT $2`, now, limit+claimCandidates); err != nil {
		return nil, fmt.Errorf("pick webhook deliveries: %w", err)
	}
	var ds []WebhookDelivery
	for _, u := range byUser(cands) {
		if len(ds) == limit {
			break
		}
		var locked []struct {
			EventID    int64 `db:"event_id"`
			EndpointID int64 `db:"endpoint_id"`
		}
		if err := t.tx.SelectContext(ctx, &locked, `SELECT event_id, endpoint_id FROM webhook_deliveries
			WHERE user_id = $1 AND (event_id, endpoint_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))
			  AND status = 'PENDING' AND next_attempt_at <= $4
			ORDER BY next_attempt_at, event_id LIMIT $5
			FOR UPDATE SKIP LOCKED`, u.userID, pq.Array(u.ids), pq.Array(u.others), now, limit-len(ds)); err != nil {
			return nil, fmt.Errorf("lock webhook deliveries: %w", err)
		}
		if len(locked) == 0 {
			continue
		}
		evs, eps := make([]int64, len(locked)), make([]int64, len(locked))
		for i, l := range locked {
			evs[i], eps[i] = l.EventID, l.EndpointID
		}
		var mine []WebhookDelivery
		if err := t.tx.SelectContext(ctx, &mine, `
			UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $5, updated_at = $4
			FROM webhook_events e, webhook_endpoints ep
			WHERE d.user_id = $1 AND (d.event_id, d.endpoint_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))
			  AND e.user_id = $1 AND e.event_id = d.event_id AND ep.endpoint_id = d.endpoint_id
			RETURNING d.user_id, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.retry_since,
				d.last_status, d.last_error, d.delivered_at, d.updated_at, e.type, e.payload, e.vals, e.created_at,
				ep.url, ep.secrets, ep.include_values`,
			u.userID, pq.Array(evs), pq.Array(eps), now, now.Add(lease)); err != nil {
			return nil, fmt.Errorf("claim webhook deliveries: %w", err)
		}
		ds = append(ds, mine...)
	}
	return ds, nil
}

// DeliveryOutcome is how an attempt ended.
type DeliveryOutcome struct {
	Status        string // DELIVERED, PENDING (retry at NextAttemptAt) or DEAD
	NextAttemptAt time.Time
	HTTPStatus    *int
	Error         *string
}

// FinishWebhookDelivery records an attempt's outcome.
func (t *SysTx) FinishWebhookDelivery(ctx context.Context, d WebhookDelivery, o DeliveryOutcome, at time.Time) error {
	next := o.NextAttemptAt
	if next.IsZero() {
		next = at
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5,
		last_status = $6, last_error = $7, delivered_at = CASE WHEN $4 = 'DELIVERED' THEN $8::timestamptz END, updated_at = $8
		WHERE user_id = $1 AND event_id = $2 AND endpoint_id = $3`,
		d.UserID, d.EventID, d.EndpointID, o.Status, next, o.HTTPStatus, o.Error, at)
	if err != nil {
		return fmt.Errorf("finish webhook delivery: %w", err)
	}
	return nil
}

// WebhookDeliveries lists the most recently changed deliveries, of one status when status is not empty.
func (t *SysTx) WebhookDeliveries(ctx context.Context, status string, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := t.tx.SelectContext(ctx, &ds, `
		SELECT d.user_id, d.event_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.retry_since,
			d.last_status, d.last_error, d.delivered_at, d.updated_at, e.type, e.payload, e.vals, e.created_at,
			ep.url, ep.secrets, ep.include_values
		FROM webhook_deliveries d
		JOIN webhook_events e ON (e.user_id, e.event_id) = (d.user_id, d.event_id)
		JOIN webhook_endpoints ep ON ep.endpoint_id = d.endpoint_id
		WHERE $1 = '' OR d.status = $1
		ORDER BY d.updated_at DESC, d.event_id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return ds, nil
}

// RedeliverWebhooks makes dead deliveries pending again with a fresh retry period: the one of eventID to
// endpointID, or every dead one when eventID is 0. It reports how many.
func (t *SysTx) RedeliverWebhooks(ctx context.Context, eventID, endpointID int64, at time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'PENDING', attempts = 0,
		retry_since = $3, next_attempt_at = $3, updated_at = $3
		WHERE status = 'DEAD' AND ($1 = 0 OR (event_id = $1 AND endpoint_id = $2))`, eventID, endpointID, at)
	if err != nil {
		return 0, fmt.Errorf("redeliver webhooks: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PruneWebhookEvents deletes events created before the given time whose every delivery succeeded (or that had
// no endpoint to go to), and reports how many.
func (t *SysTx) PruneWebhookEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM webhook_events e WHERE fanned_out AND created_at < $1
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.user_id = e.user_id AND d.event_id = e.event_id AND d.status <> 'DELIVERED')`, before)
	if err != nil {
		return 0, fmt.Errorf("prune webhook events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Subjects maps user ids to their token subjects. It reads the users directory as the connecting role, like
// EnsureUser: the directory is not a tenant table.
func (s *Store) Subjects(ctx context.Context, ids []int64) (map[int64]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.statementTimeout)
	defer cancel()
	var rows []User
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, subject, created_at FROM users WHERE id = ANY ($1)`,
		pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("read subjects: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, u := range rows {
		out[u.ID] = u.Subject
	}
	return out, nil
}
