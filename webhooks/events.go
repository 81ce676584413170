// Package webhooks tells other backends about new data: events are written to a transactional outbox by the
// transaction that changes the data (Enqueue), and a Dispatcher in any server process delivers them to the
// endpoints an administrator registered, signed per the Standard Webhooks specification.
package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"healthsync/db"
)

// Event types.
const (
	DataStored                  = "data.stored"
	DataDeleted                 = "data.deleted"
	ProviderConnected           = "provider.connected"
	ProviderDisconnected        = "provider.disconnected"
	ProviderReauthorizeRequired = "provider.reauthorize_required"
	SyncStale                   = "sync.stale"
	ExportReady                 = "export.ready"
	ErasureDone                 = "erasure.done"
)

// EventTypes are the types an endpoint may ask for.
func EventTypes() []string {
	return []string{DataStored, DataDeleted, ProviderConnected, ProviderDisconnected, ProviderReauthorizeRequired,
		SyncStale, ExportReady, ErasureDone}
}

// Event is one thing that happened to the transaction's user. Data must carry no health values (every endpoint
// receives it); Values, when set, goes only to endpoints configured to include values. The dispatcher adds the
// user's subject to Data.
type Event struct {
	Type   string
	Data   any
	Values any
}

// Enqueue writes events to the outbox inside tx, the user's transaction that changes the data they announce:
// they are delivered if and only if it commits. Any number of events costs one statement.
func Enqueue(ctx context.Context, tx *db.Tx, at time.Time, evs ...Event) error {
	rows, err := encode(evs)
	if err != nil {
		return err
	}
	return tx.EnqueueWebhooks(ctx, rows, at)
}

// EnqueueOf writes events of several users (users[i] is evs[i]'s) inside a system transaction, for the sweeps
// that work across users (sync.stale): the events commit with what the sweep records.
func EnqueueOf(ctx context.Context, tx *db.SysTx, at time.Time, users []int64, evs []Event) error {
	rows, err := encode(evs)
	if err != nil {
		return err
	}
	return tx.EnqueueWebhooksOf(ctx, users, rows, at)
}

func encode(evs []Event) ([]db.WebhookEvent, error) {
	rows := make([]db.WebhookEvent, 0, len(evs))
	for _, e := range evs {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("encode %s event: %w", e.Type, err)
		}
		row := db.WebhookEvent{Type: e.Type, Payload: data}
		if e.Values != nil {
			if row.Values, err = json.Marshal(e.Values); err != nil {
				return nil, fmt.Errorf("encode %s event values: %w", e.Type, err)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// KindCount is what a batch stored of one kind (samples, categories, workouts): items in all and per type.
type KindCount struct {
	Items int            `json:"items"`
	Types map[string]int `json:"types"`
}

// Stored is the data of a data.stored event: one committed batch.
type Stored struct {
	Device   string               `json:"device"`
	Provider string               `json:"provider"`
	Accepted int                  `json:"accepted"`
	Updated  int                  `json:"updated"`
	Kinds    map[string]KindCount `json:"kinds"`
	From     *time.Time           `json:"from,omitempty"` // the earliest start of what was stored
	To       *time.Time           `json:"to,omitempty"`   // the latest end
}

// Summary sums up the stored values of one quantity type, in the catalog's canonical unit: what an endpoint
// with include_values receives as data.stored's "values" (per type).
type Summary struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
}

// Add counts one value.
func (s *Summary) Add(v float64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
}

// Deleted is the data of a data.deleted event: the items one batch deleted.
type Deleted struct {
	Device   string `json:"device"`
	Provider string `json:"provider"`
	Deleted  int    `json:"deleted"`
}

// Provider is the data of the provider.* events.
type Provider struct {
	Provider string `json:"provider"`
	Reason   string `json:"reason,omitempty"`
}

// Stale is the data of a sync.stale event: a type of one device turned STALE (the device kept uploading, the
// type brought nothing new for StaleAfterHours). Times only, never values.
type Stale struct {
	Device          string     `json:"device"`
	Type            string     `json:"type"`
	LastSampleEnd   *time.Time `json:"lastSampleEnd,omitempty"` // the newest sample end of the type
	LastDataAt      time.Time  `json:"lastDataAt"`              // when the type last brought new data
	LastUploadAt    time.Time  `json:"lastUploadAt"`            // the device's last upload
	StaleAfterHours int        `json:"staleAfterHours"`
}

// Erased is the data of an erasure.done event: the erasure's record, rows deleted per table (no health data).
type Erased struct {
	ErasureID   int64            `json:"erasureId"`
	RequestedAt time.Time        `json:"requestedAt"`
	StartedAt   *time.Time       `json:"startedAt,omitempty"`
	FinishedAt  time.Time        `json:"finishedAt"`
	Rows        map[string]int64 `json:"rows"` // webhook_events counts the user's events erased, queued ones undelivered
}
