package resolvers

import (
	"context"

	"healthsync/auth"
	"healthsync/db"
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
	var stats []db.MetricStats
	if err := r.inUserTx(ctx, func(tx *db.Tx) (err error) {
		stats, err = tx.MetricStats(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	by := make(map[string]db.MetricStats, len(stats))
	for _, s := range stats {
		by[s.Metric] = s
	}
	for i := range out {
		if s, ok := by[out[i].Name]; ok {
			out[i].FirstSample, out[i].LastSample, out[i].SampleCount = s.First, s.Last, int(s.Count)
		}
	}
	return out, nil
}
