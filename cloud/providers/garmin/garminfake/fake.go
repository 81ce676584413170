// Package garminfake is an httptest stand-in for Garmin's OAuth 2.0 PKCE endpoints and the Health API
// (user id, summary pull endpoints, push notifications), serving documented shapes for one user and a
// configurable set of days. Tests drive the real adapter and the real core against it.
package garminfake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oauthfake"
)

// Paths the fake serves, as Garmin's production hosts do.
const (
	AuthorizePath = "/oauth2Confirm"
	TokenPath     = "/di-oauth2-service/oauth/token"
	restPrefix    = "/wellness-api/rest/"
	maxWindow     = 86400
)

// summaryTypes are the summary types the fake serves and pushes.
func summaryTypes() []string {
	return []string{"dailies", "epochs", "sleeps", "activities", "bodyComps", "hrv", "pulseOx", "respiration"}
}

// pushKey is the key a push files a summary type under (the pull endpoints' names, but for two).
func pushKey(typ string) string {
	switch typ {
	case "pulseOx":
		return "pulseox"
	case "respiration":
		return "allDayRespiration"
	}
	return typ
}

// Options configure the fake; zero values take the defaults named.
type Options struct {
	UserID       string // Garmin's user id (default "garmin-user-1")
	ClientID     string // default "garmin-client"
	ClientSecret string // default "garmin-secret"
	// WebhookSecret is the secret of the push URL (default "garmin-push-secret").
	WebhookSecret string
	// Days are the local calendar days with data (only the date is read). Use past days: the core refuses
	// items that end in the future.
	Days []time.Time
	// OffsetSeconds is every summary's startTimeOffsetInSeconds: local time = UTC + offset.
	OffsetSeconds int
	// StepsPerInterval is the steps of each WALKING epoch (default 100); epochs cover ActiveFrom to ActiveTo
	// local time (default 08:00 to 10:00), one per 15 minutes.
	StepsPerInterval     int
	ActiveFrom, ActiveTo time.Duration
	// ExpiresIn is the access token lifetime in seconds (default 1, so every use after the first refreshes).
	ExpiresIn int
	// PKCEOptional lets an authorization without code_challenge through (Garmin requires PKCE).
	PKCEOptional bool
	// Now is the clock corrections are uploaded at (default time.Now).
	Now func() time.Time
}

// Fake is a running fake Garmin.
type Fake struct {
	t   testing.TB
	o   Options
	srv *httptest.Server
	oa  *oauthfake.Server

	mu       sync.Mutex
	days     map[string]*day // by local date
	n429     int
	dataReqs int
	deregs   int
	windows  [][2]int64
}

type day struct {
	date     time.Time // midnight UTC of the local date
	steps    int
	version  int
	uploaded time.Time
}

// New starts a fake Garmin; it stops when the test ends.
func New(t testing.TB, o Options) *Fake {
	t.Helper()
	if o.UserID == "" {
		o.UserID = "garmin-user-1"
	}
	if o.ClientID == "" {
		o.ClientID = "garmin-client"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "garmin-secret"
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = "garmin-push-secret"
	}
	if o.StepsPerInterval == 0 {
		o.StepsPerInterval = 100
	}
	if o.ActiveFrom == 0 && o.ActiveTo == 0 {
		o.ActiveFrom, o.ActiveTo = 8*time.Hour, 10*time.Hour
	}
	if o.ExpiresIn == 0 {
		o.ExpiresIn = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f := &Fake{t: t, o: o, days: map[string]*day{}, oa: oauthfake.New(oauthfake.Options{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, ExpiresIn: o.ExpiresIn, RequirePKCE: !o.PKCEOptional,
		Extra: map[string]any{"refresh_token_expires_in": 7775998,
			"scope": "PARTNER_WRITE PARTNER_READ CONNECT_READ CONNECT_WRITE", "jti": oauthfake.Random()}})}
	now := o.Now()
	for _, d := range o.Days {
		date := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		// Uploaded at local noon (or just now, for today): inside any backfill window that covers the day.
		up := f.dayStart(date).Add(12 * time.Hour)
		if up.After(now) {
			up = now.Add(-time.Second)
		}
		f.days[date.Format(time.DateOnly)] = &day{date: date, steps: o.StepsPerInterval, uploaded: up}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AuthorizePath, f.oa.Authorize)
	mux.HandleFunc("POST "+TokenPath, f.oa.Token)
	mux.HandleFunc("GET "+restPrefix+"user/id", f.userID)
	mux.HandleFunc("DELETE "+restPrefix+"user/registration", f.deregister)
	mux.HandleFunc("GET "+restPrefix+"{type}", f.summaries)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// Config points every URL at the fake.
func (f *Fake) Config() providers.Config {
	return providers.Config{ClientID: f.o.ClientID, ClientSecret: f.o.ClientSecret,
		AuthURL: f.srv.URL + AuthorizePath, TokenURL: f.srv.URL + TokenPath, APIURL: f.srv.URL,
		WebhookSecret: f.o.WebhookSecret}
}

// UserID is the user the fake serves.
func (f *Fake) UserID() string { return f.o.UserID }

// Count429 is how many 429 answers the fake gave (the first summary request gets one).
func (f *Fake) Count429() int { f.mu.Lock(); defer f.mu.Unlock(); return f.n429 }

// DataRequests counts summary requests, the 429 included.
func (f *Fake) DataRequests() int { f.mu.Lock(); defer f.mu.Unlock(); return f.dataReqs }

// Exchanges counts authorization codes exchanged for tokens.
func (f *Fake) Exchanges() int { return f.oa.Exchanges() }

// Refreshes counts refresh_token grants.
func (f *Fake) Refreshes() int { return f.oa.Refreshes() }

// Windows are the upload windows (Unix seconds) of the summary requests answered with data, in order.
func (f *Fake) Windows() [][2]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.windows)
}

// Deregistrations counts DELETE /wellness-api/rest/user/registration calls.
func (f *Fake) Deregistrations() int { f.mu.Lock(); defer f.mu.Unlock(); return f.deregs }

// Correct changes one day's data as a re-synced device would (stepsPerInterval steps in each epoch, and
// the daily, activity and body composition that follow from it) and uploads it again at Now.
func (f *Fake) Correct(date time.Time, stepsPerInterval int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.days[date.Format(time.DateOnly)]
	if !ok {
		f.t.Fatalf("garminfake: no day %s", date.Format(time.DateOnly))
	}
	d.steps = stepsPerInterval
	d.version++
	d.uploaded = f.o.Now()
}

// Summaries returns one day's summaries of a type as the API serves them.
func (f *Fake) Summaries(date time.Time, summaryType string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.days[date.Format(time.DateOnly)]
	if !ok {
		return nil
	}
	return f.render(d, summaryType)
}

// PushBody is the push notification body for one day's summaries of the types named (every type when none
// is).
func (f *Fake) PushBody(date time.Time, types ...string) []byte {
	if len(types) == 0 {
		types = summaryTypes()
	}
	body := map[string][]map[string]any{}
	for _, typ := range types {
		body[pushKey(typ)] = f.Summaries(date, typ)
	}
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatalf("garminfake: %v", err)
	}
	return b
}

// SendWebhook pushes one day's summaries (every type when none is named) to url, with the push URL's
// secret, as Garmin's push service does.
func (f *Fake) SendWebhook(ctx context.Context, url string, date time.Time, types ...string) (*http.Response, error) {
	return f.post(ctx, url, f.o.WebhookSecret, f.PushBody(date, types...))
}

// SendWebhookSecret is SendWebhook with another secret: a push that must be refused.
func (f *Fake) SendWebhookSecret(ctx context.Context, url, secret string, date time.Time, types ...string) (*http.Response, error) {
	return f.post(ctx, url, secret, f.PushBody(date, types...))
}

// SendDeregistration pushes the notification Garmin sends when the user withdraws the app's access.
func (f *Fake) SendDeregistration(ctx context.Context, url string) (*http.Response, error) {
	body, _ := json.Marshal(map[string]any{"deregistrations": []map[string]string{{"userId": f.o.UserID}}})
	return f.post(ctx, url, f.o.WebhookSecret, body)
}

func (f *Fake) post(ctx context.Context, target, secret string, body []byte) (*http.Response, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("garminfake: push url: %w", err)
	}
	q := u.Query()
	q.Set("secret", secret)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("garminfake: push request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}

// authorized checks the bearer token; Garmin answers 401 to an unknown one.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	known := f.oa.Bearer(r)
	if !known {
		http.Error(w, `{"errorMessage":"Unauthorized"}`, http.StatusUnauthorized)
	}
	return known
}

func (f *Fake) userID(w http.ResponseWriter, r *http.Request) {
	if f.authorized(w, r) {
		oauthfake.WriteJSON(w, map[string]string{"userId": f.o.UserID})
	}
}

func (f *Fake) deregister(w http.ResponseWriter, r *http.Request) {
	if f.authorized(w, r) {
		f.mu.Lock()
		f.deregs++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *Fake) summaries(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	if !slices.Contains(summaryTypes(), typ) {
		http.NotFound(w, r)
		return
	}
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dataReqs++
	if f.n429 == 0 {
		f.n429++
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"errorMessage":"Rate limit exceeded"}`, http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	start, err1 := strconv.ParseInt(q.Get("uploadStartTimeInSeconds"), 10, 64)
	end, err2 := strconv.ParseInt(q.Get("uploadEndTimeInSeconds"), 10, 64)
	if err1 != nil || err2 != nil || end <= start || end-start > maxWindow {
		http.Error(w, `{"errorMessage":"timestamp range must be at most 86400 seconds"}`, http.StatusBadRequest)
		return
	}
	f.windows = append(f.windows, [2]int64{start, end})
	out := []map[string]any{}
	for _, d := range f.sortedDays() {
		if up := d.uploaded.Unix(); up >= start && up < end {
			out = append(out, f.render(d, typ)...)
		}
	}
	oauthfake.WriteJSON(w, out)
}

func (f *Fake) sortedDays() []*day {
	out := make([]*day, 0, len(f.days))
	for _, d := range f.days {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *day) int { return a.date.Compare(b.date) })
	return out
}

// dayStart is the UTC instant of a local date's midnight.
func (f *Fake) dayStart(date time.Time) time.Time {
	return date.Add(-time.Duration(f.o.OffsetSeconds) * time.Second)
}

// slots are the starts of the day's WALKING epochs.
func (f *Fake) slots(d *day) []time.Time {
	var out []time.Time
	for off := f.o.ActiveFrom; off < f.o.ActiveTo; off += 15 * time.Minute {
		out = append(out, f.dayStart(d.date).Add(off))
	}
	return out
}

func (f *Fake) summaryID(t time.Time, suffix string) string {
	h := sha256.Sum256([]byte(f.o.UserID))
	return fmt.Sprintf("x%s-%x%s", hex.EncodeToString(h[:3]), t.Unix(), suffix)
}

func (f *Fake) render(d *day, typ string) []map[string]any {
	start := f.dayStart(d.date)
	base := func(m map[string]any) map[string]any {
		m["userId"] = f.o.UserID
		return m
	}
	slots := f.slots(d)
	steps := float64(d.steps * len(slots))
	switch typ {
	case "epochs":
		out := make([]map[string]any, 0, len(slots))
		for _, s := range slots {
			out = append(out, base(map[string]any{
				"summaryId": f.summaryID(s, "-384-6"), "activityType": "WALKING",
				"activeKilocalories": float64(d.steps) * 0.04, "steps": d.steps,
				"distanceInMeters": float64(d.steps) * 0.8, "durationInSeconds": 900, "activeTimeInSeconds": 600,
				"startTimeInSeconds": s.Unix(), "startTimeOffsetInSeconds": f.o.OffsetSeconds,
				"met": 3.3, "intensity": "ACTIVE", "meanMotionIntensity": 4, "maxMotionIntensity": 6,
			}))
		}
		return out
	case "dailies":
		hr := map[string]int{}
		for off := 0; off < 86400; off += 900 {
			hr[strconv.Itoa(off)] = 58 + (off/900)%12
		}
		return []map[string]any{base(map[string]any{
			"summaryId": f.summaryID(start, "-15180"), "calendarDate": d.date.Format(time.DateOnly),
			"activityType": "WALKING", "startTimeInSeconds": start.Unix(),
			"startTimeOffsetInSeconds": f.o.OffsetSeconds, "durationInSeconds": 86400,
			"steps": steps, "distanceInMeters": steps * 0.8, "activeKilocalories": steps * 0.04,
			"bmrKilocalories": 1650, "floorsClimbed": 6, "minHeartRateInBeatsPerMinute": 48,
			"averageHeartRateInBeatsPerMinute": 66, "maxHeartRateInBeatsPerMinute": 140,
			"restingHeartRateInBeatsPerMinute": 55, "timeOffsetHeartRateSamples": hr,
			"averageStressLevel": 30, "stepsGoal": 10000, "source": "DEVICE",
		})}
	case "sleeps":
		bed := start.Add(-time.Hour) // 23:00 local the evening before
		at := func(m int) int64 { return bed.Add(time.Duration(m) * time.Minute).Unix() }
		span := func(from, to int) map[string]int64 {
			return map[string]int64{"startTimeInSeconds": at(from), "endTimeInSeconds": at(to)}
		}
		return []map[string]any{base(map[string]any{
			"summaryId": f.summaryID(bed, "-6270"), "calendarDate": d.date.Format(time.DateOnly),
			"startTimeInSeconds": bed.Unix(), "startTimeOffsetInSeconds": f.o.OffsetSeconds,
			"durationInSeconds": 27000, "unmeasurableSleepInSeconds": 0,
			"deepSleepDurationInSeconds": 5400, "lightSleepDurationInSeconds": 15600,
			"remSleepInSeconds": 6000, "awakeDurationInSeconds": 1200,
			"sleepLevelsMap": map[string][]map[string]int64{
				"light": {span(0, 90), span(190, 420)},
				"deep":  {span(90, 180)},
				"awake": {span(180, 190), span(460, 470)},
				"rem":   {span(420, 460)},
			},
			"validation": "ENHANCED_FINAL",
		})}
	case "activities":
		id := start.Unix()
		return []map[string]any{base(map[string]any{
			"summaryId": strconv.FormatInt(id, 10), "activityId": id, "activityName": "Morning Walk",
			"activityType": "WALKING", "deviceName": "forerunner965",
			"startTimeInSeconds": slots[0].Unix(), "startTimeOffsetInSeconds": f.o.OffsetSeconds,
			"durationInSeconds": 1800, "distanceInMeters": float64(2*d.steps) * 0.8,
			"activeKilocalories": float64(2*d.steps) * 0.04, "averageHeartRateInBeatsPerMinute": 102,
			"steps": 2 * d.steps,
		})}
	case "hrv", "pulseOx", "respiration":
		// The night before the day, 23:00 local for an hour: readings every 5 minutes (HRV) or every minute.
		night := start.Add(-time.Hour)
		values := map[string]float64{}
		step := 60
		if typ == "hrv" {
			step = 300
		}
		for off := 0; off < 3600; off += step {
			switch typ {
			case "hrv":
				values[strconv.Itoa(off)] = float64(40 + (off/300)%5 + d.version)
			case "pulseOx":
				values[strconv.Itoa(off)] = float64(95 + (off/60)%3)
			default:
				values[strconv.Itoa(off)] = 14 + float64((off/60)%4)/2
			}
		}
		m := base(map[string]any{"summaryId": f.summaryID(night, "-"+typ), "calendarDate": d.date.Format(time.DateOnly),
			"startTimeInSeconds": night.Unix(), "startTimeOffsetInSeconds": f.o.OffsetSeconds, "durationInSeconds": 3600})
		switch typ {
		case "hrv":
			m["hrvValues"], m["lastNightAvg"] = values, 42+d.version
		case "pulseOx":
			m["timeOffsetSpo2Values"], m["onDemand"] = values, false
		default:
			delete(m, "calendarDate")
			m["timeOffsetEpochToBreaths"] = values
		}
		return []map[string]any{m}
	case "bodyComps":
		t := start.Add(7 * time.Hour)
		return []map[string]any{base(map[string]any{
			"summaryId": f.summaryID(t, ""), "measurementTimeInSeconds": t.Unix(),
			"measurementTimeOffsetInSeconds": f.o.OffsetSeconds, "weightInGrams": 72500 + 100*d.version,
			"bodyFatInPercent": 18.5, "bodyMassIndex": 22.4,
		})}
	}
	return nil
}
