// Package summary answers the home page's day summary (Service.Daily) and holds its rules that are more than a
// merged series.
package summary

import (
	"context"
	"time"

	"healthsync/db"
	"healthsync/priority"
)

// StepsSource says where a day's steps came from.
type StepsSource string

const (
	// FromSamples: the day's step samples merged across sources (phones, watches, provider intraday data).
	FromSamples StepsSource = "SAMPLES"
	// FromProviderTotal: the day had no step samples; the number is a cloud provider's own total for the date
	// (Oura and Garmin send daily steps without the intervals behind them).
	FromProviderTotal StepsSource = "PROVIDER_TOTAL"
)

// StepsDay is one summary day's steps.
type StepsDay struct {
	Date   time.Time // the local calendar date, as midnight UTC
	Steps  *float64  // merged step samples; nil when the day has none
	Source StepsSource
}

// FillSteps gives every day its steps and their source: the merged samples when the day has any, else the
// daily total of the highest-priority provider that reported one (the user's steps order), else none. Samples
// win because they are what the series and the breakdowns count; a provider total stands in only for days
// they know nothing of. Provider totals are read only when some day lacks samples.
func FillSteps(ctx context.Context, tx *db.Tx, days []StepsDay) error {
	var first, last time.Time
	missing := false
	for i := range days {
		d := &days[i]
		if d.Steps != nil {
			d.Source = FromSamples
			continue
		}
		if !missing || d.Date.Before(first) {
			first = d.Date
		}
		if !missing || d.Date.After(last) {
			last = d.Date
		}
		missing = true
	}
	if !missing {
		return nil
	}
	totals, err := tx.DailyTotals(ctx, "steps", first, last)
	if err != nil || len(totals) == 0 {
		return err
	}
	byDay := map[time.Time][]db.DailyTotal{}
	several := false
	for _, t := range totals {
		k := dateKey(t.Day)
		byDay[k] = append(byDay[k], t)
		several = several || len(byDay[k]) > 1
	}
	var rank map[int64]int
	if several {
		if rank, err = stepsRank(ctx, tx); err != nil {
			return err
		}
	}
	for i := range days {
		d := &days[i]
		if d.Steps != nil {
			continue
		}
		if t, ok := pick(byDay[dateKey(d.Date)], rank); ok {
			v := t.Value
			d.Steps, d.Source = &v, FromProviderTotal
		}
	}
	return nil
}

// pick is the total of the best-ranked source; sources without a rank come after, the larger total first.
func pick(ts []db.DailyTotal, rank map[int64]int) (db.DailyTotal, bool) {
	if len(ts) == 0 {
		return db.DailyTotal{}, false
	}
	best := ts[0]
	for _, t := range ts[1:] {
		rb, okb := rank[best.SourceID]
		rt, okt := rank[t.SourceID]
		switch {
		case okt && (!okb || rt < rb):
			best = t
		case okt == okb && (!okt || rt == rb) && t.Value > best.Value:
			best = t
		}
	}
	return best, true
}

// stepsRank is each source's place in the user's steps order (custom order first, then the default classes).
func stepsRank(ctx context.Context, tx *db.Tx) (map[int64]int, error) {
	all, err := tx.Sources(ctx)
	if err != nil {
		return nil, err
	}
	custom, err := tx.SourcePriorities(ctx, []string{"steps"})
	if err != nil {
		return nil, err
	}
	rank := map[int64]int{}
	for i, s := range priority.Order(all, custom["steps"]) {
		rank[s.ID] = i
	}
	return rank, nil
}

func dateKey(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
