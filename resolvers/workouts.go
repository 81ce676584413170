package resolvers

import (
	"context"
	"errors"
	"time"

	"healthsync/graph/model"
)

func (r *Resolver) workoutPage(ctx context.Context, from, to time.Time, first *int, after *string) (*model.WorkoutConnection, error) {
	return nil, errors.New("workouts: not built yet")
}
