package series

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/priority"
)

// MaxBuckets bounds one series request.
const MaxBuckets = 10000

// ErrInvalid is a request the caller must fix; the message says how.
var ErrInvalid = errors.New("invalid series request")

// Merge says how overlapping sources combine.
type MergeMode string

const (
	MergePriority MergeMode = "PRIORITY"
	MergeNone     MergeMode = "NONE"
)

// Path names how a series was computed, for tests and logs.
type Path string

const (
	PathHourly Path = "hourly_aggregate"
	PathRaw    Path = "raw_samples"
	// PathMergedCache reads merged hourly totals, computing the hours it lacks from raw samples first.
	PathMergedCache Path = "merged_cache"
	// PathDayBuckets reads cached local-day totals, computing the days it lacks from the hourly aggregate (and
	// the merged cache) first.
	PathDayBuckets Path = "day_buckets"
)

// Request is one series query.
type Request struct {
	Metric   string
	From, To time.Time
	Bucket   Bucket
	TimeZone string  // "" = the user's latest device zone, else UTC
	Sources  []int64 // nil = all
	Merge    MergeMode

	forceRaw bool // tests: compute from raw samples even where the aggregate would do
}

// Point is one non-empty bucket.
type Point struct {
	Start, End    time.Time
	Value         float64
	Count         int64
	Sum           float64
	Min, Max, Avg *float64
}

// Result is a computed series.
type Result struct {
	Metric   catalog.Metric
	Bucket   Bucket
	TimeZone string
	Merge    MergeMode
	Path     Path
	Points   []Point
}

// Service answers series and source-breakdown queries.
type Service struct {
	store *db.Store
	cat   *catalog.Catalog
	zones sync.Map // IANA name → *time.Location: LoadLocation reads and parses the zone file on every call
}

// NewService wires the read side.
func NewService(store *db.Store, cat *catalog.Catalog) *Service {
	return &Service{store: store, cat: cat}
}

// Location resolves a read's time zone: the one asked for, else the user's latest device's, else UTC.
func Location(ctx context.Context, tx *db.Tx, asked string) (*time.Location, error) {
	return location(ctx, tx, asked, time.LoadLocation)
}

// Location is the package's Location with each zone loaded once per process.
func (s *Service) Location(ctx context.Context, tx *db.Tx, asked string) (*time.Location, error) {
	return location(ctx, tx, asked, s.LoadZone)
}

// LoadZone is time.LoadLocation, remembered per name for the process.
func (s *Service) LoadZone(name string) (*time.Location, error) {
	if loc, ok := s.zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		s.zones.Store(name, loc)
	}
	return loc, err
}

func location(ctx context.Context, tx *db.Tx, asked string, load func(string) (*time.Location, error)) (*time.Location, error) {
	name := asked
	if name == "" {
		var err error
		if name, err = tx.LatestDeviceTimeZone(ctx); err != nil {
			return nil, err
		}
	}
	return zone(name, load)
}

// Zone is Location for a zone name the caller has already resolved: the one asked for, else the latest
// device's as read with db.Tx.ReadPrelude ("" = UTC).
func (s *Service) Zone(name string) (*time.Location, error) {
	return zone(name, s.LoadZone)
}

func zone(name string, load func(string) (*time.Location, error)) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("%w: time zone %q is not an IANA zone name such as Europe/Zurich", ErrInvalid, name)
	}
	loc, err := load(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q is not an IANA zone name such as Europe/Zurich", ErrInvalid, name)
	}
	return loc, nil
}

func (s *Service) metric(name string) (catalog.Metric, error) {
	m, ok := s.cat.Lookup(name)
	if !ok {
		return m, fmt.Errorf("%w: unknown metric %q; the metrics query lists them", ErrInvalid, name)
	}
	return m, nil
}

// Series computes one series in its own transaction of the user.
func (s *Service) Series(ctx context.Context, userID int64, req Request) (Result, error) {
	var res Result
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		res, err = s.SeriesTx(ctx, tx, req)
		return err
	})
	return res, err
}

// SeriesTx computes one series inside the caller's user transaction (a dashboard's several series share one).
func (s *Service) SeriesTx(ctx context.Context, tx *db.Tx, req Request) (Result, error) {
	m, err := s.metric(req.Metric)
	if err != nil {
		return Result{}, err
	}
	if !req.To.After(req.From) {
		return Result{}, fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	if req.Merge == "" {
		req.Merge = MergePriority
	}
	res := Result{Metric: m, Bucket: req.Bucket, Merge: req.Merge}
	loc, err := s.Location(ctx, tx, req.TimeZone)
	if err != nil {
		return Result{}, err
	}
	res.TimeZone = loc.String()
	edges, err := Edges(req.From, req.To, req.Bucket, loc, MaxBuckets)
	if errors.Is(err, ErrTooManyBuckets) {
		return Result{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err != nil {
		return Result{}, err
	}
	var acc []Acc
	if res.Path, acc, err = s.compute(ctx, tx, m, req, edges, loc); err != nil {
		return Result{}, err
	}
	res.Points = points(acc, edges, req.From, req.To, m.Aggregation)
	return res, nil
}

// compute picks the cheapest path that gives exactly the raw answer: whenever buckets are whole UTC hours, the
// cached day buckets serve local days of all sources, the hourly aggregate serves discrete metrics and unmerged
// sums, the merged cache the priority merge; minutes and zones with half-hour offsets read raw samples.
func (s *Service) compute(ctx context.Context, tx *db.Tx, m catalog.Metric, req Request, edges []time.Time, loc *time.Location) (Path, []Acc, error) {
	if !req.forceRaw && req.Bucket == Day && req.Sources == nil && dayCacheable(edges, req.From, req.To) {
		acc, err := DayBuckets(ctx, tx, []catalog.Metric{m}, req.Merge, edges, req.From, req.To)
		if err != nil {
			return "", nil, err
		}
		return PathDayBuckets, acc[0], nil
	}
	useHourly := !req.forceRaw && req.Bucket != Minute && HourAligned(edges, req.From, req.To) &&
		(m.Aggregation == catalog.Discrete || req.Merge == MergeNone)
	if useHourly {
		rows, err := tx.HourlyBuckets(ctx, m.Name, req.From, req.To, req.Sources, truncUnit[req.Bucket], loc.String())
		if err != nil {
			return "", nil, err
		}
		return PathHourly, fromBuckets(rows, edges), nil
	}
	if !req.forceRaw && req.Bucket != Minute && HourAligned(edges, req.From, req.To) && req.Sources == nil &&
		m.Aggregation == catalog.Cumulative && req.Merge == MergePriority {
		acc, err := s.fromMergedCache(ctx, tx, m, req, edges, loc)
		return PathMergedCache, acc, err
	}
	rows, err := tx.SamplesOverlapping(ctx, m.Name, req.From, req.To, req.Sources)
	if err != nil {
		return "", nil, err
	}
	samples := toSamples(rows)
	switch {
	case m.Aggregation == catalog.Discrete:
		return PathRaw, Discrete(samples, edges, req.From, req.To), nil
	case req.Merge == MergeNone:
		return PathRaw, Sum(samples, edges, req.From, req.To), nil
	}
	rank, err := ranker(ctx, tx, m.Name)
	if err != nil {
		return "", nil, err
	}
	acc, _ := Merge(samples, rank, edges, req.From, req.To)
	return PathRaw, acc, nil
}

// fromMergedCache answers a merged series from the merged_hourly cache, first computing (from raw samples,
// under the user's fill lock) the hours that hold samples but no cached total. Counts and min/max come from the
// hourly aggregate, as on the other paths.
func (s *Service) fromMergedCache(ctx context.Context, tx *db.Tx, m catalog.Metric, req Request, edges []time.Time, loc *time.Location) ([]Acc, error) {
	unit, zone := truncUnit[req.Bucket], loc.String()
	rows, err := tx.MergedStatsBuckets(ctx, m.Name, req.From, req.To, unit, zone)
	if err != nil {
		return nil, err
	}
	if anyMissing(rows) {
		if err := tx.LockMergedFill(ctx); err != nil {
			return nil, err
		}
		// Under the lock: a concurrent fill may have done it, a write may have emptied more.
		missing, err := tx.MissingMergedHours(ctx, m.Name, req.From, req.To)
		if err != nil {
			return nil, err
		}
		if err := fillMerged(ctx, tx, m.Name, missing); err != nil {
			return nil, err
		}
		if rows, err = tx.MergedStatsBuckets(ctx, m.Name, req.From, req.To, unit, zone); err != nil {
			return nil, err
		}
	}
	acc := make([]Acc, len(edges)-1)
	for _, r := range rows {
		i := bucketOf(edges, r.Start)
		if i < 0 {
			continue
		}
		acc[i].merge(r.Total, r.N, r.SumStart, r.Min, r.Max)
	}
	return acc, nil
}

func anyMissing(rows []db.MergedStatsBucket) bool {
	for _, r := range rows {
		if r.Missing > 0 {
			return true
		}
	}
	return false
}

// fillMerged computes and stores the merged totals of the given (sorted) UTC hours. Hours far apart (a
// deletion a year back and today's upload) are filled as separate runs, so nothing between them is read.
func fillMerged(ctx context.Context, tx *db.Tx, metric string, hours []time.Time) error {
	const gap = 24 * time.Hour
	for start := 0; start < len(hours); {
		end := start + 1
		for end < len(hours) && hours[end].Sub(hours[end-1]) <= gap {
			end++
		}
		if err := fillMergedRun(ctx, tx, metric, hours[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func fillMergedRun(ctx context.Context, tx *db.Tx, metric string, hours []time.Time) error {
	lo, hi := hours[0], hours[len(hours)-1].Add(time.Hour)
	rows, err := tx.SamplesOverlapping(ctx, metric, lo, hi, nil)
	if err != nil {
		return err
	}
	rank, err := ranker(ctx, tx, metric) // per run: a few statements, only on the rare cold path
	if err != nil {
		return err
	}
	edges := make([]time.Time, 0, int(hi.Sub(lo)/time.Hour)+1)
	for h := lo; !h.After(hi); h = h.Add(time.Hour) {
		edges = append(edges, h)
	}
	acc, _ := Merge(toSamples(rows), rank, edges, lo, hi)
	values := make([]float64, len(hours))
	for i, h := range hours {
		values[i] = acc[int(h.Sub(lo)/time.Hour)].Total
	}
	return tx.PutMergedHours(ctx, metric, hours, values)
}

// ranker ranks samples for the merge: user-entered first, then the user's source order.
func ranker(ctx context.Context, tx *db.Tx, metric string) (func(Sample) int, error) {
	ordered, err := OrderedSources(ctx, tx, metric)
	if err != nil {
		return nil, err
	}
	ranks := priority.Ranks(ordered)
	return func(s Sample) int {
		if s.UserEntered {
			return 0
		}
		r, ok := ranks[s.SourceID]
		if !ok { // a source created after the order was read: last
			return len(ranks) + 1
		}
		return r + 1
	}, nil
}

// OrderedSources is the user's sources in priority order for metric.
func OrderedSources(ctx context.Context, tx *db.Tx, metric string) ([]db.Source, error) {
	all, err := tx.Sources(ctx)
	if err != nil {
		return nil, err
	}
	custom, err := tx.SourcePriority(ctx, metric)
	if err != nil {
		return nil, err
	}
	return priority.Order(all, custom), nil
}

// OrderedFrom is OrderedSourcesFor over sources and stored orders already read (db.Tx.ReadPrelude).
func OrderedFrom(all []db.Source, custom map[string][]int64, metrics ...string) map[string][]db.Source {
	out := make(map[string][]db.Source, len(metrics))
	for _, m := range metrics {
		out[m] = priority.Order(all, custom[m])
	}
	return out
}

// OrderedSourcesFor is OrderedSources for several metrics (or the scopes sleep and workout) in two statements.
func OrderedSourcesFor(ctx context.Context, tx *db.Tx, metrics ...string) (map[string][]db.Source, error) {
	all, err := tx.Sources(ctx)
	if err != nil {
		return nil, err
	}
	custom, err := tx.SourcePriorities(ctx, metrics)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]db.Source, len(metrics))
	for _, m := range metrics {
		out[m] = priority.Order(all, custom[m])
	}
	return out, nil
}

func toSamples(rows []db.SpanRow) []Sample {
	out := make([]Sample, len(rows))
	for i, r := range rows {
		out[i] = Sample{SourceID: r.SourceID, Start: r.Start, End: r.End, Value: r.Value, UserEntered: r.UserEntered}
	}
	return out
}

// truncUnit names each bucket for PostgreSQL's date_trunc (whose weeks start on Monday, like ours).
var truncUnit = map[Bucket]string{Hour: "hour", Day: "day", Week: "week", Month: "month", Year: "year"}

func fromBuckets(rows []db.BucketRow, edges []time.Time) []Acc {
	acc := make([]Acc, len(edges)-1)
	for _, r := range rows {
		i := bucketOf(edges, r.Start)
		if i < 0 {
			continue
		}
		acc[i].merge(r.Prorated, r.N, r.SumStart, r.Min, r.Max)
	}
	return acc
}

func points(acc []Acc, edges []time.Time, from, to time.Time, agg catalog.Aggregation) []Point {
	var out []Point
	for i, a := range acc {
		if a.N == 0 && a.Total == 0 {
			continue
		}
		start, end, _ := clip(from, to, edges[i], edges[i+1])
		p := Point{Start: start, End: end, Count: a.N}
		if a.N > 0 {
			mn, mx, avg := a.Min, a.Max, a.Sum/float64(a.N)
			p.Min, p.Max, p.Avg = &mn, &mx, &avg
		}
		if agg == catalog.Discrete {
			if a.N == 0 {
				continue
			}
			p.Value, p.Sum = *p.Avg, a.Sum
		} else {
			p.Value, p.Sum = a.Total, a.Total
		}
		out = append(out, p)
	}
	return out
}

// Share is one source's part of a metric in a range.
type Share struct {
	Source       db.Source
	Priority     int // 1 = highest
	Count        int64
	Total        *float64
	Average      *float64
	First, Last  time.Time
	Contribution *float64
}

// Breakdown lists, per source with data in [from, to), its samples, its own total or average, and for
// cumulative metrics what it contributed to the merged total. Highest priority first.
func (s *Service) Breakdown(ctx context.Context, userID int64, metric string, from, to time.Time) ([]Share, error) {
	m, err := s.metric(metric)
	if err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	var out []Share
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		out = nil
		rows, err := tx.SamplesOverlapping(ctx, m.Name, from, to, nil)
		if err != nil {
			return err
		}
		ordered, err := OrderedSources(ctx, tx, m.Name)
		if err != nil {
			return err
		}
		samples := toSamples(rows)
		edges := []time.Time{from, to}
		var contrib map[int64]float64
		if m.Aggregation == catalog.Cumulative {
			rank, err := ranker(ctx, tx, m.Name)
			if err != nil {
				return err
			}
			_, contrib = Merge(samples, rank, edges, from, to)
		}
		bySource := map[int64][]Sample{}
		for _, smp := range samples {
			bySource[smp.SourceID] = append(bySource[smp.SourceID], smp)
		}
		for i, src := range ordered {
			mine := bySource[src.ID]
			if len(mine) == 0 {
				continue
			}
			sh := Share{Source: src, Priority: i + 1, First: mine[0].Start}
			for _, smp := range mine {
				if smp.End.After(sh.Last) {
					sh.Last = smp.End
				}
			}
			if m.Aggregation == catalog.Cumulative {
				acc := Sum(mine, edges, from, to)
				total, c := acc[0].Total, contrib[src.ID]
				sh.Count, sh.Total, sh.Contribution = acc[0].N, &total, &c
			} else {
				acc := Discrete(mine, edges, from, to)
				sh.Count = acc[0].N
				if acc[0].N > 0 {
					avg := acc[0].Sum / float64(acc[0].N)
					sh.Average = &avg
				}
			}
			out = append(out, sh)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
		return nil
	})
	return out, err
}
