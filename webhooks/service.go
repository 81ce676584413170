package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"healthsync/db"
)

var (
	// ErrInvalidEndpoint is an endpoint an administrator described wrongly; the message says what.
	ErrInvalidEndpoint = errors.New("invalid webhook endpoint")
	// ErrNotFound means no dead delivery matched a redelivery.
	ErrNotFound = errors.New("no dead-lettered delivery matches")
)

// Service is the administration of endpoints and deliveries (deployment-wide, so system scope).
type Service struct {
	store *db.Store
	now   func() time.Time
}

// NewService builds the administration service. now may be nil (time.Now).
func NewService(store *db.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Endpoint is an endpoint as an administrator describes it.
type Endpoint struct {
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	Secrets       []string `json:"secrets"`     // whsec_…; several while rotating
	EventTypes    []string `json:"event_types"` // empty: every type
	Enabled       bool     `json:"enabled"`
	IncludeValues bool     `json:"include_values"`
}

func (e Endpoint) check() error {
	if e.Name == "" {
		return fmt.Errorf("%w: it needs a name", ErrInvalidEndpoint)
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w %q: the url must be an absolute http(s) URL", ErrInvalidEndpoint, e.Name)
	}
	if len(e.Secrets) == 0 {
		return fmt.Errorf("%w %q: it needs at least one secret (whsec_…)", ErrInvalidEndpoint, e.Name)
	}
	for _, s := range e.Secrets {
		if _, err := secretKey(s); err != nil {
			return fmt.Errorf("%w %q: %w", ErrInvalidEndpoint, e.Name, err)
		}
	}
	for _, t := range e.EventTypes {
		if !slices.Contains(EventTypes(), t) {
			return fmt.Errorf("%w %q: unknown event type %q (known: %v)", ErrInvalidEndpoint, e.Name, t, EventTypes())
		}
	}
	return nil
}

// SaveEndpoint registers the endpoint, or replaces the one of the same name.
func (s *Service) SaveEndpoint(ctx context.Context, e Endpoint) (db.WebhookEndpoint, error) {
	if err := e.check(); err != nil {
		return db.WebhookEndpoint{}, err
	}
	var out db.WebhookEndpoint
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		var err error
		out, err = tx.SaveWebhookEndpoint(ctx, db.WebhookEndpoint{Name: e.Name, URL: e.URL, Secrets: e.Secrets,
			EventTypes: e.EventTypes, Enabled: e.Enabled, IncludeValues: e.IncludeValues}, s.now())
		return err
	})
	return out, err
}

// LoadConfig registers the endpoints of a JSON array of Endpoint (the HEALTHSYNC_WEBHOOKS setting). An entry
// without "enabled" is enabled.
func (s *Service) LoadConfig(ctx context.Context, raw []byte) (int, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return 0, fmt.Errorf("%w: the configuration must be a JSON array of endpoints: %w", ErrInvalidEndpoint, err)
	}
	for i, item := range list {
		e := Endpoint{Enabled: true}
		if err := json.Unmarshal(item, &e); err != nil {
			return i, fmt.Errorf("%w: endpoint %d: %w", ErrInvalidEndpoint, i+1, err)
		}
		if _, err := s.SaveEndpoint(ctx, e); err != nil {
			return i, err
		}
	}
	return len(list), nil
}

// Endpoints lists the registered endpoints.
func (s *Service) Endpoints(ctx context.Context) ([]db.WebhookEndpoint, error) {
	var out []db.WebhookEndpoint
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		var err error
		out, err = tx.WebhookEndpoints(ctx)
		return err
	})
	return out, err
}

// Deliveries lists up to limit recently changed deliveries, of one status when status is not empty.
func (s *Service) Deliveries(ctx context.Context, status string, limit int) ([]db.WebhookDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []db.WebhookDelivery
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		var err error
		out, err = tx.WebhookDeliveries(ctx, status, limit)
		return err
	})
	return out, err
}

// Redeliver makes one dead-lettered delivery (eventID to endpointID) pending again, or every dead one when
// eventID is 0, and reports how many.
func (s *Service) Redeliver(ctx context.Context, eventID, endpointID int64) (int, error) {
	var n int64
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		var err error
		n, err = tx.RedeliverWebhooks(ctx, eventID, endpointID, s.now())
		return err
	})
	if err == nil && n == 0 && eventID != 0 {
		return 0, ErrNotFound
	}
	return int(n), err
}
