package oura_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/oura/ourafake"
)

// bearer adds a fixed access token, standing in for the oauth2 transport the core uses.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// connect runs the authorization code flow against the fake by hand and returns an API with the token.
func connect(t *testing.T, f *ourafake.Fake) (*providers.API, *[]time.Duration) {
	t.Helper()
	cfg := f.Config()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {cfg.ClientID}, "redirect_uri": {"https://app.example/cb"},
		"state": {"st-1"}, "scope": {strings.Join(oura.New().Scopes(), " ")}}
	resp, err := noFollow.Get(cfg.AuthURL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("state") != "st-1" {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"https://app.example/cb"}}
	req, _ := http.NewRequest(http.MethodPost, cfg.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token answer %d: %v", resp.StatusCode, err)
	}
	var mu sync.Mutex
	slept := &[]time.Duration{}
	return &providers.API{
		Client:  &http.Client{Transport: bearer(tok.AccessToken)},
		BaseURL: cfg.APIURL,
		Retries: 3,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			*slept = append(*slept, d)
			return nil
		},
	}, slept
}

func days(first string, n int) []time.Time {
	d, _ := time.Parse(time.DateOnly, first)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, i)
	}
	return out
}

func TestRetryAfter429(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{UserID: "ring-owner", ExpiresIn: 3600})
	api, slept := connect(t, f)
	id, err := oura.New().UserID(context.Background(), api)
	if err != nil || id != "ring-owner" {
		t.Fatalf("UserID = %q, %v", id, err)
	}
	// The first data request got 429 with Retry-After: 1; the API waited that second and asked again.
	if f.Count429() != 1 || f.Requests() != 2 || !reflect.DeepEqual(*slept, []time.Duration{time.Second}) {
		t.Errorf("429s %d, requests %d, waits %v", f.Count429(), f.Requests(), *slept)
	}
}

func TestRetriesRunOut(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{ExpiresIn: 3600})
	api, _ := connect(t, f)
	api.Retries = 0
	_, err := oura.New().UserID(context.Background(), api)
	var se *providers.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Errorf("without retries: %v; want the 429", err)
	}
}

func TestFetchFromFakePagesEveryType(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{Days: days("2026-11-22", 3), StepsPerInterval: 120, Intervals: 50,
		ExpiresIn: 3600, PageSize: 2})
	api, _ := connect(t, f)
	a := oura.New()
	ctx := context.Background()
	from, to := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

	before := f.Requests()
	acts, err := a.Fetch(ctx, api, oura.DailyActivity, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// Three documents at two a page: two requests (plus the 429 of the very first one).
	if n := f.Requests() - before; n != 3 {
		t.Errorf("%d requests for three activity days", n)
	}
	if len(acts) != 3 {
		t.Fatalf("%d activity records", len(acts))
	}
	for i, r := range acts {
		day := from.AddDate(0, 0, i)
		if r.ID != f.DocumentID(oura.DailyActivity, day) || len(r.Totals) != 3 || r.Totals[0].Metric != "steps" ||
			r.Totals[0].Value != 6000 || !r.Totals[0].Day.Equal(day) || *r.Totals[0].TimeZone != "Etc/GMT-1" {
			t.Errorf("activity %d: %+v", i, r)
		}
	}

	for _, typ := range []string{oura.Sleep, oura.Workout, oura.DailySpO2} {
		recs, err := a.Fetch(ctx, api, typ, from, to)
		if err != nil || len(recs) != 3 {
			t.Fatalf("%s: %d records, %v", typ, len(recs), err)
		}
	}

	// One local day of 5-minute rows at +01:00 spans two UTC days; ask for the middle UTC day.
	before = f.Requests()
	hr, err := a.Fetch(ctx, api, oura.HeartRate, from.AddDate(0, 0, 1), from.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, r := range hr {
		points += len(r.Series[0].Points)
	}
	// 288 rows in the day (the row at the next midnight is outside [from, to)); 100 rows a page, and the
	// inclusive end bound adds the 289th row to the last page: three requests.
	if len(hr) != 24 || points != 288 || f.Requests()-before != 3 {
		t.Errorf("%d hours, %d points, %d requests", len(hr), points, f.Requests()-before)
	}
}

func TestCorrectionKeepsIDsChangesContent(t *testing.T) {
	d := days("2026-11-22", 2)
	f := ourafake.New(t, ourafake.Options{Days: d, ExpiresIn: 3600})
	api, _ := connect(t, f)
	a := oura.New()
	ctx := context.Background()
	fetchAll := func() map[string]providers.Record {
		out := map[string]providers.Record{}
		for _, typ := range a.DataTypes() {
			recs, err := a.Fetch(ctx, api, typ, d[0], d[1].AddDate(0, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				out[typ+"/"+r.ID] = r
			}
		}
		return out
	}
	before := fetchAll()
	f.Correct(d[1])
	after := fetchAll()
	if len(before) != len(after) {
		t.Fatalf("%d records before, %d after", len(before), len(after))
	}
	changed := map[string]int{}
	for k, r := range after {
		if !reflect.DeepEqual(before[k], r) {
			changed[r.DataType]++
		}
	}
	// Every day-document of the corrected day changed, the other day's did not; heart rate changed in the
	// corrected local day's hours.
	for _, typ := range []string{oura.DailyActivity, oura.Sleep, oura.Workout, oura.DailySpO2} {
		if changed[typ] != 1 {
			t.Errorf("%s: %d records changed, want 1", typ, changed[typ])
		}
	}
	if changed[oura.HeartRate] != 24 {
		t.Errorf("%d heart rate hours changed, want 24", changed[oura.HeartRate])
	}
	steps := after[oura.DailyActivity+"/"+f.DocumentID(oura.DailyActivity, d[1])].Totals[0]
	if steps.Value != float64(f.Steps(d[1])) || steps.Value != 9000 {
		t.Errorf("corrected steps %v, fake says %d", steps.Value, f.Steps(d[1]))
	}
}

func TestWebhookRoundTripThroughFake(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{Days: days("2026-11-22", 1), ExpiresIn: 3600})
	api, _ := connect(t, f)
	a := oura.New()
	cfg := f.Config()
	got := make(chan []providers.Event, 1)
	var challengeAnswer []byte
	srv := newCallback(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			answer, ok := a.Challenge(cfg, r.URL.Query())
			if !ok {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			challengeAnswer = answer
			w.Write(answer)
			return
		}
		body, _ := io.ReadAll(r.Body)
		evs, err := a.Webhook(cfg, providers.WebhookRequest{Header: r.Header, Query: r.URL.Query(), Body: body, Now: time.Now()})
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- evs
	})

	ctx := context.Background()
	challenge, resp, err := f.SendChallenge(ctx, srv+"/providers/oura/webhook")
	if err != nil || resp.StatusCode != http.StatusOK || string(challengeAnswer) != `{"challenge":"`+challenge+`"}` {
		t.Fatalf("challenge: %v %v %s", err, resp, challengeAnswer)
	}
	resp.Body.Close()

	id := f.DocumentID(oura.Sleep, days("2026-11-22", 1)[0])
	resp, err = f.SendBadWebhook(ctx, srv, ourafake.Webhook{EventType: "update", DataType: "sleep", ObjectID: id})
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged webhook: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = f.SendWebhook(ctx, srv, ourafake.Webhook{EventType: "update", DataType: "sleep", ObjectID: id})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signed webhook: %v %v", err, resp)
	}
	resp.Body.Close()
	evs := <-got
	if len(evs) != 1 || evs[0].ProviderUserID != f.UserID() || evs[0].RecordID != id {
		t.Fatalf("events %+v", evs)
	}
	recs, err := a.FetchRecord(ctx, api, evs[0].DataType, evs[0].RecordID)
	if err != nil || len(recs) != 1 || recs[0].ID != id || len(recs[0].Categories) < 2 {
		t.Fatalf("FetchRecord = %+v, %v", recs, err)
	}
	f.Delete(id)
	recs, err = a.FetchRecord(ctx, api, oura.Sleep, id)
	if err != nil || len(recs) != 0 {
		t.Errorf("deleted document = %+v, %v", recs, err)
	}
}

func newCallback(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRevokeThroughOAuthTransport(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{No429: true})
	cfg := f.Config()
	oc := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: "https://app.example/cb",
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(oc.AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	ctx := context.Background()
	tok, err := oc.Exchange(ctx, loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	api := &providers.API{Client: oc.Client(ctx, tok), BaseURL: cfg.APIURL}
	a := oura.New()
	if _, err := a.UserID(ctx, api); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, api); err != nil || f.Revocations() != 1 {
		t.Fatalf("Revoke: %v, %d revocations", err, f.Revocations())
	}
	// The grant is gone: the refresh token no longer works, so the next request fails.
	if _, err := a.UserID(ctx, api); err == nil {
		t.Error("the revoked grant still reads data")
	}
	// Without the oauth2 transport there is no token to name.
	if err := a.Revoke(ctx, &providers.API{Client: http.DefaultClient, BaseURL: cfg.APIURL}); err == nil {
		t.Error("Revoke without a token source succeeded")
	}
}
