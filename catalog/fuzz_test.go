package catalog_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"healthsync/catalog"
)

// Fuzz targets for what devices send us verbatim: unit strings and type names. `make fuzz` runs each for a
// bounded time; the seeds below also run in every `go test`. A crash found by the fuzzer is kept under
// testdata/fuzz and so becomes a regular test.

var dialects = []catalog.Dialect{catalog.HealthKit, catalog.HealthConnect, catalog.Canonical}

func FuzzConvert(f *testing.F) {
	for _, seed := range []struct {
		unit  string
		value float64
	}{
		{"count/min", 62}, {"kJ", 1900}, {"mi", 0.62}, {"lb", 170}, {"degF", 98.6}, {"%", 0.97},
		{"mmol<180.15588000005408>/L", 5.4}, {"mmol<NaN>/L", 1}, {"mmol<1e-320>/L", 1}, {"mmol<>/L", 1},
		{"kcal*h", 1}, {" m ", 3}, {"", 10}, {"mL/(kg·min)", 40}, {"ft.in", 1}, {"1.5.2", 2}, {"·", 1},
		{"count/min", math.MaxFloat64}, {"kJ", -math.MaxFloat64}, {"degF", -459.67}, {"\xff\xfe", 1},
	} {
		for i := range 3 {
			f.Add(seed.unit, seed.value, uint8(i*7), uint8(i))
		}
	}
	c := catalog.New()
	metrics := c.Metrics()
	f.Fuzz(func(t *testing.T, unit string, value float64, mi, di uint8) {
		m := metrics[int(mi)%len(metrics)]
		d := dialects[int(di)%len(dialects)]
		got, err := c.Convert(m, value, unit, d)
		if err != nil {
			if !errors.Is(err, catalog.ErrBadUnit) && !errors.Is(err, catalog.ErrBadValue) {
				t.Fatalf("Convert(%s, %v, %q, %s): error %v wraps neither ErrBadUnit nor ErrBadValue", m.Name, value, unit, d, err)
			}
			if math.IsNaN(value) || math.IsInf(value, 0) {
				return
			}
			if errors.Is(err, catalog.ErrBadValue) {
				t.Fatalf("Convert(%s, %v, %q): ErrBadValue for a finite value", m.Name, value, unit)
			}
			return
		}
		if math.IsNaN(value) || math.IsInf(value, 0) {
			t.Fatalf("Convert(%s, %v, %q) accepted a non-finite value: %v", m.Name, value, unit, got)
		}
		// A finite input never turns into NaN (Inf from overflow is left to the range check, which refuses it).
		if math.IsNaN(got) {
			t.Fatalf("Convert(%s, %v, %q, %s) = NaN", m.Name, value, unit, d)
		}
		if math.IsInf(got, 0) && m.InRange(got) {
			t.Fatalf("Convert(%s, %v, %q) = %v, and the range check lets it through", m.Name, value, unit, got)
		}
		// Surrounding space does not change a unit.
		again, err := c.Convert(m, value, " "+unit+"\t", d)
		if err != nil || !(again == got || math.IsNaN(again) && math.IsNaN(got)) {
			t.Fatalf("Convert(%s, %v, padded %q) = %v, %v; unpadded %v", m.Name, value, unit, again, err, got)
		}
	})
}

// The canonical unit converts to itself exactly, for every metric and value, in the canonical dialect.
func FuzzConvertCanonicalIdentity(f *testing.F) {
	f.Add(uint8(0), 1.5)
	f.Add(uint8(200), -3.25)
	f.Add(uint8(17), 1e300)
	c := catalog.New()
	metrics := c.Metrics()
	f.Fuzz(func(t *testing.T, mi uint8, value float64) {
		if math.IsNaN(value) || math.IsInf(value, 0) {
			return
		}
		m := metrics[int(mi)%len(metrics)]
		got, err := c.Convert(m, value, m.Unit, catalog.Canonical)
		if err != nil || got != value {
			t.Fatalf("Convert(%s, %v, its own unit %q) = %v, %v", m.Name, value, m.Unit, got, err)
		}
	})
}

// The type mapper: whatever a device calls a type, a hit names a real catalog entry that maps to itself.
func FuzzTypeMapper(f *testing.F) {
	for _, s := range []string{"HKQuantityTypeIdentifierHeartRate", "HeartRate", "heart_rate", "HEART_RATE",
		"HKCategoryTypeIdentifierSleepAnalysis", "SleepStage", "HKWorkoutActivityTypeRunning", "79", "running",
		"EXERCISE_TYPE_RUNNING", "", " ", "HKQuantityTypeIdentifier", "\x00", "\xff", "ſteps", "K" + "elvin"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	c := catalog.New()
	activities := c.Activities()
	f.Fuzz(func(t *testing.T, typ string, di uint8) {
		if m, ok := c.Lookup(typ); ok {
			back, ok := c.Lookup(m.Name)
			if !ok || back.Name != m.Name {
				t.Fatalf("Lookup(%q) = %s, but Lookup(%s) = %s, %v", typ, m.Name, m.Name, back.Name, ok)
			}
			if got, err := c.Convert(m, 1, m.Unit, catalog.Canonical); err != nil || got != 1 {
				t.Fatalf("Lookup(%q) = %s whose unit %q does not convert: %v", typ, m.Name, m.Unit, err)
			}
		}
		if cat, ok := c.LookupCategory(typ); ok {
			back, ok := c.LookupCategory(cat.Name)
			if !ok || back.Name != cat.Name {
				t.Fatalf("LookupCategory(%q) = %s, which does not map to itself", typ, cat.Name)
			}
			d := dialects[int(di)%len(dialects)]
			if v, ok := cat.NormalizeValue(d, typ); ok && len(cat.Values) > 0 && !slices.Contains(cat.Values, v) && v != "" {
				t.Fatalf("%s.NormalizeValue(%q) = %q, not one of %q", cat.Name, typ, v, cat.Values)
			}
		}
		d := dialects[int(di)%len(dialects)]
		if a, ok := c.ActivityType(d, typ); ok {
			if !slices.Contains(activities, a) {
				t.Fatalf("ActivityType(%s, %q) = %q, not a canonical activity", d, typ, a)
			}
			if again, ok := c.ActivityType(catalog.Canonical, a); !ok || again != a {
				t.Fatalf("ActivityType(%s, %q) = %q, which does not map to itself (%q, %v)", d, typ, a, again, ok)
			}
		}
	})
}
