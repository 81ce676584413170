package resolvers

import (
	"context"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/scalar"
	"healthsync/sleep"
)

// maxSleepRange bounds one sleep read: a year of nights is a few hundred sessions and a few tens of thousands of
// stage samples per source.
const maxSleepRange = 366 * 24 * time.Hour

func (r *Resolver) sleepSessions(ctx context.Context, from, to time.Time, timeZone *string) ([]model.SleepSession, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	if to.Sub(from) > maxSleepRange {
		return nil, badInput("a sleep read may span at most 366 days; split the range")
	}
	var (
		sessions []sleep.Session
		sources  map[int64]db.Source
	)
	err := r.inUserTx(ctx, func(tx *db.Tx) error {
		loc, err := r.location(ctx, tx, timeZone)
		if err != nil {
			return err
		}
		sessions, sources, err = r.loadSleep(ctx, tx, from, to, loc)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]model.SleepSession, len(sessions))
	for i, s := range sessions {
		src, ok := sources[s.SourceID]
		if !ok {
			return nil, fmt.Errorf("sleep: source %d of a stored sample is unknown", s.SourceID)
		}
		out[i] = toSleepModel(s, toSourceModel(src))
	}
	return out, nil
}

// loadSleep reads the stage samples around [from, to) and assembles the sessions that end in it, choosing per
// night the highest-priority source. It returns the sources by id for the caller's mapping.
func (r *Resolver) loadSleep(ctx context.Context, tx *db.Tx, from, to time.Time, loc *time.Location) ([]sleep.Session, map[int64]db.Source, error) {
	ordered, err := orderedSources(ctx, tx, "sleep")
	if err != nil {
		return nil, nil, err
	}
	return r.loadSleepOrdered(ctx, tx, ordered, from, to, loc)
}

// loadSleepOrdered is loadSleep with the sources already in the sleep priority order.
func (r *Resolver) loadSleepOrdered(ctx context.Context, tx *db.Tx, ordered []db.Source, from, to time.Time, loc *time.Location) ([]sleep.Session, map[int64]db.Source, error) {
	lo, hi := sleep.ReadWindow(from, to)
	rows, err := tx.SleepStages(ctx, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	order := make([]int64, len(ordered))
	sources := make(map[int64]db.Source, len(ordered))
	for i, s := range ordered {
		order[i], sources[s.ID] = s.ID, s
	}
	samples := make([]sleep.Sample, len(rows))
	for i, row := range rows {
		samples[i] = sleep.Sample{SourceID: row.SourceID, Stage: row.Value, Start: row.Start, End: row.End,
			TimeZone: row.TimeZone, Totals: sleep.TotalsFromMinutes(row.StageMinutes)}
	}
	return sleep.SessionsLoading(samples, order, loc, from, to, r.Series.LoadZone), sources, nil
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
