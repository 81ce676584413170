package resolvers

import (
	"context"
	"errors"

	"healthsync/graph/model"
	"healthsync/scalar"
)

func (r *Resolver) dailySummary(ctx context.Context, from, to scalar.Date, timeZone *string) ([]model.DailySummary, error) {
	return nil, errors.New("dailySummary: not built yet")
}
