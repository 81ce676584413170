// Package providers holds what every cloud provider (Garmin, Oura, Whoop) shares: the Adapter contract that
// maps a provider's documented JSON to healthsync's canonical catalog, the Record and Event shapes adapters
// return, and the rate-limit-aware API client they fetch through. The connection life cycle (OAuth, encrypted
// tokens, jobs, webhooks) lives in package cloudsync; the adapters live in providers/garmin, providers/oura and
// providers/whoop. Nothing here knows GraphQL or the database.
package providers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"healthsync/ingest"
)

// Config is one provider's settings, from the environment (HEALTHSYNC_<PROVIDER>_*). Empty URLs mean the
// adapter's documented production endpoints; tests point them at a local fake.
type Config struct {
	ClientID     string
	ClientSecret string
	AuthURL      string
	TokenURL     string
	APIURL       string // base URL the adapter's paths are joined to
	// WebhookSecret is what the provider signs or verifies webhooks with when that is not the client secret
	// (Oura's verification token, the path secret Garmin's push URL carries).
	WebhookSecret string
}

// Endpoints are a provider's documented production URLs.
type Endpoints struct {
	AuthURL  string
	TokenURL string
	APIURL   string
}

// Adapter is one cloud provider. Implementations hold no state and no credentials: everything arrives as
// arguments, so one adapter serves every user and every process.
type Adapter interface {
	// Provider is the provider's name as stored with every item (ingest.Garmin, ingest.Oura, ingest.Whoop).
	Provider() ingest.Provider
	// Endpoints are the documented production URLs.
	Endpoints() Endpoints
	// Scopes are the OAuth scopes a connection asks for (read access to every data type the adapter maps).
	Scopes() []string
	// DataTypes are the provider's own names of the data types the adapter pulls ("daily_activity",
	// "sleep", "workout", ...), in the order a backfill fetches them. Sync state shows one row per data type.
	DataTypes() []string
	// UserID asks the provider who the connected user is, right after the token exchange: webhooks name
	// users by this id.
	UserID(ctx context.Context, api *API) (string, error)
	// Fetch returns the records of one data type in [from, to): the window is at most a few days; the
	// adapter pages and splits further as its API requires.
	Fetch(ctx context.Context, api *API, dataType string, from, to time.Time) ([]Record, error)
	// FetchRecord returns one record by the id a webhook named (an empty slice when it no longer exists).
	FetchRecord(ctx context.Context, api *API, dataType, id string) ([]Record, error)
	// Webhook checks that a webhook request comes from the provider (signature, verification token or path
	// secret) and returns what it announces. An error means the request is refused with 401 and nothing
	// is done; it must not say which check failed beyond "signature" vs "malformed".
	Webhook(cfg Config, req WebhookRequest) ([]Event, error)
}

// Challenger is implemented by providers that verify a webhook subscription with a GET challenge (Oura):
// the answer is written back with 200 when ok.
type Challenger interface {
	Challenge(cfg Config, query url.Values) (answer []byte, ok bool)
}

// Revoker is implemented by providers that let an app withdraw a user's grant (Garmin deregistration, Whoop's
// access revocation): disconnectProvider calls it, best effort, before forgetting the token, so the provider
// stops pushing and the grant disappears from the user's account there too.
type Revoker interface {
	Revoke(ctx context.Context, api *API) error
}

// Subscriber is implemented by providers whose webhook subscriptions the app itself keeps through their API
// (Oura: subscriptions per data type and event, which lapse unless renewed). The server calls it at start and
// daily: it creates what is missing for callbackURL and renews what lapses within a week. client is a plain
// client (these calls authenticate with the app's own credentials from cfg).
type Subscriber interface {
	EnsureSubscriptions(ctx context.Context, cfg Config, client *http.Client, callbackURL string, now time.Time) (created, renewed int, err error)
}

// WebhookRequest is an incoming webhook call, read in full (bodies are bounded by the server).
type WebhookRequest struct {
	Header http.Header
	Query  url.Values
	Body   []byte
	Now    time.Time
}

// Record is one provider record (a Garmin daily summary, an Oura sleep period, a Whoop workout) mapped to
// canonical items. Items carry no ids: the core derives them from the provider, the record id and the
// record's content, so the same record sent again is stored once and a corrected record (same id, other
// content) replaces every item of the earlier version, including items the correction no longer has.
type Record struct {
	// DataType is one of the adapter's DataTypes.
	DataType string
	// ID is the provider's own id of the record, stable across corrections (Garmin summaryId, Oura id,
	// Whoop id). Records without an id use a natural key such as "2026-11-24" for a day.
	ID string
	// Samples use canonical metric names (catalog: steps, heart_rate, ...) and any unit the catalog converts
	// for the metric ("count", "count/min", "kcal", "m", "ms", "%", "degC", "kg", ...).
	Samples    []ingest.QuantitySample
	Series     []ingest.SeriesSample
	Categories []ingest.CategorySample // canonical category names and values: "sleep" with "in_bed", "asleep_core", "asleep_deep", "asleep_rem", "awake"
	Workouts   []ingest.Workout        // canonical activity types (catalog.Activities)
	// Totals are the provider's own daily totals (Garmin dailies, Oura daily_activity). They are stored
	// apart from samples and never summed with them.
	Totals []DailyTotal
}

// DailyTotal is a provider-computed total for one local calendar day.
type DailyTotal struct {
	Metric   string    // canonical cumulative metric: steps, active_energy_burned, distance_walking_running, ...
	Day      time.Time // the local day, as midnight UTC of that date
	TimeZone *string   // IANA name or a fixed offset zone (OffsetZone), when known
	Value    float64
	Unit     string // a unit the catalog converts for the metric
	Source   ingest.Source
}

// Event is what a webhook announces.
type Event struct {
	// ProviderUserID names the user as the provider knows them (UserID's answer).
	ProviderUserID string
	DataType       string
	// RecordID names one record to fetch with FetchRecord (Oura, Whoop), or to delete when Deleted.
	RecordID string
	Deleted  bool
	// Revoked says the user withdrew the app's access at the provider (Garmin deregistration): the connection
	// stops and asks the user to connect again.
	Revoked bool
	// From and To name a window to fetch when the event announces one rather than a record.
	From, To time.Time
	// Records are data pushed in the webhook itself (Garmin push); nothing is fetched then.
	Records []Record
}
