package resolvers

import (
	"context"
	"time"

	"healthsync/graph/model"
	"healthsync/scalar"
	"healthsync/sleep"
)

func (r *Resolver) sleepSessions(ctx context.Context, from, to time.Time, timeZone *string) ([]model.SleepSession, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	req := sleep.Request{From: from, To: to}
	if timeZone != nil {
		req.TimeZone = *timeZone
	}
	nights, err := r.Sleep.Sessions(ctx, u.ID, req)
	if err != nil {
		return nil, err
	}
	out := make([]model.SleepSession, len(nights))
	for i, n := range nights {
		out[i] = toSleepModel(n.Session, toSourceModel(n.Source))
	}
	return out, nil
}

func toSleepModel(s sleep.Session, src model.Source) model.SleepSession {
	y, m, d := s.Date()
	out := model.SleepSession{Start: s.Start, End: s.End, Date: scalar.Date{Year: y, Month: m, Day: d},
		TimeZone: s.Zone.String(), IsNap: s.IsNap, Source: &src, InBedMinutes: s.InBed.Minutes(),
		AsleepMinutes: s.Asleep.Minutes(), AwakeMinutes: s.Awake.Minutes(), CoreMinutes: s.Core.Minutes(),
		DeepMinutes: s.Deep.Minutes(), RemMinutes: s.REM.Minutes(), UnspecifiedMinutes: s.Unspecified.Minutes(),
		Stages: make([]model.SleepStageSegment, len(s.Stages))}
	if e, ok := s.Efficiency(); ok {
		out.Efficiency = &e
	}
	for i, g := range s.Stages {
		out.Stages[i] = model.SleepStageSegment{Stage: g.Stage, Start: g.Start, End: g.End}
	}
	return out
}
