package openwearables_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"healthsync/catalog"
	"healthsync/importers/openwearables"
)

// TestTheirTypeNamesInTheCatalog maps every record type name their backend accepts. The ones the catalog lacks
// are logged (they are refused per item as UNKNOWN_TYPE until the catalog grows); the count may only go up.
func TestTheirTypeNamesInTheCatalog(t *testing.T) {
	cat := catalog.New()
	f, err := os.Open("testdata/sdk_metric_types.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mapped, missing []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := openwearables.MetricName(cat, sc.Text()); ok {
			mapped = append(mapped, sc.Text()+"="+name)
		} else {
			missing = append(missing, sc.Text())
		}
	}
	t.Logf("%d of %d of their type names map to the catalog; not yet: %s", len(mapped), len(mapped)+len(missing),
		strings.Join(missing, " "))
	if len(mapped) < 106 {
		t.Errorf("only %d of their type names map (was 106)", len(mapped))
	}
	for typ, want := range map[string]string{
		"HKQuantityTypeIdentifierStepCount": "steps", "STEP_COUNT": "steps", "HEART_RATE": "heart_rate",
		"WEIGHT": "body_mass", "BODY_FAT": "body_fat_percentage", "HEART_RATE_VARIABILITY": "hrv_rmssd",
		"HKQuantityTypeIdentifierHeartRateVariabilitySDNN": "hrv_sdnn", "BLOOD_PRESSURE_SYSTOLIC": "blood_pressure_systolic",
		"OXYGEN_SATURATION": "oxygen_saturation", "HKQuantityTypeIdentifierCyclingPower": "power",
	} {
		if got, _ := openwearables.MetricName(cat, typ); got != want {
			t.Errorf("%s maps to %q, want %q", typ, got, want)
		}
	}
}

// TestAndroidUnits: the (type, unit) pairs the Android SDK writes (HealthConnectManager) convert in the Health
// Connect dialect, with "%" read as 0–100.
func TestAndroidUnits(t *testing.T) {
	cat := catalog.New()
	cases := []struct {
		typ, unit string
		value     float64
		want      float64 // in the catalog's unit
	}{
		{"STEP_COUNT", "count", 120, 120}, {"HEART_RATE", "bpm", 61, 61}, {"RESTING_HEART_RATE", "bpm", 50, 50},
		{"HEART_RATE_VARIABILITY", "ms", 42, 42}, {"OXYGEN_SATURATION", "%", 97, 97},
		{"BLOOD_PRESSURE_SYSTOLIC", "mmHg", 122, 122}, {"BLOOD_GLUCOSE", "mmol/L", 5.5, 0},
		{"ACTIVE_CALORIES_BURNED", "kcal", 12.5, 12.5}, {"BASAL_METABOLIC_RATE", "kcal/day", 1600, 1600},
		{"BODY_TEMPERATURE", "°C", 36.6, 36.6}, {"WEIGHT", "kg", 70.5, 70.5}, {"HEIGHT", "m", 1.8, 0},
		{"BODY_FAT", "%", 21, 21}, {"LEAN_BODY_MASS", "kg", 55, 55}, {"FLOORS_CLIMBED", "count", 3, 3},
		{"DISTANCE", "m", 1200, 1200}, {"HYDRATION", "mL", 250, 0}, {"RESPIRATORY_RATE", "breaths/min", 14, 14},
		{"VO2_MAX", "mL/kg/min", 45, 45},
	}
	var records []string
	for i, c := range cases {
		records = append(records, `{"id":"r`+strconv.Itoa(i)+`","type":"`+c.typ+`","startDate":"2026-02-24T08:30:00Z",
			"endDate":"2026-02-24T08:31:00Z","zoneOffset":"+01:00","value":`+strconv.FormatFloat(c.value, 'g', -1, 64)+
			`,"unit":"`+c.unit+`","source":{"appId":"com.google.android.apps.fitness","deviceModel":"Pixel 8"}}`)
	}
	req, derr := openwearables.Decode([]byte(`{"provider":"google","sdkVersion":"0.11.1","syncTimestamp":"2026-02-24T10:00:00Z",
		"data":{"records":[` + strings.Join(records, ",") + `]}}`))
	if derr != nil {
		t.Fatal(derr)
	}
	m, err := openwearables.Map(req, cat)
	if err != nil || len(m.Samples) != len(cases) || len(m.Rejected) != 0 {
		t.Fatalf("mapped %d of %d (%v, %+v)", len(m.Samples), len(cases), err, m.Rejected)
	}
	for i, s := range m.Samples {
		metric, ok := cat.Lookup(s.Type)
		if !ok {
			t.Errorf("%s: no metric %q", cases[i].typ, s.Type)
			continue
		}
		v, err := cat.Convert(metric, float64(s.Value), s.Unit, catalog.HealthConnect)
		if err != nil || !metric.InRange(v) || (cases[i].want != 0 && v != cases[i].want) {
			t.Errorf("%s %v %s: %v %v (want %v %s)", cases[i].typ, cases[i].value, cases[i].unit, v, err, cases[i].want, metric.Unit)
		}
		if s.TimeZone == nil || *s.TimeZone != "Etc/GMT-1" || s.Source.Name != "com.google.android.apps.fitness" {
			t.Errorf("%s: zone %v, source %q", cases[i].typ, s.TimeZone, s.Source.Name)
		}
	}
}
