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

// Location resolves a read's time zone: the one asked for, else the user's latest device's, else UTC; each
// zone is loaded once per process.
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
	res.Points = points(acc, edges, req.From, req.To, m)
	return res, nil
}

// compute picks the cheapest path that gives exactly the raw answer. Whenever bucket edges are whole UTC hours,
// the whole buckets inside the range come from the aggregates: cached day buckets serve whole local days of all
// sources, the hourly aggregate serves discrete metrics and unmerged sums, the merged cache the priority merge.
// Only what lies outside them is read from raw samples: the clipped first and last day of a DAY series, the
// parts of an hour before the first and after the last whole hour of the others (a range from "now − 365 days"
// to "now" has both). Every computation is additive over disjoint time intervals (discrete statistics count
// samples by their start, sums and the merge spread each sample over its own span), so the parts add up to
// the raw answer. Minutes, zones with half-hour offsets and merged series of some sources read raw samples.
func (s *Service) compute(ctx context.Context, tx *db.Tx, m catalog.Metric, req Request, edges []time.Time, loc *time.Location) (Path, []Acc, error) {
	merged := m.Aggregation == catalog.Cumulative && req.Merge == MergePriority
	cached := !req.forceRaw && req.Bucket != Minute && onHours(edges) && (!merged || req.Sources == nil)
	if !cached {
		return s.raw(ctx, tx, m, req, edges)
	}
	// [lo, hi) is what the aggregates serve: whole days for DAY (of all sources), whole hours otherwise.
	var lo, hi time.Time
	days := req.Bucket == Day && req.Sources == nil && dayCacheable(edges, edges[0], edges[len(edges)-1])
	if days {
		lo, hi = wholeBuckets(edges, req.From, req.To)
	} else {
		lo, hi = ceilHour(req.From), req.To.Truncate(time.Hour)
	}
	acc := make([]Acc, len(edges)-1)
	if !lo.Before(hi) { // no whole day or hour inside the range
		return s.raw(ctx, tx, m, req, edges)
	}
	var path Path
	switch {
	case days:
		// Whole days only, so the cache never holds a day clipped at some request's "now".
		a, b := bucketOf(edges, lo), bucketOf(edges, hi.Add(-time.Nanosecond))+1
		got, err := DayBuckets(ctx, tx, []catalog.Metric{m}, req.Merge, edges[a:b+1], lo, hi)
		if err != nil {
			return "", nil, err
		}
		for i, g := range got[0] {
			acc[a+i].add(g)
		}
		path = PathDayBuckets
	case !merged:
		rows, err := tx.HourlyBuckets(ctx, m.Name, lo, hi, req.Sources, truncUnit[req.Bucket], loc.String())
		if err != nil {
			return "", nil, err
		}
		addBuckets(acc, rows, edges)
		path = PathHourly
	default:
		if err := s.fromMergedCache(ctx, tx, m, lo, hi, edges, loc, req.Bucket, acc); err != nil {
			return "", nil, err
		}
		path = PathMergedCache
	}
	var ends []db.Span
	if req.From.Before(lo) {
		ends = append(ends, db.Span{From: req.From, To: lo})
	}
	if hi.Before(req.To) {
		ends = append(ends, db.Span{From: hi, To: req.To})
	}
	if len(ends) > 0 {
		if err := s.addRaw(ctx, tx, m, req, edges, ends, acc); err != nil {
			return "", nil, err
		}
	}
	return path, acc, nil
}

// addRaw adds what the raw samples give in each of the (at most two, disjoint) spans to acc, the buckets of
// edges. The samples of both are read in one statement.
func (s *Service) addRaw(ctx context.Context, tx *db.Tx, m catalog.Metric, req Request, edges []time.Time, spans []db.Span, acc []Acc) error {
	if m.Aggregation == catalog.Discrete {
		// Discrete statistics count a sample where it starts: the samples that started earlier do not matter
		// (finding those that reach into a span would scan up to a month of index), and each span lies in one
		// bucket, so its statistics are summed in SQL.
		stats, err := tx.StartStatsIn(ctx, m.Name, spans, req.Sources)
		if err != nil {
			return err
		}
		for i, st := range stats {
			if b := bucketOf(edges, spans[i].From); b >= 0 && st.N > 0 {
				acc[b].merge(0, st.N, st.Sum, st.Min, st.Max)
			}
		}
		return nil
	}
	rows, err := tx.SamplesOverlappingIn(ctx, m.Name, spans, req.Sources)
	if err != nil {
		return err
	}
	// Samples of one span that reach into the other add nothing there: every part is clipped to its span.
	samples := toSamples(rows)
	if req.Merge == MergeNone {
		for _, sp := range spans {
			addAll(acc, Sum(samples, edges, sp.From, sp.To))
		}
		return nil
	}
	rank, err := ranker(ctx, tx, m.Name)
	if err != nil {
		return err
	}
	for _, sp := range spans {
		part, _ := Merge(samples, rank, edges, sp.From, sp.To)
		addAll(acc, part)
	}
	return nil
}

// raw computes the whole range from raw samples.
func (s *Service) raw(ctx context.Context, tx *db.Tx, m catalog.Metric, req Request, edges []time.Time) (Path, []Acc, error) {
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

func addAll(acc, part []Acc) {
	for i := range part {
		acc[i].add(part[i])
	}
}

// onHours reports whether every edge falls on a UTC hour (false for zones with half-hour offsets).
func onHours(edges []time.Time) bool {
	for _, e := range edges {
		if e.UnixNano()%int64(time.Hour) != 0 {
			return false
		}
	}
	return true
}

// ceilHour is the first UTC hour at or after t.
func ceilHour(t time.Time) time.Time {
	h := t.Truncate(time.Hour)
	if h.Before(t) {
		h = h.Add(time.Hour)
	}
	return h
}

// wholeBuckets is the span of the buckets that lie entirely inside [from, to): from the first edge at or after
// from to the last edge at or before to (lo ≥ hi when there is none).
func wholeBuckets(edges []time.Time, from, to time.Time) (lo, hi time.Time) {
	i := sort.Search(len(edges), func(i int) bool { return !edges[i].Before(from) })
	j := sort.Search(len(edges), func(j int) bool { return edges[j].After(to) }) - 1
	if i >= len(edges) || j < 0 || j <= i {
		return from, from
	}
	return edges[i], edges[j]
}

// fromMergedCache adds a merged series over the whole hours [from, to) from the merged_hourly cache to acc,
// first computing (from raw samples, under the user's fill lock) the hours that hold samples but no cached
// total. Counts and min/max come from the hourly aggregate, as on the other paths.
func (s *Service) fromMergedCache(ctx context.Context, tx *db.Tx, m catalog.Metric, from, to time.Time, edges []time.Time, loc *time.Location, bucket Bucket, acc []Acc) error {
	unit, zone := truncUnit[bucket], loc.String()
	rows, err := tx.MergedStatsBuckets(ctx, m.Name, from, to, unit, zone)
	if err != nil {
		return err
	}
	if anyMissing(rows) {
		if err := tx.LockMergedFill(ctx); err != nil {
			return err
		}
		// Under the lock: a concurrent fill may have done it, a write may have emptied more.
		missing, err := tx.MissingMergedHours(ctx, m.Name, from, to)
		if err != nil {
			return err
		}
		if err := fillMerged(ctx, tx, m.Name, missing); err != nil {
			return err
		}
		if rows, err = tx.MergedStatsBuckets(ctx, m.Name, from, to, unit, zone); err != nil {
			return err
		}
	}
	for _, r := range rows {
		i := bucketOf(edges, r.Start)
		if i < 0 {
			continue
		}
		acc[i].merge(r.Total, r.N, r.SumStart, r.Min, r.Max)
	}
	return nil
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
		values[i] = acc[int(h.Sub(lo)/time.Hour)].total()
	}
	return tx.PutMergedHours(ctx, metric, hours, values)
}

// ranker ranks samples for the merge: user-entered first, then the user's source order. The sources and the
// stored order are read in one round trip (the clipped ends of a rolling range pay for it on every read).
func ranker(ctx context.Context, tx *db.Tx, metric string) (func(Sample) int, error) {
	prelude, err := tx.ReadPrelude(ctx, false, []string{metric})
	if err != nil {
		return nil, err
	}
	ranks := priority.Ranks(OrderedFrom(prelude.Sources, prelude.Priorities, metric)[metric])
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
	return priority.Ordered(ctx, tx, metric)
}

// OrderedFrom is OrderedSourcesFor over sources and stored orders already read (db.Tx.ReadPrelude).
func OrderedFrom(all []db.Source, custom map[string][]int64, metrics ...string) map[string][]db.Source {
	out := make(map[string][]db.Source, len(metrics))
	for _, m := range metrics {
		out[m] = priority.Order(all, custom[m])
	}
	return out
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

// addBuckets adds the hourly aggregate's calendar buckets to acc.
func addBuckets(acc []Acc, rows []db.BucketRow, edges []time.Time) {
	for _, r := range rows {
		i := bucketOf(edges, r.Start)
		if i < 0 {
			continue
		}
		acc[i].merge(r.Prorated, r.N, r.SumStart, r.Min, r.Max)
	}
}

// points turns buckets into the answer: totals and sums rounded to the metric's resolution (what every path,
// cached or raw, answers alike), the average of a discrete metric from its rounded sum.
func points(acc []Acc, edges []time.Time, from, to time.Time, m catalog.Metric) []Point {
	var out []Point
	for i := range acc {
		a := &acc[i]
		if a.N == 0 && a.total() == 0 {
			continue
		}
		start, end, _ := clip(from, to, edges[i], edges[i+1])
		p := Point{Start: start, End: end, Count: a.N}
		sum := m.Round(a.sum())
		if a.N > 0 {
			mn, mx, avg := a.Min, a.Max, sum/float64(a.N)
			p.Min, p.Max, p.Avg = &mn, &mx, &avg
		}
		if m.Aggregation == catalog.Discrete {
			if a.N == 0 {
				continue
			}
			p.Value, p.Sum = *p.Avg, sum
		} else {
			total := m.Round(a.total())
			p.Value, p.Sum = total, total
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
				total, c := m.Round(acc[0].total()), m.Round(contrib[src.ID])
				sh.Count, sh.Total, sh.Contribution = acc[0].N, &total, &c
			} else {
				acc := Discrete(mine, edges, from, to)
				sh.Count = acc[0].N
				if acc[0].N > 0 {
					avg := m.Round(acc[0].sum()) / float64(acc[0].N)
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
