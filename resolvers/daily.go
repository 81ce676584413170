package resolvers

import (
	"context"
	"time"

	"healthsync/graph/model"
	"healthsync/scalar"
	"healthsync/summary"
)

func (r *Resolver) dailySummary(ctx context.Context, from, to scalar.Date, timeZone *string) ([]model.DailySummary, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	req := summary.Request{From: from.In(time.UTC), To: to.In(time.UTC)}
	if timeZone != nil {
		req.TimeZone = *timeZone
	}
	days, err := r.Summary.Daily(ctx, u.ID, req)
	if err != nil {
		return nil, err
	}
	out := make([]model.DailySummary, len(days))
	for i, d := range days {
		out[i] = model.DailySummary{Date: scalar.DateOf(d.Date), Steps: d.Steps, DistanceMeters: d.DistanceMeters,
			ActiveEnergyKcal: d.ActiveEnergyKcal, ExerciseMinutes: d.ExerciseMinutes, RestingHeartRate: d.RestingHeartRate,
			HrvSdnnMs: d.HrvSdnnMs, SleepMinutes: d.SleepMinutes, Workouts: d.Workouts,
			EnergyConsumedKcal: d.EnergyConsumedKcal, ProteinGrams: d.ProteinGrams, CarbohydratesGrams: d.CarbohydratesGrams,
			FatGrams: d.FatGrams, WaterMl: d.WaterMl, MindfulMinutes: d.MindfulMinutes}
		if d.StepsSource != "" {
			src := model.StepsSource(d.StepsSource)
			out[i].StepsSource = &src
		}
	}
	return out, nil
}
