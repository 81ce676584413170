package resolvers

import (
	"context"
	"errors"
	"time"

	"healthsync/graph/model"
)

func (r *Resolver) sleepSessions(ctx context.Context, from, to time.Time, timeZone *string) ([]model.SleepSession, error) {
	return nil, errors.New("sleep: not built yet")
}
