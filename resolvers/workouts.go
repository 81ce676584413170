package resolvers

import (
	"context"
	"time"

	"healthsync/graph/model"
	"healthsync/workouts"
)

// workoutPage answers the workouts connection.
func (r *Resolver) workoutPage(ctx context.Context, from, to time.Time, first *int, after *string) (*model.WorkoutConnection, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	page, err := r.Workouts.Page(ctx, u.ID, workouts.PageRequest{From: from, To: to, First: first, After: after})
	if err != nil {
		return nil, err
	}
	conn := &model.WorkoutConnection{Edges: make([]model.WorkoutEdge, 0, len(page.Workouts)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNext}}
	for _, w := range page.Workouts {
		cursor := w.Cursor
		conn.Edges = append(conn.Edges, model.WorkoutEdge{Cursor: cursor, Node: toWorkoutModel(w)})
		conn.PageInfo.EndCursor = &cursor
	}
	return conn, nil
}

func toWorkoutModel(w workouts.Workout) *model.Workout {
	src := toSourceModel(w.Source)
	out := &model.Workout{ID: w.ID, ActivityType: w.ActivityType, Start: w.Start, End: w.End,
		DurationSeconds: w.DurationSeconds, EnergyKcal: w.EnergyKcal, DistanceMeters: w.DistanceM,
		AverageHeartRate: w.AverageHeartRate, MaxHeartRate: w.MaxHeartRate, TimeZone: w.TimeZone, Source: &src,
		AlsoRecordedBy: make([]model.Source, len(w.AlsoRecordedBy))}
	for i, s := range w.AlsoRecordedBy {
		out.AlsoRecordedBy[i] = toSourceModel(s)
	}
	out.Segments, out.Laps, out.Events = workoutParts(w.Segments, w.Laps, w.Events)
	return out
}
