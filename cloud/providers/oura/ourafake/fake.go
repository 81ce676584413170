// Package ourafake is an httptest stand-in for the Oura API v2: OAuth (authorize and token with
// authorization_code and refresh_token grants), the usercollection routes the oura adapter reads, serving
// documented shapes for one user over configurable days, paging with next_token, a 429 on the first data
// request, corrections of a day's documents, and signed webhooks sent to a callback URL.
package ourafake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oauthfake"
)

// Options shape the fake's user and data. Zero values take the defaults in brackets.
type Options struct {
	UserID            string // Oura's id of the user, as personal_info and webhooks give it ["oura-user-1"]
	ClientID          string // ["oura-client"]
	ClientSecret      string // signs webhooks too ["oura-secret"]
	VerificationToken string // the webhook subscription's verification_token ["oura-verify"]
	// Days are the local calendar dates with data (only the date part counts) [the three days before today,
	// UTC]. Each day has an activity summary, a night ending that morning, a workout, a SpO2 average and
	// heart rate rows.
	Days []time.Time
	// OffsetSeconds is the user's UTC offset, which Oura's LocalizedDateTime fields carry [3600].
	OffsetSeconds *int
	// Oura reports steps as a day total only. A day's steps are StepsPerInterval × Intervals, so a test can
	// make them equal an Apple Watch upload of Intervals samples of StepsPerInterval [100 × 80].
	StepsPerInterval int
	Intervals        int
	// HeartRateEvery spaces the heart rate rows over each local day [5 minutes].
	HeartRateEvery time.Duration
	// PageSize is how many documents (heart rate: rows ×50) one page holds, so paging is exercised [2].
	PageSize int
	// ExpiresIn is the access tokens' lifetime in seconds; below ten seconds golang.org/x/oauth2 refreshes
	// before every request [5].
	ExpiresIn int
	// No429 turns off the 429 on the first data request.
	No429 bool
}

// Webhook is a notification the fake sends; UserID defaults to the fake's user.
type Webhook struct {
	EventType string // create, update, delete
	DataType  string
	ObjectID  string
	UserID    string
}

// Fake is a running fake Oura. Its methods are safe for concurrent use.
type Fake struct {
	t   testing.TB
	srv *httptest.Server
	o   Options
	off int
	oa  *oauthfake.Server

	mu        sync.Mutex
	corrected map[string]int  // day -> corrections
	deleted   map[string]bool // document ids
	requests  int
	n429      int
	revokes   int
	subs      []Subscription
}

// New starts a fake Oura; it stops when the test ends.
func New(t testing.TB, o Options) *Fake {
	t.Helper()
	if o.UserID == "" {
		o.UserID = "oura-user-1"
	}
	if o.ClientID == "" {
		o.ClientID = "oura-client"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "oura-secret"
	}
	if o.VerificationToken == "" {
		o.VerificationToken = "oura-verify"
	}
	if len(o.Days) == 0 {
		today := dateOf(time.Now().UTC())
		o.Days = []time.Time{today.AddDate(0, 0, -3), today.AddDate(0, 0, -2), today.AddDate(0, 0, -1)}
	}
	days := make([]time.Time, len(o.Days))
	for i, d := range o.Days {
		days[i] = dateOf(d)
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	o.Days = days
	off := 3600
	if o.OffsetSeconds != nil {
		off = *o.OffsetSeconds
	}
	if o.StepsPerInterval == 0 {
		o.StepsPerInterval = 100
	}
	if o.Intervals == 0 {
		o.Intervals = 80
	}
	if o.HeartRateEvery <= 0 {
		o.HeartRateEvery = 5 * time.Minute
	}
	if o.PageSize <= 0 {
		o.PageSize = 2
	}
	if o.ExpiresIn <= 0 {
		o.ExpiresIn = 5
	}
	f := &Fake{t: t, o: o, off: off, corrected: map[string]int{}, deleted: map[string]bool{},
		oa: oauthfake.New(oauthfake.Options{ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			ExpiresIn: o.ExpiresIn, RotateRefresh: true})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", f.oa.Authorize)
	mux.HandleFunc("POST /oauth/token", f.oa.Token)
	mux.HandleFunc("GET /oauth/revoke", f.revoke)
	mux.HandleFunc("GET /v2/webhook/subscription", f.app(f.listSubscriptions))
	mux.HandleFunc("POST /v2/webhook/subscription", f.app(f.createSubscription))
	mux.HandleFunc("PUT /v2/webhook/subscription/renew/{id}", f.app(f.renewSubscription))
	mux.HandleFunc("GET /v2/usercollection/{type}", f.data(f.collection))
	mux.HandleFunc("GET /v2/usercollection/{type}/{id}", f.data(f.document))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Config points every URL of a provider configuration at the fake.
func (f *Fake) Config() providers.Config {
	return providers.Config{
		ClientID:      f.o.ClientID,
		ClientSecret:  f.o.ClientSecret,
		AuthURL:       f.srv.URL + "/oauth/authorize",
		TokenURL:      f.srv.URL + "/oauth/token",
		APIURL:        f.srv.URL,
		WebhookSecret: f.o.VerificationToken,
	}
}

// UserID is the user's Oura id.
func (f *Fake) UserID() string { return f.o.UserID }

// Count429 is how many 429 answers the fake gave.
func (f *Fake) Count429() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n429
}

// Refreshes is how many refresh_token grants succeeded; Exchanges how many authorization codes were.
func (f *Fake) Refreshes() int { return f.oa.Refreshes() }

// Exchanges is how many authorization_code grants succeeded.
func (f *Fake) Exchanges() int { return f.oa.Exchanges() }

// Revocations is how many grants were revoked (GET /oauth/revoke with a live access token).
func (f *Fake) Revocations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revokes
}

// Requests is how many data requests (any /v2/ route, the 429 included) the fake answered.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Correct changes every document of one day as a later Oura analysis would: more steps and calories, other
// sleep phases, HRV, lowest heart rate, SpO2 and workout calories, heart rate one beat higher. Ids stay.
func (f *Fake) Correct(day time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corrected[dateOf(day).Format(time.DateOnly)]++
}

// Delete makes a document disappear (lists skip it, its route answers 404), as after a user deletes it.
func (f *Fake) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[id] = true
}

// DocumentID is the id of a day's document of a data type (daily_activity, sleep, workout, daily_spo2).
func (f *Fake) DocumentID(dataType string, day time.Time) string {
	id := f.docID(dataType, day)
	if id == "" {
		f.t.Fatalf("ourafake: no documents of type %q", dataType)
	}
	return id
}

func (f *Fake) docID(dataType string, day time.Time) string {
	prefix := map[string]string{"daily_activity": "act", "sleep": "slp", "workout": "wko", "daily_spo2": "spo"}[dataType]
	if prefix == "" {
		return ""
	}
	return prefix + "-" + f.o.UserID + "-" + dateOf(day).Format(time.DateOnly)
}

// Steps is a day's step total as daily_activity reports it.
func (f *Fake) Steps(day time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.o.StepsPerInterval*f.o.Intervals + 1000*f.corrected[dateOf(day).Format(time.DateOnly)]
}

// --- OAuth ---

// revoke ends the grant the access token belongs to; the fake has one user, so every token goes.
func (f *Fake) revoke(w http.ResponseWriter, r *http.Request) {
	if !f.oa.Valid(r.URL.Query().Get("access_token")) {
		oauthfake.Error(w, http.StatusUnauthorized, "invalid_token")
		return
	}
	f.oa.RevokeAll()
	f.mu.Lock()
	f.revokes++
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// --- data routes ---

// data answers 429 to the first data request, then checks the bearer token.
func (f *Fake) data(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		if f.requests == 1 && !f.o.No429 {
			f.n429++
			f.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"detail":"Request Rate Limit Exceeded."}`, http.StatusTooManyRequests)
			return
		}
		f.mu.Unlock()
		if !f.oa.Bearer(r) {
			http.Error(w, `{"detail":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

func (f *Fake) collection(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	q := r.URL.Query()
	if typ == "personal_info" {
		oauthfake.WriteJSON(w, map[string]any{"id": f.o.UserID, "age": 35, "weight": 70.5, "height": 1.78,
			"biological_sex": "female", "email": "user@example.com"})
		return
	}
	var docs []any
	size := f.o.PageSize
	switch typ {
	case "heartrate":
		from, err1 := time.Parse(time.RFC3339, q.Get("start_datetime"))
		to, err2 := time.Parse(time.RFC3339, q.Get("end_datetime"))
		if err1 != nil || err2 != nil {
			http.Error(w, `{"detail":"start_datetime and end_datetime are required"}`, http.StatusBadRequest)
			return
		}
		if to.Sub(from) > 30*24*time.Hour {
			http.Error(w, `{"detail":"range is longer than 30 days"}`, http.StatusBadRequest)
			return
		}
		for _, row := range f.heartRate() {
			// Both bounds are inclusive, as reported for the real API.
			if !row.at.Before(from) && !row.at.After(to) {
				docs = append(docs, row.doc)
			}
		}
		size *= 50
	case "daily_activity", "sleep", "workout", "daily_spo2":
		start, err1 := time.Parse(time.DateOnly, q.Get("start_date"))
		end, err2 := time.Parse(time.DateOnly, q.Get("end_date"))
		if err1 != nil || err2 != nil {
			http.Error(w, `{"detail":"start_date and end_date are required"}`, http.StatusBadRequest)
			return
		}
		for _, d := range f.o.Days {
			day := d
			// end_date is read as that day's midnight, so its own day is left out.
			if day.Before(start) || !day.Before(end) {
				continue
			}
			if doc := f.doc(typ, day); doc != nil {
				docs = append(docs, doc)
			}
		}
	default:
		http.Error(w, `{"detail":"Not Found"}`, http.StatusNotFound)
		return
	}
	off := 0
	if t := q.Get("next_token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(docs) {
			http.Error(w, `{"detail":"bad next_token"}`, http.StatusBadRequest)
			return
		}
		off = n
	}
	end := min(off+size, len(docs))
	var next *string
	if end < len(docs) {
		s := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		next = &s
	}
	oauthfake.WriteJSON(w, map[string]any{"data": append([]any{}, docs[off:end]...), "next_token": next})
}

func (f *Fake) document(w http.ResponseWriter, r *http.Request) {
	typ, id := r.PathValue("type"), r.PathValue("id")
	for _, d := range f.o.Days {
		day := d
		if want := f.docID(typ, day); want == "" || want != id {
			continue
		}
		if doc := f.doc(typ, day); doc != nil {
			oauthfake.WriteJSON(w, doc)
			return
		}
	}
	http.Error(w, `{"detail":"Not Found"}`, http.StatusNotFound)
}

// dateOf is the calendar date of t in t's own location, as midnight UTC: callers may pass a local midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// local is a wall-clock time of a day in the user's offset, as Oura writes LocalizedDateTime.
func (f *Fake) local(day time.Time, hour, minute int) time.Time {
	z := time.FixedZone("", f.off)
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, z)
}

// doc is one day's document of a type, or nil when it was deleted.
func (f *Fake) doc(typ string, day time.Time) map[string]any {
	id := f.docID(typ, day)
	f.mu.Lock()
	c, gone := f.corrected[day.Format(time.DateOnly)], f.deleted[id]
	f.mu.Unlock()
	if gone {
		return nil
	}
	date := day.Format(time.DateOnly)
	switch typ {
	case "daily_activity":
		steps := f.o.StepsPerInterval*f.o.Intervals + 1000*c
		return map[string]any{"id": id, "day": date, "timestamp": f.local(day, 4, 0).Format(time.RFC3339),
			"score": 82, "steps": steps, "active_calories": 420 + 10*c, "total_calories": 2450 + 10*c,
			"equivalent_walking_distance": steps * 8 / 10, "target_calories": 500, "target_meters": 9000,
			"meters_to_target": 1200, "high_activity_time": 600, "medium_activity_time": 2400,
			"low_activity_time": 14000, "sedentary_time": 30000, "resting_time": 28000, "non_wear_time": 0,
			"inactivity_alerts": 1, "average_met_minutes": 1.6, "class_5_min": strings.Repeat("1223334", 41),
			"contributors": map[string]any{"meet_daily_targets": 60, "move_every_hour": 95, "stay_active": 80}}
	case "sleep":
		start := f.local(day.AddDate(0, 0, -1), 23, 0)
		end := f.local(day, 7, 0)
		return map[string]any{"id": id, "day": date, "type": "long_sleep", "period": 0,
			"bedtime_start": start.Format(time.RFC3339), "bedtime_end": end.Format(time.RFC3339),
			"time_in_bed": 8 * 3600, "total_sleep_duration": 7*3600 + 1800, "awake_time": 1800,
			"sleep_phase_5_min": phasesFor(c), "average_hrv": 42 + c, "average_heart_rate": 56.5,
			"lowest_heart_rate": 50 + c, "average_breath": 14.5, "efficiency": 93, "latency": 600,
			"low_battery_alert": false, "restless_periods": 120,
			"heart_rate": map[string]any{"interval": 300, "timestamp": start.Format(time.RFC3339),
				"items": []any{nil, 58.0, 56.0, 54.0, 52.0}},
			"hrv": map[string]any{"interval": 300, "timestamp": start.Format(time.RFC3339),
				"items": []any{nil, 38.0, 44.0, 47.0, 41.0}},
			"readiness": map[string]any{"score": 80, "temperature_deviation": -0.1, "contributors": map[string]any{}}}
	case "workout":
		return map[string]any{"id": id, "day": date, "activity": "running", "intensity": "moderate",
			"source": "confirmed", "label": nil, "calories": 350.0 + 5*float64(c), "distance": 6200.0,
			"start_datetime": f.local(day, 18, 0).Format(time.RFC3339),
			"end_datetime":   f.local(day, 18, 45).Format(time.RFC3339)}
	case "daily_spo2":
		return map[string]any{"id": id, "day": date, "breathing_disturbance_index": 3,
			"spo2_percentage": map[string]any{"average": 96.5 + 0.5*float64(c)}}
	}
	return nil
}

// phasesFor is a night of 96 five-minute phases (8 hours); a correction moves some light sleep to deep.
func phasesFor(corrections int) string {
	night := []byte("44" + strings.Repeat("2222111133", 9) + "2444")
	for i := 0; i < corrections && 4+i*10 < len(night); i++ {
		night[4+i*10] = '1'
	}
	return string(night)
}

type hrRow struct {
	at  time.Time
	doc map[string]any
}

// heartRate is every day's rows in time order, each local day from 00:00 to 24:00.
func (f *Fake) heartRate() []hrRow {
	var rows []hrRow
	for _, d := range f.o.Days {
		day := d
		f.mu.Lock()
		c := f.corrected[day.Format(time.DateOnly)]
		f.mu.Unlock()
		start := f.local(day, 0, 0)
		for i, t := 0, start; t.Before(start.AddDate(0, 0, 1)); i, t = i+1, t.Add(f.o.HeartRateEvery) {
			src := "awake"
			if h := t.Hour(); h < 7 {
				src = "sleep"
			}
			rows = append(rows, hrRow{at: t, doc: map[string]any{"bpm": 60 + i%20 + c, "source": src,
				"timestamp": t.UTC().Format("2006-01-02T15:04:05+00:00")}})
		}
	}
	return rows
}

// --- webhooks ---

// SignWebhook builds a notification's body and headers signed as Oura signs them (hex HMAC-SHA256 of the
// Unix-seconds timestamp followed by the body, keyed with the client secret, upper case), at a given time
// and with a given secret, so tests can forge, age or sign correctly.
func (f *Fake) SignWebhook(hook Webhook, at time.Time, secret string) ([]byte, http.Header) {
	if hook.UserID == "" {
		hook.UserID = f.o.UserID
	}
	body, err := json.Marshal(map[string]string{"event_type": hook.EventType, "data_type": hook.DataType,
		"object_id": hook.ObjectID, "user_id": hook.UserID, "event_time": at.UTC().Format(time.RFC3339)})
	if err != nil {
		f.t.Fatalf("ourafake: %v", err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-oura-timestamp", ts)
	h.Set("x-oura-signature", strings.ToUpper(hex.EncodeToString(mac.Sum(nil))))
	return body, h
}

// SendWebhook POSTs a correctly signed notification to url.
func (f *Fake) SendWebhook(ctx context.Context, url string, hook Webhook) (*http.Response, error) {
	body, h := f.SignWebhook(hook, time.Now(), f.o.ClientSecret)
	return post(ctx, url, body, h)
}

// SendBadWebhook POSTs a notification signed with the wrong secret.
func (f *Fake) SendBadWebhook(ctx context.Context, url string, hook Webhook) (*http.Response, error) {
	body, h := f.SignWebhook(hook, time.Now(), "not-"+f.o.ClientSecret)
	return post(ctx, url, body, h)
}

// SendChallenge makes the subscription check Oura makes when a subscription is created: a GET with the
// verification token and a challenge, which the answer must echo.
func (f *Fake) SendChallenge(ctx context.Context, callback string) (challenge string, resp *http.Response, err error) {
	challenge = oauthfake.Random()
	u, err := url.Parse(callback)
	if err != nil {
		return "", nil, fmt.Errorf("ourafake: callback %q: %w", callback, err)
	}
	q := u.Query()
	q.Set("verification_token", f.o.VerificationToken)
	q.Set("challenge", challenge)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", nil, fmt.Errorf("ourafake: challenge request: %w", err)
	}
	resp, err = http.DefaultClient.Do(req)
	return challenge, resp, err
}

func post(ctx context.Context, url string, body []byte, h http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return nil, fmt.Errorf("ourafake: webhook request: %w", err)
	}
	req.Header = h
	return http.DefaultClient.Do(req)
}
