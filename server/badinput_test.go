package server_test

import (
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

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

// The bad-input corpus: malformed requests of every layer – transport, JSON, GraphQL syntax and types,
// authentication, batch-level checks and single bad items – each answered with its specific error code, and none
// of them storing anything.

// newAppWithDB is newApp that also hands out the database, for the no-write checks.
func newAppWithDB(t *testing.T) (*app, *sqlx.DB) {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil),
		Catalog: cat, Verifier: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 1 << 20}))
	return &app{t: t, handler: h, signer: signer}, d
}

var badAt = day0.Add(32 * time.Hour)

func badTime(t time.Time) string { return t.Format(time.RFC3339) }

// goodSample is a valid heart-rate sample; cases change one field.
func goodSample(kv ...any) map[string]any {
	s := map[string]any{"id": "7D444840-9DC0-11D1-B245-5FFDCE74FAD2", "type": "HKQuantityTypeIdentifierHeartRate",
		"value": 62, "unit": "count/min", "start": badTime(badAt), "end": badTime(badAt),
		"source": map[string]any{"name": "Apple Watch", "productType": "Watch6,7"}}
	return set(s, kv...)
}

func set(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

// batchWith is a valid batch input (one good sample unless items replace it) changed by kv.
func batchWith(kv ...any) map[string]any {
	in := map[string]any{"idempotencyKey": "bad-input-1", "provider": "APPLE_HEALTH",
		"device": map[string]any{"id": "iphone-1", "model": "iPhone15,2", "timeZone": "Europe/Zurich"}}
	return set(in, kv...)
}

func body(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

func ingestBody(in map[string]any) []byte { return body(ingestMutation, map[string]any{"input": in}) }

func nested(levels int) string {
	return "{ " + strings.Repeat("me { ", levels) + "id" + strings.Repeat(" }", levels) + " }"
}

type badCase struct {
	name     string
	body     []byte
	raw      string // the body as text, when it is not JSON built above
	ctype    string // Content-Type; default application/json
	method   string // default POST
	getQuery string // the URL query of a GET
	token    string // "" = alice's full token; "none", "read" or "garbage"
	status   int    // expected HTTP status
	code     string // expected extensions.code of the first error, or the item's rejection code
	item     bool   // the batch is answered and the one item is rejected with code
}

func badInputCorpus() []badCase {
	sample := func(kv ...any) map[string]any { return batchWith("samples", []map[string]any{goodSample(kv...)}) }
	long := strings.Repeat("x", 300)
	huge := strings.Repeat("y", 100_000)
	cat := func(kv ...any) map[string]any {
		c := set(map[string]any{"id": "1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "type": "HKCategoryTypeIdentifierSleepAnalysis",
			"value": "HKCategoryValueSleepAnalysisAsleepCore", "start": badTime(badAt.Add(-2 * time.Hour)), "end": badTime(badAt),
			"source": map[string]any{"name": "Apple Watch"}}, kv...)
		return batchWith("categorySamples", []map[string]any{c})
	}
	workout := func(kv ...any) map[string]any {
		w := set(map[string]any{"id": "6A7B0000-0000-4000-8000-000000000001", "activityType": "HKWorkoutActivityTypeRunning",
			"start": badTime(badAt.Add(-time.Hour)), "end": badTime(badAt), "source": map[string]any{"name": "Apple Watch"}}, kv...)
		return batchWith("workouts", []map[string]any{w})
	}
	series := func(kv ...any) map[string]any {
		s := set(map[string]any{"id": "hc-hr-1", "type": "HeartRate", "unit": "count/min",
			"start": badTime(badAt.Add(-time.Minute)), "end": badTime(badAt),
			"source": map[string]any{"name": "Pixel Watch", "bundleId": "com.google.android.apps.fitness"},
			"points": []map[string]any{{"time": badTime(badAt.Add(-30 * time.Second)), "value": 70}}}, kv...)
		return batchWith("provider", "HEALTH_CONNECT", "seriesSamples", []map[string]any{s})
	}
	tooMany := make([]string, 5001)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("7D444840-9DC0-11D1-B245-%012d", i)
	}
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("mutation($i: IngestBatchInput!) {")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " a%d: ingestBatch(input: $i) { accepted }", i)
		}
		return b.String() + " }"
	}

	return []badCase{
		// Transport and JSON.
		{name: "body is broken JSON", raw: `{"query": "mutation {`, status: 400, code: "BAD_REQUEST"},
		{name: "body is empty", raw: ``, status: 400, code: "BAD_REQUEST"},
		{name: "body is a JSON array (transport batching)", raw: `[{"query":"{ me { id } }"}]`, status: 400, code: "BAD_REQUEST"},
		{name: "query is a number", raw: `{"query": 5}`, status: 400, code: "BAD_REQUEST"},
		{name: "variables is a string", raw: `{"query": "{ me { id } }", "variables": "x"}`, status: 400, code: "BAD_REQUEST"},
		{name: "body over the size cap", raw: `{"query": "` + strings.Repeat(" ", 1<<20) + `{ me { id } }"}`, status: 413, code: "REQUEST_TOO_LARGE"},
		{name: "form-encoded body", raw: `query=mutation`, ctype: "application/x-www-form-urlencoded", status: 415, code: "BAD_REQUEST"},
		{name: "text/plain body", raw: `{"query": "{ me { id } }"}`, ctype: "text/plain", status: 415, code: "BAD_REQUEST"},
		{name: "multipart body", raw: `--x--`, ctype: "multipart/form-data; boundary=x", status: 415, code: "BAD_REQUEST"},

		// GraphQL syntax and validation.
		{name: "unterminated operation", body: body(`mutation { ingestBatch(input: {`, nil), status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "query is empty", body: body(``, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "10,000 aliases", body: body("{"+strings.Repeat(" a: me { id }", 10_000)+" }", nil), status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "5,000 levels deep", body: body(nested(5000), nil), status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "100 levels deep (unknown field)", body: body(nested(100), nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown field", body: body(`{ passwords { id } }`, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "missing required variable", body: body(ingestMutation, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "two operations, no name", body: body(`query A { me { id } } query B { me { id } }`, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown enum provider", body: ingestBody(batchWith("provider", "FITBIT")), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "enum in lower case", body: ingestBody(batchWith("provider", "apple_health")), status: 200, code: "BAD_USER_INPUT"},
		{name: "idempotencyKey is an object", body: ingestBody(batchWith("idempotencyKey", map[string]any{"k": 1})), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "device missing", body: ingestBody(batchWith("device", nil)), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "device is a list", body: ingestBody(batchWith("device", []string{"iphone-1"})), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown input field", body: ingestBody(batchWith("adminOverride", true)), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "deletion id not a UUID (a string coerced to a list)", body: ingestBody(batchWith("deletions", "all")), item: true, code: "BAD_ID"},
		{name: "workout start not a time", body: ingestBody(workout("start", "yesterday")), status: 200, code: "BAD_USER_INPUT"},
		{name: "month 13", body: ingestBody(workout("start", "2026-13-01T00:00:00Z")), status: 200, code: "BAD_USER_INPUT"},
		{name: "time without a zone", body: ingestBody(workout("end", "2026-11-02T08:00:00")), status: 200, code: "BAD_USER_INPUT"},
		{name: "workout energy value is a word", body: ingestBody(workout("energy", map[string]any{"value": "lots", "unit": "kcal"})), status: 200, code: "BAD_USER_INPUT"},
		{name: "series points missing", body: ingestBody(series("points", nil)), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},

		// The sample list (a strict scalar): every element is checked, and a bad one fails the request.
		{name: "samples is a string", body: ingestBody(batchWith("samples", "[]")), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample is a number", body: ingestBody(batchWith("samples", []any{7})), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample value is a word", body: ingestBody(sample("value", "sixty-two")), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample value is a list", body: ingestBody(sample("value", []int{62})), status: 200, code: "BAD_USER_INPUT"},
		// NaN-like strings get through the lenient Number scalar and are rejected as items.
		{name: "sample value is the string NaN", body: ingestBody(sample("value", "NaN")), item: true, code: "BAD_VALUE"},
		{name: "sample value is the string Infinity", body: ingestBody(sample("value", "Infinity")), item: true, code: "BAD_VALUE"},
		{name: "sample value is the string -Inf", body: ingestBody(sample("value", "-Inf")), item: true, code: "BAD_VALUE"},
		{name: "sample value is null", body: ingestBody(sample("value", json.RawMessage("null"))), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample value overflows float64", raw: strings.Replace(string(ingestBody(sample())), `"value":62`, `"value":1e400`, 1), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample without value", body: ingestBody(sample("value", nil)), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample with an unknown field", body: ingestBody(sample("isAdmin", true)), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample start is not a time", body: ingestBody(sample("start", "noon")), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample source is a string", body: ingestBody(sample("source", "Apple Watch")), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample metadata is a list", body: ingestBody(sample("metadata", []int{1})), status: 200, code: "BAD_USER_INPUT"},
		{name: "sample version is fractional", body: ingestBody(sample("version", 1.5)), status: 200, code: "BAD_USER_INPUT"},

		// Authentication and scopes.
		{name: "no token", body: ingestBody(sample()), token: "none", status: 401, code: "UNAUTHENTICATED"},
		{name: "garbage token", body: ingestBody(sample()), token: "garbage", status: 401, code: "UNAUTHENTICATED"},
		{name: "read-only token uploads", body: ingestBody(sample()), token: "read", status: 200, code: "FORBIDDEN"},

		// Whole-batch checks.
		{name: "idempotencyKey empty", body: ingestBody(batchWith("idempotencyKey", "", "samples", []map[string]any{goodSample()})), status: 200, code: "BAD_USER_INPUT"},
		{name: "idempotencyKey 256 characters", body: ingestBody(batchWith("idempotencyKey", strings.Repeat("k", 256), "samples", []map[string]any{goodSample()})), status: 200, code: "BAD_USER_INPUT"},
		{name: "device id empty", body: ingestBody(batchWith("device", map[string]any{"id": ""}, "samples", []map[string]any{goodSample()})), status: 200, code: "BAD_USER_INPUT"},
		{name: "device time zone not IANA", body: ingestBody(batchWith("device", map[string]any{"id": "d", "timeZone": "Mars/Olympus_Mons"}, "samples", []map[string]any{goodSample()})), status: 200, code: "BAD_USER_INPUT"},
		{name: "device model 100 KB", body: ingestBody(batchWith("device", map[string]any{"id": "d", "model": huge}, "samples", []map[string]any{goodSample()})), status: 200, code: "BAD_USER_INPUT"},
		{name: "5,001 items", body: ingestBody(batchWith("deletions", tooMany)), status: 200, code: "BATCH_TOO_LARGE"},
		{name: "two batches by alias", body: body(aliases(2), map[string]any{"i": sample()}), status: 200, code: "TOO_MANY_BATCHES"},

		// Single bad items: the batch is answered, the item is rejected with its code, nothing is stored.
		{name: "unknown quantity type", body: ingestBody(sample("type", "HKQuantityTypeIdentifierMoodSwing")), item: true, code: "UNKNOWN_TYPE"},
		{name: "unknown unit", body: ingestBody(sample("unit", "furlongs/fortnight")), item: true, code: "BAD_UNIT"},
		{name: "unit of another dimension", body: ingestBody(sample("unit", "kg")), item: true, code: "BAD_UNIT"},
		{name: "heart rate 900 bpm", body: ingestBody(sample("value", 900)), item: true, code: "OUT_OF_RANGE"},
		{name: "negative heart rate", body: ingestBody(sample("value", -60)), item: true, code: "OUT_OF_RANGE"},
		{name: "negative steps", body: ingestBody(sample("type", "HKQuantityTypeIdentifierStepCount", "unit", "count", "value", -5, "start", badTime(badAt.Add(-time.Hour)))), item: true, code: "OUT_OF_RANGE"},
		{name: "negative duration", body: ingestBody(sample("start", badTime(badAt.Add(time.Hour)))), item: true, code: "BAD_TIME"},
		{name: "year 9999", body: ingestBody(sample("start", "9999-12-31T23:00:00Z", "end", "9999-12-31T23:59:59Z")), item: true, code: "BAD_TIME"},
		{name: "year 1800", body: ingestBody(sample("start", "1800-01-01T00:00:00Z", "end", "1800-01-01T00:00:00Z")), item: true, code: "BAD_TIME"},
		{name: "span of 40 days", body: ingestBody(sample("type", "HKQuantityTypeIdentifierStepCount", "unit", "count", "value", 5, "start", badTime(badAt.AddDate(0, 0, -40)))), item: true, code: "BAD_TIME"},
		{name: "HealthKit id not a UUID", body: ingestBody(sample("id", "not-a-uuid")), item: true, code: "BAD_ID"},
		{name: "empty id", body: ingestBody(sample("id", "")), item: true, code: "BAD_ID"},
		{name: "Health Connect id of 300 bytes", body: ingestBody(batchWith("provider", "HEALTH_CONNECT", "samples", []map[string]any{goodSample("id", long, "type", "HeartRate")})), item: true, code: "BAD_ID"},
		{name: "id with a control character", body: ingestBody(batchWith("provider", "HEALTH_CONNECT", "samples", []map[string]any{goodSample("id", "rec\x07ord", "type", "HeartRate")})), item: true, code: "BAD_ID"},
		// NUL cannot be stored by PostgreSQL at all; refused before anything runs (it used to fail the batch's
		// transaction as INTERNAL, which a phone retries forever).
		{name: "NUL in a sample id", body: ingestBody(batchWith("provider", "HEALTH_CONNECT", "samples", []map[string]any{goodSample("id", "rec\x00ord", "type", "HeartRate")})), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in the idempotency key", body: ingestBody(batchWith("idempotencyKey", "k\x00", "samples", []map[string]any{goodSample()})), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in the device id", body: ingestBody(batchWith("device", map[string]any{"id": "d\x00"}, "samples", []map[string]any{goodSample()})), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in a source name", body: ingestBody(sample("source", map[string]any{"name": "Watch\x00"})), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in metadata", body: ingestBody(sample("metadata", map[string]any{"k": "v\x00"})), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in a GraphQL string literal", body: body(`{ syncState(deviceId: "\u0000") { count } }`, nil), status: 400, code: "BAD_USER_INPUT"},
		{name: "NUL in a GET query", method: http.MethodGet, raw: "", getQuery: "query=" + url.QueryEscape(`query($d: ID) { syncState(deviceId: $d) { count } }`) + "&variables=" + url.QueryEscape(`{"d":"x\u0000"}`), status: 400, code: "BAD_USER_INPUT"},
		{name: "mutation over GET", method: http.MethodGet, getQuery: "query=" + url.QueryEscape(`mutation { setSourcePriority(sourceIds: []) { id } }`), status: http.StatusMethodNotAllowed, code: "BAD_REQUEST"},
		{name: "id with a lone surrogate", raw: strings.Replace(string(ingestBody(batchWith("provider", "HEALTH_CONNECT", "samples", []map[string]any{goodSample("id", "rec-SURROGATE", "type", "HeartRate")}))), "SURROGATE", `\ud800`, 1), item: true, code: "BAD_ID"},
		{name: "sample time zone not IANA", body: ingestBody(sample("timeZone", "Nowhere/Special")), item: true, code: "BAD_TIME_ZONE"},
		{name: "source name empty", body: ingestBody(sample("source", map[string]any{"name": ""})), item: true, code: "BAD_FIELD"},
		{name: "source field 100 KB", body: ingestBody(sample("source", map[string]any{"name": "Watch", "deviceName": huge})), item: true, code: "BAD_FIELD"},
		{name: "metadata 300 KB", body: ingestBody(sample("metadata", map[string]any{"blob": strings.Repeat("m", 300_000)})), item: true, code: "BAD_FIELD"},
		{name: "negative version", body: ingestBody(sample("version", -1)), item: true, code: "BAD_FIELD"},
		{name: "version as a string", body: ingestBody(sample("version", "7")), status: 200, code: "BAD_USER_INPUT"},
		{name: "invalid UTF-8 in an id", raw: strings.Replace(string(ingestBody(batchWith("provider", "HEALTH_CONNECT", "samples", []map[string]any{goodSample("id", "rec-BADBYTES", "type", "HeartRate")}))), "BADBYTES", "\xff\xfe", 1), item: true, code: "BAD_ID"},
		{name: "unknown category type", body: ingestBody(cat("type", "HKCategoryTypeIdentifierDaydreaming")), item: true, code: "UNKNOWN_TYPE"},
		{name: "unknown sleep stage", body: ingestBody(cat("value", "HKCategoryValueSleepAnalysisDreamingOfSheep")), item: true, code: "BAD_VALUE"},
		{name: "category end before start", body: ingestBody(cat("end", badTime(badAt.Add(-3*time.Hour)))), item: true, code: "BAD_TIME"},
		{name: "unknown workout activity", body: ingestBody(workout("activityType", "HKWorkoutActivityTypeCouchSurfing")), item: true, code: "UNKNOWN_TYPE"},
		{name: "workout end before start", body: ingestBody(workout("end", badTime(badAt.Add(-2*time.Hour)))), item: true, code: "BAD_TIME"},
		{name: "workout negative energy", body: ingestBody(workout("energy", map[string]any{"value": -100, "unit": "kcal"})), item: true, code: "BAD_VALUE"},
		{name: "workout energy in meters", body: ingestBody(workout("energy", map[string]any{"value": 100, "unit": "m"})), item: true, code: "BAD_UNIT"},
		{name: "workout duration longer than its span", body: ingestBody(workout("durationSeconds", 99999)), item: true, code: "BAD_VALUE"},
		{name: "series record without points", body: ingestBody(series("points", []any{})), item: true, code: "BAD_FIELD"},
		{name: "series point value out of range", body: ingestBody(series("points", []map[string]any{{"time": badTime(badAt.Add(-30 * time.Second)), "value": 5000}})), item: true, code: "OUT_OF_RANGE"},
	}
}

func TestBadInputCorpus(t *testing.T) {
	a, d := newAppWithDB(t)
	corpus := badInputCorpus()
	if len(corpus) < 60 {
		t.Fatalf("the corpus has %d cases, want at least 60", len(corpus))
	}
	tokens := map[string]string{"": a.token("alice"), "read": a.token("alice", auth.ScopeRead), "none": "",
		"garbage": "eyJhbGciOiJIUzI1NiJ9.e30.garbage"}
	for i, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			before := counts(t, d)
			payload := c.body
			if payload == nil {
				payload = []byte(c.raw)
			}
			// Each case its own key, so no case can be answered from another's stored result.
			payload = []byte(strings.Replace(string(payload), `"bad-input-1"`, fmt.Sprintf(`"bad-input-%d"`, i+1), 1))
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			target := "/graphql"
			if c.getQuery != "" {
				target += "?" + c.getQuery
			}
			req := httptest.NewRequest(method, target, strings.NewReader(string(payload)))
			req.Header.Set("Content-Type", "application/json")
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if tok := tokens[c.token]; tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, req)
			var out struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors []gqlError                 `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s: answer is not JSON (%d): %.300s", c.name, rec.Code, rec.Body.String())
			}
			if c.item {
				var res ingestResult
				if rec.Code != http.StatusOK || len(out.Errors) > 0 {
					t.Fatalf("status %d, errors %.300s", rec.Code, rec.Body.String())
				}
				raw, _ := json.Marshal(out.Data)
				if err := json.Unmarshal(raw, &res); err != nil {
					t.Fatal(err)
				}
				r := res.IngestBatch
				if r.Accepted != 0 || len(r.Rejected) != 1 || r.Rejected[0].Code != c.code {
					t.Fatalf("want the one item rejected with %s, got %.400s", c.code, rec.Body.String())
				}
			} else {
				code := ""
				if len(out.Errors) > 0 {
					code, _ = out.Errors[0].Extensions["code"].(string)
				}
				if code != c.code || rec.Code != c.status {
					t.Fatalf("want %d %s, got %d %s: %.400s", c.status, c.code, rec.Code, code, rec.Body.String())
				}
				if strings.Contains(rec.Body.String(), "pq:") || strings.Contains(rec.Body.String(), "goroutine") {
					t.Fatalf("internals leak: %.400s", rec.Body.String())
				}
			}
			// Nothing stored, whatever the layer that refused it.
			if after := counts(t, d); after.data != before.data || !c.item && after.state != before.state {
				t.Fatalf("rows before %+v, after %+v", before, after)
			}
		})
	}
	t.Logf("bad inputs tried: %d", len(corpus))
}

type rowCounts struct{ data, state int }

// counts is the number of stored data rows (samples, category samples, workouts, tombstones, hourly aggregate)
// and of batch state rows (idempotency keys, sync state, sources, devices).
func counts(t *testing.T, d *sqlx.DB) rowCounts {
	t.Helper()
	var c rowCounts
	if err := d.Get(&c.data, `SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM category_samples) +
		(SELECT count(*) FROM workouts) + (SELECT count(*) FROM deletions) + (SELECT count(*) FROM sample_hourly)`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&c.state, `SELECT (SELECT count(*) FROM idempotency_keys) + (SELECT count(*) FROM sync_state) +
		(SELECT count(*) FROM sources) + (SELECT count(*) FROM devices)`); err != nil {
		t.Fatal(err)
	}
	return c
}
