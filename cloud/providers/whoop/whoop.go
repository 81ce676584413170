// Package whoop maps the WHOOP developer API v2 (https://developer.whoop.com/api) to healthsync's catalog.
//
// What WHOOP offers and what becomes of it:
//
//   - sleep (/v2/activity/sleep): one "sleep" category item with value in_bed spanning the sleep, and one
//     respiratory_rate sample at its end (the day of waking, like the recovery). WHOOP v2 gives stage totals,
//     not stage intervals, so no asleep_* or awake items are emitted: laying the totals end to end would draw
//     a hypnogram WHOOP never measured. The totals travel as metadata of the in_bed item
//     (stage_detail = "summary_only").
//   - recovery (/v2/recovery): resting_heart_rate, hrv_rmssd, oxygen_saturation and
//     sleeping_wrist_temperature samples (WHOOP's skin temperature is an absolute reading taken by the strap
//     during sleep, which is what that metric holds), dated at the end of the sleep the recovery was scored
//     from: WHOOP measures them during that sleep, scores them on waking, and the recovery carries no time.
//     The recovery score goes to metadata; the catalog has no metric for it. Record id: the sleep's id,
//     because v2 webhooks name a recovery by its sleep.
//   - workout (/v2/activity/workout): one workout, the WHOOP sport mapped to a catalog activity ("other"
//     when WHOOP's sport has no counterpart), energy from kilojoule, distance from distance_meter; strain,
//     heart rates and zone durations go to metadata.
//   - cycle (/v2/cycle): a physiological cycle runs from one sleep onset to the next, not over a calendar
//     day, so its kilojoule (everything expended in the cycle, resting energy included) is one
//     total_energy_burned sample over exactly [start, end) rather than a DailyTotal: the series code prorates
//     it over the days it touches. The cycle in progress (no end yet) is skipped until it ends.
//   - body_measurement (/v2/user/measurement/body): the height and weight the member typed into WHOOP, as
//     user-entered height and body_mass samples. WHOOP keeps no history and no date for them, so one record
//     ("body_measurement") holds the current values, dated at the start of the UTC day the fetched window
//     ends in (see bodyDate).
//
// WHOOP has no steps and no intraday series in v2, so nothing here is a DailyTotal.
//
// Webhooks (sleep, workout and recovery; updated and deleted) name one record each and are verified with
// the client secret (see Webhook). WHOOP has none for cycles or body measurements: those arrive through the
// windows the core fetches.
package whoop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"healthsync/cloud/providers"
	"healthsync/ingest"
)

// Data types, as Record.DataType and sync state name them.
const (
	TypeSleep    = "sleep"
	TypeRecovery = "recovery"
	TypeWorkout  = "workout"
	TypeCycle    = "cycle"
	TypeBody     = "body_measurement"
)

// pageLimit is the largest page the collection endpoints accept.
const pageLimit = 25

// maxPages bounds one window's paging: a provider handing out next tokens forever must not hold a job forever.
const maxPages = 400

// Adapter is the WHOOP adapter. It holds no state: only a clock, for dating a body measurement read
// outside any window.
type Adapter struct {
	now func() time.Time // nil: time.Now
}

// New returns the WHOOP adapter.
func New() providers.Adapter { return Adapter{} }

func (a Adapter) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// bodyDate dates the body measurement fetched for a window ending at to: WHOOP gives no date and only the
// member's current values, which are dated at the start of the UTC day the window ends in. Polls (windows
// ending now) fetched again the same day change nothing, the next day moves the one record forward, and a
// backfill, which walks its windows forward in time, leaves it at its last window.
func bodyDate(to time.Time) time.Time {
	return to.UTC().Truncate(24 * time.Hour)
}

// Provider implements providers.Adapter.
func (Adapter) Provider() ingest.Provider { return ingest.Whoop }

// Endpoints implements providers.Adapter.
func (Adapter) Endpoints() providers.Endpoints {
	return providers.Endpoints{
		AuthURL:  "https://api.prod.whoop.com/oauth/oauth2/auth",
		TokenURL: "https://api.prod.whoop.com/oauth/oauth2/token",
		APIURL:   "https://api.prod.whoop.com/developer",
	}
}

// Scopes implements providers.Adapter. offline is what makes WHOOP issue a refresh token.
func (Adapter) Scopes() []string {
	return []string{"offline", "read:profile", "read:body_measurement", "read:cycles", "read:recovery", "read:sleep", "read:workout"}
}

// DataTypes implements providers.Adapter.
func (Adapter) DataTypes() []string {
	return []string{TypeSleep, TypeRecovery, TypeWorkout, TypeCycle, TypeBody}
}

// UserID implements providers.Adapter: webhooks name users by the profile's user_id.
func (Adapter) UserID(ctx context.Context, api *providers.API) (string, error) {
	var p profileJSON
	if err := api.GetJSON(ctx, "/v2/user/profile/basic", nil, &p); err != nil {
		return "", err
	}
	if p.UserID == 0 {
		return "", errors.New("whoop profile has no user_id")
	}
	return strconv.FormatInt(p.UserID, 10), nil
}

// Fetch implements providers.Adapter.
func (Adapter) Fetch(ctx context.Context, api *providers.API, dataType string, from, to time.Time) ([]providers.Record, error) {
	switch dataType {
	case TypeSleep:
		sleeps, err := collect[sleepJSON](ctx, api, "/v2/activity/sleep", from, to)
		if err != nil {
			return nil, err
		}
		out := make([]providers.Record, 0, len(sleeps))
		for _, s := range sleeps {
			if r, ok := mapSleep(s); ok {
				out = append(out, r)
			}
		}
		return out, nil
	case TypeRecovery:
		return fetchRecoveries(ctx, api, from, to)
	case TypeWorkout:
		workouts, err := collect[workoutJSON](ctx, api, "/v2/activity/workout", from, to)
		if err != nil {
			return nil, err
		}
		out := make([]providers.Record, 0, len(workouts))
		for _, w := range workouts {
			if r, ok := mapWorkout(w); ok {
				out = append(out, r)
			}
		}
		return out, nil
	case TypeCycle:
		cycles, err := collect[cycleJSON](ctx, api, "/v2/cycle", from, to)
		if err != nil {
			return nil, err
		}
		out := make([]providers.Record, 0, len(cycles))
		for _, c := range cycles {
			if r, ok := mapCycle(c); ok {
				out = append(out, r)
			}
		}
		return out, nil
	case TypeBody:
		var b bodyJSON
		if err := api.GetJSON(ctx, "/v2/user/measurement/body", nil, &b); err != nil {
			return nil, err
		}
		return []providers.Record{mapBody(b, bodyDate(to))}, nil
	}
	return nil, fmt.Errorf("whoop has no data type %q", dataType)
}

// FetchRecord implements providers.Adapter. A record WHOOP no longer has is an empty answer, not an error.
func (a Adapter) FetchRecord(ctx context.Context, api *providers.API, dataType, id string) ([]providers.Record, error) {
	out, err := a.fetchRecord(ctx, api, dataType, id)
	if errors.Is(err, providers.ErrNotFound) {
		return []providers.Record{}, nil
	}
	return out, err
}

func (a Adapter) fetchRecord(ctx context.Context, api *providers.API, dataType, id string) ([]providers.Record, error) {
	if id == "" {
		return nil, errors.New("whoop record id is empty")
	}
	switch dataType {
	case TypeSleep:
		var s sleepJSON
		if err := api.GetJSON(ctx, "/v2/activity/sleep/"+url.PathEscape(id), nil, &s); err != nil {
			return nil, err
		}
		return one(mapSleep(s)), nil
	case TypeWorkout:
		var w workoutJSON
		if err := api.GetJSON(ctx, "/v2/activity/workout/"+url.PathEscape(id), nil, &w); err != nil {
			return nil, err
		}
		return one(mapWorkout(w)), nil
	case TypeCycle:
		var c cycleJSON
		if err := api.GetJSON(ctx, "/v2/cycle/"+url.PathEscape(id), nil, &c); err != nil {
			return nil, err
		}
		return one(mapCycle(c)), nil
	case TypeRecovery:
		return fetchRecovery(ctx, api, id)
	case TypeBody:
		var b bodyJSON
		if err := api.GetJSON(ctx, "/v2/user/measurement/body", nil, &b); err != nil {
			return nil, err
		}
		return []providers.Record{mapBody(b, bodyDate(a.clock()))}, nil
	}
	return nil, fmt.Errorf("whoop has no data type %q", dataType)
}

// fetchRecovery finds one recovery by the id a webhook gave: v2 webhooks send the sleep's UUID, v1 webhooks
// (and a cycle-keyed caller) the cycle's integer id. Either way the sleep is read too, since it times the
// samples.
func fetchRecovery(ctx context.Context, api *providers.API, id string) ([]providers.Record, error) {
	var (
		s   sleepJSON
		rec recoveryJSON
	)
	if cycleID, err := strconv.ParseInt(id, 10, 64); err == nil {
		if err := api.GetJSON(ctx, "/v2/cycle/"+strconv.FormatInt(cycleID, 10)+"/recovery", nil, &rec); err != nil {
			return nil, err
		}
		if rec.SleepID == "" {
			return []providers.Record{}, nil
		}
		if err := api.GetJSON(ctx, "/v2/activity/sleep/"+url.PathEscape(rec.SleepID), nil, &s); err != nil {
			return nil, err
		}
	} else {
		if err := api.GetJSON(ctx, "/v2/activity/sleep/"+url.PathEscape(id), nil, &s); err != nil {
			return nil, err
		}
		if s.CycleID == 0 {
			return []providers.Record{}, nil
		}
		if err := api.GetJSON(ctx, "/v2/cycle/"+strconv.FormatInt(s.CycleID, 10)+"/recovery", nil, &rec); err != nil {
			return nil, err
		}
	}
	return one(mapRecovery(rec, &s)), nil
}

// fetchRecoveries reads the window's recoveries and the sleeps they were scored from. WHOOP filters
// recoveries by their sleep's time, so the same window's sleeps nearly always hold them; the odd one
// outside (a sleep straddling the window's start) is read by id.
func fetchRecoveries(ctx context.Context, api *providers.API, from, to time.Time) ([]providers.Record, error) {
	recs, err := collect[recoveryJSON](ctx, api, "/v2/recovery", from, to)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	sleeps, err := collect[sleepJSON](ctx, api, "/v2/activity/sleep", from, to)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*sleepJSON, len(sleeps))
	for i := range sleeps {
		byID[sleeps[i].ID] = &sleeps[i]
	}
	out := make([]providers.Record, 0, len(recs))
	for _, rec := range recs {
		s := byID[rec.SleepID]
		if s == nil && rec.SleepID != "" {
			var one sleepJSON
			err := api.GetJSON(ctx, "/v2/activity/sleep/"+url.PathEscape(rec.SleepID), nil, &one)
			switch {
			case errors.Is(err, providers.ErrNotFound):
				// The sleep went away and its recovery with it; the deletion webhooks say so.
				continue
			case err != nil:
				return nil, err
			}
			s = &one
		}
		if r, ok := mapRecovery(rec, s); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// page is the shape of every v2 collection answer.
type page[T any] struct {
	Records   []T    `json:"records"`
	NextToken string `json:"next_token"`
}

// collect reads every page of a collection endpoint for [from, to).
func collect[T any](ctx context.Context, api *providers.API, path string, from, to time.Time) ([]T, error) {
	q := url.Values{}
	q.Set("start", from.UTC().Format(time.RFC3339Nano))
	q.Set("end", to.UTC().Format(time.RFC3339Nano))
	q.Set("limit", strconv.Itoa(pageLimit))
	var out []T
	seen := map[string]bool{}
	for range maxPages {
		var p page[T]
		if err := api.GetJSON(ctx, path, q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Records...)
		if p.NextToken == "" {
			return out, nil
		}
		if seen[p.NextToken] {
			return nil, fmt.Errorf("whoop %s repeated next_token %q", path, p.NextToken)
		}
		seen[p.NextToken] = true
		q.Set("nextToken", p.NextToken)
	}
	return nil, fmt.Errorf("whoop %s: more than %d pages for one window", path, maxPages)
}

func one(r providers.Record, ok bool) []providers.Record {
	if !ok {
		return []providers.Record{}
	}
	return []providers.Record{r}
}

// Revoke implements providers.Revoker: WHOOP's access revocation ends the grant, its tokens and its webhooks.
func (Adapter) Revoke(ctx context.Context, api *providers.API) error {
	return api.Send(ctx, http.MethodDelete, "/v2/user/access", nil)
}
