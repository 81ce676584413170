// Package garmin is the Garmin Connect Developer Program Health API adapter: OAuth 2.0 with PKCE, the
// summary pull endpoints of the wellness API (queried by upload time, at most 24 hours per request) and
// push notifications, which carry the summaries themselves. It maps dailies, epochs, sleeps, activities, body
// compositions, HRV, pulse ox and respiration to the canonical catalog; see DataTypes for what is left out.
package garmin

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

// Summary types, as the Health API names its endpoints and push keys.
const (
	Dailies     = "dailies"
	Epochs      = "epochs"
	Sleeps      = "sleeps"
	Activities  = "activities"
	BodyComps   = "bodyComps"
	HRV         = "hrv"
	PulseOx     = "pulseOx"
	Respiration = "respiration"
)

// pushKeys are the keys a push notification files a summary type under, where they differ from the pull
// endpoint's name. Public integrations spell pulse ox both ways, so both are read.
var pushKeys = map[string][]string{
	PulseOx:     {"pulseOx", "pulseox"},
	Respiration: {"allDayRespiration", "respiration"},
}

// pushKeysOf lists the push keys of a summary type.
func pushKeysOf(dataType string) []string {
	if k, ok := pushKeys[dataType]; ok {
		return k
	}
	return []string{dataType}
}

// Deregistrations is the DataType of an Event that says a user withdrew the app's access (a deregistration
// notification, or a permission change that removed HEALTH_EXPORT): Deleted is set, nothing is attached, and
// the connection should stop syncing. The items already stored stay: Garmin does not ask for their removal.
const Deregistrations = "deregistrations"

// Production endpoints (Garmin OAuth2 PKCE specification and Health API).
const (
	authURL  = "https://connect.garmin.com/oauth2Confirm"
	tokenURL = "https://diauth.garmin.com/di-oauth2-service/oauth/token"
	apiURL   = "https://apis.garmin.com"
)

const (
	restPrefix = "/wellness-api/rest/"
	// maxWindow is the longest upload window one pull request may ask for.
	maxWindow = 24 * time.Hour
)

// Adapter is the Garmin Health API. It holds nothing: the zero value is ready.
type Adapter struct{}

// New returns the Garmin adapter.
func New() providers.Adapter { return Adapter{} }

var _ providers.Adapter = Adapter{}

// Provider implements providers.Adapter.
func (Adapter) Provider() ingest.Provider { return ingest.Garmin }

// Endpoints implements providers.Adapter.
func (Adapter) Endpoints() providers.Endpoints {
	return providers.Endpoints{AuthURL: authURL, TokenURL: tokenURL, APIURL: apiURL}
}

// Scopes is empty: a Garmin app's permissions (HEALTH_EXPORT and the others) are set on the app in the
// developer portal and granted by the user on the consent page; the authorize request names none.
func (Adapter) Scopes() []string { return nil }

// DataTypes are the summary types mapped, dailies first so a backfill shows day totals early.
//
// Left out: stressDetails (the catalog has no stress or Body Battery metric), activityDetails (per-second
// samples of activities whose summaries already arrive as workouts), moveIQ (auto-detected movements that
// overlap epochs), skinTemp (a deviation from the user's baseline, not a temperature), userMetrics (VO2 max
// and fitness age by calendar date only, without a time or offset), healthSnapshot (its readings repeat
// what hrv, pulseOx and respiration carry), bloodPressures and menstrual cycle tracking (not mapped yet).
func (Adapter) DataTypes() []string {
	return []string{Dailies, Epochs, Sleeps, Activities, BodyComps, HRV, PulseOx, Respiration}
}

// UserID implements providers.Adapter: push notifications name users by this id.
func (Adapter) UserID(ctx context.Context, api *providers.API) (string, error) {
	var out userIDAnswer
	if err := api.GetJSON(ctx, restPrefix+"user/id", nil, &out); err != nil {
		return "", fmt.Errorf("garmin user id: %w", err)
	}
	if out.UserID == "" {
		return "", errors.New("garmin user id: the answer has no userId")
	}
	return out.UserID, nil
}

// Fetch returns the summaries of one type that Garmin received (uploadStartTimeInSeconds to
// uploadEndTimeInSeconds) in [from, to), one request per 24 hours. A summary re-sent within the window (a
// daily grows through the day) is returned once, in its last version.
func (Adapter) Fetch(ctx context.Context, api *providers.API, dataType string, from, to time.Time) ([]providers.Record, error) {
	decode := decoder(dataType)
	if decode == nil {
		return nil, fmt.Errorf("garmin: unknown data type %q", dataType)
	}
	var recs []providers.Record
	for _, w := range windows(from, to) {
		q := url.Values{
			"uploadStartTimeInSeconds": {strconv.FormatInt(w[0], 10)},
			"uploadEndTimeInSeconds":   {strconv.FormatInt(w[1], 10)},
		}
		got, err := decode(func(out any) error { return api.GetJSON(ctx, restPrefix+dataType, q, out) })
		if err != nil {
			return nil, fmt.Errorf("garmin %s: %w", dataType, err)
		}
		for _, g := range got {
			recs = append(recs, g...)
		}
	}
	return latest(recs), nil
}

// FetchRecord is not supported: the Health API has no endpoint for one summary, and push notifications
// carry the summaries themselves, so no event ever names a record to fetch.
func (Adapter) FetchRecord(ctx context.Context, api *providers.API, dataType, id string) ([]providers.Record, error) {
	return nil, fmt.Errorf("garmin %s %s: %w: summaries arrive in push notifications", dataType, id, errors.ErrUnsupported)
}

// windows splits [from, to) into upload windows of at most maxWindow, in whole Unix seconds.
func windows(from, to time.Time) [][2]int64 {
	start, end := from.Unix(), to.Unix()
	if to.After(time.Unix(end, 0)) {
		end++ // a fraction of a second past the last whole one still belongs to the window
	}
	step := int64(maxWindow / time.Second)
	var out [][2]int64
	for s := start; s < end; s += step {
		out = append(out, [2]int64{s, min(s+step, end)})
	}
	return out
}

// decoder decodes one answer (or one push array) of a summary type and maps it, one group of records per
// summary (a daily becomes the day's record and its hours of heart rate); nil for unknown types.
func decoder(dataType string) func(get func(any) error) ([][]providers.Record, error) {
	switch dataType {
	case Dailies:
		return decodeEach(mapDaily)
	case Epochs:
		return decodeEach(one(mapEpoch))
	case Sleeps:
		return decodeEach(one(mapSleep))
	case Activities:
		return decodeEach(one(mapActivity))
	case BodyComps:
		return decodeEach(one(mapBodyComp))
	case HRV:
		return decodeEach(one(mapHRV))
	case PulseOx:
		return decodeEach(one(mapPulseOx))
	case Respiration:
		return decodeEach(one(mapRespiration))
	}
	return nil
}

func one[T any](m func(T) providers.Record) func(T) []providers.Record {
	return func(v T) []providers.Record { return []providers.Record{m(v)} }
}

func decodeEach[T any](m func(T) []providers.Record) func(func(any) error) ([][]providers.Record, error) {
	return func(get func(any) error) ([][]providers.Record, error) {
		var in []T
		if err := get(&in); err != nil {
			return nil, err
		}
		out := make([][]providers.Record, 0, len(in))
		for _, s := range in {
			out = append(out, m(s))
		}
		return out, nil
	}
}

// latest keeps the last version of each record, in the order of those last versions.
func latest(recs []providers.Record) []providers.Record {
	last := make(map[string]int, len(recs))
	for i, r := range recs {
		last[r.ID] = i
	}
	if len(last) == len(recs) {
		return recs
	}
	out := make([]providers.Record, 0, len(last))
	for i, r := range recs {
		if last[r.ID] == i {
			out = append(out, r)
		}
	}
	return out
}

// Revoke implements providers.Revoker: deleting the user's registration withdraws the app's access, so Garmin
// stops pushing that user's data.
func (Adapter) Revoke(ctx context.Context, api *providers.API) error {
	return api.Send(ctx, http.MethodDelete, restPrefix+"user/registration", nil)
}
