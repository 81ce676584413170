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
	// Per source: a compensated sum, as the buckets' totals.
	contrib := map[int64]*[2]float64{}
	addContrib := func(src int64, x float64) {
		c := contrib[src]
		if c == nil {
			c = new([2]float64)
			contrib[src] = c
		}
		addComp(&c[0], &c[1], x)
	}
	type event struct {
		at    time.Time
		kind  int // 0 end, 1 start, 2 instant: the order they apply at one time
		s     int // sample index
		dense float64
	}
	var events []event
	maxRank := 0
	ranks := make([]int, len(samples))
	for i, s := range samples {
		countStart(acc, edges, from, to, s)
		ranks[i] = rank(s)
		if ranks[i] > maxRank {
			maxRank = ranks[i]
		}
		if !s.End.After(s.Start) {
			events = append(events, event{at: s.Start, kind: 2, s: i})
			continue
		}
		d := s.Value / s.End.Sub(s.Start).Seconds()
		events = append(events, event{at: s.Start, kind: 1, s: i, dense: d}, event{at: s.End, kind: 0, s: i, dense: d})
	}
	sort.Slice(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].kind < events[j].kind
	})
	// Per rank: how many samples cover the current piece, the sum of their densities, and per source.
	active := make([]int, maxRank+1)
	density := make([]float64, maxRank+1)
	bySource := make([]map[int64]float64, maxRank+1)
	best := func() int {
		for r, n := range active {
			if n > 0 {
				return r
			}
		}
		return -1
	}
	for k := 0; k < len(events); {
		t := events[k].at
		// Apply everything at t: ends, starts, then the instants (which see the pieces that start at t).
		var instants []int
		for ; k < len(events) && events[k].at.Equal(t); k++ {
			ev := events[k]
			r := ranks[ev.s]
			switch ev.kind {
			case 0:
				active[r]--
				density[r] -= ev.dense
				bySource[r][samples[ev.s].SourceID] -= ev.dense
				if active[r] == 0 { // drop the float residue of adding and subtracting
					density[r] = 0
					clear(bySource[r])
				}
			case 1:
				active[r]++
				density[r] += ev.dense
				if bySource[r] == nil {
					bySource[r] = map[int64]float64{}
				}
				bySource[r][samples[ev.s].SourceID] += ev.dense
			case 2:
				instants = append(instants, ev.s)
			}
		}
		if len(instants) > 0 && !t.Before(from) && t.Before(to) {
			covering := best()
			bestInstant := math.MaxInt
			for _, i := range instants {
				bestInstant = min(bestInstant, ranks[i])
			}
			if covering < 0 || bestInstant <= covering {
				for _, i := range instants {
					if ranks[i] == bestInstant {
						if b := bucketOf(edges, t); b >= 0 {
							acc[b].addTotal(samples[i].Value)
						}
						addContrib(samples[i].SourceID, samples[i].Value)
					}
				}
			}
		}
		if k == len(events) {
			break
		}
		r := best()
		if r < 0 {
			continue
		}
		a, b, ok := clip(from, to, t, events[k].at)
		if !ok {
			continue
		}
		// Densities are sums of floats that went up and down: tiny negative residue means zero.
		if density[r] > 0 {
			spread(acc, edges, a, b, density[r])
		}
		secs := b.Sub(a).Seconds()
		for src, d := range bySource[r] {
			if d > 0 {
				addContrib(src, d*secs)
			}
		}
	}
	out := make(map[int64]float64, len(contrib))
	for src, c := range contrib {
		out[src] = c[0] + c[1]
	}
	return acc, out
}
