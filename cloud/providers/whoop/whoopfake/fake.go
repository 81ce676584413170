// Package whoopfake is an httptest stand-in for WHOOP: the OAuth authorize and token endpoints (PKCE S256
// checked when the authorize request carries a challenge; single-use refresh tokens), the v2
// data endpoints the whoop adapter reads (documented shapes, paged with next_token), and signed webhooks.
// Every day of Options.Days has one night's sleep ending that morning, its recovery, the physiological
// cycle starting with that sleep, and one workout in the evening. WHOOP has no steps, so there is nothing
// to overlap with Apple Watch steps; sleep, workouts and energy are what overlap.
package whoopfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oauthfake"
)

// Options shape the fake. Zero values take the defaults named per field.
type Options struct {
	ClientID     string // default "whoop-client"
	ClientSecret string // default "whoop-secret"; also the webhook signing key, as with WHOOP
	UserID       int64  // default 10129
	// Days are the member's local dates ("2026-11-24"); default: the three days before today (UTC).
	Days []string
	// TimezoneOffset is the member's offset as WHOOP writes it ("+01:00", "-05:00", "Z"); default "Z".
	TimezoneOffset string
	// Sport is the workouts' sport_name; default "running".
	Sport string
	// PageSize caps records per page below the request's limit (default: no cap), to exercise paging.
	PageSize int
	// ExpiresIn is the access token lifetime in seconds (default 5: below the oauth2 package's ten-second
	// early refresh, so every request after the first token refreshes).
	ExpiresIn int
	// Now is the fake's clock (default time.Now): records ending after it do not exist yet.
	Now func() time.Time
}

// Fake is a running fake WHOOP.
type Fake struct {
	t    testing.TB
	srv  *httptest.Server
	o    Options
	zone *time.Location
	oa   *oauthfake.Server

	mu       sync.Mutex
	days     []*day
	n429     int
	served   bool // the first data request has had its 429
	requests map[string]int
	body     body
}

type body struct {
	height, weight float64
	maxHR          int
}

// day is one local date's records. Times are UTC.
type day struct {
	date           string
	cycleID        int64
	sleepID        string
	workoutID      string
	sleepStart     time.Time
	sleepEnd       time.Time
	workoutStart   time.Time
	workoutEnd     time.Time
	updated        time.Time
	i              int // position in Days, to vary values
	corrections    int
	sleepDeleted   bool
	workoutDeleted bool
}

// New starts a fake WHOOP; it stops when the test ends.
func New(t testing.TB, o Options) *Fake {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "whoop-client"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "whoop-secret"
	}
	if o.UserID == 0 {
		o.UserID = 10129
	}
	if o.TimezoneOffset == "" {
		o.TimezoneOffset = "Z"
	}
	if o.Sport == "" {
		o.Sport = "running"
	}
	if o.ExpiresIn <= 0 {
		o.ExpiresIn = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Days) == 0 {
		today := o.Now().UTC().Truncate(24 * time.Hour)
		for i := 3; i >= 1; i-- {
			o.Days = append(o.Days, today.AddDate(0, 0, -i).Format(time.DateOnly))
		}
	}
	zone, err := parseOffset(o.TimezoneOffset)
	if err != nil {
		t.Fatalf("whoopfake: %v", err)
	}
	f := &Fake{
		t: t, o: o, zone: zone,
		// WHOOP: a state of 8 characters at least, rotating refresh tokens, and those only with the offline scope.
		oa: oauthfake.New(oauthfake.Options{ClientID: o.ClientID, ClientSecret: o.ClientSecret, ExpiresIn: o.ExpiresIn,
			Now: o.Now, MinStateLength: 8, RotateRefresh: true, RefreshScope: "offline", FormEncodedBasic: true}),
		requests: map[string]int{},
		body:     body{height: 1.8288, weight: 90.7185, maxHR: 200},
	}
	for i, d := range o.Days {
		date, err := time.ParseInLocation(time.DateOnly, d, zone)
		if err != nil {
			t.Fatalf("whoopfake: day %q: %v", d, err)
		}
		f.days = append(f.days, f.newDay(date, i))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/oauth2/auth", f.oa.Authorize)
	mux.HandleFunc("POST /oauth/oauth2/token", f.oa.Token)
	mux.HandleFunc("GET /developer/v2/user/profile/basic", f.api(f.profile))
	mux.HandleFunc("DELETE /developer/v2/user/access", f.api(f.revoke))
	mux.HandleFunc("GET /developer/v2/user/measurement/body", f.api(f.bodyMeasurement))
	mux.HandleFunc("GET /developer/v2/cycle", f.api(f.cycles))
	mux.HandleFunc("GET /developer/v2/cycle/{id}", f.api(f.cycle))
	mux.HandleFunc("GET /developer/v2/cycle/{id}/recovery", f.api(f.cycleRecovery))
	mux.HandleFunc("GET /developer/v2/cycle/{id}/sleep", f.api(f.cycleSleep))
	mux.HandleFunc("GET /developer/v2/recovery", f.api(f.recoveries))
	mux.HandleFunc("GET /developer/v2/activity/sleep", f.api(f.sleeps))
	mux.HandleFunc("GET /developer/v2/activity/sleep/{id}", f.api(f.sleep))
	mux.HandleFunc("GET /developer/v2/activity/workout", f.api(f.workouts))
	mux.HandleFunc("GET /developer/v2/activity/workout/{id}", f.api(f.workout))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *Fake) newDay(date time.Time, i int) *day {
	// The night before the date: to bed 23:05 (a minute later each day), up 06:50.
	sleepStart := date.Add(-time.Hour + 5*time.Minute + time.Duration(i)*time.Minute)
	sleepEnd := date.Add(6*time.Hour + 50*time.Minute)
	ws := date.Add(17*time.Hour + 30*time.Minute)
	d := &day{
		date: date.Format(time.DateOnly), i: i,
		cycleID:    90000 + date.Unix()/86400,
		sleepID:    f.uuid("sleep", date),
		workoutID:  f.uuid("workout", date),
		sleepStart: sleepStart.UTC(), sleepEnd: sleepEnd.UTC(),
		workoutStart: ws.UTC(), workoutEnd: ws.Add(45 * time.Minute).UTC(),
		updated: sleepEnd.Add(10 * time.Minute).UTC(),
	}
	return d
}

// uuid is a stable version-4-shaped UUID for one record of this user.
func (f *Fake) uuid(kind string, date time.Time) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%s", f.o.UserID, kind, date.Format(time.DateOnly))))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// URL is the fake's base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Config points every URL of a providers.Config at the fake.
func (f *Fake) Config() providers.Config {
	return providers.Config{
		ClientID:     f.o.ClientID,
		ClientSecret: f.o.ClientSecret,
		AuthURL:      f.srv.URL + "/oauth/oauth2/auth",
		TokenURL:     f.srv.URL + "/oauth/oauth2/token",
		APIURL:       f.srv.URL + "/developer",
	}
}

// UserID is the member's WHOOP user id as the profile and webhooks give it.
func (f *Fake) UserID() string { return strconv.FormatInt(f.o.UserID, 10) }

// Count429 is how many 429 answers the fake gave (one: the first data request's).
func (f *Fake) Count429() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n429
}

// Refreshes is how many refresh_token grants the token endpoint honoured.
func (f *Fake) Refreshes() int { return f.oa.Refreshes() }

// Requests is how many authorised API requests reached path ("/v2/activity/sleep"), 429s included.
func (f *Fake) Requests(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[path]
}

// RequestsTotal is how many authorised API requests reached the fake, 429s included.
func (f *Fake) RequestsTotal() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.requests {
		n += c
	}
	return n
}

// DayIDs are the WHOOP ids of one date's records. A recovery is named by its sleep's id in v2 webhooks.
type DayIDs struct {
	CycleID   int64
	SleepID   string
	WorkoutID string
}

// Day returns the ids of a date's records.
func (f *Fake) Day(date string) DayIDs {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.day(date)
	return DayIDs{CycleID: d.cycleID, SleepID: d.sleepID, WorkoutID: d.workoutID}
}

func (f *Fake) day(date string) *day {
	for _, d := range f.days {
		if d.date == date {
			return d
		}
	}
	f.t.Fatalf("whoopfake: no day %s", date)
	return nil
}

// Correct changes one date's records as WHOOP does when it rescores: the sleep ends 20 minutes later with
// new stage totals, the recovery's HRV and the workout's energy and distance change, the cycle's energy too.
// Ids stay.
func (f *Fake) Correct(date string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.day(date)
	d.corrections++
	d.sleepEnd = d.sleepEnd.Add(20 * time.Minute)
	d.updated = f.o.Now().UTC()
}

// DeleteSleep removes a date's sleep and, as WHOOP does, its recovery.
func (f *Fake) DeleteSleep(date string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.day(date).sleepDeleted = true
}

// DeleteWorkout removes a date's workout.
func (f *Fake) DeleteWorkout(date string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.day(date).workoutDeleted = true
}

// SetBody changes the member's entered height and weight.
func (f *Fake) SetBody(heightMeter, weightKilogram float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body.height, f.body.weight = heightMeter, weightKilogram
}

// SendWebhook posts a correctly signed event ("sleep.updated", "workout.deleted", "recovery.updated", ...)
// for id to url, as WHOOP's v2 webhook model sends it.
func (f *Fake) SendWebhook(ctx context.Context, url, eventType, id string) (*http.Response, error) {
	return f.SendWebhookSigned(ctx, url, f.WebhookBody(eventType, id), f.o.ClientSecret, f.o.Now())
}

// SendBadWebhook posts the same event signed with the wrong key.
func (f *Fake) SendBadWebhook(ctx context.Context, url, eventType, id string) (*http.Response, error) {
	return f.SendWebhookSigned(ctx, url, f.WebhookBody(eventType, id), f.o.ClientSecret+"-wrong", f.o.Now())
}

// WebhookBody is the JSON WHOOP posts for an event. A numeric id is sent as a number (v1 model).
func (f *Fake) WebhookBody(eventType, id string) []byte {
	var idField any = id
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		idField = n
	}
	trace := make([]byte, 16)
	_, _ = rand.Read(trace)
	b, err := json.Marshal(map[string]any{
		"user_id": f.o.UserID, "id": idField, "type": eventType, "trace_id": hex.EncodeToString(trace),
	})
	if err != nil {
		f.t.Fatalf("whoopfake: %v", err)
	}
	return b
}

// SendWebhookSigned posts body signed with secret at the given time (stale or future times included).
func (f *Fake) SendWebhookSigned(ctx context.Context, url string, body []byte, secret string, at time.Time) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts, sig := Sign(secret, at, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-WHOOP-Signature", sig)
	req.Header.Set("X-WHOOP-Signature-Timestamp", ts)
	return http.DefaultClient.Do(req)
}

// Sign returns WHOOP's webhook headers for body: the timestamp in milliseconds and
// base64(HMAC-SHA256(secret, timestamp + body)).
func Sign(secret string, at time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	return timestamp, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ---- OAuth ----

// ---- data endpoints ----

// api wraps a data handler with bearer checks, request counting and the first request's 429.
func (f *Fake) api(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.oa.Bearer(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		path := strings.TrimPrefix(r.URL.Path, "/developer")
		f.requests[path]++
		if !f.served {
			f.served = true
			f.n429++
			f.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		f.mu.Unlock()
		h(w, r)
	}
}

// revoke ends every grant: tokens stop working (Requests("/v2/user/access") counts the calls).
func (f *Fake) revoke(w http.ResponseWriter, _ *http.Request) {
	f.oa.RevokeAll()
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) profile(w http.ResponseWriter, _ *http.Request) {
	oauthfake.WriteJSON(w, map[string]any{
		"user_id": f.o.UserID, "email": "member@example.com", "first_name": "Test", "last_name": "Member",
	})
}

func (f *Fake) bodyMeasurement(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	oauthfake.WriteJSON(w, map[string]any{
		"height_meter": f.body.height, "weight_kilogram": f.body.weight, "max_heart_rate": f.body.maxHR,
	})
}

// window reads start, end and limit as WHOOP does: start inclusive, end exclusive (default now), limit at
// most 25 (default 10).
type window struct {
	start, end time.Time
	limit      int
	offset     int
}

func (f *Fake) window(w http.ResponseWriter, r *http.Request) (window, bool) {
	q := r.URL.Query()
	win := window{end: f.o.Now(), limit: 10}
	if s := q.Get("start"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			http.Error(w, "bad start", http.StatusBadRequest)
			return win, false
		}
		win.start = t
	}
	if s := q.Get("end"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			http.Error(w, "bad end", http.StatusBadRequest)
			return win, false
		}
		win.end = t
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 25 {
			http.Error(w, "limit must be 1 to 25", http.StatusBadRequest)
			return win, false
		}
		win.limit = n
	}
	if f.o.PageSize > 0 && f.o.PageSize < win.limit {
		win.limit = f.o.PageSize
	}
	if s := q.Get("nextToken"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if err != nil || err2 != nil || n < 0 {
			http.Error(w, "bad nextToken", http.StatusBadRequest)
			return win, false
		}
		win.offset = n
	}
	return win, true
}

// overlaps applies WHOOP's filter: records that end at or after start (or have not ended) and start before end.
func (win window) overlaps(start time.Time, end *time.Time) bool {
	return start.Before(win.end) && (end == nil || !end.Before(win.start))
}

// writePage sorts by start, newest first, as WHOOP does, and cuts one page.
func writePage[T any](w http.ResponseWriter, win window, recs []T, startOf func(T) time.Time) {
	sort.SliceStable(recs, func(i, j int) bool { return startOf(recs[i]).After(startOf(recs[j])) })
	lo := min(win.offset, len(recs))
	hi := min(lo+win.limit, len(recs))
	out := map[string]any{"records": recs[lo:hi]}
	if hi < len(recs) {
		out["next_token"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(hi)))
	}
	oauthfake.WriteJSON(w, out)
}

func (f *Fake) sleeps(w http.ResponseWriter, r *http.Request) {
	win, ok := f.window(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	var recs []sleepJSON
	for _, d := range f.days {
		if s, ok := f.sleepOf(d); ok && win.overlaps(s.Start, &s.End) {
			recs = append(recs, s)
		}
	}
	f.mu.Unlock()
	writePage(w, win, recs, func(s sleepJSON) time.Time { return s.Start })
}

func (f *Fake) sleep(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.days {
		if d.sleepID == r.PathValue("id") {
			if s, ok := f.sleepOf(d); ok {
				oauthfake.WriteJSON(w, s)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (f *Fake) cycleSleep(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.dayByCycle(r.PathValue("id")); d != nil {
		if s, ok := f.sleepOf(d); ok {
			oauthfake.WriteJSON(w, s)
			return
		}
	}
	http.NotFound(w, r)
}

func (f *Fake) recoveries(w http.ResponseWriter, r *http.Request) {
	win, ok := f.window(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	var recs []recoveryJSON
	starts := map[string]time.Time{}
	for _, d := range f.days {
		s, ok := f.sleepOf(d)
		if !ok || !win.overlaps(s.Start, &s.End) {
			continue
		}
		recs = append(recs, f.recoveryOf(d))
		starts[s.ID] = s.Start
	}
	f.mu.Unlock()
	// Recoveries are ordered by their sleep's start.
	writePage(w, win, recs, func(r recoveryJSON) time.Time { return starts[r.SleepID] })
}

func (f *Fake) cycleRecovery(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.dayByCycle(r.PathValue("id")); d != nil {
		if _, ok := f.sleepOf(d); ok {
			oauthfake.WriteJSON(w, f.recoveryOf(d))
			return
		}
	}
	http.NotFound(w, r)
}

func (f *Fake) cycles(w http.ResponseWriter, r *http.Request) {
	win, ok := f.window(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	var recs []cycleJSON
	for _, d := range f.days {
		if c, ok := f.cycleOf(d); ok && win.overlaps(c.Start, c.End) {
			recs = append(recs, c)
		}
	}
	f.mu.Unlock()
	writePage(w, win, recs, func(c cycleJSON) time.Time { return c.Start })
}

func (f *Fake) cycle(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.dayByCycle(r.PathValue("id")); d != nil {
		if c, ok := f.cycleOf(d); ok {
			oauthfake.WriteJSON(w, c)
			return
		}
	}
	http.NotFound(w, r)
}

func (f *Fake) workouts(w http.ResponseWriter, r *http.Request) {
	win, ok := f.window(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	var recs []workoutJSON
	for _, d := range f.days {
		if wo, ok := f.workoutOf(d); ok && win.overlaps(wo.Start, &wo.End) {
			recs = append(recs, wo)
		}
	}
	f.mu.Unlock()
	writePage(w, win, recs, func(w workoutJSON) time.Time { return w.Start })
}

func (f *Fake) workout(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.days {
		if d.workoutID == r.PathValue("id") {
			if wo, ok := f.workoutOf(d); ok {
				oauthfake.WriteJSON(w, wo)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (f *Fake) dayByCycle(id string) *day {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	for _, d := range f.days {
		if d.cycleID == n {
			return d
		}
	}
	return nil
}

func parseOffset(s string) (*time.Location, error) {
	if s == "Z" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("timezone offset %q: want +hh:mm, -hh:mm or Z", s)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}
