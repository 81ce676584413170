package cloudsync_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oauthfake"
	"healthsync/ingest"
)

// bandFake is a small cloud provider for the core's tests: OAuth with PKCE and rotating refresh tokens, one
// data type ("steps": a record per day with 15-minute intervals and the day's total), a 429 on the first data
// request, and HMAC-signed webhooks. The real providers' fakes live beside their adapters.
type bandFake struct {
	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	days    map[string][]int // day → steps per interval, intervals start at 08:00 UTC every 15 minutes
	oa      *oauthfake.Server
	n429    int
	fetches map[string]int // "from|to" → count
	secret  string
	forbid  bool // data requests answer 403 (the user did not grant the type)
}

func newBandFake(t testing.TB) *bandFake {
	f := &bandFake{t: t, days: map[string][]int{}, fetches: map[string]int{}, secret: "band-client-secret"}
	f.oa = oauthfake.New(oauthfake.Options{ClientID: "band-client", ClientSecret: f.secret, ExpiresIn: 3600,
		RequirePKCE: true, RotateRefresh: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.oa.Authorize)
	mux.HandleFunc("POST /token", f.oa.Token)
	mux.HandleFunc("GET /api/me", f.authed(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "band-user-77"})
	}))
	mux.HandleFunc("GET /api/steps", f.authed(f.list))
	mux.HandleFunc("GET /api/steps/{id}", f.authed(f.one))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *bandFake) config() providers.Config {
	return providers.Config{ClientID: "band-client", ClientSecret: f.secret, AuthURL: f.srv.URL + "/authorize",
		TokenURL: f.srv.URL + "/token", APIURL: f.srv.URL + "/api"}
}

func (f *bandFake) setDay(day string, steps ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.days[day] = steps
}

func (f *bandFake) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.oa.Bearer(r) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

type bandRecord struct {
	ID        string `json:"id"`
	Day       string `json:"day"`
	Intervals []int  `json:"intervals"`
}

func (f *bandFake) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forbid {
		http.Error(w, "scope not granted", http.StatusForbidden)
		return
	}
	if f.n429 == 0 {
		f.n429++
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	from, _ := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
	to, _ := time.Parse(time.RFC3339, r.URL.Query().Get("to"))
	f.fetches[r.URL.Query().Get("from")+"|"+r.URL.Query().Get("to")]++
	var out []bandRecord
	for day, iv := range f.days {
		d, _ := time.Parse("2006-01-02", day)
		if !d.Before(from) && d.Before(to) {
			out = append(out, bandRecord{ID: "day-" + day, Day: day, Intervals: iv})
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
}

func (f *bandFake) one(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	day := strings.TrimPrefix(r.PathValue("id"), "day-")
	iv, ok := f.days[day]
	if !ok {
		http.NotFound(w, r)
		return
	}
	_ = json.NewEncoder(w).Encode(bandRecord{ID: "day-" + day, Day: day, Intervals: iv})
}

// webhook sends a signed notification to url.
func (f *bandFake) webhook(url string, body map[string]any, secret string) int {
	raw, _ := json.Marshal(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(raw)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(raw)))
	req.Header.Set("X-Band-Signature", hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// bandAdapter maps the fake's records: every interval a steps sample, the day's sum a daily total.
type bandAdapter struct{}

func (bandAdapter) Provider() ingest.Provider      { return ingest.OtherProvider }
func (bandAdapter) Endpoints() providers.Endpoints { return providers.Endpoints{} }
func (bandAdapter) Scopes() []string               { return []string{"steps", "offline"} }
func (bandAdapter) DataTypes() []string            { return []string{"steps"} }
func (bandAdapter) UserID(ctx context.Context, api *providers.API) (string, error) {
	var me struct {
		ID string `json:"id"`
	}
	err := api.GetJSON(ctx, "me", nil, &me)
	return me.ID, err
}

func (bandAdapter) Fetch(ctx context.Context, api *providers.API, dataType string, from, to time.Time) ([]providers.Record, error) {
	var page struct {
		Data []bandRecord `json:"data"`
	}
	q := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	if err := api.GetJSON(ctx, "steps", q, &page); err != nil {
		return nil, err
	}
	var out []providers.Record
	for _, r := range page.Data {
		out = append(out, bandRecordOf(r))
	}
	return out, nil
}

func (bandAdapter) FetchRecord(ctx context.Context, api *providers.API, dataType, id string) ([]providers.Record, error) {
	var r bandRecord
	if err := api.GetJSON(ctx, "steps/"+id, nil, &r); err != nil {
		return nil, err
	}
	return []providers.Record{bandRecordOf(r)}, nil
}

var bandSource = ingest.Source{Name: "Band", BundleID: ptr("com.example.band"), DeviceModel: ptr("Band 2")}

func bandRecordOf(r bandRecord) providers.Record {
	d, _ := time.Parse("2006-01-02", r.Day)
	rec := providers.Record{DataType: "steps", ID: r.ID}
	sum := 0
	for i, n := range r.Intervals {
		start := d.Add(8*time.Hour + time.Duration(i)*15*time.Minute)
		rec.Samples = append(rec.Samples, ingest.QuantitySample{Type: "steps", Value: ingest.Float(n), Unit: "count",
			Start: start, End: start.Add(15 * time.Minute), Source: bandSource})
		sum += n
	}
	rec.Totals = []providers.DailyTotal{{Metric: "steps", Day: d, Value: float64(sum), Unit: "count", Source: bandSource}}
	return rec
}

func (bandAdapter) Webhook(cfg providers.Config, req providers.WebhookRequest) ([]providers.Event, error) {
	m := hmac.New(sha256.New, []byte(cfg.ClientSecret))
	m.Write(req.Body)
	got, err := hex.DecodeString(req.Header.Get("X-Band-Signature"))
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return nil, errors.New("signature")
	}
	var ev struct {
		User    string `json:"user"`
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
		Revoked bool   `json:"revoked"`
	}
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return nil, errors.New("malformed")
	}
	return []providers.Event{{ProviderUserID: ev.User, DataType: "steps", RecordID: ev.ID, Deleted: ev.Deleted,
		Revoked: ev.Revoked}}, nil
}

func ptr[T any](v T) *T { return &v }
