// Package series computes metric series: local-calendar buckets, sums that count overlapping sources once
// (the priority merge Apple Health performs), and discrete statistics. It works on plain values; the caller
// reads samples or the hourly aggregate from storage.
package series

import (
	"errors"
	"fmt"
	"time"
)

// Bucket is a bucket size.
type Bucket string

const (
	Minute Bucket = "MINUTE"
	Hour   Bucket = "HOUR"
	Day    Bucket = "DAY"
	Week   Bucket = "WEEK"
	Month  Bucket = "MONTH"
	Year   Bucket = "YEAR"
)

// ErrTooManyBuckets is returned when a request would produce more buckets than allowed.
var ErrTooManyBuckets = errors.New("too many buckets")

// floor is the start of the bucket holding t, in loc's calendar.
func floor(t time.Time, b Bucket, loc *time.Location) time.Time {
	l := t.In(loc)
	switch b {
	case Minute:
		return l.Truncate(time.Minute) // zones are whole minutes apart from UTC
	case Hour:
		// The local hour holding t, by the offset in force at t: right for zones whose offset is not whole
		// hours (India, Nepal) and on both sides of a DST change.
		_, off := l.Zone()
		sec := ((t.Unix()+int64(off))%3600 + 3600) % 3600
		return time.Unix(t.Unix()-sec, 0).In(loc)
	case Day:
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	case Week:
		wd := (int(l.Weekday()) + 6) % 7 // Monday = 0
		return time.Date(l.Year(), l.Month(), l.Day()-wd, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	case Year:
		return time.Date(l.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	panic("series: unknown bucket " + string(b))
}

// next is the start of the bucket after the one starting at start.
func next(start time.Time, b Bucket, loc *time.Location) time.Time {
	l := start.In(loc)
	switch b {
	case Minute:
		return start.Add(time.Minute)
	case Hour:
		return start.Add(time.Hour)
	case Day:
		return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	case Week:
		return time.Date(l.Year(), l.Month(), l.Day()+7, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, loc)
	case Year:
		return time.Date(l.Year()+1, 1, 1, 0, 0, 0, 0, loc)
	}
	panic("series: unknown bucket " + string(b))
}

// Edges cuts [from, to) into buckets: edges[0] ≤ from < edges[1] < … and edges[len-1] ≥ to. Bucket i is
// [edges[i], edges[i+1]). It refuses more than max buckets.
func Edges(from, to time.Time, b Bucket, loc *time.Location, max int) ([]time.Time, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("series: empty range")
	}
	if approx := int(to.Sub(from) / approxLen(b)); approx > 2*max+2 {
		return nil, fmt.Errorf("%w: about %d %s buckets; at most %d: ask for a shorter range or a larger bucket", ErrTooManyBuckets, approx, b, max)
	}
	edges := []time.Time{floor(from, b, loc)}
	for edges[len(edges)-1].Before(to) {
		if len(edges) > max {
			return nil, fmt.Errorf("%w: more than %d %s buckets: ask for a shorter range or a larger bucket", ErrTooManyBuckets, max, b)
		}
		edges = append(edges, next(edges[len(edges)-1], b, loc))
	}
	return edges, nil
}

func approxLen(b Bucket) time.Duration {
	switch b {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	case Day:
		return 23 * time.Hour
	case Week:
		return 7*24*time.Hour - time.Hour
	case Month:
		return 28 * 24 * time.Hour
	}
	return 365 * 24 * time.Hour
}

// HourAligned reports whether every edge, and from and to, fall on a UTC hour: then whole UTC hours (the
// hourly aggregate) add up to each bucket exactly.
func HourAligned(edges []time.Time, from, to time.Time) bool {
	on := func(t time.Time) bool { return t.UnixNano()%int64(time.Hour) == 0 }
	if !on(from) || !on(to) {
		return false
	}
	for _, e := range edges {
		if !on(e) {
			return false
		}
	}
	return true
}
