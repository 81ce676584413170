package series

import (
	"context"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// maxDay is the longest bucket day_buckets holds (its CHECK): a local day is at most 25 hours long (26 where a
// zone moves its clock by two hours).
const maxDay = 26 * time.Hour

// dayCacheable reports whether the day buckets can answer these edges: whole UTC hours, and no day longer than
// the cache holds.
func dayCacheable(edges []time.Time, from, to time.Time) bool {
	if !HourAligned(edges, from, to) {
		return false
	}
	for i := 1; i < len(edges); i++ {
		if edges[i].Sub(edges[i-1]) > maxDay {
			return false
		}
	}
	return true
}

// DayBuckets computes DAY buckets (edges for which dayCacheable holds) of
// several metrics, all sources, from the day_buckets cache: one statement when every day is cached. Days it
// lacks are computed from the hourly aggregate, and for merged cumulative metrics from the merged cache (filled
// first where it lacks hours), under the user's fill lock, and stored. The result is per metric, aligned with
// edges.
func DayBuckets(ctx context.Context, tx *db.Tx, metrics []catalog.Metric, merge MergeMode, edges []time.Time, from, to time.Time) ([][]Acc, error) {
	nb := len(edges) - 1
	// The cache holds the intervals asked for: the first and last days clipped to [from, to).
	starts, ends := make([]time.Time, nb), make([]time.Time, nb)
	for i := range nb {
		starts[i], ends[i], _ = clip(from, to, edges[i], edges[i+1])
	}
	names := make([]string, len(metrics))
	byName := make(map[string]int, len(metrics))
	for i, m := range metrics {
		names[i], byName[m.Name] = m.Name, i
	}
	merged := func(m catalog.Metric) bool { return m.Aggregation == catalog.Cumulative && merge != MergeNone }
	acc := make([][]Acc, len(metrics))
	have := make([][]bool, len(metrics))
	for i := range metrics {
		acc[i], have[i] = make([]Acc, nb), make([]bool, nb)
	}
	add := func(r db.DayBucketRow) {
		i, ok := byName[r.Metric]
		if !ok {
			return
		}
		b := bucketOf(edges, r.Start)
		if b < 0 || have[i][b] || !r.Start.Equal(starts[b]) || !r.End.Equal(ends[b]) {
			return // another zone's day, or a clipped one of another request
		}
		total := r.Prorated
		if merged(metrics[i]) {
			if r.Merged == nil {
				return // cached by an unmerged read: the merged total is still to compute
			}
			total = *r.Merged
		}
		have[i][b] = true
		acc[i][b].merge(total, r.N, r.SumStart, r.Min, r.Max)
	}
	rows, err := tx.DayBuckets(ctx, names, starts[0], to)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		add(r)
	}
	locked := false
	for i, m := range metrics {
		var ms, me []time.Time
		for b := range nb {
			if !have[i][b] {
				ms, me = append(ms, starts[b]), append(me, ends[b])
			}
		}
		if len(ms) == 0 {
			continue
		}
		if !locked {
			if err := tx.LockMergedFill(ctx); err != nil {
				return nil, err
			}
			locked = true
		}
		if merged(m) {
			// Under the lock: a concurrent fill may have done it, a write may have emptied more.
			missing, err := tx.MissingMergedHours(ctx, m.Name, ms[0], me[len(me)-1])
			if err != nil {
				return nil, err
			}
			if err := fillMerged(ctx, tx, m.Name, missing); err != nil {
				return nil, err
			}
		}
		filled, err := tx.FillDayBuckets(ctx, m.Name, ms, me, merged(m))
		if err != nil {
			return nil, err
		}
		for _, r := range filled {
			add(r)
		}
	}
	return acc, nil
}

// DailyPoints is the DAY series of each metric over [from, to) in loc, merged by priority, computed together: a
// page that shows several metrics per day reads the cached days of all of them in one statement. Zones whose
// days do not start on UTC hours take SeriesTx's path per metric.
func (s *Service) DailyPoints(ctx context.Context, tx *db.Tx, metrics []string, from, to time.Time, loc *time.Location) ([][]Point, error) {
	ms := make([]catalog.Metric, len(metrics))
	for i, name := range metrics {
		m, err := s.metric(name)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	out := make([][]Point, len(ms))
	edges, err := Edges(from, to, Day, loc, MaxBuckets)
	if err != nil {
		return nil, err
	}
	if !dayCacheable(edges, from, to) {
		for i, m := range ms {
			res, err := s.SeriesTx(ctx, tx, Request{Metric: m.Name, From: from, To: to, Bucket: Day, TimeZone: loc.String(), Merge: MergePriority})
			if err != nil {
				return nil, err
			}
			out[i] = res.Points
		}
		return out, nil
	}
	acc, err := DayBuckets(ctx, tx, ms, MergePriority, edges, from, to)
	if err != nil {
		return nil, err
	}
	for i, m := range ms {
		out[i] = points(acc[i], edges, from, to, m)
	}
	return out, nil
}
