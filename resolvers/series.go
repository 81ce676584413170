package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"healthsync/db"
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

// priorityScopes are the names setSourcePriority takes besides catalog metrics.
var priorityScopes = map[string]bool{"sleep": true, "workout": true}

func (r *Resolver) setSourcePriority(ctx context.Context, metric *string, sourceIDs []string) ([]model.Source, error) {
	name := ""
	if metric != nil && *metric != "" {
		if m, ok := r.Catalog.Lookup(*metric); ok {
			name = m.Name
		} else if priorityScopes[*metric] {
			name = *metric
		} else {
			return nil, badInput(fmt.Sprintf("unknown metric %q; the metrics query lists them (also: sleep, workout)", *metric))
		}
	}
	ids, err := parseSourceIDs(sourceIDs)
	if err != nil {
		return nil, err
	}
	var ordered []db.Source
	err = r.inUserTx(ctx, func(tx *db.Tx) error {
		all, err := tx.Sources(ctx)
		if err != nil {
			return err
		}
		mine := make(map[int64]bool, len(all))
		for _, s := range all {
			mine[s.ID] = true
		}
		for _, id := range ids {
			// The same answer whether the id does not exist or belongs to someone else.
			if !mine[id] {
				return badInput(fmt.Sprintf("source %s is not one of your sources (the sources query lists them)", strconv.FormatInt(id, 10)))
			}
		}
		if err := tx.SetSourcePriority(ctx, name, ids); err != nil {
			return err
		}
		ordered, err = series.OrderedSources(ctx, tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]model.Source, len(ordered))
	for i, s := range ordered {
		out[i] = toSourceModel(s)
	}
	return out, nil
}
