package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Flow days uploaded through ingestBatch, in both HealthKit value spellings and from Health Connect, come back
// from cycle(from, to) as periods; another user sees none of them.
func TestCycleAssemblesPeriodsFromFlowDays(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	tok := a.token("cycle-anna")
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	// Forty days before the clock: the last flow day is ten days ago.
	first := time.Date(day0.Year(), day0.Month(), day0.Day()-10, 8, 0, 0, 0, zurich)
	day := func(n int) time.Time { return first.AddDate(0, 0, n) }
	hk := func(i int, at time.Time, value string) map[string]any {
		return map[string]any{"id": fmt.Sprintf("00000000-0000-4000-a000-%012d", i), "type": "HKCategoryTypeIdentifierMenstrualFlow",
			"value": value, "start": iso(at), "end": iso(at), "source": watchSource, "timeZone": "Europe/Zurich"}
	}
	in := ingestInput("cycle-hk")
	in["input"].(map[string]any)["categorySamples"] = []map[string]any{
		hk(1, day(0), "HKCategoryValueMenstrualFlowMedium"),
		hk(2, day(1), "HKCategoryValueVaginalBleedingHeavy"),
		// day(2) not logged: a one-day gap.
		hk(3, day(3), "2"),
		hk(4, day(4), "HKCategoryValueMenstrualFlowNone"),
		// 26 days later, the next period.
		hk(5, day(29), "HKCategoryValueVaginalBleedingLight"),
	}
	var res ingestResult
	a.do(tok, ingestMutation, in).decode(t, &res)
	if res.IngestBatch.Accepted != 5 || len(res.IngestBatch.Rejected) != 0 {
		t.Fatalf("ingest: %+v", res.IngestBatch)
	}
	hc := ingestInput("cycle-hc")
	hc["input"].(map[string]any)["provider"] = "HEALTH_CONNECT"
	hc["input"].(map[string]any)["categorySamples"] = []map[string]any{{"id": "hc-flow-1", "type": "MenstruationFlowRecord",
		"value": "FLOW_LIGHT", "start": iso(day(30)), "end": iso(day(30)), "timeZone": "Europe/Zurich",
		"source": map[string]any{"name": "Clue", "bundleId": "com.clue.android"}}}
	a.do(tok, ingestMutation, hc).decode(t, &res)
	if res.IngestBatch.Accepted != 1 {
		t.Fatalf("Health Connect ingest: %+v", res.IngestBatch)
	}

	const q = `query($from: Date!, $to: Date!) { cycle(from: $from, to: $to, timeZone: "Europe/Zurich") { start end days { date flow } } }`
	date := func(tm time.Time) string { return tm.Format("2006-01-02") }
	var got struct {
		Cycle []struct {
			Start, End string
			Days       []struct{ Date, Flow string }
		}
	}
	a.do(tok, q, map[string]any{"from": date(day(-5)), "to": date(day(40))}).decode(t, &got)
	if len(got.Cycle) != 2 {
		t.Fatalf("%d periods, want 2: %+v", len(got.Cycle), got.Cycle)
	}
	p0, p1 := got.Cycle[0], got.Cycle[1]
	if p0.Start != date(day(0)) || p0.End != date(day(3)) || len(p0.Days) != 3 || p0.Days[1].Flow != "heavy" || p0.Days[2].Flow != "light" {
		t.Errorf("first period %+v", p0)
	}
	if p1.Start != date(day(29)) || p1.End != date(day(30)) || len(p1.Days) != 2 {
		t.Errorf("second period %+v", p1)
	}

	// A range that starts inside the first period still returns it whole.
	a.do(tok, q, map[string]any{"from": date(day(2)), "to": date(day(10))}).decode(t, &got)
	if len(got.Cycle) != 1 || got.Cycle[0].Start != date(day(0)) {
		t.Errorf("overlapping read %+v", got.Cycle)
	}
	a.do(a.token("cycle-bob"), q, map[string]any{"from": date(day(-5)), "to": date(day(40))}).decode(t, &got)
	if len(got.Cycle) != 0 {
		t.Errorf("another user sees %+v", got.Cycle)
	}
	r := a.do(tok, q, map[string]any{"from": date(day(10)), "to": date(day(0))})
	if r.Status != http.StatusOK || r.code() != "BAD_USER_INPUT" {
		t.Errorf("to before from: %d %s", r.Status, r.Raw)
	}
}
