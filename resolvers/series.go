package resolvers

import (
	"context"
	"errors"
	"time"

	"healthsync/graph/model"
	"healthsync/scalar"
)

func (r *Resolver) series(ctx context.Context, metric string, from, to time.Time, bucket model.Bucket, timeZone *string, sources []string, merge *model.MergeMode) (*model.Series, error) {
	return nil, errors.New("series: not built yet")
}

func (r *Resolver) sourceBreakdown(ctx context.Context, metric string, from, to time.Time) ([]model.SourceShare, error) {
	return nil, errors.New("sourceBreakdown: not built yet")
}

func (r *Resolver) setSourcePriority(ctx context.Context, metric *string, sourceIDs []string) ([]model.Source, error) {
	return nil, errors.New("setSourcePriority: not built yet")
}

func (r *Resolver) dailySummary(ctx context.Context, from, to scalar.Date, timeZone *string) ([]model.DailySummary, error) {
	return nil, errors.New("dailySummary: not built yet")
}
