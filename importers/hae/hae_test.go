package hae_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/importers/hae"
	"healthsync/ingest"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2021, 12, 24, 0, 4, 0, 0, time.UTC).Add(-8 * time.Hour)
	for _, s := range []string{
		"2021-12-24 00:04:00 +0800",
		"2021-12-24 12:04:00\u202fAM +0800",
		"2021-12-24 12:04:00 AM +0800",
		"2021-12-24 12:04:00 am +0800",
		"2021-12-24T00:04:00+08:00",
	} {
		got, err := hae.ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	pm, err := hae.ParseTime("2021-12-24 1:30:05\u202fPM -0500")
	if err != nil || !pm.Equal(time.Date(2021, 12, 24, 18, 30, 5, 0, time.UTC)) {
		t.Errorf("12-hour PM: %v %v", pm, err)
	}
	if _, err := hae.ParseTime("24/12/2021"); err == nil {
		t.Error("an unknown format parsed")
	}
}

func load(t *testing.T, name string) *hae.Payload {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var p hae.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestMapShapes(t *testing.T) {
	cat := catalog.New()
	body := `{"data":{"metrics":[
	 {"name":"heart_rate","units":"count/min","data":[{"date":"2024-03-01 08:00:00 +0100","Min":61,"Avg":66.5,"Max":74,"source":"Anna’s Apple Watch"}]},
	 {"name":"blood_pressure","units":"mmHg","data":[{"date":"2024-03-01 07:00:00 +0100","systolic":121,"diastolic":79,"source":"Omron"}]},
	 {"name":"blood_oxygen_saturation","units":"%","data":[{"date":"2024-03-01 03:00:00 +0100","qty":97}]},
	 {"name":"blood_glucose","units":"mg/dL","data":[{"date":"2024-03-01 09:00:00 +0100","qty":101,"mealTime":"Before Meal"}]},
	 {"name":"step_count","units":"count","data":[{"date":"2024-03-01 8:05:00\u202fAM +0100","qty":412}]},
	 {"name":"from_a_future_app_version","units":"count","data":[{"date":"2024-03-01 09:00:00 +0100","qty":1}]},
	 {"name":"weight_body_mass","units":"kg","data":[{"date":"not a date","qty":70}]}
	]}}`
	var p hae.Payload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	m := hae.Map(&p, cat)
	var got []string
	for _, s := range m.Samples {
		got = append(got, s.Type+"="+jsonNum(float64(s.Value))+" "+s.Unit+" @"+s.Source.Name)
	}
	want := []string{"heart_rate=66.5 count/min @Anna’s Apple Watch", "blood_pressure_systolic=121 mmHg @Omron",
		"blood_pressure_diastolic=79 mmHg @Omron", "oxygen_saturation=97 percent @Health Auto Export",
		"blood_glucose=101 mg/dL @Health Auto Export", "steps=412 count @Health Auto Export"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("samples:\n got %v\nwant %v", got, want)
	}
	if m.Samples[0].Metadata["min"] != 61.0 || m.Samples[0].Metadata["max"] != 74.0 || m.Samples[4].Metadata["mealTime"] != "Before Meal" {
		t.Errorf("metadata %v %v", m.Samples[0].Metadata, m.Samples[4].Metadata)
	}
	if m.Unknown["from_a_future_app_version"] != 1 || m.Invalid["weight_body_mass"] != 1 {
		t.Errorf("unknown %v invalid %v", m.Unknown, m.Invalid)
	}
	// The same content mapped again gives the same ids; all ids are distinct.
	again := hae.Map(&p, cat)
	seen := map[string]bool{}
	for i, s := range m.Samples {
		if again.Samples[i].ID != s.ID || seen[s.ID] {
			t.Errorf("id %d: %s vs %s (seen %v)", i, s.ID, again.Samples[i].ID, seen[s.ID])
		}
		seen[s.ID] = true
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

// env is a real database behind the write path and the HTTP receiver, with the same verifier middleware the
// server mounts in front of it.
type env struct {
	t       *testing.T
	sqlDB   *sqlx.DB
	handler http.Handler
	signer  *auth.Signer
}

var secret = []byte("0123456789abcdef0123456789abcdef-hae-test")

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	cat := catalog.New()
	svc := ingest.NewService(store, cat, ingest.Limits{MaxItems: 20000}, nil)
	v, err := auth.NewVerifier(auth.Config{HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	h := v.Middleware(hae.NewHandler(svc, store, cat, slog.New(slog.NewTextHandler(io.Discard, nil))))
	return &env{t: t, sqlDB: d, handler: h, signer: signer}
}

func (e *env) token(scopes ...auth.Scope) string {
	tok, err := e.signer.Sign("alice", scopes, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) post(token string, body []byte) (int, hae.Response, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ingest/health-auto-export", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	var res hae.Response
	_ = json.Unmarshal(rec.Body.Bytes(), &res)
	return rec.Code, res, rec.Body.String()
}

func (e *env) fixture(name string) hae.Response {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		e.t.Fatal(err)
	}
	code, res, raw := e.post(e.token(auth.ScopeIngest), b)
	if code != http.StatusOK {
		e.t.Fatalf("%s: status %d: %s", name, code, raw)
	}
	return res
}

func (e *env) stored() [3]int {
	var n [3]int
	for i, q := range []string{`SELECT count(*) FROM samples`, `SELECT count(*) FROM category_samples`, `SELECT count(*) FROM workouts`} {
		if err := e.sqlDB.Get(&n[i], q); err != nil {
			e.t.Fatal(err)
		}
	}
	return n
}

type catRow struct {
	Value  string  `db:"value"`
	Orig   string  `db:"orig_value"`
	Start  string  `db:"start"`
	End    string  `db:"end"`
	Source string  `db:"name"`
	Meta   *string `db:"metadata"`
}

func (e *env) categories() []catRow {
	var rows []catRow
	err := e.sqlDB.Select(&rows, `SELECT c.value, c.orig_value,
		to_char(c.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS start,
		to_char(c.end_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS end, s.name, c.metadata::text AS metadata
		FROM category_samples c JOIN sources s ON s.user_id = c.user_id AND s.source_id = c.source_id ORDER BY c.start_time`)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func checkResponse(t *testing.T, name string, r hae.Response, accepted, duplicates int) {
	t.Helper()
	if r.Accepted != accepted || r.Duplicates != duplicates || r.Rejected != 0 {
		t.Fatalf("%s: accepted/duplicates/rejected = %d/%d/%d, want %d/%d/0 (%+v)", name, r.Accepted, r.Duplicates, r.Rejected,
			accepted, duplicates, r.Rejections)
	}
}

func TestFixtureMetrics(t *testing.T) {
	e := newEnv(t)
	const f = "irvinlim_unmarshal_metrics.json"
	checkResponse(t, f, e.fixture(f), 2, 0)
	var rows []struct {
		Metric string  `db:"metric"`
		Value  float64 `db:"value"`
		Orig   float64 `db:"orig_value"`
		Unit   string  `db:"orig_unit"`
		Start  string  `db:"start"`
		Source string  `db:"name"`
	}
	if err := e.sqlDB.Select(&rows, `SELECT m.metric, m.value, m.orig_value, m.orig_unit,
		to_char(m.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS start, s.name
		FROM samples m JOIN sources s ON s.user_id = m.user_id AND s.source_id = m.source_id ORDER BY m.start_time`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	if r.Metric != "active_energy_burned" || math.Abs(r.Value-0.76856774374845116/4.184) > 1e-12 || r.Unit != "kJ" ||
		r.Orig != 0.76856774374845116 || r.Start != "2021-12-23T16:04:00Z" || r.Source != "Health Auto Export" {
		t.Errorf("first sample %+v", r)
	}
	if math.Abs(rows[1].Value-0.377848256251549/4.184) > 1e-12 {
		t.Errorf("second sample %+v", rows[1])
	}
	// The app resends the period: nothing new.
	checkResponse(t, f, e.fixture(f), 0, 2)
	if got := e.stored(); got != [3]int{2, 0, 0} {
		t.Fatalf("stored %v", got)
	}
}

func TestFixtureAggregatedSleep(t *testing.T) {
	e := newEnv(t)
	const f = "irvinlim_unmarshal_aggregated_sleep_analysis.json"
	checkResponse(t, f, e.fixture(f), 2, 0)
	rows := e.categories()
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	inBed, asleep := rows[0], rows[1]
	if inBed.Value != "in_bed" || inBed.Start != "2021-12-17T18:12:50Z" || inBed.End != "2021-12-18T01:04:45Z" || inBed.Source != "iPhone" {
		t.Errorf("in bed %+v", inBed)
	}
	if asleep.Value != "asleep_unspecified" || asleep.Start != "2021-12-17T18:21:06Z" || asleep.End != "2021-12-18T00:57:06Z" ||
		asleep.Source != "Irvin’s Apple Watch" || !strings.Contains(*asleep.Meta, `"asleepHours": 6.108333333333333`) {
		t.Errorf("asleep %+v meta %s", asleep, *asleep.Meta)
	}
	checkResponse(t, f, e.fixture(f), 0, 2)
	if got := e.stored(); got != [3]int{0, 2, 0} {
		t.Fatalf("stored %v", got)
	}
}

func TestFixtureAggregatedSleepPhases(t *testing.T) {
	e := newEnv(t)
	const f = "irvinlim_unmarshal_aggregated_sleep_phases_v6_6_2.json"
	checkResponse(t, f, e.fixture(f), 1, 0)
	rows := e.categories()
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	if r.Value != "asleep_unspecified" || r.Start != "2023-01-30T16:23:47Z" || r.End != "2023-01-31T00:39:12Z" ||
		r.Source != "Irvin’s Apple Watch" {
		t.Errorf("sleep %+v", r)
	}
	for _, want := range []string{`"coreHours": 3.2999999999999994`, `"deepHours": 0.8583333333333334`, `"remHours": 1.2583333333333333`, `"awakeHours": 0.11666666666666667`} {
		if !strings.Contains(*r.Meta, want) {
			t.Errorf("metadata %s lacks %s", *r.Meta, want)
		}
	}
	checkResponse(t, f, e.fixture(f), 0, 1)
}

func TestFixtureUnaggregatedSleep(t *testing.T) {
	e := newEnv(t)
	const f = "irvinlim_unmarshal_non_aggregated_sleep_analysis.json"
	checkResponse(t, f, e.fixture(f), 1, 0)
	rows := e.categories()
	if len(rows) != 1 || rows[0].Value != "asleep_core" || rows[0].Orig != "Core" || rows[0].Start != "2021-12-17T18:21:06Z" ||
		rows[0].End != "2021-12-18T00:57:06Z" || rows[0].Source != "Irvin's Apple Watch" {
		t.Fatalf("rows %+v", rows)
	}
	checkResponse(t, f, e.fixture(f), 0, 1)
	if got := e.stored(); got != [3]int{0, 1, 0} {
		t.Fatalf("stored %v", got)
	}
}

func TestFixtureWorkouts(t *testing.T) {
	e := newEnv(t)
	const f = "irvinlim_unmarshal_workouts.json"
	checkResponse(t, f, e.fixture(f), 1, 0)
	var w struct {
		Activity string   `db:"activity_type"`
		Orig     string   `db:"orig_activity_type"`
		Duration float64  `db:"duration_s"`
		Energy   *float64 `db:"energy_kcal"`
		Distance *float64 `db:"distance_m"`
		Meta     string   `db:"metadata"`
	}
	if err := e.sqlDB.Get(&w, `SELECT activity_type, orig_activity_type, duration_s, energy_kcal, distance_m, metadata::text AS metadata FROM workouts`); err != nil {
		t.Fatal(err)
	}
	if w.Activity != "walking" || w.Duration != 19*60+10 || w.Energy == nil || math.Abs(*w.Energy-226.21122641832523/4.184) > 1e-9 ||
		w.Distance != nil {
		t.Errorf("workout %+v energy %v", w, w.Energy)
	}
	for _, want := range []string{`"averageHeartRate": 108`, `"maxHeartRate": 108`, `"stepCount": 908`, `"ascent": 16.36`} {
		if !strings.Contains(w.Meta, want) {
			t.Errorf("metadata %s lacks %s", w.Meta, want)
		}
	}
	checkResponse(t, f, e.fixture(f), 0, 1)
	if got := e.stored(); got != [3]int{0, 0, 1} {
		t.Fatalf("stored %v", got)
	}
}

// A later period that overlaps the first adds only its new points, even though the batch differs.
func TestOverlappingPeriods(t *testing.T) {
	e := newEnv(t)
	first := `{"data":{"metrics":[{"name":"step_count","units":"count","data":[
		{"date":"2024-03-01 08:00:00 +0100","qty":100},{"date":"2024-03-01 08:01:00 +0100","qty":120}]}]}}`
	later := `{"data":{"metrics":[{"name":"step_count","units":"count","data":[
		{"date":"2024-03-01 8:00:00 AM +0100","qty":100},{"date":"2024-03-01 07:01:00 +0000","qty":120},
		{"date":"2024-03-01 08:02:00 +0100","qty":90}]}]}}`
	tok := e.token(auth.ScopeIngest)
	_, r1, _ := e.post(tok, []byte(first))
	checkResponse(t, "first", r1, 2, 0)
	_, r2, _ := e.post(tok, []byte(later))
	checkResponse(t, "later", r2, 1, 2)
	if got := e.stored(); got != [3]int{3, 0, 0} {
		t.Fatalf("stored %v", got)
	}
}

func TestAuthAndBadBodies(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"data":{"metrics":[]}}`)
	for _, c := range []struct {
		token  string
		body   []byte
		status int
		code   string
	}{
		{"", body, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"not-a-jwt", body, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{e.token(auth.ScopeRead), body, http.StatusForbidden, "FORBIDDEN"},
		{e.token(auth.ScopeIngest), []byte(`{"data":`), http.StatusBadRequest, "BAD_REQUEST"},
	} {
		status, _, raw := e.post(c.token, c.body)
		if status != c.status || !strings.Contains(raw, `"code":"`+c.code+`"`) {
			t.Errorf("token %.12q: status %d %s, want %d %s", c.token, status, raw, c.status, c.code)
		}
	}
	status, res, raw := e.post(e.token(auth.ScopeIngest), body)
	if status != http.StatusOK || res.Batches != 0 || res.Accepted != 0 {
		t.Errorf("empty payload: %d %s", status, raw)
	}
}

// TestBadBodiesNameTheItemAndField: a value of the wrong kind is reported at its path in the payload, in JSON's
// words, never Go's ("cannot unmarshal string into Go struct field Point.data.metrics.data.qty of type float64").
func TestBadBodiesNameTheItemAndField(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.ScopeIngest)
	pt := func(q string) string { return `{"date":"2021-12-24 00:04:00 +0800","qty":` + q + `}` }
	points := func(bad int, q string) string {
		var ps []string
		for i := 0; i < 6; i++ {
			if i == bad {
				ps = append(ps, pt(q))
			} else {
				ps = append(ps, pt("1"))
			}
		}
		return strings.Join(ps, ",\n")
	}
	metric := func(name, data string) string { return `{"name":"` + name + `","units":"count","data":[` + data + `]}` }
	body := `{"data":{"metrics":[` + metric("step_count", points(-1, "")) + ",\n" + metric("active_energy", points(-1, "")) +
		",\n" + metric("step_count", points(5, `"12"`)) + `]}}`
	for _, c := range []struct {
		name, body, code, message, path string
	}{
		{"string for a number", body, "INVALID_VALUE", `data.metrics[2].data[5].qty: expected a number, got a string`, "data.metrics[2].data[5].qty"},
		{"object for a number", `{"data":{"metrics":[` + metric("step_count", points(0, `{"v":1}`)) + `]}}`, "INVALID_VALUE",
			`data.metrics[0].data[0].qty: expected a number, got an object`, "data.metrics[0].data[0].qty"},
		{"workout duration", `{"data":{"workouts":[{"name":"Walk"},{"name":"Run","duration":"30 min"}]}}`, "INVALID_VALUE",
			`data.workouts[1].duration: expected a number, got a string`, "data.workouts[1].duration"},
		{"metrics not a list", `{"data":{"metrics":{"name":"x"}}}`, "INVALID_VALUE", `data.metrics: expected an array, got an object`, "data.metrics"},
		{"syntax", "{\"data\":\n{\"metrics\": [}}", "BAD_REQUEST", "the body is not JSON: invalid character '}' looking for beginning of value at line 2, column 14", ""},
		{"bad last byte", `{"data":}`, "BAD_REQUEST", "the body is not JSON: invalid character '}' looking for beginning of value at line 1, column 9", ""},
		{"cut off", `{"data":{"metrics":[`, "BAD_REQUEST", "the body is not JSON: it ends before the JSON is complete", ""},
		{"empty", ``, "BAD_REQUEST", "the body is empty", ""},
	} {
		status, _, raw := e.post(tok, []byte(c.body))
		var out struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(raw), &out); err != nil || len(out.Errors) != 1 {
			t.Errorf("%s: %d %s", c.name, status, raw)
			continue
		}
		got := out.Errors[0]
		if status != http.StatusBadRequest || got.Extensions["code"] != c.code || !strings.HasPrefix(got.Message, c.message) {
			t.Errorf("%s: %d %q %v, want 400 %s %q", c.name, status, got.Message, got.Extensions, c.code, c.message)
		}
		if p, _ := got.Extensions["path"].(string); p != c.path {
			t.Errorf("%s: extensions.path %q, want %q", c.name, p, c.path)
		}
		for _, goTerm := range []string{"Go ", "float64", "Point", "unmarshal"} {
			if strings.Contains(got.Message, goTerm) {
				t.Errorf("%s: message %q speaks Go (%q)", c.name, got.Message, goTerm)
			}
		}
	}
}
