package scalar

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// decode parses JSON the way gqlgen's transport does (UseNumber) and unmarshals the list.
func decode(t *testing.T, src string) (QuantitySampleList, error) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var l QuantitySampleList
	err := l.UnmarshalGQL(v)
	return l, err
}

const good = `{"id": "A1", "type": "HKQuantityTypeIdentifierHeartRate", "value": 61.5, "unit": "count/min",
  "start": "2026-11-01T09:00:00+01:00", "end": "2026-11-01T09:00:00.250+01:00",
  "source": {"name": "Watch", "bundleId": "com.apple.health.X", "productType": "Watch6,7", "deviceModel": null},
  "timeZone": "Europe/Zurich", "userEntered": true, "version": 1732000000000, "metadata": {"HKWasUserEntered": 1}}`

func TestSampleListDecodesEveryField(t *testing.T) {
	l, err := decode(t, `[`+good+`, {"id": "A2", "type": "steps", "value": "NaN", "unit": "count",
		"start": "2026-11-01T08:00:00Z", "end": "2026-11-01T08:10:00Z", "source": {"name": "Phone"}}]`)
	if err != nil {
		t.Fatal(err)
	}
	s := l[0]
	if s.ID != "A1" || s.Type != "HKQuantityTypeIdentifierHeartRate" || s.Value != 61.5 || s.Unit != "count/min" {
		t.Fatalf("%+v", s)
	}
	if !s.Start.Equal(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)) || s.Start.Location() != time.UTC ||
		s.End.Sub(s.Start) != 250*time.Millisecond {
		t.Fatalf("times %v %v", s.Start, s.End)
	}
	if s.Source.Name != "Watch" || *s.Source.BundleID != "com.apple.health.X" || *s.Source.ProductType != "Watch6,7" || s.Source.DeviceModel != nil {
		t.Fatalf("source %+v", s.Source)
	}
	if *s.TimeZone != "Europe/Zurich" || !*s.UserEntered || *s.Version != 1732000000000 || s.Metadata["HKWasUserEntered"] != json.Number("1") {
		t.Fatalf("optional fields %+v", s)
	}
	if !math.IsNaN(float64(l[1].Value)) || l[1].TimeZone != nil || l[1].Version != nil || l[1].Metadata != nil {
		t.Fatalf("second %+v", l[1])
	}
}

func TestSampleListRefusesWhatATypedListWouldRefuse(t *testing.T) {
	drop := func(field string) string {
		var m map[string]any
		json.Unmarshal([]byte(good), &m)
		delete(m, field)
		b, _ := json.Marshal(m)
		return string(b)
	}
	set := func(field, raw string) string {
		return strings.Replace(good, `"timeZone": "Europe/Zurich"`, `"timeZone": "Europe/Zurich", "`+field+`": `+raw, 1)
	}
	for name, tc := range map[string]struct{ src, want string }{
		"not a list":      {`{"id": 1}`, "must be a list"},
		"not an object":   {`[1]`, "samples[0] must be a QuantitySampleInput object"},
		"missing id":      {`[` + good + `,` + drop("id") + `]`, "samples[1].id: is required"},
		"missing source":  {`[` + drop("source") + `]`, "samples[0].source: is required"},
		"missing value":   {`[` + drop("value") + `]`, "samples[0].value: is required"},
		"null value":      {`[` + strings.Replace(good, `"value": 61.5`, `"value": null`, 1) + `]`, "value: is required"},
		"unknown field":   {`[` + set("colour", `"red"`) + `]`, `samples[0]."colour": is not a field`},
		"id not a string": {`[` + strings.Replace(good, `"id": "A1"`, `"id": 7`, 1) + `]`, "id: must be a String, got a number"},
		"bad time":        {`[` + strings.Replace(good, `"2026-11-01T09:00:00+01:00"`, `"yesterday"`, 1) + `]`, "start: \"yesterday\" is not an RFC 3339 time"},
		"bad value":       {`[` + strings.Replace(good, `61.5`, `"lots"`, 1) + `]`, "value: \"lots\" is not a number"},
		"bad flag":        {`[` + strings.Replace(good, `"userEntered": true`, `"userEntered": "yes"`, 1) + `]`, "userEntered: must be a Boolean"},
		"bad version":     {`[` + strings.Replace(good, `1732000000000`, `1.5`, 1) + `]`, "version: 1.5 is not a 64-bit integer"},
		"bad metadata":    {`[` + strings.Replace(good, `{"HKWasUserEntered": 1}`, `[1]`, 1) + `]`, "metadata: must be an object"},
		"source field":    {`[` + strings.Replace(good, `"productType"`, `"product"`, 1) + `]`, `source."product": is not a field of SourceInput`},
		"source name":     {`[` + strings.Replace(good, `"name": "Watch"`, `"name": 3`, 1) + `]`, "source.name: must be a String"},
	} {
		_, err := decode(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, tc.want)
		}
	}
	// null is an absent list.
	if l, err := decode(t, `null`); err != nil || l != nil {
		t.Fatalf("null: %v %v", l, err)
	}
}

// Inline GraphQL literals reach the scalar with Go numbers instead of json.Number.
func TestSampleListTakesLiteralNumbers(t *testing.T) {
	var l QuantitySampleList
	err := l.UnmarshalGQL([]any{map[string]any{"id": "x", "type": "steps", "value": int64(12), "unit": "count",
		"start": "2026-11-01T08:00:00Z", "end": "2026-11-01T08:10:00Z", "source": map[string]any{"name": "P"},
		"version": int64(3)}})
	if err != nil || l[0].Value != 12 || *l[0].Version != 3 {
		t.Fatalf("%+v %v", l, err)
	}
}
