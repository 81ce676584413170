package sleep

import (
	"sort"
	"time"
)

// span is a half-open time interval [start, end).
type span struct{ start, end time.Time }

// unionLength is the time covered by at least one span: overlapping samples of one stage (two apps' worth of
// the same record, a re-upload under a new id) count once.
func unionLength(spans []span) time.Duration {
	if len(spans) == 0 {
		return 0
	}
	s := append([]span(nil), spans...)
	sort.Slice(s, func(i, j int) bool { return s[i].start.Before(s[j].start) })
	var total time.Duration
	cur := s[0]
	for _, x := range s[1:] {
		if x.start.After(cur.end) {
			total += cur.end.Sub(cur.start)
			cur = x
			continue
		}
		if x.end.After(cur.end) {
			cur.end = x.end
		}
	}
	return total + cur.end.Sub(cur.start)
}
