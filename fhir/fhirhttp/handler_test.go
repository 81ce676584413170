package fhirhttp_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/fhir"
	"healthsync/ingest"
	"healthsync/server"
)

var secret = []byte("0123456789abcdef0123456789abcdef-fhir-secret")

// fixture is the real server over a fresh database, with a signer for tokens.
type fixture struct {
	t       testing.TB
	handler http.Handler
	signer  *auth.Signer
	r4      *jsonformat.Unmarshaller
}

func newFixture(t testing.TB) *fixture {
	f, _ := newFixtureDB(t)
	return f
}

// newFixtureDB is newFixture that also hands back its database, for tests that write rows directly.
func newFixtureDB(t testing.TB) (*fixture, *sqlx.DB) {
	t.Helper()
	raw := dbtest.New(t)
	store := db.New(raw, db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: secret, Issuer: "https://id.test", Audience: "hs"})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, "https://id.test", "hs")
	if err != nil {
		t.Fatal(err)
	}
	opts := servertest.Wire(server.Options{Store: store, Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil),
		Catalog: cat, Verifier: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 1 << 20})
	u, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, handler: server.New(opts), signer: signer, r4: u}, raw
}

func (f *fixture) token(sub string, scopes ...auth.Scope) string {
	f.t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{auth.ScopeIngest, auth.ScopeRead}
	}
	tok, err := f.signer.Sign(sub, scopes, time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// upload sends one batch through the GraphQL mutation and checks every item was accepted.
func (f *fixture) upload(tok, key string, samples, categories, workouts []map[string]any) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `mutation($input: IngestBatchInput!) { ingestBatch(input: $input) { accepted rejected { id message } } }`,
		"variables": map[string]any{"input": map[string]any{"idempotencyKey": key, "provider": "APPLE_HEALTH",
			"device":  map[string]any{"id": "iphone-1", "model": "iPhone15,2", "timeZone": "Europe/Zurich"},
			"samples": samples, "categorySamples": categories, "workouts": workouts}}})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	var res struct {
		Data struct {
			IngestBatch struct {
				Accepted int   `json:"accepted"`
				Rejected []any `json:"rejected"`
			} `json:"ingestBatch"`
		} `json:"data"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &res)
	if want := len(samples) + len(categories) + len(workouts); res.Data.IngestBatch.Accepted != want {
		f.t.Fatalf("upload %s: %d accepted, want %d: %s", key, res.Data.IngestBatch.Accepted, want, rec.Body)
	}
}

func (f *fixture) get(tok, target string, header ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

// valid has the R4 library read b; the test fails when it refuses it.
func (f *fixture) valid(what string, b []byte) {
	f.t.Helper()
	if _, err := f.r4.Unmarshal(b); err != nil {
		f.t.Errorf("%s is not valid R4: %v\n%s", what, err, b)
	}
}

type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Link         []struct {
		Relation, URL string
	} `json:"link"`
	Entry []struct {
		FullURL  string           `json:"fullUrl"`
		Resource fhir.Observation `json:"resource"`
	} `json:"entry"`
}

// search follows next links from target to the end and returns every Observation, checking each page.
func (f *fixture) search(tok, target string) []fhir.Observation {
	f.t.Helper()
	var out []fhir.Observation
	for pages := 0; target != ""; pages++ {
		if pages > 100 {
			f.t.Fatal("more than 100 pages: the next links loop")
		}
		rec := f.get(tok, target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+json" {
			f.t.Fatalf("GET %s: %d %s %s", target, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		f.valid("bundle", rec.Body.Bytes())
		var b bundle
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			f.t.Fatal(err)
		}
		if b.ResourceType != "Bundle" || b.Type != "searchset" {
			f.t.Fatalf("not a searchset: %s", rec.Body)
		}
		target = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u, err := url.Parse(l.URL)
				if err != nil {
					f.t.Fatal(err)
				}
				target = u.RequestURI()
			}
		}
		for _, e := range b.Entry {
			out = append(out, e.Resource)
		}
	}
	return out
}

func sample(id, typ, unit string, value float64, start, end time.Time) map[string]any {
	return map[string]any{"id": id, "type": typ, "value": value, "unit": unit, "start": start.Format(time.RFC3339Nano),
		"end": end.Format(time.RFC3339Nano),
		"source": map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.8A1B", "productType": "Watch6,7",
			"deviceModel": "Watch", "hardwareVersion": "Watch6,7"}}
}

func uuid(prefix, n int) string { return fmt.Sprintf("AAAAAAAA-%04d-4000-8000-%012d", prefix, n) }

// seed gives alice 25 heart rates, 5 step intervals, one blood pressure pair, 3 sleep stages and 2 workouts,
// and bob 5 heart rates, one of them under an id alice also uses. It returns the day it starts on.
func (f *fixture) seed(alice, bob string) time.Time {
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -20)
	var samples []map[string]any
	for i := range 25 {
		at := day0.Add(time.Duration(i) * 20 * time.Minute)
		samples = append(samples, sample(uuid(1, i), "HKQuantityTypeIdentifierHeartRate", "count/min", float64(60+i), at, at))
	}
	for i := range 5 {
		at := day0.Add(time.Duration(i) * time.Hour)
		samples = append(samples, sample(uuid(2, i), "HKQuantityTypeIdentifierStepCount", "count", float64(100*(i+1)), at, at.Add(10*time.Minute)))
	}
	bp := day0.Add(3*time.Hour + 7*time.Minute)
	samples = append(samples, sample(uuid(3, 1), "HKQuantityTypeIdentifierBloodPressureSystolic", "mmHg", 121, bp, bp),
		sample(uuid(3, 2), "HKQuantityTypeIdentifierBloodPressureDiastolic", "mmHg", 79, bp, bp))
	night := day0.Add(-3 * time.Hour)
	var sleep []map[string]any
	for i, stage := range []string{"AsleepCore", "AsleepDeep", "AsleepREM"} {
		s := night.Add(time.Duration(i) * 40 * time.Minute)
		sleep = append(sleep, map[string]any{"id": uuid(4, i), "type": "HKCategoryTypeIdentifierSleepAnalysis",
			"value": "HKCategoryValueSleepAnalysis" + stage, "start": s.Format(time.RFC3339), "end": s.Add(40 * time.Minute).Format(time.RFC3339),
			"source": map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.8A1B"}})
	}
	var workouts []map[string]any
	for i, act := range []string{"running", "yoga"} {
		s := day0.Add(time.Duration(10+i) * time.Hour)
		workouts = append(workouts, map[string]any{"id": uuid(5, i), "activityType": act, "start": s.Format(time.RFC3339),
			"end": s.Add(30 * time.Minute).Format(time.RFC3339), "source": map[string]any{"name": "Strava", "bundleId": "com.strava"}})
	}
	f.upload(f.token(alice), "alice-1", samples, sleep, workouts)
	var bobs []map[string]any
	for i := range 5 {
		at := day0.Add(time.Duration(i)*20*time.Minute + time.Second)
		bobs = append(bobs, sample(uuid(1, i*10), "HKQuantityTypeIdentifierHeartRate", "count/min", 150, at, at))
	}
	f.upload(f.token(bob), "bob-1", bobs, nil, nil)
	return day0
}

const aliceTotal = 25 + 5 + 1 + 3 + 2 // the blood pressure pair is one panel

func TestObservationSearchPagesEveryObservationOnceAndOnlyTheUsers(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	got := f.search(f.token("alice"), "/fhir/Observation?_count=7")
	if len(got) != aliceTotal {
		t.Fatalf("%d observations over the pages, want %d", len(got), aliceTotal)
	}
	seen := map[string]bool{}
	var last string
	for _, o := range got {
		if o.Subject == nil || o.Subject.Identifier.Value != "alice" {
			t.Errorf("observation %s names subject %+v", o.ID, o.Subject)
		}
		if seen[o.ID] {
			t.Errorf("observation %s (%s) on two pages", o.ID, o.Identifier[0].Value)
		}
		seen[o.ID] = true
		if o.Code.Coding[0].Code == "8867-4" && o.ValueQuantity.Value == 150 {
			t.Errorf("bob's heart rate %s is in alice's export", o.Identifier[0].Value)
		}
		start := o.EffectiveDateTime
		if o.EffectivePeriod != nil {
			start = o.EffectivePeriod.Start
		}
		if ts, _ := time.Parse(time.RFC3339Nano, start); last != "" {
			if lt, _ := time.Parse(time.RFC3339Nano, last); ts.Before(lt) {
				t.Errorf("observations out of order: %s after %s", start, last)
			}
		}
		last = start
	}
	// Bob sees his five only, also the one whose sample id alice uses too.
	if bobs := f.search(f.token("bob"), "/fhir/Observation"); len(bobs) != 5 {
		t.Fatalf("bob sees %d observations, want 5", len(bobs))
	} else {
		for _, o := range bobs {
			if o.ValueQuantity == nil || o.ValueQuantity.Value != 150 || o.Subject.Identifier.Value != "bob" {
				t.Errorf("bob sees %+v", o)
			}
		}
	}
}

func TestObservationSearchByCodeAndDate(t *testing.T) {
	f := newFixture(t)
	day0 := f.seed("alice", "bob")
	tok := f.token("alice")
	for _, tc := range []struct {
		query     string
		n         int
		code      string
		hk        string
		ucum      string
		category  string
		effective string // "instant" or "period"
	}{
		{"code=http://loinc.org|8867-4", 25, "8867-4", "HKQuantityTypeIdentifierHeartRate", "/min", "vital-signs", "instant"},
		{"code=http://developer.apple.com/documentation/healthkit|HKQuantityTypeIdentifierStepCount", 5, "55423-8", "HKQuantityTypeIdentifierStepCount", "{steps}", "activity", "period"},
		{"code=http://loinc.org|85354-9", 1, "85354-9", "HKCorrelationTypeIdentifierBloodPressure", "", "vital-signs", "instant"},
		{"code=http://snomed.info/sct|248263006", 3, "248263006", "HKCategoryTypeIdentifierSleepAnalysis", "min", "activity", "period"},
		{"code=http://loinc.org|73985-4", 2, "73985-4", "HKWorkoutTypeIdentifier", "", "activity", "period"},
		{"code=http://loinc.org|8462-4", 0, "", "", "", "", ""}, // the diastolic is inside the panel
	} {
		got := f.search(tok, "/fhir/Observation?"+url.PathEscape(tc.query))
		if len(got) != tc.n {
			t.Errorf("%s: %d observations, want %d", tc.query, len(got), tc.n)
			continue
		}
		for _, o := range got {
			b, _ := json.Marshal(o)
			if o.Code.Coding[0].Code != tc.code || o.Code.Coding[1].System != fhir.SystemHealthKit || o.Code.Coding[1].Code != tc.hk {
				t.Errorf("%s: codes %s", tc.query, b)
			}
			if tc.ucum != "" && (o.ValueQuantity == nil || o.ValueQuantity.Code != tc.ucum || o.ValueQuantity.System != fhir.SystemUCUM) {
				t.Errorf("%s: value %s", tc.query, b)
			}
			if o.Status != "final" || len(o.Category) != 1 || o.Category[0].Coding[0].Code != tc.category {
				t.Errorf("%s: status/category %s", tc.query, b)
			}
			if (tc.effective == "instant") != (o.EffectiveDateTime != "" && o.EffectivePeriod == nil) {
				t.Errorf("%s: effective %s", tc.query, b)
			}
			if o.Device == nil || !strings.HasPrefix(o.Device.Reference, "Device/") || o.Device.Identifier.System != fhir.SystemSource ||
				o.Meta == nil || o.Meta.Source == "" || len(o.Meta.Tag) != 1 || o.Meta.Tag[0].Code != "iphone-1" {
				t.Errorf("%s: provenance %s", tc.query, b)
			}
		}
		if tc.code == "85354-9" {
			c := got[0].Component
			if len(c) != 2 || c[0].Code.Coding[0].Code != "8480-6" || c[0].ValueQuantity.Value != 121 ||
				c[1].Code.Coding[0].Code != "8462-4" || c[1].ValueQuantity.Value != 79 || c[1].ValueQuantity.Code != "mm[Hg]" {
				t.Errorf("panel components %+v", c)
			}
		}
	}
	// Heart rates every 20 minutes from day0: [1 h, 3 h) holds those at 60, 80, ..., 160 minutes.
	q := url.Values{"code": {"http://loinc.org|8867-4"}, "date": {"ge" + day0.Add(time.Hour).Format(time.RFC3339), "lt" + day0.Add(3*time.Hour).Format(time.RFC3339)}}
	if got := f.search(tok, "/fhir/Observation?"+q.Encode()+"&_count=2"); len(got) != 6 {
		t.Errorf("date window: %d heart rates, want 6", len(got))
	}
	q.Set("date", "gt"+day0.Add(time.Hour).Format(time.RFC3339))
	if got := f.search(tok, "/fhir/Observation?"+q.Encode()); len(got) != 25-3-1 {
		t.Errorf("date=gt: %d heart rates, want %d", len(got), 25-3-1)
	}
	// A day stands for the whole day: the heart rates are all on day0 (25 × 20 min < 24 h).
	day := day0.Format("2006-01-02")
	for query, want := range map[string]int{"date=" + day: 25, "date=le" + day: 25, "date=gt" + day: 0,
		"date=lt" + day: 0, "date=ge" + day: 25} {
		if got := f.search(tok, "/fhir/Observation?code=8867-4&"+query); len(got) != want {
			t.Errorf("%s: %d heart rates, want %d", query, len(got), want)
		}
	}
}

func TestObservationNDJSONStreamsEveryObservation(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	for _, tc := range []struct{ target, accept string }{
		{"/fhir/Observation?_format=ndjson", ""},
		{"/fhir/Observation", "application/fhir+ndjson"},
	} {
		rec := f.get(f.token("alice"), tc.target, "Accept", tc.accept)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+ndjson" {
			t.Fatalf("%s: %d %s", tc.target, rec.Code, rec.Header().Get("Content-Type"))
		}
		n, ids := 0, map[string]bool{}
		sc := bufio.NewScanner(rec.Body)
		for sc.Scan() {
			f.valid("ndjson line", sc.Bytes())
			var o fhir.Observation
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Fatal(err)
			}
			if o.Subject.Identifier.Value != "alice" || ids[o.ID] {
				t.Errorf("line %d: %s", n, sc.Bytes())
			}
			ids[o.ID] = true
			n++
		}
		if n != aliceTotal {
			t.Errorf("%s: %d lines, want %d", tc.target, n, aliceTotal)
		}
	}
}

func TestObservationErrorsAreOperationOutcomes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		tok, target string
		status      int
		issue, code string
	}{
		{"", "/fhir/Observation", http.StatusUnauthorized, "login", "UNAUTHENTICATED"},
		{"not-a-jwt", "/fhir/Observation", http.StatusUnauthorized, "login", "UNAUTHENTICATED"},
		{f.token("alice", auth.ScopeIngest), "/fhir/Observation", http.StatusForbidden, "forbidden", "FORBIDDEN"},
		{f.token("alice"), "/fhir/Observation?date=ap2026-11-01", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?date=2026-11-01,2026-11-02", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?date=2026-11-01T08:00", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?date=geyesterday", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?_count=0", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?_cursor=!!", http.StatusBadRequest, "invalid", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Observation?code=8867-4&foo=bar", http.StatusBadRequest, "not-supported", "BAD_USER_INPUT"},
		{f.token("alice"), "/fhir/Basic", http.StatusNotFound, "not-supported", "NOT_FOUND"},
		{f.token("alice"), "/fhir/Observation/abc", http.StatusNotFound, "not-found", "NOT_FOUND"},
		{"", "/fhir/Patient/abc", http.StatusUnauthorized, "login", "UNAUTHENTICATED"},
		{f.token("alice", auth.ScopeIngest), "/fhir/Device", http.StatusForbidden, "forbidden", "FORBIDDEN"},
	} {
		rec := f.get(tc.tok, tc.target, "Prefer", "handling=strict")
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/fhir+json" {
			t.Errorf("%s: %d %s, want %d", tc.target, rec.Code, rec.Header().Get("Content-Type"), tc.status)
			continue
		}
		f.valid("OperationOutcome", rec.Body.Bytes())
		var oo fhir.OperationOutcome
		_ = json.Unmarshal(rec.Body.Bytes(), &oo)
		if len(oo.Issue) != 1 || oo.Issue[0].Code != tc.issue || oo.Issue[0].Details.Coding[0].Code != tc.code ||
			oo.Issue[0].Diagnostics == "" || strings.Contains(oo.Issue[0].Diagnostics, "SELECT") {
			t.Errorf("%s: %s", tc.target, rec.Body)
		}
	}
}
