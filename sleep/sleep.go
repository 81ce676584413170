// Package sleep assembles sleep sessions from sleep stage samples (category "sleep", canonical values).
// Service (service.go) reads a user's stage samples through db and answers the sessions; the rules do no I/O.
//
// The rules, chosen so that one night stays one session and a nap stays its own:
//
//   - Sessions are built per source. A source's samples, in start order, belong to one session until the next
//     sample starts more than MaxGap after the latest end so far. A watch that records nothing during a
//     40-minute wake-up keeps the night whole; a 14:00 nap after waking at 07:00 is a session of its own.
//   - In-bed samples overlap stage samples by design, so they are never added to stage time. Every duration is
//     the length of a union of intervals, so overlapping samples never count twice.
//   - Per night the highest-priority source wins: a session is dropped when it overlaps a kept session of a
//     higher-priority source. A session nothing higher overlaps is kept (a nap only a sleep app recorded).
//   - Time in bed is the union of the in-bed samples of every source whose session overlaps the kept one (the
//     iPhone's in-bed under the Watch's stages), and the kept session's span only when no source has any.
//   - A session is a nap when it is shorter than NapMaxLength and its local end time lies in [10:00, 20:00).
//   - A session's date is the local date of its end (the day of waking), in the zone its samples recorded.
package sleep

import (
	"sort"
	"time"
)

// Canonical stage values of the sleep category (catalog).
const (
	InBed             = "in_bed"
	AsleepUnspecified = "asleep_unspecified"
	Awake             = "awake"
	AsleepCore        = "asleep_core"
	AsleepDeep        = "asleep_deep"
	AsleepREM         = "asleep_rem"
	AwakeOutOfBed     = "awake_out_of_bed"
	AwakeInBed        = "awake_in_bed"
)

const (
	// MaxGap is the longest stretch without any sample of a source inside one session. Watches leave holes
	// while the wearer is up at night (tens of minutes); a nap follows waking by hours. 90 minutes keeps the
	// first together and the second apart, and does not split a night into fragments scored one by one.
	MaxGap = 90 * time.Minute
	// NapMaxLength: sessions at least this long are nights whatever the hour.
	NapMaxLength = 3 * time.Hour
	// Lookback is how far before a range's start samples are read so that a session ending in the range is
	// whole. A session that began more than this before the range's start is cut at that point.
	Lookback = 24 * time.Hour

	napFirstEnd = 10 * time.Hour // a nap ends at or after 10:00 local …
	napLastEnd  = 20 * time.Hour // … and before 20:00
)

// StageMinutesKey is the metadata key of an asleep sample that stands for a whole night summed up by stage
// ({"asleep": 432, "core": 240, "deep": 72, "rem": 120, "awake": 18}, minutes), as Health Auto Export's
// aggregated sleep sends it: the interval says when the night was, the totals how it was spent.
const StageMinutesKey = "stageMinutes"

// Totals are a night's stage durations recorded as sums, without stage timing.
type Totals struct {
	Asleep, Core, Deep, REM, Awake time.Duration
}

// TotalsFromMinutes reads the value stored under StageMinutesKey; nil when it holds no sleep.
func TotalsFromMinutes(m map[string]float64) *Totals {
	d := func(k string) time.Duration {
		v := m[k]
		if !(v > 0) || v > float64(Lookback/time.Minute) {
			return 0
		}
		return time.Duration(v * float64(time.Minute)).Round(time.Second)
	}
	t := Totals{Asleep: d("asleep"), Core: d("core"), Deep: d("deep"), REM: d("rem"), Awake: d("awake")}
	if t.Asleep == 0 {
		return nil
	}
	return &t
}

// Sample is one stored sleep stage sample.
type Sample struct {
	SourceID   int64
	Stage      string // canonical value
	Start, End time.Time
	TimeZone   string // IANA name, "" = unknown
	// Totals, on an asleep sample, replace the sample's length in the session's durations: its interval spans
	// the night's wake-ups too, and the stages it sums have no place in time.
	Totals *Totals
}

// Segment is a stretch of one stage; consecutive samples of the same stage that touch are one segment.
type Segment struct {
	Stage      string
	Start, End time.Time
}

// Session is one sleep session of one source.
type Session struct {
	SourceID   int64
	Start, End time.Time
	Zone       *time.Location // the samples' zone, else the reader's
	IsNap      bool

	InBed       time.Duration // union of the night's in-bed samples of any source, else the session's span
	Asleep      time.Duration // union of core, deep, REM and unspecified sleep
	Awake       time.Duration // union of awake, awake in bed and out of bed
	Core        time.Duration
	Deep        time.Duration
	REM         time.Duration
	Unspecified time.Duration

	Stages []Segment // stage samples without in-bed, in start order
}

// Date is the local calendar date of waking.
func (s Session) Date() (year int, month time.Month, day int) { return s.End.In(s.Zone).Date() }

// Efficiency is asleep over in bed, capped at 1 (a source's in-bed record can be shorter than its stages).
// ok is false when nothing was in bed.
func (s Session) Efficiency() (e float64, ok bool) {
	if s.InBed <= 0 {
		return 0, false
	}
	return min(1, float64(s.Asleep)/float64(s.InBed)), true
}

// ReadWindow is the interval whose overlapping samples Sessions needs to answer [from, to): Lookback before,
// and MaxGap after, since a sample starting up to MaxGap after a session's end still extends it.
func ReadWindow(from, to time.Time) (start, end time.Time) {
	return from.Add(-Lookback), to.Add(MaxGap)
}

// Sessions returns the sessions ending in [from, to), oldest first, one source per night. priority lists source
// ids highest first; sources missing from it rank last. zone (nil = UTC) is used for sessions whose samples
// carry no time zone.
// Samples with unknown stage values or no duration are ignored.
func Sessions(samples []Sample, priority []int64, zone *time.Location, from, to time.Time) []Session {
	return SessionsLoading(samples, priority, zone, from, to, time.LoadLocation)
}

// SessionsLoading is Sessions with the samples' zones loaded by load (a caller that keeps loaded zones spares
// reading the zone file on every call).
func SessionsLoading(samples []Sample, priority []int64, zone *time.Location, from, to time.Time, load func(string) (*time.Location, error)) []Session {
	bySource := map[int64][]Sample{}
	for _, s := range samples {
		if _, known := stageKind[s.Stage]; known && s.End.After(s.Start) {
			bySource[s.SourceID] = append(bySource[s.SourceID], s)
		}
	}
	if zone == nil {
		zone = time.UTC
	}
	zones := zoneCache{fallback: zone, loaded: map[string]*time.Location{}, load: load}
	var kept, dropped []assembled
	for _, src := range rankSources(bySource, priority) {
		for _, group := range split(bySource[src]) {
			a := assemble(src, group, zones.zoneOf(group))
			if overlapsAny(a.Session, kept) {
				dropped = append(dropped, a)
			} else {
				kept = append(kept, a)
			}
		}
	}
	var out []Session
	for _, k := range kept {
		if !k.End.Before(from) && k.End.Before(to) {
			out = append(out, withNightInBed(k, dropped))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].End.Equal(out[j].End) {
			return out[i].End.Before(out[j].End)
		}
		return out[i].Start.Before(out[j].Start)
	})
	return out
}

type kind int

const (
	kindInBed kind = iota
	kindAsleep
	kindAwake
)

var stageKind = map[string]kind{
	InBed: kindInBed, AsleepUnspecified: kindAsleep, AsleepCore: kindAsleep, AsleepDeep: kindAsleep,
	AsleepREM: kindAsleep, Awake: kindAwake, AwakeInBed: kindAwake, AwakeOutOfBed: kindAwake,
}

// rankSources orders the sources present: those in priority first, in its order, then the rest by id.
func rankSources(bySource map[int64][]Sample, priority []int64) []int64 {
	out := make([]int64, 0, len(bySource))
	seen := map[int64]bool{}
	for _, id := range priority {
		if _, ok := bySource[id]; ok && !seen[id] {
			out = append(out, id)
			seen[id] = true
		}
	}
	var rest []int64
	for id := range bySource {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	return append(out, rest...)
}

// split cuts one source's samples into sessions by the gap rule.
func split(samples []Sample) [][]Sample {
	sort.Slice(samples, func(i, j int) bool {
		if !samples[i].Start.Equal(samples[j].Start) {
			return samples[i].Start.Before(samples[j].Start)
		}
		return samples[i].End.Before(samples[j].End)
	})
	var groups [][]Sample
	var maxEnd time.Time
	for i, s := range samples {
		if i == 0 || s.Start.Sub(maxEnd) > MaxGap {
			groups = append(groups, nil)
			maxEnd = s.End
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], s)
		if s.End.After(maxEnd) {
			maxEnd = s.End
		}
	}
	return groups
}

// assembled is a session with the in-bed intervals it was measured from, which the night's winner may need.
type assembled struct {
	Session
	inBed []span
}

// withNightInBed measures the kept session k's time in bed over the in-bed intervals of every source that
// recorded the same night, as the Health app draws them: since watchOS 9 the Watch writes stages and no in-bed
// samples, while the iPhone writes in-bed and no stages, so the winner's own record alone would make its
// stage span the time in bed. The session's span, date and stages stay the winner's.
func withNightInBed(k assembled, dropped []assembled) Session {
	spans := k.inBed
	for _, d := range dropped {
		if len(d.inBed) > 0 && d.Start.Before(k.End) && k.Start.Before(d.End) {
			spans = append(spans[:len(spans):len(spans)], d.inBed...)
		}
	}
	if len(spans) > len(k.inBed) {
		k.InBed = unionLength(spans)
	}
	return k.Session
}

// assemble measures one session; group is in start order.
func assemble(source int64, group []Sample, zone *time.Location) assembled {
	s := Session{SourceID: source, Start: group[0].Start, End: group[0].End, Zone: zone, Stages: []Segment{}}
	var inBed, asleep, awake []span
	var summed Totals
	perStage := map[string][]span{}
	for _, x := range group {
		if x.End.After(s.End) {
			s.End = x.End
		}
		sp := span{x.Start, x.End}
		switch stageKind[x.Stage] {
		case kindInBed:
			inBed = append(inBed, sp)
			continue
		case kindAsleep:
			if t := x.Totals; t != nil {
				summed.Asleep += t.Asleep
				summed.Core += t.Core
				summed.Deep += t.Deep
				summed.REM += t.REM
				summed.Awake += t.Awake
				break
			}
			asleep = append(asleep, sp)
			perStage[x.Stage] = append(perStage[x.Stage], sp)
		case kindAwake:
			awake = append(awake, sp)
		}
		if n := len(s.Stages); n > 0 && s.Stages[n-1].Stage == x.Stage && !x.Start.After(s.Stages[n-1].End) {
			if x.End.After(s.Stages[n-1].End) {
				s.Stages[n-1].End = x.End
			}
		} else {
			s.Stages = append(s.Stages, Segment{Stage: x.Stage, Start: x.Start, End: x.End})
		}
	}
	if len(inBed) > 0 {
		s.InBed = unionLength(inBed)
	} else {
		s.InBed = s.End.Sub(s.Start)
	}
	s.Asleep, s.Awake = unionLength(asleep)+summed.Asleep, unionLength(awake)+summed.Awake
	s.Core, s.Deep = unionLength(perStage[AsleepCore])+summed.Core, unionLength(perStage[AsleepDeep])+summed.Deep
	s.REM, s.Unspecified = unionLength(perStage[AsleepREM])+summed.REM, unionLength(perStage[AsleepUnspecified])
	if staged := summed.Core + summed.Deep + summed.REM; summed.Asleep > staged {
		s.Unspecified += summed.Asleep - staged
	}
	s.IsNap = isNap(s.End.Sub(s.Start), s.End.In(zone))
	return assembled{s, inBed}
}

// isNap applies the nap rule to a session's length and local end.
func isNap(length time.Duration, localEnd time.Time) bool {
	h, m, sec := localEnd.Clock()
	clock := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
		time.Duration(localEnd.Nanosecond())
	return length < NapMaxLength && clock >= napFirstEnd && clock < napLastEnd
}

func overlapsAny(s Session, kept []assembled) bool {
	for _, k := range kept {
		if s.Start.Before(k.End) && k.Start.Before(s.End) {
			return true
		}
	}
	return false
}

// zoneCache loads each zone name once per call; names that do not load fall back to the reader's zone.
type zoneCache struct {
	fallback *time.Location
	loaded   map[string]*time.Location
	load     func(string) (*time.Location, error)
}

// zoneOf is the zone of the session's latest-ending sample that has one: where the sleeper woke up.
func (c zoneCache) zoneOf(group []Sample) *time.Location {
	var name string
	var at time.Time
	for _, x := range group {
		if x.TimeZone != "" && (name == "" || x.End.After(at)) {
			name, at = x.TimeZone, x.End
		}
	}
	if name == "" {
		return c.fallback
	}
	if loc, ok := c.loaded[name]; ok {
		return loc
	}
	loc, err := c.load(name)
	if err != nil || name == "Local" {
		loc = c.fallback
	}
	c.loaded[name] = loc
	return loc
}
