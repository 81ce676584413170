package garmin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/garmin"
	"healthsync/cloud/providers/garmin/garminfake"
)

var (
	day1 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	now  = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

// connect runs the authorization code flow with PKCE against the fake, the way the core does with
// golang.org/x/oauth2, and returns an API whose waits are recorded instead of slept.
func connect(t *testing.T, f *garminfake.Fake) (*providers.API, *[]time.Duration) {
	t.Helper()
	ctx := context.Background()
	cfg := f.Config()
	conf := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL},
		RedirectURL: "http://healthsync.test/providers/garmin/callback"}
	verifier := oauth2.GenerateVerifier()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != "state-1" || loc.Host != "healthsync.test" {
		t.Fatalf("redirected to %s, want the callback with state-1", loc)
	}
	if _, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption("not-the-verifier")); err == nil {
		t.Fatal("a wrong PKCE verifier was accepted")
	}
	// The failed exchange used the code up: authorize again.
	resp, err = noFollow.Get(conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	api := &providers.API{Client: conf.Client(ctx, tok), BaseURL: cfg.APIURL, Retries: 3,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	return api, &waits
}

func TestFetchThroughTheFake(t *testing.T) {
	f := garminfake.New(t, garminfake.Options{Days: []time.Time{day1, day2}, OffsetSeconds: 3600,
		StepsPerInterval: 120, Now: func() time.Time { return now }})
	api, waits := connect(t, f)
	ctx := context.Background()
	a := garmin.New()

	uid, err := a.UserID(ctx, api)
	if err != nil || uid != f.UserID() {
		t.Fatalf("user id %q, %v; want %q", uid, err, f.UserID())
	}
	// Two days and a bit: three upload windows, the first answered 429 once and retried.
	from, to := day1.Add(-2*time.Hour), day2.Add(26*time.Hour)
	recs, err := a.Fetch(ctx, api, garmin.Epochs, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count429() != 1 || !slices.Equal(*waits, []time.Duration{time.Second}) {
		t.Errorf("429s %d, waits %v; want one 429 and one wait of its Retry-After (1s)", f.Count429(), *waits)
	}
	ws := f.Windows()
	if len(ws) != 3 || ws[0][0] != from.Unix() || ws[2][1] != to.Unix() {
		t.Errorf("windows %v, want 3 covering %d–%d", ws, from.Unix(), to.Unix())
	}
	for i, w := range ws {
		if w[1]-w[0] > 86400 || (i > 0 && w[0] != ws[i-1][1]) {
			t.Errorf("window %d %v is longer than a day or leaves a gap", i, w)
		}
	}
	// 08:00–10:00 local: 8 epochs a day of 120 steps.
	if len(recs) != 16 {
		t.Fatalf("%d epoch records, want 16", len(recs))
	}
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.ID] = true
		if r.Samples[0].Type != "steps" || r.Samples[0].Value != 120 || r.Samples[0].End.Sub(r.Samples[0].Start) != 15*time.Minute {
			t.Fatalf("epoch %s: %+v, want 120 steps over 15 minutes", r.ID, r.Samples[0])
		}
	}
	first := recs[0].Samples[0].Start
	if want := day1.Add(7 * time.Hour); !first.Equal(want) {
		t.Errorf("first epoch starts %s, want %s (08:00 at +01:00)", first, want)
	}
	if f.Refreshes() == 0 {
		t.Error("a one-second token was never refreshed")
	}

	// A correction is uploaded again: a fetch of the upload window around now returns the same records
	// with the new steps.
	f.Correct(day1, 250)
	recs, err = a.Fetch(ctx, api, garmin.Epochs, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 8 {
		t.Fatalf("%d corrected records, want day 1's 8", len(recs))
	}
	for _, r := range recs {
		if !ids[r.ID] || r.Samples[0].Value != 250 {
			t.Errorf("corrected epoch %s (known before: %v) has %v steps, want 250 under its old id", r.ID, ids[r.ID], r.Samples[0].Value)
		}
	}

	for _, typ := range a.DataTypes() {
		recs, err := a.Fetch(ctx, api, typ, day1, day2.Add(24*time.Hour))
		if err != nil || len(recs) == 0 {
			t.Errorf("%s: %d records, %v", typ, len(recs), err)
		}
	}
	if _, err := a.Fetch(ctx, api, "stressDetails", day1, day2); err == nil {
		t.Error("an unmapped data type was fetched")
	}
	if _, err := a.FetchRecord(ctx, api, garmin.Dailies, "2026-11-22"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("FetchRecord: %v, want ErrUnsupported", err)
	}
}

func TestTheFakesPushesPassTheAdapter(t *testing.T) {
	f := garminfake.New(t, garminfake.Options{Days: []time.Time{day2}, StepsPerInterval: 80})
	body := f.PushBody(day2)
	cfg := f.Config()
	evs, err := garmin.New().Webhook(cfg, providers.WebhookRequest{Query: url.Values{"secret": {cfg.WebhookSecret}}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.DataType)
		if e.ProviderUserID != f.UserID() || len(e.Records) == 0 {
			t.Errorf("%s event for %q with %d records", e.DataType, e.ProviderUserID, len(e.Records))
		}
	}
	if !slices.Equal(types, garmin.New().DataTypes()) {
		t.Errorf("events %v, want one per data type", types)
	}
	var steps float64
	for _, r := range evs[1].Records {
		steps += float64(r.Samples[0].Value)
	}
	if total := evs[0].Records[0].Totals[0]; total.Metric != "steps" || total.Value != steps || steps != 8*80 {
		t.Errorf("daily total %+v, epochs sum to %v; want both 640", total, steps)
	}
	if _, err := garmin.New().Webhook(cfg, providers.WebhookRequest{Query: url.Values{"secret": {"guess"}}, Body: body}); !errors.Is(err, garmin.ErrSignature) {
		t.Errorf("a push with another secret: %v", err)
	}
}

func TestSendWebhookReachesAServer(t *testing.T) {
	f := garminfake.New(t, garminfake.Options{Days: []time.Time{day2}})
	cfg := f.Config()
	var got [][]providers.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		evs, err := garmin.New().Webhook(cfg, providers.WebhookRequest{Header: r.Header, Query: r.URL.Query(), Body: body})
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got = append(got, evs)
	}))
	defer srv.Close()
	ctx := context.Background()
	status := func(resp *http.Response, err error) int {
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hook := srv.URL + "/providers/garmin/webhook?tenant=1"
	if s := status(f.SendWebhook(ctx, hook, day2, garmin.Epochs)); s != http.StatusOK {
		t.Errorf("push answered %d", s)
	}
	if s := status(f.SendWebhookSecret(ctx, hook, "wrong", day2)); s != http.StatusUnauthorized {
		t.Errorf("push with a wrong secret answered %d", s)
	}
	if s := status(f.SendDeregistration(ctx, hook)); s != http.StatusOK {
		t.Errorf("deregistration answered %d", s)
	}
	if len(got) != 2 || len(got[0]) != 1 || got[0][0].DataType != garmin.Epochs || len(got[0][0].Records) != 8 ||
		len(got[1]) != 1 || got[1][0].DataType != garmin.Deregistrations || !got[1][0].Deleted {
		t.Errorf("received %+v", got)
	}
}
