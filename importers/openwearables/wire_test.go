package openwearables_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"healthsync/catalog"
	"healthsync/importers/openwearables"
)

// TestTolerantItems: numbers as strings, booleans as statistics, metadata as a list, nulls and epoch
// milliseconds are read; a malformed item is refused alone, by its index.
func TestTolerantItems(t *testing.T) {
	body := `{"provider":"Apple","sdkVersion":"0.9.0","syncTimestamp":"2026-02-24T10:00:00Z","data":{"records":[
		{"id":"AAAAAAAA-0000-4000-8000-000000000001","type":"HKQuantityTypeIdentifierStepCount","startDate":"2026-02-24T08:30:00.123Z",
		 "endDate":1771921860000,"value":"66","unit":"count","zoneOffset":null,"parentId":null,
		 "metadata":[{"HKWasUserEntered":"0"},{"k":"v"}],"source":{"name":"iPhone","operatingSystemVersion":{"majorVersion":17,"minorVersion":6,"patchVersion":1}}},
		{"id":"AAAAAAAA-0000-4000-8000-000000000002","type":"HKQuantityTypeIdentifierStepCount","startDate":"yesterday","value":1,"unit":"count"},
		{"id":"AAAAAAAA-0000-4000-8000-000000000003","type":"HKQuantityTypeIdentifierStepCount","startDate":"2026-02-24T08:30:00Z","value":{"x":1},"unit":"count"},
		"not an object",
		{"id":"AAAAAAAA-0000-4000-8000-000000000004","type":"HKQuantityTypeIdentifierStepCount","value":1,"unit":"count"}
	],"workouts":[{"id":"AAAAAAAA-0000-4000-8000-000000000005","type":"hiit","startDate":"2026-02-24T07:00:00Z",
		"endDate":"2026-02-24T07:30:00Z","values":[{"type":"duration","unit":"ms","value":1800000},
		{"type":"indoorWorkout","unit":"bool","value":true},{"type":"distance","unit":"m","value":"1234.5"}]}]}}`
	req, derr := openwearables.Decode([]byte(body))
	if derr != nil {
		t.Fatal(derr)
	}
	m, err := openwearables.Map(req, catalog.New())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Samples) != 1 || len(m.Workouts) != 1 || len(m.Rejected) != 4 {
		t.Fatalf("samples %d, workouts %d, rejected %+v", len(m.Samples), len(m.Workouts), m.Rejected)
	}
	for i, want := range []string{"BAD_FIELD", "BAD_FIELD", "BAD_FIELD", "BAD_TIME"} {
		if r := m.Rejected[i]; r.Collection != "records" || r.Index != i+1 || r.Code != want || r.Message == "" {
			t.Errorf("rejection %d: %+v, want records/%d %s", i, r, i+1, want)
		}
	}
	s := m.Samples[0]
	if s.Value != 66 || s.End.Sub(s.Start).Seconds() != 59.877 || s.Metadata["k"] != "v" ||
		s.Source.SoftwareVersion == nil || *s.Source.SoftwareVersion != "17.6.1" {
		t.Errorf("sample %+v", s)
	}
	w := m.Workouts[0]
	if w.ActivityType != "hiit" || w.DurationSeconds == nil || *w.DurationSeconds != 1800 ||
		w.Distance == nil || w.Distance.Value != 1234.5 || w.Metadata["isIndoor"] != true {
		t.Errorf("workout %+v", w)
	}
	if _, derr := openwearables.Decode([]byte(`{"provider":"apple","data":{"records":{}}}`)); derr == nil || derr.Code != "BAD_REQUEST" {
		t.Errorf("records as an object: %v", derr)
	}
	if _, err := openwearables.Map(&openwearables.Request{Provider: "fitbit"}, catalog.New()); err == nil {
		t.Error("provider fitbit mapped")
	}
}

// FuzzDecode: no body makes the decoders (the current one and the /sync/apple one, which also reads the iOS SDK
// 0.2.x body) or the mapping panic, every item ends up mapped or rejected exactly once, and each mapped item
// has an origin within its collection of the body as sent.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/sync_request_example.json", "testdata/ios_sdk_0.2_sync_apple.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"provider":"apple","data":{"records":[{"startDate":1,"value":"1e400"}],"sleep":[null],"workouts":[{"values":[{}]}]}}`))
	f.Add([]byte(`{"provider":"google","data":{"records":[{"startDate":"2026-01-01T00:00:00Z","value":true,"zoneOffset":"+05:30"}]}}`))
	f.Add([]byte(`{"data":{"records":[{"uuid":"x","type":"HKCategoryTypeIdentifierSleepAnalysis","value":9.5,"recordMetadata":[{"value":1},7]},
		{"uuid":1,"workoutStatistics":[{"type":"duration","value":"12"}],"startDate":"2026-01-01T00:00:00Z"},[]],
		"sleep":[{"value":"HKCategoryValueSleepAnalysisAsleepCore","recordMetadata":{"k":"v"}},"x"],"workouts":[{"uuid":null}]}}`))
	cat := catalog.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, decode := range []func([]byte) (*openwearables.Request, *openwearables.DecodeError){
			openwearables.Decode, openwearables.DecodeApple} {
			checkDecode(t, cat, body, decode)
		}
	})
}

func checkDecode(t *testing.T, cat *catalog.Catalog, body []byte, decode func([]byte) (*openwearables.Request, *openwearables.DecodeError)) {
	req, derr := decode(body)
	if derr != nil {
		if derr.Message == "" || derr.Code == "" {
			t.Fatalf("decode error without message or code: %+v", derr)
		}
		return
	}
	var sent struct {
		Data struct{ Records, Sleep, Workouts []json.RawMessage }
	}
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatalf("decoded a body that is not JSON: %v", err)
	}
	m, err := openwearables.Map(req, cat)
	if err != nil {
		return
	}
	items := len(sent.Data.Records) + len(sent.Data.Sleep) + len(sent.Data.Workouts)
	if got := len(req.Data.Records) + len(req.Data.Sleep) + len(req.Data.Workouts); got != items {
		t.Fatalf("%d items sent, %d decoded", items, got)
	}
	if got := len(m.Samples) + len(m.Categories) + len(m.Workouts) + len(m.Rejected); got != items {
		t.Fatalf("%d items became %d mapped or rejected", items, got)
	}
	sizes := map[string]int{"records": len(sent.Data.Records), "sleep": len(sent.Data.Sleep), "workouts": len(sent.Data.Workouts)}
	seen := map[string]bool{}
	for _, list := range [][]openwearables.Origin{m.SampleFrom, m.CategoryFrom, m.WorkoutFrom} {
		for _, o := range list {
			k := o.Collection + "/" + strconv.Itoa(o.Index)
			if o.Index < 0 || o.Index >= sizes[o.Collection] || seen[k] {
				t.Fatalf("origin %+v out of range or repeated", o)
			}
			seen[k] = true
		}
	}
	for _, r := range m.Rejected {
		if r.Index < 0 || r.Index >= sizes[r.Collection] {
			t.Fatalf("rejection %+v out of range", r)
		}
	}
	for _, b := range openwearables.Batches(m, 3) {
		if n := len(b.Samples) + len(b.Categories) + len(b.Workouts); n == 0 || n > 3 || b.IdempotencyKey == "" {
			t.Fatalf("batch of %d items, key %q", n, b.IdempotencyKey)
		}
		if _, err := json.Marshal(b.Samples); err != nil && !strings.Contains(err.Error(), "unsupported value") {
			t.Fatalf("mapped samples do not encode: %v", err)
		}
	}
}
