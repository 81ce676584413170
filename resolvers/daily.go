package resolvers

import (
	"context"
	"time"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/scalar"
	"healthsync/series"
	"healthsync/summary"
	"healthsync/workouts"
)

// maxSummaryDays bounds one dailySummary request.
const maxSummaryDays = 366

// dailyMetrics are the series a home page shows per day; cumulative ones are merged across sources.
var dailyMetrics = []struct {
	metric string
	set    func(d *model.DailySummary, v float64)
}{
	{"steps", func(d *model.DailySummary, v float64) { d.Steps = &v }},
	{"distance_walking_running", func(d *model.DailySummary, v float64) { d.DistanceMeters = &v }},
	{"active_energy_burned", func(d *model.DailySummary, v float64) { d.ActiveEnergyKcal = &v }},
	{"exercise_time", func(d *model.DailySummary, v float64) { d.ExerciseMinutes = &v }},
	{"resting_heart_rate", func(d *model.DailySummary, v float64) { d.RestingHeartRate = &v }},
	{"hrv_sdnn", func(d *model.DailySummary, v float64) { d.HrvSdnnMs = &v }},
}

func (r *Resolver) dailySummary(ctx context.Context, from, to scalar.Date, timeZone *string) ([]model.DailySummary, error) {
	if to.Before(from) {
		return nil, badInput("`to` must not be before `from`")
	}
	if from.AddDays(maxSummaryDays - 1).Before(to) {
		return nil, badInput("a daily summary may span at most 366 days; split the range")
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	days := map[scalar.Date]*model.DailySummary{}
	var out []model.DailySummary
	// One transaction for the whole page, one round of set-up, and four round trips: the zone with the sources
	// and the sleep and workout orders (one simple query), the sleep stages, the workout starts, and the cached
	// days of every metric.
	err = r.Store.InUserTx(ctx, u.ID, func(tx *db.Tx) error {
		asked := ""
		if timeZone != nil {
			asked = *timeZone
		}
		prelude, err := tx.ReadPrelude(ctx, asked == "", []string{"sleep", "workout"})
		if err != nil {
			return err
		}
		if asked == "" {
			asked = prelude.DeviceZone
		}
		loc, err := r.Series.Zone(asked)
		if err != nil {
			return err
		}
		start, end := from.In(loc), to.AddDays(1).In(loc)
		out = out[:0]
		for d := from; !to.Before(d); d = d.AddDays(1) {
			out = append(out, model.DailySummary{Date: d})
		}
		clear(days)
		for i := range out {
			days[out[i].Date] = &out[i]
		}
		ordered := series.OrderedFrom(prelude.Sources, prelude.Priorities, "sleep", "workout")
		sessions, _, err := r.loadSleepOrdered(ctx, tx, ordered["sleep"], start, end, loc)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			y, m, d := s.Date()
			if day, ok := days[scalar.Date{Year: y, Month: m, Day: d}]; ok && !s.IsNap {
				v := s.Asleep.Minutes()
				if day.SleepMinutes != nil {
					v += *day.SleepMinutes
				}
				day.SleepMinutes = &v
			}
		}
		starts, err := tx.WorkoutStarts(ctx, start, end, sourceIDs(ordered["workout"]), workouts.OverlapNum, workouts.OverlapDen)
		if err != nil {
			return err
		}
		for _, t := range starts {
			if day, ok := days[scalar.DateOf(t.In(loc))]; ok {
				day.Workouts++
			}
		}
		names := make([]string, len(dailyMetrics))
		for i, dm := range dailyMetrics {
			names[i] = dm.metric
		}
		perMetric, err := r.Series.DailyPoints(ctx, tx, names, start, end, loc)
		if err != nil {
			return err
		}
		for i, points := range perMetric {
			for _, p := range points {
				if d, ok := days[scalar.DateOf(p.Start.In(loc))]; ok {
					dailyMetrics[i].set(d, p.Value)
				}
			}
		}
		return fillSteps(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fillSteps applies summary.FillSteps (a provider's daily total on days without step samples) to the page.
func fillSteps(ctx context.Context, tx *db.Tx, out []model.DailySummary) error {
	steps := make([]summary.StepsDay, len(out))
	for i, d := range out {
		steps[i] = summary.StepsDay{Date: d.Date.In(time.UTC), Steps: d.Steps}
	}
	if err := summary.FillSteps(ctx, tx, steps); err != nil {
		return err
	}
	for i, s := range steps {
		if s.Source != "" {
			src := model.StepsSource(s.Source)
			out[i].Steps, out[i].StepsSource = s.Steps, &src
		}
	}
	return nil
}
