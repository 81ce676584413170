package summary

import (
	"context"
	"time"

	"healthsync/db"
)

// addMindful sets each day's mindful minutes: the phone and the watch often log the same session, so
// overlapping sessions are merged before they count, and a merged session counts on the day it started.
func addMindful(ctx context.Context, tx *db.Tx, days map[time.Time]*Day, start, end time.Time, loc *time.Location) error {
	spans, err := tx.CategorySpans(ctx, "mindful_session", start, end)
	if err != nil {
		return err
	}
	for _, s := range mergeSpans(spans) {
		if s.Start.Before(start) || !s.Start.Before(end) {
			continue
		}
		if day, ok := days[dateOf(s.Start.In(loc))]; ok {
			v := s.End.Sub(s.Start).Minutes()
			if day.MindfulMinutes != nil {
				v += *day.MindfulMinutes
			}
			day.MindfulMinutes = &v
		}
	}
	return nil
}

// mergeSpans joins overlapping spans; spans come sorted by start.
func mergeSpans(spans []db.Interval) []db.Interval {
	var out []db.Interval
	for _, s := range spans {
		if n := len(out); n > 0 && !s.Start.After(out[n-1].End) {
			if s.End.After(out[n-1].End) {
				out[n-1].End = s.End
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
