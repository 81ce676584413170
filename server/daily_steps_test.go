package server_test

import (
	"testing"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/oura/ourafake"
)

// TestDailySummaryStepsFromProviderTotals: an Oura user's home page shows Oura's own daily steps on days without
// step samples, and says so; a day the watch recorded keeps the watch's samples.
func TestDailySummaryStepsFromProviderTotals(t *testing.T) {
	fd := zurichDays(t)
	off, tz, day, dates := fd.off, fd.tz, fd.day, fd.dates
	f := ourafake.New(t, ourafake.Options{Days: fd.times(), OffsetSeconds: &off, StepsPerInterval: 100, Intervals: 80})
	c := newCloudApp(t, cloudsync.Provider{Adapter: oura.New(), Config: f.Config()})
	tok := c.token("alice")
	c.connect(tok, "OURA")
	for runs := 0; c.runJobs() > 0; runs++ {
		if runs > 200 {
			t.Fatal("backfill jobs keep coming")
		}
	}

	type summaryDay struct {
		Date        string   `json:"date"`
		Steps       *float64 `json:"steps"`
		StepsSource *string  `json:"stepsSource"`
	}
	read := func() []summaryDay {
		var out struct {
			DailySummary []summaryDay `json:"dailySummary"`
		}
		c.do(tok, `query($from: Date!, $to: Date!, $tz: String) { dailySummary(from: $from, to: $to, timeZone: $tz) {
			date steps stepsSource } }`, map[string]any{"from": dates[0], "to": dates[2], "tz": tz}).decode(t, &out)
		return out.DailySummary
	}
	check := func(when string, got []summaryDay, want []float64, sources []string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %+v", when, got)
		}
		for i, g := range got {
			if g.Date != dates[i] || g.Steps == nil || *g.Steps != want[i] || g.StepsSource == nil || *g.StepsSource != sources[i] {
				t.Errorf("%s: day %d = %s %v %v, want %v from %s", when, i, g.Date, deref(g.Steps), deref(g.StepsSource), want[i], sources[i])
			}
		}
	}
	check("Oura only", read(), []float64{8000, 8000, 8000}, []string{"PROVIDER_TOTAL", "PROVIDER_TOTAL", "PROVIDER_TOTAL"})

	// The watch's 1000 steps on the middle day are that day's samples: they, not Oura's total, are its steps.
	mid := day(1)
	var ing ingestResult
	c.do(tok, ingestMutation, ingestInput("watch-1", stepSample(uuid(1), watchSource, mid.Add(8*time.Hour),
		mid.Add(9*time.Hour), 1000))).decode(t, &ing)
	if ing.IngestBatch.Accepted != 1 {
		t.Fatalf("watch batch %+v", ing.IngestBatch)
	}
	check("with the watch", read(), []float64{8000, 1000, 8000}, []string{"PROVIDER_TOTAL", "SAMPLES", "PROVIDER_TOTAL"})
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
