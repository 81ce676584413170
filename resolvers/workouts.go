package resolvers

import (
	"context"
	"encoding/json"
	"time"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/workouts"
)

// workoutPage answers the workouts connection. Statements per page, whatever its size: sources, the workout
// priority, the page (duplicates left out and their sources gathered in the same statement) and one
// heart-rate statement for the workouts whose metadata lacks the statistics.
func (r *Resolver) workoutPage(ctx context.Context, from, to time.Time, first *int, after *string) (*model.WorkoutConnection, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	n, err := workouts.PageSize(first)
	if err != nil {
		return nil, badInput(err.Error())
	}
	q := db.WorkoutPageQuery{From: from, To: to, Limit: n + 1, OverlapNum: workouts.OverlapNum,
		OverlapDen: workouts.OverlapDen}
	if after != nil {
		c, err := workouts.ParseCursor(*after)
		if err != nil {
			return nil, badInput(err.Error())
		}
		q.AfterStart, q.AfterID = &c.Start, c.ID
	}

	var (
		rows    []db.StoredWorkout
		sources []db.Source
		hr      []db.HeartRateStats
		own     map[string]workouts.HeartRate
	)
	err = r.inUserTx(ctx, func(tx *db.Tx) error {
		var err error
		if sources, err = orderedSources(ctx, tx, "workout"); err != nil {
			return err
		}
		q.Priority = sourceIDs(sources)
		if rows, err = tx.WorkoutPage(ctx, q); err != nil {
			return err
		}
		if missingSource(rows, sources) {
			// A concurrent batch added a source after it was read: read them again so every workout names its own.
			if sources, err = orderedSources(ctx, tx, "workout"); err != nil {
				return err
			}
		}
		own = make(map[string]workouts.HeartRate, len(rows))
		var need []db.Window
		for _, w := range rows[:min(n, len(rows))] {
			h := workouts.HeartRateFromMetadata(metadataMap(w.Metadata))
			own[w.ID] = h
			if h.Average == nil || h.Max == nil {
				need = append(need, db.Window{ID: w.ID, Start: w.Start, End: w.End})
			}
		}
		hr, err = tx.HeartRateWithin(ctx, need)
		return err
	})
	if err != nil {
		return nil, err
	}
	hasNext := len(rows) == n+1
	if hasNext {
		rows = rows[:n]
	}

	byID := make(map[int64]model.Source, len(sources))
	for _, s := range sources {
		byID[s.ID] = toSourceModel(s)
	}
	fromSamples := make(map[string]db.HeartRateStats, len(hr))
	for _, h := range hr {
		fromSamples[h.ID] = h
	}
	conn := &model.WorkoutConnection{Edges: make([]model.WorkoutEdge, 0, len(rows)), PageInfo: &model.PageInfo{}}
	for _, w := range rows {
		node := toWorkoutModel(w, byID, own[w.ID], fromSamples)
		cursor := workouts.Cursor{Start: w.Start, ID: w.ID}.String()
		conn.Edges = append(conn.Edges, model.WorkoutEdge{Cursor: cursor, Node: node})
		conn.PageInfo.EndCursor = &cursor
	}
	conn.PageInfo.HasNextPage = hasNext
	return conn, nil
}

func toWorkoutModel(w db.StoredWorkout, sources map[int64]model.Source, own workouts.HeartRate, fromSamples map[string]db.HeartRateStats) *model.Workout {
	out := &model.Workout{ID: w.ID, ActivityType: w.ActivityType, Start: w.Start, End: w.End,
		DurationSeconds: w.DurationSeconds, EnergyKcal: w.EnergyKcal, DistanceMeters: w.DistanceM,
		AverageHeartRate: own.Average, MaxHeartRate: own.Max, TimeZone: w.TimeZone,
		AlsoRecordedBy: make([]model.Source, 0, len(w.AlsoSourceIDs))}
	if s, ok := fromSamples[w.ID]; ok && s.Count > 0 {
		// Metadata statistics win field by field; samples fill what the workout did not say.
		if out.AverageHeartRate == nil {
			avg := s.Average
			out.AverageHeartRate = &avg
		}
		if out.MaxHeartRate == nil {
			mx := s.Max
			out.MaxHeartRate = &mx
		}
	}
	s := sources[w.SourceID]
	out.Source = &s
	for _, id := range w.AlsoSourceIDs {
		if s, ok := sources[id]; ok {
			out.AlsoRecordedBy = append(out.AlsoRecordedBy, s)
		}
	}
	return out
}

func missingSource(rows []db.StoredWorkout, sources []db.Source) bool {
	known := make(map[int64]bool, len(sources))
	for _, s := range sources {
		known[s.ID] = true
	}
	for _, w := range rows {
		if !known[w.SourceID] {
			return true
		}
		for _, id := range w.AlsoSourceIDs {
			if !known[id] {
				return true
			}
		}
	}
	return false
}

func metadataMap(raw *string) map[string]any {
	if raw == nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(*raw), &m) != nil {
		return nil
	}
	return m
}

func sourceIDs(sources []db.Source) []int64 {
	out := make([]int64, len(sources))
	for i, s := range sources {
		out[i] = s.ID
	}
	return out
}
