package whoop_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/whoop"
	"healthsync/cloud/providers/whoop/whoopfake"
)

// connect runs the OAuth dance against the fake and returns an API client on the resulting token, whose
// retry waits are recorded instead of slept.
func connect(t *testing.T, f *whoopfake.Fake) (*providers.API, *[]time.Duration) {
	t.Helper()
	ctx := context.Background()
	cfg := f.Config()
	oc := oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL},
		RedirectURL: "https://healthsync.example/providers/whoop/callback",
		Scopes:      whoop.New().Scopes(),
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := oauth2.GenerateVerifier()
	resp, err := noFollow.Get(oc.AuthCodeURL("state-0123456789", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != "healthsync.example" || loc.Query().Get("state") != "state-0123456789" {
		t.Fatalf("redirect %q", resp.Header.Get("Location"))
	}
	tok, err := oc.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token although the offline scope was asked for")
	}
	var mu sync.Mutex
	var waits []time.Duration
	api := &providers.API{
		Client: oc.Client(ctx, tok), BaseURL: cfg.APIURL, Retries: 3, Backoff: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			return nil
		},
	}
	return api, &waits
}

func TestOAuthRefreshAndRetryOn429(t *testing.T) {
	f := whoopfake.New(t, whoopfake.Options{})
	api, waits := connect(t, f)
	id, err := whoop.New().UserID(context.Background(), api)
	if err != nil {
		t.Fatalf("UserID: %v", err)
	}
	if id != f.UserID() {
		t.Errorf("user id %q, want %q", id, f.UserID())
	}
	if f.Count429() != 1 || !reflect.DeepEqual(*waits, []time.Duration{time.Second}) {
		t.Errorf("429s %d, waits %v: want one 429 retried after its Retry-After of 1s", f.Count429(), *waits)
	}
	if f.Requests("/v2/user/profile/basic") != 2 {
		t.Errorf("profile requested %d times, want 2 (the 429 and the retry)", f.Requests("/v2/user/profile/basic"))
	}
	// expires_in 5 is inside oauth2's early-refresh margin: the transport refreshed before each request,
	// each time with the single-use refresh token the previous answer carried.
	if f.Refreshes() < 2 {
		t.Errorf("%d refreshes, want one per request", f.Refreshes())
	}
}

func TestOAuthRefusals(t *testing.T) {
	f := whoopfake.New(t, whoopfake.Options{})
	cfg := f.Config()
	get := func(q url.Values) int {
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
			Get(cfg.AuthURL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ok := url.Values{"client_id": {cfg.ClientID}, "response_type": {"code"}, "redirect_uri": {"https://a.example/cb"}, "state": {"12345678"}}
	if got := get(ok); got != http.StatusFound {
		t.Errorf("good authorize: %d", got)
	}
	short := url.Values{"client_id": {cfg.ClientID}, "response_type": {"code"}, "redirect_uri": {"https://a.example/cb"}, "state": {"1234567"}}
	if got := get(short); got != http.StatusBadRequest {
		t.Errorf("seven-character state: %d, want 400", got)
	}
	oc := oauth2.Config{ClientID: cfg.ClientID, ClientSecret: "wrong", Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL}}
	var re *oauth2.RetrieveError
	if _, err := oc.Exchange(context.Background(), "any"); !errors.As(err, &re) {
		t.Errorf("exchange with a wrong secret: %v", err)
	}

	// PKCE: a code asked for with a challenge is only exchanged with its verifier.
	oc = oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: "https://a.example/cb",
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL},
	}
	code := func() string {
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
			Get(oc.AuthCodeURL("12345678", oauth2.S256ChallengeOption("the-verifier-of-this-test-0123456789abcdef")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc.Query().Get("code")
	}
	if _, err := oc.Exchange(context.Background(), code(), oauth2.VerifierOption("another-verifier-0123456789abcdef0123456789")); !errors.As(err, &re) {
		t.Errorf("exchange with the wrong verifier: %v", err)
	}
	c := code()
	if _, err := oc.Exchange(context.Background(), c, oauth2.VerifierOption("the-verifier-of-this-test-0123456789abcdef")); err != nil {
		t.Errorf("exchange with the right verifier: %v", err)
	}
	if _, err := oc.Exchange(context.Background(), c, oauth2.VerifierOption("the-verifier-of-this-test-0123456789abcdef")); !errors.As(err, &re) {
		t.Errorf("a code exchanged twice: %v", err)
	}
	api := &providers.API{Client: http.DefaultClient, BaseURL: cfg.APIURL}
	if _, err := whoop.New().UserID(context.Background(), api); !errors.Is(err, providers.ErrUnauthorized) {
		t.Errorf("no token: %v, want ErrUnauthorized", err)
	}
}

var fakeNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func fiveDays(t *testing.T, pageSize int) (*whoopfake.Fake, *providers.API) {
	t.Helper()
	f := whoopfake.New(t, whoopfake.Options{
		Days:           []string{"2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"},
		TimezoneOffset: "+01:00", PageSize: pageSize, ExpiresIn: 3600,
		Now: func() time.Time { return fakeNow },
	})
	api, _ := connect(t, f)
	// The first data request is the fake's 429; spend it here so request counts below are exact.
	if _, err := whoop.New().UserID(context.Background(), api); err != nil {
		t.Fatal(err)
	}
	return f, api
}

func TestPagination(t *testing.T) {
	f, api := fiveDays(t, 2)
	ctx := context.Background()
	from, to := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	recs, err := whoop.New().Fetch(ctx, api, whoop.TypeSleep, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	var want []string
	for _, d := range []string{"2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20", "2026-11-19"} {
		want = append(want, f.Day(d).SleepID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("sleep ids %v, want %v (newest first, as WHOOP pages)", ids, want)
	}
	if n := f.Requests("/v2/activity/sleep"); n != 3 {
		t.Errorf("%d sleep pages requested, want 3 for 5 records at 2 a page", n)
	}

	counts := map[string]int{}
	for _, dt := range whoop.New().DataTypes() {
		recs, err := whoop.New().Fetch(ctx, api, dt, from, to)
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		counts[dt] = len(recs)
	}
	if want := map[string]int{"sleep": 5, "recovery": 5, "workout": 5, "cycle": 5, "body_measurement": 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("records %v, want %v", counts, want)
	}

	// A window holding one local day: its night and its evening workout (17:30–18:15 at +01:00).
	day := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)
	ws, err := whoop.New().Fetch(ctx, api, whoop.TypeWorkout, day.Add(-24*time.Hour), day)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].ID != f.Day("2026-11-20").WorkoutID {
		t.Fatalf("one day's workouts: %+v", ws)
	}
	w := ws[0].Workouts[0]
	if w.ActivityType != "running" || !w.Start.Equal(time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)) ||
		w.Energy.Value != 2110 || w.Energy.Unit != "kJ" || w.Distance.Value != 7600 || *w.TimeZone != "Etc/GMT-1" {
		t.Errorf("workout %+v energy %+v distance %+v", w, w.Energy, w.Distance)
	}
}

func TestCorrectionsAndRecords(t *testing.T) {
	f, api := fiveDays(t, 0)
	ctx := context.Background()
	a := whoop.New()
	ids := f.Day("2026-11-21")

	before, err := a.FetchRecord(ctx, api, whoop.TypeSleep, ids.SleepID)
	if err != nil || len(before) != 1 {
		t.Fatalf("sleep: %v, %v", before, err)
	}
	byCycle, err := a.FetchRecord(ctx, api, whoop.TypeRecovery, strconv.FormatInt(ids.CycleID, 10))
	if err != nil {
		t.Fatal(err)
	}
	bySleep, err := a.FetchRecord(ctx, api, whoop.TypeRecovery, ids.SleepID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bySleep) != 1 || !reflect.DeepEqual(byCycle, bySleep) || bySleep[0].ID != ids.SleepID {
		t.Fatalf("a recovery read by cycle id and by sleep id differ:\n%+v\n%+v", byCycle, bySleep)
	}

	f.Correct("2026-11-21")
	after, err := a.FetchRecord(ctx, api, whoop.TypeSleep, ids.SleepID)
	if err != nil || len(after) != 1 || after[0].ID != before[0].ID {
		t.Fatalf("corrected sleep: %v, %v", after, err)
	}
	if d := after[0].Categories[0].End.Sub(before[0].Categories[0].End); d != 20*time.Minute {
		t.Errorf("corrected sleep ends %v later, want 20m", d)
	}
	rec, err := a.FetchRecord(ctx, api, whoop.TypeRecovery, ids.SleepID)
	if err != nil || len(rec) != 1 {
		t.Fatal(err)
	}
	hrv := func(r providers.Record) float64 {
		for _, s := range r.Samples {
			if s.Type == "hrv_rmssd" {
				return float64(s.Value)
			}
		}
		return -1
	}
	if hrv(rec[0])-hrv(bySleep[0]) != 5 {
		t.Errorf("hrv %v after correction, %v before", hrv(rec[0]), hrv(bySleep[0]))
	}

	f.DeleteWorkout("2026-11-21")
	if got, err := a.FetchRecord(ctx, api, whoop.TypeWorkout, ids.WorkoutID); err != nil || got == nil || len(got) != 0 {
		t.Errorf("deleted workout: %v, %v; want an empty slice", got, err)
	}
	f.DeleteSleep("2026-11-21")
	if got, err := a.FetchRecord(ctx, api, whoop.TypeRecovery, ids.SleepID); err != nil || len(got) != 0 {
		t.Errorf("recovery of a deleted sleep: %v, %v", got, err)
	}
}

// TestFakeWebhooksVerify checks the fake's signing against the adapter's verification: two writings of
// WHOOP's documented scheme that must agree.
func TestFakeWebhooksVerify(t *testing.T) {
	f := whoopfake.New(t, whoopfake.Options{})
	var mu sync.Mutex
	var got []providers.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		events, err := whoop.New().Webhook(f.Config(), providers.WebhookRequest{Header: r.Header, Query: r.URL.Query(), Body: body, Now: time.Now()})
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, events...)
		mu.Unlock()
	}))
	defer srv.Close()
	ctx := context.Background()
	day := f.Day(time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly))

	status := func(resp *http.Response, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(f.SendWebhook(ctx, srv.URL, "sleep.updated", day.SleepID)); s != http.StatusOK {
		t.Errorf("signed webhook: %d", s)
	}
	if s := status(f.SendWebhook(ctx, srv.URL, "workout.deleted", day.WorkoutID)); s != http.StatusOK {
		t.Errorf("signed webhook: %d", s)
	}
	if s := status(f.SendBadWebhook(ctx, srv.URL, "sleep.updated", day.SleepID)); s != http.StatusUnauthorized {
		t.Errorf("badly signed webhook: %d", s)
	}
	body := f.WebhookBody("sleep.updated", day.SleepID)
	if s := status(f.SendWebhookSigned(ctx, srv.URL, body, f.Config().ClientSecret, time.Now().Add(-10*time.Minute))); s != http.StatusUnauthorized {
		t.Errorf("stale webhook: %d", s)
	}
	want := []providers.Event{
		{ProviderUserID: f.UserID(), DataType: "sleep", RecordID: day.SleepID},
		{ProviderUserID: f.UserID(), DataType: "recovery", RecordID: day.SleepID},
		{ProviderUserID: f.UserID(), DataType: "workout", RecordID: day.WorkoutID, Deleted: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events %+v, want %+v", got, want)
	}
}

// TestTokenEndpointAuthStyles: the core's client auto-detects how to send its credentials, so the fake takes
// them by HTTP Basic (form-encoded first, RFC 6749 §2.3.1) and as form fields.
func TestTokenEndpointAuthStyles(t *testing.T) {
	f := whoopfake.New(t, whoopfake.Options{ClientID: "app id+1", ClientSecret: "s3cr=t&+/%"})
	cfg := f.Config()
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		oc := oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: "https://a.example/cb",
			Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: style},
			Scopes:   whoop.New().Scopes(),
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
			Get(oc.AuthCodeURL("12345678"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		tok, err := oc.Exchange(context.Background(), loc.Query().Get("code"))
		if err != nil {
			t.Errorf("auth style %v: %v", style, err)
			continue
		}
		if _, err := oc.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
			t.Errorf("auth style %v, refresh: %v", style, err)
		}
	}
}
