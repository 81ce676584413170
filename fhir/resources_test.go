package fhir_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/fhir"
)

// TestPatientDeviceAndCapabilityAreValidR4 has the R4 library read every other resource kind the server writes:
// the Patient, Devices of full and bare sources, the CapabilityStatement, Bundles of each with an outcome entry,
// a count Bundle and a warning.
func TestPatientDeviceAndCapabilityAreValidR4(t *testing.T) {
	validate := r4(t)
	svc := fhir.NewService(nil, catalog.New())
	now := time.Now()
	pt := svc.Patient("auth0|user 1@example.com")
	devs := fhir.DevicesOf("auth0|user 1@example.com", []db.Source{
		{ID: 1, Provider: "APPLE_HEALTH", Key: "com.apple.health.8A1B|Watch|Watch6,7", Name: "Alice's Apple Watch",
			BundleID: ptr("com.apple.health.8A1B"), Version: ptr("10.1"), ProductType: ptr("Watch6,7"), DeviceName: ptr("Apple Watch"),
			DeviceModel: ptr("Watch"), DeviceManufacturer: ptr("Apple Inc."), HardwareVersion: ptr("Watch6,7"), SoftwareVersion: ptr("10.1")},
		{ID: 2, Provider: "HEALTH_CONNECT", Key: "com.google.android.apps.fitness", Name: "com.google.android.apps.fitness"},
		{ID: 3, Provider: "GARMIN", Key: "", Name: " ", DeviceModel: ptr(""), SoftwareVersion: ptr(" ")},
	})
	resources := map[string]any{"Patient": pt, "CapabilityStatement": fhir.Capability("https://h.test/fhir", now),
		"count bundle": fhir.CountBundle(3, "https://h.test/fhir/Observation?_summary=count", now),
		"warning":      fhir.Warning("not-supported", "ignored parameters: foo")}
	entries := []fhir.BundleEntry{fhir.Match("https://h.test/fhir", "Patient", pt.ID, &pt)}
	for i, d := range devs {
		resources["Device "+d.ID] = d
		entries = append(entries, fhir.Match("https://h.test/fhir", "Device", d.ID, &devs[i]))
	}
	entries = append(entries, fhir.BundleEntry{Resource: fhir.Warning("not-supported", "foo"), Search: &fhir.BundleSearch{Mode: "outcome"}})
	resources["bundle of patient, devices and an outcome"] = fhir.NewBundle(entries, "https://h.test/fhir/Device", "https://h.test/fhir/Device?_cursor=1", now)
	for name, r := range resources {
		if err := validate(r); err != nil {
			b, _ := json.Marshal(r)
			t.Errorf("%s is not valid R4: %v\n%s", name, err, b)
		}
	}
	if pt.ID != fhir.PatientID("auth0|user 1@example.com") || pt.ID == fhir.PatientID("auth0|user 2@example.com") {
		t.Errorf("patient id %s", pt.ID)
	}
	if devs[0].ID == fhir.DeviceID("someone else", "APPLE_HEALTH", "com.apple.health.8A1B|Watch|Watch6,7") {
		t.Error("two users' devices of one source key share an id")
	}
}

// TestValidatorRefusesInvalidPatientDeviceAndCapability proves those validations can fail.
func TestValidatorRefusesInvalidPatientDeviceAndCapability(t *testing.T) {
	validate := r4(t)
	svc := fhir.NewService(nil, catalog.New())
	dev := fhir.DevicesOf("u", []db.Source{{ID: 1, Provider: "APPLE_HEALTH", Key: "k", Name: "Watch", DeviceModel: ptr("Watch")}})[0]
	for name, tc := range map[string]struct {
		r      any
		mutate func(map[string]any)
	}{
		"patient with a name element misspelt": {svc.Patient("u"), func(d map[string]any) { d["nmae"] = "x" }},
		"patient with a malformed id":          {svc.Patient("u"), func(d map[string]any) { d["id"] = "u/1" }},
		"device status outside the value set":  {dev, func(d map[string]any) { d["status"] = "on" }},
		"device name type outside the value set": {dev, func(d map[string]any) {
			d["deviceName"] = []any{map[string]any{"name": "Watch", "type": "nickname"}}
		}},
		"capability without fhirVersion": {fhir.Capability("https://h.test/fhir", time.Now()), func(d map[string]any) { delete(d, "fhirVersion") }},
		"capability of an unknown kind":  {fhir.Capability("https://h.test/fhir", time.Now()), func(d map[string]any) { d["kind"] = "server" }},
	} {
		b, _ := json.Marshal(tc.r)
		if err := validate(b); err != nil {
			t.Fatalf("%s: the baseline is invalid: %v", name, err)
		}
		var d map[string]any
		_ = json.Unmarshal(b, &d)
		tc.mutate(d)
		if err := validate(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestParseSearch covers what the HTTP tests cannot see: precision ranges of dates, the _count bound, escapes.
func TestParseSearch(t *testing.T) {
	svc := fhir.NewService(nil, catalog.New())
	parse := func(typ, raw string) fhir.Search {
		t.Helper()
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		q, err := svc.ParseSearch(typ, v)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return q
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for raw, want := range map[string][2]string{
		"date=2026":                        {"2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		"date=2026-02":                     {"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		"date=2026-02-28":                  {"2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z"},
		"date=2026-02-28T10:15%2B01:00":    {"2026-02-28T09:15:00Z", "2026-02-28T09:16:00Z"},
		"date=2026-02-28T10:15:30Z":        {"2026-02-28T10:15:30Z", "2026-02-28T10:15:31Z"},
		"date=2026-02-28T10:15:30.25Z":     {"2026-02-28T10:15:30.25Z", "2026-02-28T10:15:30.26Z"},
		"date=ge2026-01&date=lt2026-03":    {"2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		"date=ge2026-01&date=ge2026-02":    {"2026-02-01T00:00:00Z", ""},
		"date=le2026-02&date=lt2026-01-10": {"", "2026-01-10T00:00:00Z"},
		"date=gt2026-02-28":                {"2026-03-01T00:00:00Z", ""},
	} {
		q := parse("Observation", raw)
		if (q.From == nil) != (want[0] == "") || (q.From != nil && !q.From.Equal(at(want[0]))) ||
			(q.To == nil) != (want[1] == "") || (q.To != nil && !q.To.Equal(at(want[1]))) {
			t.Errorf("%s: [%v, %v), want [%s, %s)", raw, q.From, q.To, want[0], want[1])
		}
	}
	if q := parse("Observation", "date=eb2026-02-01"); q.EndBefore == nil || !q.EndBefore.Equal(at("2026-02-01T00:00:00Z")) ||
		q.To == nil || !q.To.Equal(*q.EndBefore) {
		t.Errorf("eb: %+v", q)
	}
	if q := parse("Observation", "_count=1000000"); q.Count != fhir.MaxCount {
		t.Errorf("_count over the bound: %d", q.Count)
	}
	if q := parse("Device", `identifier=urn:healthsync:source|APPLE_HEALTH/a\|b\,c`); len(q.Idents) != 1 || q.Idents[0] != "APPLE_HEALTH/a|b,c" {
		t.Errorf("escaped identifier: %q", q.Idents)
	}
	if q := parse("Observation", "foo=1&code=8867-4&date=&_sort=-date"); len(q.Ignored) != 1 || q.Ignored[0] != "foo" ||
		!q.Desc || q.Applied.Get("code") != "8867-4" || q.Applied.Has("date") {
		t.Errorf("ignored %v applied %v", q.Ignored, q.Applied)
	}
	if q := parse("Patient", "code=8867-4"); len(q.Ignored) != 1 {
		t.Errorf("Patient?code is not a Patient parameter: %v", q.Ignored)
	}
	for _, raw := range []string{"date=ap2026", "date=2026-13", "date=2026-01-01T10:00", "_count=-1", "_cursor=zz"} {
		v, _ := url.ParseQuery(raw)
		if _, err := svc.ParseSearch("Observation", v); !errors.Is(err, fhir.ErrBadSearch) {
			t.Errorf("%s: %v, want ErrBadSearch", raw, err)
		}
	}
}
