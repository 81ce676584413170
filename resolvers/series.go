package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"healthsync/graph/model"
	"healthsync/series"
)

func (r *Resolver) series(ctx context.Context, metric string, from, to time.Time, bucket model.Bucket, timeZone *string, sources []string, merge *model.MergeMode) (*model.Series, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	req := series.Request{Metric: metric, From: from, To: to, Bucket: series.Bucket(bucket), Merge: series.MergePriority}
	if timeZone != nil {
		req.TimeZone = *timeZone
	}
	if merge != nil {
		req.Merge = series.MergeMode(*merge)
	}
	if sources != nil {
		if req.Sources, err = parseSourceIDs(sources); err != nil {
			return nil, err
		}
	}
	res, err := r.Series.Series(ctx, u.ID, req)
	if err != nil {
		return nil, err
	}
	out := &model.Series{Metric: res.Metric.Name, Unit: res.Metric.Unit, Aggregation: model.Aggregation(res.Metric.Aggregation),
		Bucket: bucket, TimeZone: res.TimeZone, Merge: model.MergeMode(res.Merge), Points: []model.SeriesPoint{},
		Columns: &series.Columns{Points: res.Points}}
	// The objects only when asked for: a chart that reads columns should not pay for hundreds of them.
	if slices.Contains(graphql.CollectAllFields(ctx), "points") {
		out.Points = make([]model.SeriesPoint, len(res.Points))
		for i, p := range res.Points {
			out.Points[i] = model.SeriesPoint{Start: p.Start, End: p.End, Value: p.Value, Count: int(p.Count), Sum: p.Sum,
				Min: p.Min, Max: p.Max, Avg: p.Avg}
		}
	}
	return out, nil
}

func (r *Resolver) sourceBreakdown(ctx context.Context, metric string, from, to time.Time) ([]model.SourceShare, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	shares, err := r.Series.Breakdown(ctx, u.ID, metric, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]model.SourceShare, len(shares))
	for i, s := range shares {
		first, last := s.First, s.Last
		src := toSourceModel(s.Source)
		out[i] = model.SourceShare{Source: &src, Priority: s.Priority, SampleCount: int(s.Count),
			Total: s.Total, Average: s.Average, FirstSample: &first, LastSample: &last, MergedContribution: s.Contribution}
	}
	return out, nil
}

func (r *Resolver) setSourcePriority(ctx context.Context, metric *string, sourceIDs []string) ([]model.Source, error) {
	scope := ""
	if metric != nil {
		scope = *metric
	}
	ids, err := parseSourceIDs(sourceIDs)
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	ordered, err := r.Priority.SetOrder(ctx, u.ID, scope, ids)
	if err != nil {
		return nil, err
	}
	out := make([]model.Source, len(ordered))
	for i, s := range ordered {
		out[i] = toSourceModel(s)
	}
	return out, nil
}

// parseSourceIDs turns GraphQL ids into source ids; a malformed id is the client's error.
func parseSourceIDs(ids []string) ([]int64, error) {
	out := make([]int64, 0, len(ids))
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, badInput(fmt.Sprintf("%q is not a source id (the sources query lists them)", s))
		}
		out = append(out, id)
	}
	return out, nil
}
