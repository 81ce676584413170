// Package cloudsync connects users to cloud providers (Garmin, Oura, Whoop) and keeps their data flowing: the
// OAuth 2.0 authorization-code flow (PKCE) with tokens sealed at rest and refreshed before they expire, a
// backfill on connection, polling, webhooks, and the jobs behind them in PostgreSQL, claimed with SKIP LOCKED
// so any number of server processes share them. Provider records go through the same write path as phone
// uploads (package ingest), so their data lands in the same tables, merges by source priority, and shows in
// the same queries. The provider-specific mapping lives in the adapters (package providers and below).
package cloudsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/cloud/seal"
	"healthsync/db"
	"healthsync/ingest"
	"healthsync/webhooks"
)

var (
	// ErrUnknownProvider means the name is not a cloud provider this server knows.
	ErrUnknownProvider = errors.New("unknown cloud provider")
	// ErrNotConfigured means the provider has no client id and secret configured on this server.
	ErrNotConfigured = errors.New("cloud provider not configured")
	// ErrBadState means an OAuth callback carried a state this server did not issue, or one that expired.
	ErrBadState = errors.New("authorization state invalid or expired")
	// ErrDenied means the user (or the provider) declined the authorization.
	ErrDenied = errors.New("authorization declined")
	// ErrLinkSpent means a connection link was opened before (each opens once) or has expired.
	ErrLinkSpent = errors.New("connection link already opened or expired")
	// ErrOtherBrowser means an OAuth callback came from a browser other than the one that opened the link.
	ErrOtherBrowser = errors.New("authorization finished in another browser than the one that started it")
)

// Provider is one configured cloud provider.
type Provider struct {
	Adapter providers.Adapter
	Config  providers.Config
}

// Options tune the service; zero values take the defaults in brackets.
type Options struct {
	// PublicURL is the server's address as the user's browser and the providers reach it; callbacks are
	// PublicURL + /providers/<provider>/callback.
	PublicURL string
	// AfterConnectURL is where the callback sends the browser once done (with ?provider=&status=); empty
	// shows a short page instead.
	AfterConnectURL string
	BackfillDays    int           // [30]
	ChunkDays       int           // days fetched by one run of a backfill job [3]
	PollEvery       time.Duration // [1h]
	PollOverlap     time.Duration // a poll fetches this far back, for data that syncs to the provider late [48h]
	Lease           time.Duration // how long a claimed job is its worker's [10m]
	StateTTL        time.Duration // how long an authorization may take [15m]
	MaxAttempts     int           // failed runs before a job is FAILED [8]
	RefreshAhead    time.Duration // tokens are refreshed this long before they expire [5m]
	// HTTPClient makes the calls to providers (token endpoints included) [a client with a 60 s timeout].
	HTTPClient *http.Client
	// APIRetries and APIBackoff tune the retry of 429 and 5xx answers within one run [4, 2s]; Sleep waits
	// for them (tests record instead of waiting).
	APIRetries int
	APIBackoff time.Duration
	Sleep      func(context.Context, time.Duration) error
	Now        func() time.Time
	Logger     *slog.Logger
	// Observer, when set, counts job runs and webhook calls (metrics.Metrics implements it).
	Observer Observer
}

// Observer hears of every job run and webhook call.
type Observer interface {
	ObserveJob(provider, kind, outcome string)
	ObserveWebhook(provider, outcome string)
}

type noObserver struct{}

func (noObserver) ObserveJob(string, string, string) {}
func (noObserver) ObserveWebhook(string, string)     {}

// Service is the cloud provider connection manager.
type Service struct {
	store     *db.Store
	ing       *ingest.Service
	cat       *catalog.Catalog
	box       *seal.Box
	providers map[ingest.Provider]Provider
	o         Options
}

// New wires the service. Providers without a client id are known but not enabled.
func New(store *db.Store, ing *ingest.Service, cat *catalog.Catalog, box *seal.Box, provs []Provider, o Options) *Service {
	if o.BackfillDays <= 0 {
		o.BackfillDays = 30
	}
	if o.ChunkDays <= 0 {
		o.ChunkDays = 3
	}
	if o.PollEvery <= 0 {
		o.PollEvery = time.Hour
	}
	if o.PollOverlap <= 0 {
		o.PollOverlap = 48 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.StateTTL <= 0 {
		o.StateTTL = 15 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.RefreshAhead <= 0 {
		o.RefreshAhead = 5 * time.Minute
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.APIRetries <= 0 {
		o.APIRetries = 4
	}
	if o.APIBackoff <= 0 {
		o.APIBackoff = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	m := map[ingest.Provider]Provider{}
	for _, p := range provs {
		m[p.Adapter.Provider()] = p
	}
	return &Service{store: store, ing: ing, cat: cat, box: box, providers: m, o: o}
}

// provider returns a configured provider by name.
func (s *Service) provider(name ingest.Provider) (Provider, error) {
	p, ok := s.providers[name]
	if !ok {
		return Provider{}, fmt.Errorf("%w: %s", ErrUnknownProvider, name)
	}
	if p.Config.ClientID == "" {
		return Provider{}, fmt.Errorf("%w: set HEALTHSYNC_%s_CLIENT_ID and HEALTHSYNC_%s_CLIENT_SECRET", ErrNotConfigured, name, name)
	}
	return p, nil
}

// DeviceID is the device under which a provider's data and sync progress appear (sync state, sources).
func DeviceID(p ingest.Provider) string { return "cloud:" + strings.ToLower(string(p)) }

// progressType is the sync-state data type that carries the progress of one provider data type.
func progressType(p ingest.Provider, dataType string) string {
	return strings.ToLower(string(p)) + ":" + dataType
}

// Connections lists the user's provider connections.
func (s *Service) Connections(ctx context.Context, userID int64) ([]db.Connection, error) {
	var out []db.Connection
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		out, err = tx.Connections(ctx)
		return err
	})
	return out, err
}

// Disconnect forgets the user's tokens for the provider and cancels its jobs; the data already stored stays
// (deleting it is a separate, explicit act). It returns the connection as it is now, or nil when there was none.
func (s *Service) Disconnect(ctx context.Context, userID int64, name ingest.Provider) (*db.Connection, error) {
	if _, ok := s.providers[name]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownProvider, name)
	}
	s.revoke(ctx, userID, name)
	var c *db.Connection
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		was, err := tx.Disconnect(ctx, string(name), s.o.Now().UTC())
		if err != nil {
			return err
		}
		if was {
			if err := webhooks.Enqueue(ctx, tx, s.o.Now().UTC(), webhooks.Event{Type: webhooks.ProviderDisconnected,
				Data: webhooks.Provider{Provider: string(name)}}); err != nil {
				return err
			}
		}
		c, err = tx.Connection(ctx, string(name))
		return err
	})
	return c, err
}

// revoke withdraws the grant at the provider when the adapter can. Best effort: the user asked to disconnect,
// and a provider that is down must not keep the tokens alive here; the failure is logged.
func (s *Service) revoke(ctx context.Context, userID int64, name ingest.Provider) {
	p, err := s.provider(name)
	if err != nil {
		return
	}
	rv, ok := p.Adapter.(providers.Revoker)
	if !ok {
		return
	}
	conn, err := s.connection(ctx, userID, name)
	if err != nil || conn == nil || len(conn.TokenSealed) == 0 {
		return
	}
	tok, err := s.openToken(*conn)
	if err != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	sess := s.storedSession(rctx, p, *conn, tok)
	sess.api.Retries = 1
	if err := rv.Revoke(rctx, sess.api); err != nil {
		s.o.Logger.Warn("withdraw the grant at the provider", "provider", name, "err", err)
	}
}

// DailyTotals returns the providers' own daily totals of a metric for days in [from, to].
func (s *Service) DailyTotals(ctx context.Context, userID int64, metric string, from, to time.Time) ([]db.DailyTotal, catalog.Metric, error) {
	m, ok := s.cat.Lookup(metric)
	if !ok {
		return nil, m, fmt.Errorf("%w: %q", ErrUnknownMetric, metric)
	}
	var out []db.DailyTotal
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		out, err = tx.DailyTotals(ctx, m.Name, from, to)
		return err
	})
	return out, m, err
}

// ErrUnknownMetric means a metric name the catalog does not know.
var ErrUnknownMetric = errors.New("unknown metric")
