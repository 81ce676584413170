package server_test

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"healthsync/ingest"
	"healthsync/server"
)

var phoneSource = map[string]any{"name": "iPhone", "bundleId": "com.apple.health.77C2", "productType": "iPhone15,2",
	"deviceModel": "iPhone", "hardwareVersion": "iPhone15,2"}

func stepSample(id string, src map[string]any, start, end time.Time, steps float64) map[string]any {
	return map[string]any{"id": id, "type": "HKQuantityTypeIdentifierStepCount", "value": steps, "unit": "count",
		"start": start.Format(time.RFC3339), "end": end.Format(time.RFC3339), "source": src}
}

type seriesResult struct {
	Series struct {
		Unit     string `json:"unit"`
		TimeZone string `json:"timeZone"`
		Points   []struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
			Value float64   `json:"value"`
			Count int       `json:"count"`
		} `json:"points"`
	} `json:"series"`
}

const seriesQuery = `query($m: String!, $from: Time!, $to: Time!, $b: Bucket!, $tz: String, $merge: MergeMode, $src: [ID!]) {
  series(metric: $m, from: $from, to: $to, bucket: $b, timeZone: $tz, merge: $merge, sources: $src) {
    unit timeZone points { start end value count } } }`

func (a *app) series(tok string, vars map[string]any) seriesResult {
	a.t.Helper()
	var out seriesResult
	a.do(tok, seriesQuery, vars).decode(a.t, &out)
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func TestMergedStepsCountOverlappingSourcesOnce(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	zurich, _ := time.LoadLocation("Europe/Zurich")
	y, m, d := day0.Date()
	day := time.Date(y, m, d+2, 0, 0, 0, 0, zurich)
	h := func(hh, mm int) time.Time {
		return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("steps",
		// Morning walk carried by both: the watch 08:00–09:00 (3000), the phone 08:30–09:30 (2400).
		stepSample(uuid(1), watchSource, h(8, 0), h(9, 0), 3000),
		stepSample(uuid(2), phoneSource, h(8, 30), h(9, 30), 2400),
		// Afternoon: only the phone (watch charging).
		stepSample(uuid(3), phoneSource, h(14, 0), h(14, 20), 1000),
		// Evening: only the watch.
		stepSample(uuid(4), watchSource, h(20, 0), h(20, 10), 500),
	)).decode(t, &r)
	if r.IngestBatch.Accepted != 4 {
		t.Fatalf("%+v", r.IngestBatch)
	}
	vars := map[string]any{"m": "HKQuantityTypeIdentifierStepCount", "from": day, "to": day.AddDate(0, 0, 1), "b": "DAY"}
	// By hand: watch 3000 for 08:00–09:00; the phone's 09:00–09:30 half, 1200; phone 1000; watch 500.
	merged := a.series(tok, vars)
	if len(merged.Series.Points) != 1 || !near(merged.Series.Points[0].Value, 3000+1200+1000+500) {
		t.Fatalf("merged day: %+v", merged.Series.Points)
	}
	if merged.Series.TimeZone != "Europe/Zurich" || !merged.Series.Points[0].Start.Equal(day) {
		t.Fatalf("the day is not Zurich's (the device's zone): %+v", merged.Series)
	}
	vars["merge"] = "NONE"
	if all := a.series(tok, vars); !near(all.Series.Points[0].Value, 6900) {
		t.Fatalf("unmerged day: %+v", all.Series.Points)
	}

	// The breakdown shows each source's own total and its part of the merged total.
	var bd struct {
		SourceBreakdown []struct {
			Source struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"source"`
			Priority           int     `json:"priority"`
			SampleCount        int     `json:"sampleCount"`
			Total              float64 `json:"total"`
			MergedContribution float64 `json:"mergedContribution"`
		} `json:"sourceBreakdown"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { sourceBreakdown(metric: "steps", from: $from, to: $to) {
		source { id name } priority sampleCount total mergedContribution } }`,
		map[string]any{"from": day, "to": day.AddDate(0, 0, 1)}).decode(t, &bd)
	s := bd.SourceBreakdown
	if len(s) != 2 || s[0].Source.Name != "Apple Watch" || s[0].Priority != 1 || !near(s[0].Total, 3500) ||
		!near(s[0].MergedContribution, 3500) || s[1].Source.Name != "iPhone" || !near(s[1].Total, 3400) ||
		!near(s[1].MergedContribution, 2200) {
		t.Fatalf("breakdown %+v", s)
	}

	// Putting the phone first changes who wins the overlap: phone 2400 + watch 08:00–08:30 (1500) + 1000 + 500.
	var prio struct {
		SetSourcePriority []struct{ Name string } `json:"setSourcePriority"`
	}
	a.do(tok, `mutation($ids: [ID!]!) { setSourcePriority(metric: "steps", sourceIds: $ids) { name } }`,
		map[string]any{"ids": []string{s[1].Source.ID}}).decode(t, &prio)
	if len(prio.SetSourcePriority) != 2 || prio.SetSourcePriority[0].Name != "iPhone" {
		t.Fatalf("new order %+v", prio.SetSourcePriority)
	}
	delete(vars, "merge")
	if got := a.series(tok, vars); !near(got.Series.Points[0].Value, 2400+1500+1000+500) {
		t.Fatalf("merged with the phone first: %+v", got.Series.Points)
	}
	// Only the watch: the merge applies among the chosen sources.
	vars["src"] = []string{s[0].Source.ID}
	if got := a.series(tok, vars); !near(got.Series.Points[0].Value, 3500) {
		t.Fatalf("watch only: %+v", got.Series.Points)
	}

	// Another user's source id cannot be used for a priority (and its existence is not confirmed).
	bob := a.token("bob")
	res := a.do(bob, `mutation($ids: [ID!]!) { setSourcePriority(sourceIds: $ids) { name } }`, map[string]any{"ids": []string{s[0].Source.ID}})
	if res.code() != "BAD_USER_INPUT" {
		t.Fatalf("bob using alice's source: %s", res.Raw)
	}
	if got := a.series(bob, vars); len(got.Series.Points) != 0 {
		t.Fatalf("bob filtering by alice's source sees %+v", got.Series.Points)
	}
}

func TestDailyBucketsFollowTheLocalDayAcrossDST(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// Berlin leaves summer time on the last Sunday of October (a 25-hour day), the 25th in 2026.
	dst := 31 - int(time.Date(octYear, time.October, 31, 12, 0, 0, 0, time.UTC).Weekday())
	local := func(d, hh, mm int) time.Time { return time.Date(octYear, 10, d+dst-25, hh, mm, 0, 0, berlin) }
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("dst",
		stepSample(uuid(1), watchSource, local(24, 23, 40), local(24, 23, 50), 100), // 21:40 UTC on the 24th
		stepSample(uuid(2), watchSource, local(25, 0, 10), local(25, 0, 20), 200),   // 22:10 UTC on the 24th
		stepSample(uuid(3), watchSource, local(25, 23, 30), local(25, 23, 40), 400), // 22:30 UTC on the 25th
		stepSample(uuid(4), watchSource, local(26, 0, 30), local(26, 0, 40), 800),   // 23:30 UTC on the 25th
	)).decode(t, &r)
	got := a.series(tok, map[string]any{"m": "steps", "from": local(24, 0, 0), "to": local(27, 0, 0), "b": "DAY", "tz": "Europe/Berlin"})
	p := got.Series.Points
	if len(p) != 3 || p[0].Value != 100 || p[1].Value != 600 || p[2].Value != 800 {
		t.Fatalf("Berlin days %+v, want 100, 600, 800", p)
	}
	if p[1].End.Sub(p[1].Start) != 25*time.Hour {
		t.Fatalf("the 25th lasts %s, want 25h", p[1].End.Sub(p[1].Start))
	}
	// The same data in UTC days gives other totals: the zone matters.
	utc := a.series(tok, map[string]any{"m": "steps", "from": local(24, 0, 0), "to": local(27, 0, 0), "b": "DAY", "tz": "UTC"})
	if len(utc.Series.Points) != 2 || utc.Series.Points[0].Value != 300 || utc.Series.Points[1].Value != 1200 {
		t.Fatalf("UTC days %+v, want 300, 1200", utc.Series.Points)
	}
}

func TestDeletedSamplesVanishFromSeries(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("hr", hrSample(uuid(1), at, 60), hrSample(uuid(2), at.Add(time.Minute), 100),
		stepSample(uuid(3), watchSource, at, at.Add(time.Hour), 1000))).decode(t, &r)
	del := ingestInput("del")
	del["input"].(map[string]any)["deletions"] = []string{uuid(2), uuid(3)}
	a.do(tok, ingestMutation, del).decode(t, &r)
	if r.IngestBatch.Deleted != 2 {
		t.Fatalf("%+v", r.IngestBatch)
	}
	for _, tc := range []map[string]any{
		{"m": "heart_rate", "b": "HOUR", "tz": "UTC"},            // hourly aggregate
		{"m": "heart_rate", "b": "MINUTE", "tz": "UTC"},          // raw
		{"m": "steps", "b": "DAY", "tz": "UTC", "merge": "NONE"}, // hourly aggregate
		{"m": "steps", "b": "DAY", "tz": "UTC"},                  // raw, merged
	} {
		tc["from"], tc["to"] = at.Add(-24*time.Hour), at.Add(24*time.Hour)
		got := a.series(tok, tc).Series.Points
		switch tc["m"] {
		case "heart_rate":
			if len(got) != 1 || got[0].Value != 60 || got[0].Count != 1 {
				t.Fatalf("%v: %+v, want only the 60 bpm sample", tc, got)
			}
		default:
			if len(got) != 0 {
				t.Fatalf("%v: %+v, want nothing", tc, got)
			}
		}
	}
}

func TestSeriesLimitsAndInputErrors(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	for name, vars := range map[string]map[string]any{
		"too many buckets": {"m": "heart_rate", "b": "MINUTE", "from": at, "to": at.AddDate(0, 0, 8)},
		"unknown metric":   {"m": "mood", "b": "DAY", "from": at, "to": at.AddDate(0, 0, 8)},
		"bad zone":         {"m": "steps", "b": "DAY", "tz": "Moon/Base", "from": at, "to": at.AddDate(0, 0, 8)},
		"empty range":      {"m": "steps", "b": "DAY", "from": at, "to": at},
	} {
		if res := a.do(tok, seriesQuery, vars); res.code() != "BAD_USER_INPUT" || res.Status != http.StatusOK {
			t.Errorf("%s: %d %s", name, res.Status, res.Raw)
		}
	}
}

func TestARevokedTypeTurnsStale(t *testing.T) {
	now := day0.Add(8 * time.Hour) // the service's clock, which the test moves on by four days
	var a *app
	a = newApp(t, func(o *server.Options) {
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{}, func() time.Time { return now })
	})
	tok := a.token("alice")
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("day-1", hrSample(uuid(1), now.Add(-time.Hour), 60),
		stepSample(uuid(2), watchSource, now.Add(-time.Hour), now.Add(-50*time.Minute), 100))).decode(t, &r)
	// Four days later the device still uploads steps, but heart rate no longer comes.
	now = now.Add(96 * time.Hour)
	a.do(tok, ingestMutation, ingestInput("day-5",
		stepSample(uuid(3), watchSource, now.Add(-time.Hour), now.Add(-50*time.Minute), 100))).decode(t, &r)
	var st struct {
		SyncState []struct {
			DataType string `json:"dataType"`
			Status   string `json:"status"`
		} `json:"syncState"`
	}
	a.do(tok, `{ syncState { dataType status } }`, nil).decode(t, &st)
	want := map[string]string{"heart_rate": "STALE", "steps": "ACTIVE"}
	if len(st.SyncState) != 2 {
		t.Fatalf("%+v", st.SyncState)
	}
	for _, s := range st.SyncState {
		if want[s.DataType] != s.Status {
			t.Fatalf("%s is %s, want %s", s.DataType, s.Status, want[s.DataType])
		}
	}
	// With a longer tolerance the 96-hour silence is not stale yet.
	a.do(tok, `{ syncState(staleAfterHours: 120) { dataType status } }`, nil).decode(t, &st)
	for _, s := range st.SyncState {
		if s.Status != "ACTIVE" {
			t.Fatalf("with 120 h, %s is %s", s.DataType, s.Status)
		}
	}
}

// Columns are the points turned sideways: for every request, entry i of each list is byte for byte the field of
// point i, and a query that reaches points only through fragments still gets them.
func TestSeriesColumnsEqualPoints(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	zurich, _ := time.LoadLocation("Europe/Zurich")
	y, m, d := day0.Date()
	day := time.Date(y, m, d+1, 0, 0, 0, 0, zurich)
	var samples []map[string]any
	n := 0
	for d := range 3 {
		for h := 6; h < 22; h += 2 {
			// Steps from both sources, overlapping and crossing hour edges (so some hours hold only a share of
			// a sample that started before them: a total without min or max).
			at := day.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + 40*time.Minute)
			n++
			samples = append(samples, stepSample(uuid(n), watchSource, at, at.Add(90*time.Minute), float64(100*h+d)))
			n++
			samples = append(samples, stepSample(uuid(n), phoneSource, at.Add(30*time.Minute), at.Add(100*time.Minute), float64(70*h+d)))
			n++
			samples = append(samples, hrSample(uuid(n), at.Add(7*time.Minute), 50+h+d))
		}
	}
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("columns", samples...)).decode(t, &r)
	if r.IngestBatch.Accepted != len(samples) {
		t.Fatalf("%+v", r.IngestBatch)
	}
	fields := []string{"start", "end", "value", "count", "sum", "min", "max", "avg"}
	const query = `query($m: String!, $from: Time!, $to: Time!, $b: Bucket!, $merge: MergeMode) {
  series(metric: $m, from: $from, to: $to, bucket: $b, merge: $merge) { ...P columns { start end value count sum min max avg } } }
fragment P on Series { ... on Series { points { start end value count sum min max avg } } }`
	for _, c := range []struct{ metric, bucket, merge string }{
		{"steps", "DAY", "PRIORITY"}, {"steps", "DAY", "NONE"}, {"steps", "HOUR", "PRIORITY"}, {"steps", "HOUR", "NONE"},
		{"steps", "MINUTE", "PRIORITY"}, {"heart_rate", "DAY", "PRIORITY"}, {"heart_rate", "HOUR", "NONE"}, {"steps", "MONTH", "PRIORITY"},
	} {
		var out struct {
			Series struct {
				Points  []map[string]json.RawMessage `json:"points"`
				Columns map[string][]json.RawMessage `json:"columns"`
			} `json:"series"`
		}
		a.do(tok, query, map[string]any{"m": c.metric, "from": day.Add(-time.Hour), "to": day.AddDate(0, 0, 4), "b": c.bucket,
			"merge": c.merge}).decode(t, &out)
		p, cols := out.Series.Points, out.Series.Columns
		least := 3
		if c.bucket == "MONTH" {
			least = 1
		}
		if len(p) < least {
			t.Fatalf("%v: %d points", c, len(p))
		}
		nulls := 0
		for _, f := range fields {
			if len(cols[f]) != len(p) {
				t.Fatalf("%v: %d %s, %d points", c, len(cols[f]), f, len(p))
			}
			for i := range p {
				if string(cols[f][i]) != string(p[i][f]) {
					t.Fatalf("%v: %s[%d] = %s, point %d has %s", c, f, i, cols[f][i], i, p[i][f])
				}
				if string(cols[f][i]) == "null" {
					nulls++
				}
			}
		}
		if c.metric == "steps" && c.bucket == "HOUR" && nulls == 0 {
			t.Fatalf("%v: no hour holds only a share of an earlier sample; the test lost its null case", c)
		}
	}
	// Only some lists: the others are absent, not empty.
	raw := a.do(tok, `query($from: Time!, $to: Time!) { series(metric: "steps", from: $from, to: $to, bucket: DAY) { columns { value } } }`,
		map[string]any{"from": day, "to": day.AddDate(0, 0, 3)})
	var only struct {
		Series map[string]map[string][]float64 `json:"series"`
	}
	raw.decode(t, &only)
	if cols := only.Series["columns"]; len(cols) != 1 || len(cols["value"]) != 3 {
		t.Fatalf("columns { value }: %s", raw.Data)
	}
}
