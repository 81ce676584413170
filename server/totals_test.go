package server_test

import (
	"testing"
	"time"
)

// Totals of counts are exact where the inputs are: watch and phone steps that merge to 600 answer 600, not
// 600.0000000000001, on every path that answers a sum (series points and columns from the caches and from raw
// samples, a rolling range that takes both, dailySummary, sourceBreakdown).
func TestStepTotalsCarryNoFloatNoise(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	zurich, _ := time.LoadLocation("Europe/Zurich")
	// Three days back from the clock of the code under test, in the device's zone.
	n := time.Now().In(zurich)
	day := time.Date(n.Year(), n.Month(), n.Day()-3, 0, 0, 0, 0, zurich)
	h := func(hh, mm int) time.Time {
		return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("noise",
		// The watch's 500 steps win 08:00–09:00; the phone's walk 08:44–09:10 adds its 09:00–09:10 part (100 of
		// 260); its 08:22–08:34 walk lies under the watch. Adding the pieces in floats gives 600.0000000000001
		// and a watch contribution of 500.0000000000001.
		stepSample(uuid(1), watchSource, h(8, 0), h(9, 0), 500),
		stepSample(uuid(2), phoneSource, h(8, 44), h(9, 10), 260),
		stepSample(uuid(3), phoneSource, h(8, 22), h(8, 34), 122),
	)).decode(t, &r)
	if r.IngestBatch.Accepted != 3 {
		t.Fatalf("%+v", r.IngestBatch)
	}
	type cols struct {
		Series struct {
			Columns struct {
				Value []float64 `json:"value"`
				Sum   []float64 `json:"sum"`
			} `json:"columns"`
		} `json:"series"`
	}
	const colsQuery = `query($m: String!, $from: Time!, $to: Time!, $b: Bucket!, $tz: String, $merge: MergeMode) {
  series(metric: $m, from: $from, to: $to, bucket: $b, timeZone: $tz, merge: $merge) { columns { value sum } } }`
	for _, tc := range []struct {
		name     string
		from, to time.Time
		bucket   string
		zone     string // Asia/Kolkata's days do not start on UTC hours: raw samples
		merge    string
		want     []float64
	}{
		{"day, cached", day, day.AddDate(0, 0, 1), "DAY", "Europe/Zurich", "PRIORITY", []float64{600}},
		{"day, again from the filled cache", day, day.AddDate(0, 0, 1), "DAY", "Europe/Zurich", "PRIORITY", []float64{600}},
		{"hours, merged cache", day, day.AddDate(0, 0, 1), "HOUR", "Europe/Zurich", "PRIORITY", []float64{500, 100}},
		{"day, raw samples", day, day.AddDate(0, 0, 1), "DAY", "Asia/Kolkata", "PRIORITY", []float64{600}},
		// To 09:05:47: the watch's 500 and 347 s of the phone's 1560 s walk, 260·347/1560 = 57.83…, in whole
		// steps.
		{"rolling range", day.Add(-17*time.Minute - 13*time.Second), h(9, 5).Add(47 * time.Second), "DAY", "Europe/Zurich", "PRIORITY", []float64{558}},
		{"week", day, day.AddDate(0, 0, 1), "WEEK", "Europe/Zurich", "PRIORITY", []float64{600}},
		{"unmerged", day, day.AddDate(0, 0, 1), "DAY", "Europe/Zurich", "NONE", []float64{882}},
	} {
		vars := map[string]any{"m": "steps", "from": tc.from.Format(time.RFC3339Nano), "to": tc.to.Format(time.RFC3339Nano),
			"b": tc.bucket, "tz": tc.zone, "merge": tc.merge}
		want := tc.want
		p := a.series(tok, vars).Series.Points
		var c cols
		a.do(tok, colsQuery, vars).decode(t, &c)
		if len(p) != len(want) || len(c.Series.Columns.Value) != len(want) {
			t.Fatalf("%s: points %+v, columns %+v, want %v", tc.name, p, c.Series.Columns, want)
		}
		for i, w := range want {
			if p[i].Value != w || c.Series.Columns.Value[i] != w || c.Series.Columns.Sum[i] != w {
				t.Errorf("%s: bucket %d is %v (columns %v, sum %v), want exactly %v", tc.name, i, p[i].Value,
					c.Series.Columns.Value[i], c.Series.Columns.Sum[i], w)
			}
		}
	}

	var daily struct {
		DailySummary []struct {
			Date  string   `json:"date"`
			Steps *float64 `json:"steps"`
		} `json:"dailySummary"`
	}
	date := day.Format(time.DateOnly)
	a.do(tok, `query($d: Date!) { dailySummary(from: $d, to: $d, timeZone: "Europe/Zurich") { date steps } }`,
		map[string]any{"d": date}).decode(t, &daily)
	if len(daily.DailySummary) != 1 || daily.DailySummary[0].Steps == nil || *daily.DailySummary[0].Steps != 600 {
		t.Errorf("dailySummary %+v, want exactly 600 steps", daily.DailySummary)
	}

	var bd struct {
		SourceBreakdown []struct {
			Source             struct{ Name string } `json:"source"`
			Total              float64               `json:"total"`
			MergedContribution float64               `json:"mergedContribution"`
		} `json:"sourceBreakdown"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { sourceBreakdown(metric: "steps", from: $from, to: $to) {
		source { name } total mergedContribution } }`, map[string]any{"from": day, "to": day.AddDate(0, 0, 1)}).decode(t, &bd)
	s := bd.SourceBreakdown
	if len(s) != 2 || s[0].Source.Name != "Apple Watch" || s[0].Total != 500 || s[0].MergedContribution != 500 ||
		s[1].Total != 382 || s[1].MergedContribution != 100 {
		t.Errorf("breakdown %+v, want the watch 500 of 500, the phone 100 of 382, exactly", s)
	}
}
