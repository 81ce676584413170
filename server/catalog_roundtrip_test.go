package server_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"healthsync/catalog"
)

// sentAs says how the round trip sends a value of each canonical unit: in another unit of its family where
// there is one, so that the test sees the conversion, and factor times the canonical value. The factors are
// written out here rather than taken from the catalog, so that a wrong table entry cannot agree with itself.
var sentAs = map[string]struct {
	unit   string
	factor float64
}{
	"kcal": {"kJ", 4.184}, "m": {"km", 0.001}, "cm": {"mm", 10}, "kg": {"g", 1000}, "g": {"mg", 1000},
	"mg": {"g", 0.001}, "mcg": {"mg", 0.001}, "mL": {"L", 0.001}, "L": {"mL", 1000}, "min": {"s", 60},
	"s": {"ms", 1000}, "ms": {"s", 0.001}, "m/s": {"km/hr", 3.6}, "count/min": {"count/s", 1.0 / 60},
	"W": {"kW", 0.001}, "kcal/d": {"kJ/day", 4.184}, "mmHg": {"kPa", 0.133322387415}, "K": {"degF", 1.8},
	"count": {"count", 1}, "mg/dL": {"mmol/L", 10 / 180.15588}, "dBASPL": {"dBASPL", 1}, "kg/m2": {"count", 1},
	"mL/(kg·min)": {"ml/kg/min", 1}, "kcal/(h·kg)": {"kcal/hr·kg", 1}, "L/min": {"L/s", 1.0 / 60},
	"IU": {"IU", 1}, "uS": {"mcS", 1}, "score": {"appleEffortScore", 1},
	// degC and % are affine or dialect-dependent: see send.
}

// send returns the value and unit a platform sends for canonical value x of metric m.
func send(t *testing.T, m catalog.Metric, x float64, healthKit bool) (float64, string) {
	t.Helper()
	switch m.Unit {
	case "degC":
		return x*9/5 + 32, "degF"
	case "%":
		if healthKit {
			return x / 100, "%" // HKUnit.percent() is a fraction
		}
		return x, "percent"
	}
	s, ok := sentAs[m.Unit]
	if !ok {
		t.Fatalf("%s: the round trip does not know how to send %s; add it to sentAs", m.Name, m.Unit)
	}
	return x * s.factor, s.unit
}

// probe is a canonical value inside m's plausible range, away from its edges.
func probe(m catalog.Metric) float64 {
	x := m.Min + (m.Max-m.Min)/8
	if m.Resolution >= 1 {
		return math.Round(x)
	}
	return math.Round(x*100) / 100
}

type sent struct {
	metric, typ string
	x           float64
}

// Every platform identifier of every quantity metric goes in through ingestBatch, as HealthKit or Health
// Connect sends it, and comes back from samples and series in the metric's canonical unit.
func TestEveryQuantityIdentifierRoundTrips(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	tok := a.token("catalog-roundtrip")
	cat := catalog.New()
	at := day0.Add(9 * time.Hour)

	var hkItems, hcItems []map[string]any
	var all []sent
	perMetric := map[string]int{}
	for _, m := range cat.Metrics() {
		x := probe(m)
		for _, typ := range m.HealthKit {
			v, u := send(t, m, x, true)
			ts := at.Add(time.Duration(len(all)) * time.Minute)
			hkItems = append(hkItems, map[string]any{"id": fmt.Sprintf("00000000-0000-4000-8000-%012d", len(all)),
				"type": typ, "value": v, "unit": u, "start": iso(ts), "end": iso(ts), "source": watchSource})
			all = append(all, sent{m.Name, typ, x})
			perMetric[m.Name]++
		}
		for _, typ := range m.HealthConnect {
			v, u := send(t, m, x, false)
			ts := at.Add(time.Duration(len(all)) * time.Minute)
			// The two values of one BloodPressure record share its id, as Health Connect gives them.
			id := fmt.Sprintf("hc-%d", len(all))
			if rec, _, ok := strings.Cut(typ, "."); ok {
				id = "hc-record-" + rec
			}
			hcItems = append(hcItems, map[string]any{"id": id, "type": typ, "value": v, "unit": u,
				"start": iso(ts), "end": iso(ts), "source": map[string]any{"name": "Pixel", "bundleId": "com.google.android.apps.fitness"}})
			all = append(all, sent{m.Name, typ, x})
			perMetric[m.Name]++
		}
	}
	for _, batch := range []struct {
		provider string
		items    []map[string]any
	}{{"APPLE_HEALTH", hkItems}, {"HEALTH_CONNECT", hcItems}} {
		in := ingestInput("catalog-"+batch.provider, batch.items...)
		in["input"].(map[string]any)["provider"] = batch.provider
		var res ingestResult
		a.do(tok, ingestMutation, in).decode(t, &res)
		for _, r := range res.IngestBatch.Rejected {
			t.Errorf("%s item %d (%s) rejected: %s %s", batch.provider, r.Index, batch.items[r.Index]["type"], r.Code, r.Message)
		}
		if res.IngestBatch.Accepted != len(batch.items) {
			t.Errorf("%s: accepted %d of %d", batch.provider, res.IngestBatch.Accepted, len(batch.items))
		}
	}

	// One query reads every metric back, each under an alias.
	var q strings.Builder
	q.WriteString("query($from: Time!, $to: Time!) {\n")
	names := map[string]string{}
	for i, m := range cat.Metrics() {
		alias := fmt.Sprintf("m%d", i)
		names[alias] = m.Name
		fmt.Fprintf(&q, "%s: samples(metric: %q, from: $from, to: $to, limit: 1000) { metric value unit originalUnit }\n", alias, m.Name)
		fmt.Fprintf(&q, "%s_series: series(metric: %q, from: $from, to: $to, bucket: DAY, timeZone: \"UTC\") { unit aggregation points { avg count } }\n", alias, m.Name)
	}
	q.WriteString("}")
	var out map[string]any
	a.do(tok, q.String(), map[string]any{"from": iso(day0), "to": iso(day0.AddDate(0, 0, 2))}).decode(t, &out)

	want := map[string]float64{}
	for _, s := range all {
		want[s.metric] = s.x
	}
	for alias, name := range names {
		m, _ := cat.Lookup(name)
		rows, _ := out[alias].([]any)
		if len(rows) != perMetric[name] {
			t.Errorf("%s: %d samples read back, want %d (one per identifier)", name, len(rows), perMetric[name])
		}
		for _, r := range rows {
			row := r.(map[string]any)
			v, _ := row["value"].(float64)
			if row["unit"] != m.Unit || math.Abs(v-want[name]) > 1e-6*math.Max(1, math.Abs(want[name])) {
				t.Errorf("%s: read back %v %v (sent as %v), want %v %s", name, v, row["unit"], row["originalUnit"], want[name], m.Unit)
			}
		}
		ser, _ := out[alias+"_series"].(map[string]any)
		pts, _ := ser["points"].([]any)
		if ser["unit"] != m.Unit || len(pts) == 0 {
			t.Errorf("%s: series unit %v with %d points, want %s and at least one", name, ser["unit"], len(pts), m.Unit)
			continue
		}
		if m.Aggregation == catalog.Discrete {
			avg, _ := pts[0].(map[string]any)["avg"].(float64)
			if math.Abs(avg-want[name]) > 1e-6*math.Max(1, math.Abs(want[name])) {
				t.Errorf("%s: series average %v, want %v", name, avg, want[name])
			}
		}
	}
}

// Every platform identifier of every category goes in through ingestBatch with a value as the platform
// spells it and is stored under its canonical category and value.
func TestEveryCategoryIdentifierRoundTrips(t *testing.T) {
	t.Parallel()
	a, sqlDB := newAppWithDB(t)
	tok := a.token("catalog-categories")
	cat := catalog.New()
	at := day0.Add(9 * time.Hour)

	type want struct{ category, value string }
	wants := map[string]want{}
	var hkItems, hcItems []map[string]any
	for _, c := range cat.Categories() {
		for _, dialect := range []catalog.Dialect{catalog.HealthKit, catalog.HealthConnect} {
			types := c.HealthKit
			if dialect == catalog.HealthConnect {
				types = c.HealthConnect
			}
			for _, typ := range types {
				// One sample per value the platform can send, each value in one of its spellings in turn.
				type pair struct{ raw, canonical string }
				var sends []pair
				for _, v := range c.Values {
					if raws := c.RawValues(dialect, v); len(raws) > 0 {
						sends = append(sends, pair{raws[len(wants)%len(raws)], v})
					}
				}
				if len(c.Values) == 0 {
					sends = []pair{{"", ""}}
					if dialect == catalog.HealthKit {
						sends = []pair{{"0", ""}} // HKCategoryValueNotApplicable
					}
				}
				for _, p := range sends {
					n := len(wants)
					start := at.Add(time.Duration(n) * 10 * time.Minute)
					item := map[string]any{"type": typ, "value": p.raw, "start": iso(start), "end": iso(start.Add(5 * time.Minute))}
					if dialect == catalog.HealthKit {
						item["id"] = fmt.Sprintf("00000000-0000-4000-9000-%012d", n)
						item["source"] = watchSource
						hkItems = append(hkItems, item)
					} else {
						item["id"] = fmt.Sprintf("hc-cat-%d", n)
						item["source"] = map[string]any{"name": "Pixel", "bundleId": "com.google.android.apps.fitness"}
						hcItems = append(hcItems, item)
					}
					wants[item["id"].(string)] = want{c.Name, p.canonical}
				}
			}
		}
	}
	for _, batch := range []struct {
		provider string
		items    []map[string]any
	}{{"APPLE_HEALTH", hkItems}, {"HEALTH_CONNECT", hcItems}} {
		in := ingestInput("catalog-cat-" + batch.provider)
		in["input"].(map[string]any)["provider"] = batch.provider
		in["input"].(map[string]any)["categorySamples"] = batch.items
		var res ingestResult
		a.do(tok, ingestMutation, in).decode(t, &res)
		for _, r := range res.IngestBatch.Rejected {
			it := batch.items[r.Index]
			t.Errorf("%s %s value %q rejected: %s %s", batch.provider, it["type"], it["value"], r.Code, r.Message)
		}
	}

	var rows []struct {
		ID       string `db:"sample_id"`
		Category string `db:"category"`
		Value    string `db:"value"`
	}
	if err := sqlDB.Select(&rows, `SELECT c.sample_id, c.category, c.value FROM category_samples c
		JOIN users u ON u.id = c.user_id WHERE u.subject = 'catalog-categories'`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(wants) {
		t.Errorf("%d category samples stored, want %d", len(rows), len(wants))
	}
	for _, r := range rows {
		if w := wants[r.ID]; w.category != r.Category || w.value != r.Value {
			t.Errorf("%s stored as %s=%q, want %s=%q", r.ID, r.Category, r.Value, w.category, w.value)
		}
	}
}
