package resolvers

import (
	"context"

	"healthsync/auth"
	"healthsync/graph/model"
)

// metrics is the catalog, with the user's own first/last sample and count per metric when the token may read.
func (r *Resolver) metrics(ctx context.Context) ([]model.Metric, error) {
	ms := r.Catalog.Metrics()
	out := make([]model.Metric, len(ms))
	for i, m := range ms {
		out[i] = toMetric(m)
	}
	if p, ok := auth.FromContext(ctx); !ok || !p.Has(auth.ScopeRead) {
		return out, nil // the per-user fields refuse on their own (@scope)
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	by, err := r.Series.MetricStats(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if s, ok := by[out[i].Name]; ok {
			out[i].FirstSample, out[i].LastSample, out[i].SampleCount = s.First, s.Last, int(s.Count)
		}
	}
	return out, nil
}
