// Package oura is the Oura Ring API v2 adapter: it fetches a user's heart rate, sleep periods, daily activity,
// workouts and daily SpO2 and maps them to healthsync's catalog, and it verifies Oura's webhooks (the GET
// subscription challenge and the HMAC-signed POST notifications).
//
// What is mapped, and what is left out on purpose:
//   - heartrate: heart_rate series, one record per UTC hour (the rows carry no id and no zone).
//   - sleep: "sleep" category (in_bed for the period, one item per run of equal 5-minute phases),
//     hrv_rmssd from average_hrv, respiratory_rate from average_breath, and resting_heart_rate from
//     lowest_heart_rate of the main sleep (type long_sleep) only, each at the period's end (the wake-up).
//     The period's heart_rate and hrv 5-minute items are not mapped: the same beats arrive through
//     heartrate (source "sleep"), and the night's HRV is kept as one value.
//   - daily_activity: daily totals steps, active_energy_burned and total_energy_burned. Oura gives no
//     intraday steps. equivalent_walking_distance is left out: it is energy expressed as metres walked,
//     not a distance anyone covered.
//   - workout: workouts with canonical activities, energy and distance.
//   - daily_spo2: an oxygen_saturation sample of the night's average.
//
// Left out: daily_readiness and daily_sleep (scores; readiness temperature_deviation is a deviation from the
// user's baseline, not a body temperature, so no catalog metric fits), daily_stress, daily_resilience,
// daily_cardiovascular_age, vO2_max, session, tag, enhanced_tag, rest_mode_period, ring_configuration,
// sleep_time and personal_info's body fields (no measurement time).
package oura

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// Data types, as Oura names them in routes and webhooks.
const (
	DailyActivity = "daily_activity"
	Sleep         = "sleep"
	Workout       = "workout"
	DailySpO2     = "daily_spo2"
	HeartRate     = "heartrate"
)

const collection = "/v2/usercollection/"

// maxPages bounds one window's paging: a provider that keeps answering with a next_token must not hold a
// job forever.
const maxPages = 500

// heartRateSpan is the widest heartrate query: integrators report that Oura refuses ranges over 30 days
// (its reference names no limit), and the core's windows are a few days anyway.
const heartRateSpan = 30 * 24 * time.Hour

// Adapter is the Oura provider. Its only field is the read-only catalog the mapping checks values against.
type Adapter struct {
	cat *catalog.Catalog
}

// New returns the Oura adapter.
func New() *Adapter { return &Adapter{cat: catalog.New()} }

var _ providers.Adapter = (*Adapter)(nil)
var _ providers.Challenger = (*Adapter)(nil)
var _ providers.Revoker = (*Adapter)(nil)

// Provider is ingest.Oura.
func (a *Adapter) Provider() ingest.Provider { return ingest.Oura }

// Endpoints are Oura's documented production URLs.
func (a *Adapter) Endpoints() providers.Endpoints {
	return providers.Endpoints{
		AuthURL:  "https://cloud.ouraring.com/oauth/authorize",
		TokenURL: "https://api.ouraring.com/oauth/token",
		APIURL:   "https://api.ouraring.com",
	}
}

// Scopes ask for what the mapped data types need: personal (the user id), daily (daily_activity, sleep),
// heartrate, workout and spo2Daily (spelled so in Oura's OAuth scope list).
func (a *Adapter) Scopes() []string {
	return []string{"personal", "daily", "heartrate", "workout", "spo2Daily"}
}

// DataTypes in backfill order: the cheap day summaries first, the dense heart rate last.
func (a *Adapter) DataTypes() []string {
	return []string{DailyActivity, Sleep, Workout, DailySpO2, HeartRate}
}

// UserID asks personal_info for the id Oura's webhooks name the user by.
func (a *Adapter) UserID(ctx context.Context, api *providers.API) (string, error) {
	var p personalInfo
	if err := api.GetJSON(ctx, collection+"personal_info", nil, &p); err != nil {
		return "", err
	}
	if p.ID == "" {
		return "", errors.New("oura: personal_info has no id")
	}
	return p.ID, nil
}

// Fetch returns the records of dataType in [from, to). Day-keyed collections are asked for every day the
// window touches and one more on each side: Oura filters them by the document's timestamp (04:00 local time
// for activity, which is the previous UTC day east of UTC+04, and the wake-up day for sleep) and reads a
// date-only end_date as that day's midnight. Records beyond the window are whole documents, so returning
// them is harmless.
func (a *Adapter) Fetch(ctx context.Context, api *providers.API, dataType string, from, to time.Time) ([]providers.Record, error) {
	if !to.After(from) {
		return nil, nil
	}
	if dataType == HeartRate {
		return a.fetchHeartRate(ctx, api, from, to)
	}
	q := url.Values{}
	q.Set("start_date", from.UTC().AddDate(0, 0, -1).Format(time.DateOnly))
	q.Set("end_date", to.UTC().Add(-time.Nanosecond).AddDate(0, 0, 2).Format(time.DateOnly))
	path := collection + dataType
	switch dataType {
	case DailyActivity:
		return collect(ctx, api, path, q, a.dailyActivity)
	case Sleep:
		return collect(ctx, api, path, q, a.sleep)
	case Workout:
		return collect(ctx, api, path, q, a.workout)
	case DailySpO2:
		return collect(ctx, api, path, q, a.dailySpO2)
	}
	return nil, fmt.Errorf("oura: unknown data type %q", dataType)
}

// FetchRecord fetches one document a webhook named. Heart rate rows have no documents.
func (a *Adapter) FetchRecord(ctx context.Context, api *providers.API, dataType, id string) ([]providers.Record, error) {
	path := collection + dataType + "/" + url.PathEscape(id)
	var (
		rec providers.Record
		err error
	)
	switch dataType {
	case DailyActivity:
		rec, err = one(ctx, api, path, a.dailyActivity)
	case Sleep:
		rec, err = one(ctx, api, path, a.sleep)
	case Workout:
		rec, err = one(ctx, api, path, a.workout)
	case DailySpO2:
		rec, err = one(ctx, api, path, a.dailySpO2)
	default:
		return nil, fmt.Errorf("oura: no single documents for data type %q", dataType)
	}
	if errors.Is(err, providers.ErrNotFound) {
		return []providers.Record{}, nil
	}
	if err != nil {
		return nil, err
	}
	return []providers.Record{rec}, nil
}

// one fetches and maps a single document.
func one[T any](ctx context.Context, api *providers.API, path string, mapDoc func(T) (providers.Record, error)) (providers.Record, error) {
	var doc T
	if err := api.GetJSON(ctx, path, nil, &doc); err != nil {
		return providers.Record{}, err
	}
	return mapDoc(doc)
}

// collect pages through a multi-document route and maps every document.
func collect[T any](ctx context.Context, api *providers.API, path string, q url.Values, mapDoc func(T) (providers.Record, error)) ([]providers.Record, error) {
	var out []providers.Record
	err := pages(ctx, api, path, q, func(docs []T) error {
		for _, d := range docs {
			rec, err := mapDoc(d)
			if err != nil {
				// One malformed document must not stall the connection's sync on every retry: it is
				// skipped (and what an earlier version stored stays) while the rest of the window lands.
				slog.WarnContext(ctx, "oura: document skipped", "path", path, "err", err)
				continue
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// pages follows next_token until Oura answers without one.
func pages[T any](ctx context.Context, api *providers.API, path string, q url.Values, each func([]T) error) error {
	seen := map[string]bool{}
	for n := 0; ; n++ {
		if n == maxPages {
			return fmt.Errorf("oura: %s still has pages after %d", path, maxPages)
		}
		var p page[T]
		if err := api.GetJSON(ctx, path, q, &p); err != nil {
			return err
		}
		if err := each(p.Data); err != nil {
			return err
		}
		if p.NextToken == nil || *p.NextToken == "" {
			return nil
		}
		if seen[*p.NextToken] {
			return fmt.Errorf("oura: %s repeated a next_token", path)
		}
		seen[*p.NextToken] = true
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("next_token", *p.NextToken)
		q = next
	}
}

// fetchHeartRate widens the window to whole UTC hours, because each hour is one record and a record must
// always be sent whole (a partial hour would replace the stored full one), and asks in spans Oura accepts.
func (a *Adapter) fetchHeartRate(ctx context.Context, api *providers.API, from, to time.Time) ([]providers.Record, error) {
	from = from.UTC().Truncate(time.Hour)
	if t := to.UTC().Truncate(time.Hour); t.Before(to) {
		to = t.Add(time.Hour)
	} else {
		to = t
	}
	var rows []heartRate
	for start := from; start.Before(to); start = start.Add(heartRateSpan) {
		end := start.Add(heartRateSpan)
		if end.After(to) {
			end = to
		}
		q := url.Values{}
		q.Set("start_datetime", start.Format(time.RFC3339))
		q.Set("end_datetime", end.Format(time.RFC3339))
		err := pages(ctx, api, collection+HeartRate, q, func(docs []heartRate) error {
			rows = append(rows, docs...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return a.heartRateHours(rows, from, to)
}

// Revoke implements providers.Revoker. Oura's authentication guide ends a grant with GET /oauth/revoke and the
// access token in the access_token query parameter (some integrations POST the same URL; the guide's GET is
// what is used here). The token comes from the connection's oauth2 transport, the only holder of it.
func (a *Adapter) Revoke(ctx context.Context, api *providers.API) error {
	t, ok := api.Client.Transport.(*oauth2.Transport)
	if !ok || t.Source == nil {
		return errors.New("oura: revoking needs the connection's OAuth 2.0 transport")
	}
	tok, err := t.Source.Token()
	if err != nil {
		return fmt.Errorf("oura: the token to revoke: %w", err)
	}
	return api.Send(ctx, http.MethodGet, "/oauth/revoke", url.Values{"access_token": {tok.AccessToken}})
}
