package series

import (
	"math"
	"sort"
	"time"
)

// Sample is one stored value with its time span.
type Sample struct {
	SourceID    int64
	Start, End  time.Time
	Value       float64
	UserEntered bool
}

// Acc accumulates one bucket. Total and Sum are compensated sums (Neumaier): a year of buckets adds hundreds
// of thousands of prorated pieces, and plain float addition would carry its rounding error into the answer.
// Read them with total() and sum().
type Acc struct {
	Total float64 // cumulative: the (merged or plain) total, less totalErr
	N     int64   // samples starting in the bucket
	Sum   float64 // sum of the values of those samples, less sumErr
	Min   float64
	Max   float64

	totalErr, sumErr float64 // the low-order parts the additions lost
}

// addComp adds x to the compensated sum (*s, *c).
func addComp(s, c *float64, x float64) {
	t := *s + x
	if math.Abs(*s) >= math.Abs(x) {
		*c += (*s - t) + x
	} else {
		*c += (x - t) + *s
	}
	*s = t
}

func (a *Acc) addTotal(x float64) { addComp(&a.Total, &a.totalErr, x) }

// total is the bucket's total.
func (a *Acc) total() float64 { return a.Total + a.totalErr }

// sum is the sum of the values of the samples that start in the bucket.
func (a *Acc) sum() float64 { return a.Sum + a.sumErr }

func (a *Acc) addStart(v float64) {
	if a.N == 0 || v < a.Min {
		a.Min = v
	}
	if a.N == 0 || v > a.Max {
		a.Max = v
	}
	a.N++
	addComp(&a.Sum, &a.sumErr, v)
}

// merge adds an already aggregated part (hours of the aggregate) to the bucket.
func (a *Acc) merge(total float64, n int64, sum float64, min, max *float64) {
	a.addTotal(total)
	if n == 0 {
		return
	}
	if a.N == 0 || *min < a.Min {
		a.Min = *min
	}
	if a.N == 0 || *max > a.Max {
		a.Max = *max
	}
	a.N += n
	addComp(&a.Sum, &a.sumErr, sum)
}

// add adds another accumulation of the same bucket (a disjoint part of its time).
func (a *Acc) add(b Acc) {
	a.addTotal(b.Total)
	a.addTotal(b.totalErr)
	if b.N == 0 {
		return
	}
	mn, mx := b.Min, b.Max
	a.merge(0, b.N, b.Sum, &mn, &mx)
	addComp(&a.Sum, &a.sumErr, b.sumErr)
}

// Empty reports whether nothing fell in the bucket.
func (a *Acc) Empty() bool { return a.N == 0 && a.total() == 0 }

// bucketOf finds the bucket holding t (edges sorted); -1 when outside.
func bucketOf(edges []time.Time, t time.Time) int {
	i := sort.Search(len(edges), func(i int) bool { return edges[i].After(t) }) - 1
	if i < 0 || i >= len(edges)-1 {
		return -1
	}
	return i
}

func clip(from, to, a, b time.Time) (time.Time, time.Time, bool) {
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	return a, b, b.After(a)
}

// Discrete puts each sample in the bucket of its start (within [from, to)).
func Discrete(samples []Sample, edges []time.Time, from, to time.Time) []Acc {
	acc := make([]Acc, len(edges)-1)
	for _, s := range samples {
		if s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		if i := bucketOf(edges, s.Start); i >= 0 {
			acc[i].addStart(s.Value)
		}
	}
	return acc
}

// spread adds value·(overlap/len) of the interval [a, b) of a sample spanning [s, e) to the buckets it crosses.
func spread(acc []Acc, edges []time.Time, a, b time.Time, density float64) {
	for i := bucketOf(edges, a); i >= 0 && i < len(acc) && edges[i].Before(b); i++ {
		lo, hi, ok := clip(edges[i], edges[i+1], a, b)
		if ok {
			acc[i].addTotal(density * hi.Sub(lo).Seconds())
		}
	}
}

// Sum adds every sample (merge NONE): each spread evenly over [start, end), prorated at bucket edges and
// clipped to [from, to); a sample with start = end counts whole at its instant.
func Sum(samples []Sample, edges []time.Time, from, to time.Time) []Acc {
	acc := make([]Acc, len(edges)-1)
	for _, s := range samples {
		countStart(acc, edges, from, to, s)
		if !s.End.After(s.Start) {
			if !s.Start.Before(from) && s.Start.Before(to) {
				if i := bucketOf(edges, s.Start); i >= 0 {
					acc[i].addTotal(s.Value)
				}
			}
			continue
		}
		if a, b, ok := clip(from, to, s.Start, s.End); ok {
			spread(acc, edges, a, b, s.Value/s.End.Sub(s.Start).Seconds())
		}
	}
	return acc
}

func countStart(acc []Acc, edges []time.Time, from, to time.Time, s Sample) {
	if !s.Start.Before(from) && s.Start.Before(to) {
		if i := bucketOf(edges, s.Start); i >= 0 {
			acc[i].addStart(s.Value)
		}
	}
}

// Merge counts overlapping sources once. The timeline is cut at every sample boundary; in each piece only the
// samples of the best-ranked source covering it count (rank(s) lower is better; the caller ranks
// user-entered samples above every device), each spread evenly over its own span. A sample with start = end
// counts whole at its instant unless a better-ranked source covers that instant. It returns the buckets and
// what each source contributed in [from, to).
func Merge(samples []Sample, rank func(Sample) int, edges []time.Time, from, to time.Time) ([]Acc, map[int64]float64) {
	acc := make([]Acc, len(edges)-1)
	contrib := contributions{}
	events, ranks, maxRank := mergeEvents(acc, samples, rank, edges, from, to)
	cov := newCoverage(maxRank + 1)
	var instants []int
	for k := 0; k < len(events); {
		t := events[k].at
		// Apply everything at t: ends, starts, then the instants (which see the pieces that start at t).
		instants = instants[:0]
		for ; k < len(events) && events[k].at.Equal(t); k++ {
			ev := events[k]
			if ev.kind == eventInstant {
				instants = append(instants, ev.s)
				continue
			}
			cov.apply(ev, ranks[ev.s], samples[ev.s].SourceID)
		}
		if len(instants) > 0 && !t.Before(from) && t.Before(to) {
			countInstants(acc, contrib, samples, ranks, instants, cov.best(), edges, t)
		}
		if k == len(events) {
			break
		}
		if r := cov.best(); r >= 0 {
			if a, b, ok := clip(from, to, t, events[k].at); ok {
				cov.spread(acc, contrib, edges, r, a, b)
			}
		}
	}
	return acc, contrib.totals()
}

// Kinds of merge events, in the order they apply at one time.
const (
	eventEnd = iota
	eventStart
	eventInstant
)

// mergeEvent is a sample's start, end or instant on the merge's timeline.
type mergeEvent struct {
	at    time.Time
	kind  int
	s     int // sample index
	dense float64
}

// mergeEvents ranks the samples, counts their starts into acc, and lists their boundaries in the order the
// sweep applies them.
func mergeEvents(acc []Acc, samples []Sample, rank func(Sample) int, edges []time.Time, from, to time.Time) ([]mergeEvent, []int, int) {
	var events []mergeEvent
	maxRank := 0
	ranks := make([]int, len(samples))
	for i, s := range samples {
		countStart(acc, edges, from, to, s)
		ranks[i] = rank(s)
		if ranks[i] > maxRank {
			maxRank = ranks[i]
		}
		if !s.End.After(s.Start) {
			events = append(events, mergeEvent{at: s.Start, kind: eventInstant, s: i})
			continue
		}
		d := s.Value / s.End.Sub(s.Start).Seconds()
		events = append(events, mergeEvent{at: s.Start, kind: eventStart, s: i, dense: d},
			mergeEvent{at: s.End, kind: eventEnd, s: i, dense: d})
	}
	sort.Slice(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].kind < events[j].kind
	})
	return events, ranks, maxRank
}

// coverage is, per rank, how many samples cover the current piece, the sum of their densities, and the
// densities per source.
type coverage struct {
	active   []int
	density  []float64
	bySource []map[int64]float64
}

func newCoverage(ranks int) *coverage {
	return &coverage{active: make([]int, ranks), density: make([]float64, ranks), bySource: make([]map[int64]float64, ranks)}
}

// apply takes a sample's start or end into the coverage of its rank r.
func (c *coverage) apply(ev mergeEvent, r int, src int64) {
	if ev.kind == eventEnd {
		c.active[r]--
		c.density[r] -= ev.dense
		c.bySource[r][src] -= ev.dense
		if c.active[r] == 0 { // drop the float residue of adding and subtracting
			c.density[r] = 0
			clear(c.bySource[r])
		}
		return
	}
	c.active[r]++
	c.density[r] += ev.dense
	if c.bySource[r] == nil {
		c.bySource[r] = map[int64]float64{}
	}
	c.bySource[r][src] += ev.dense
}

// best is the best rank covering the current piece, -1 when none does.
func (c *coverage) best() int {
	for r, n := range c.active {
		if n > 0 {
			return r
		}
	}
	return -1
}

// spread counts the piece [a, b) for the samples of rank r.
func (c *coverage) spread(acc []Acc, contrib contributions, edges []time.Time, r int, a, b time.Time) {
	// Densities are sums of floats that went up and down: tiny negative residue means zero.
	if c.density[r] > 0 {
		spread(acc, edges, a, b, c.density[r])
	}
	secs := b.Sub(a).Seconds()
	for src, d := range c.bySource[r] {
		if d > 0 {
			contrib.add(src, d*secs)
		}
	}
}

// countInstants counts the best-ranked instant samples at t whole, unless a better rank (covering) covers t.
func countInstants(acc []Acc, contrib contributions, samples []Sample, ranks, instants []int, covering int, edges []time.Time, t time.Time) {
	bestInstant := math.MaxInt
	for _, i := range instants {
		bestInstant = min(bestInstant, ranks[i])
	}
	if covering >= 0 && bestInstant > covering {
		return
	}
	for _, i := range instants {
		if ranks[i] == bestInstant {
			if b := bucketOf(edges, t); b >= 0 {
				acc[b].addTotal(samples[i].Value)
			}
			contrib.add(samples[i].SourceID, samples[i].Value)
		}
	}
}

// contributions are compensated sums per source, as the buckets' totals.
type contributions map[int64]*[2]float64

func (c contributions) add(src int64, x float64) {
	s := c[src]
	if s == nil {
		s = new([2]float64)
		c[src] = s
	}
	addComp(&s[0], &s[1], x)
}

func (c contributions) totals() map[int64]float64 {
	out := make(map[int64]float64, len(c))
	for src, s := range c {
		out[src] = s[0] + s[1]
	}
	return out
}
