package workouts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/priority"
)

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid workouts request")

// PageRequest asks for one page of workouts starting in [From, To), newest first.
type PageRequest struct {
	From, To time.Time
	First    *int    // nil = DefaultPageSize
	After    *string // a Cursor from an earlier page; nil = the first page
}

// Workout is one workout of a page with its sources and its heart-rate statistics.
type Workout struct {
	db.StoredWorkout
	Source         db.Source   // the highest-priority recording's
	AlsoRecordedBy []db.Source // the lower-priority recordings' sources, in priority order
	// The workout's own metadata statistics, field by field filled from the heart-rate samples inside it.
	AverageHeartRate, MaxHeartRate *float64
	Cursor                         string
	// The workout's inside as uploaded with it (canonical form), oldest first; empty when none was.
	Segments []db.WorkoutSegment
	Laps     []db.WorkoutLap
	Events   []db.WorkoutEvent
}

// Page is one page of workouts.
type Page struct {
	Workouts []Workout
	HasNext  bool
}

// Service reads workouts back, one recording per session.
type Service struct {
	store *db.Store
}

// NewService wires the workout reads.
func NewService(store *db.Store) *Service { return &Service{store: store} }

func (r PageRequest) query() (db.WorkoutPageQuery, int, error) {
	if !r.To.After(r.From) {
		return db.WorkoutPageQuery{}, 0, fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	n, err := PageSize(r.First)
	if err != nil {
		return db.WorkoutPageQuery{}, 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	q := db.WorkoutPageQuery{From: r.From, To: r.To, Limit: n + 1, OverlapNum: OverlapNum, OverlapDen: OverlapDen}
	if r.After != nil {
		c, err := ParseCursor(*r.After)
		if err != nil {
			return db.WorkoutPageQuery{}, 0, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		q.AfterStart, q.AfterID = &c.Start, c.ID
	}
	return q, n, nil
}

// Page reads one page in its own transaction of the user.
func (s *Service) Page(ctx context.Context, userID int64, req PageRequest) (Page, error) {
	if _, _, err := req.query(); err != nil {
		return Page{}, err
	}
	var out Page
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = s.PageTx(ctx, tx, req)
		return err
	})
	return out, err
}

// PageTx is Page inside the caller's user transaction. Statements per page, whatever its size: sources, the
// workout priority, the page (duplicates left out and their sources gathered in the same statement) and one
// heart-rate statement for the workouts whose metadata lacks the statistics.
func (s *Service) PageTx(ctx context.Context, tx *db.Tx, req PageRequest) (Page, error) {
	q, n, err := req.query()
	if err != nil {
		return Page{}, err
	}
	sources, err := priority.Ordered(ctx, tx, "workout")
	if err != nil {
		return Page{}, err
	}
	q.Priority = make([]int64, len(sources))
	for i, src := range sources {
		q.Priority[i] = src.ID
	}
	rows, err := tx.WorkoutPage(ctx, q)
	if err != nil {
		return Page{}, err
	}
	if missingSource(rows, sources) {
		// A concurrent batch added a source after it was read: read them again so every workout names its own.
		if sources, err = priority.Ordered(ctx, tx, "workout"); err != nil {
			return Page{}, err
		}
	}
	out := Page{HasNext: len(rows) == n+1}
	rows = rows[:min(n, len(rows))]
	own := make([]HeartRate, len(rows))
	var need []db.Window
	for i, w := range rows {
		own[i] = HeartRateFromMetadata(metadataMap(w.Metadata))
		if own[i].Average == nil || own[i].Max == nil {
			need = append(need, db.Window{ID: w.ID, Start: w.Start, End: w.End})
		}
	}
	hr, err := tx.HeartRateWithin(ctx, need)
	if err != nil {
		return Page{}, err
	}
	fromSamples := make(map[string]db.HeartRateStats, len(hr))
	for _, h := range hr {
		fromSamples[h.ID] = h
	}
	byID := make(map[int64]db.Source, len(sources))
	for _, src := range sources {
		byID[src.ID] = src
	}
	out.Workouts = make([]Workout, len(rows))
	for i, w := range rows {
		out.Workouts[i] = withSources(w, byID, own[i], fromSamples[w.ID])
		if err := decodeParts(&out.Workouts[i]); err != nil {
			return Page{}, err
		}
	}
	return out, nil
}

func withSources(w db.StoredWorkout, sources map[int64]db.Source, own HeartRate, samples db.HeartRateStats) Workout {
	out := Workout{StoredWorkout: w, Source: sources[w.SourceID], AverageHeartRate: own.Average, MaxHeartRate: own.Max,
		AlsoRecordedBy: make([]db.Source, 0, len(w.AlsoSourceIDs)), Cursor: Cursor{Start: w.Start, ID: w.ID}.String()}
	if samples.Count > 0 {
		// Metadata statistics win field by field; samples fill what the workout did not say.
		if out.AverageHeartRate == nil {
			avg := samples.Average
			out.AverageHeartRate = &avg
		}
		if out.MaxHeartRate == nil {
			mx := samples.Max
			out.MaxHeartRate = &mx
		}
	}
	for _, id := range w.AlsoSourceIDs {
		if src, ok := sources[id]; ok {
			out.AlsoRecordedBy = append(out.AlsoRecordedBy, src)
		}
	}
	return out
}

func missingSource(rows []db.StoredWorkout, sources []db.Source) bool {
	known := make(map[int64]bool, len(sources))
	for _, src := range sources {
		known[src.ID] = true
	}
	for _, w := range rows {
		if !known[w.SourceID] {
			return true
		}
		for _, id := range w.AlsoSourceIDs {
			if !known[id] {
				return true
			}
		}
	}
	return false
}

func metadataMap(raw *string) map[string]any {
	if raw == nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(*raw), &m) != nil {
		return nil
	}
	return m
}

// decodeParts reads the stored segments, laps and events of w (written by the ingest, so JSON it wrote).
func decodeParts(w *Workout) error {
	for _, p := range []struct {
		raw *string
		dst any
	}{{w.StoredWorkout.Segments, &w.Segments}, {w.StoredWorkout.Laps, &w.Laps}, {w.StoredWorkout.Events, &w.Events}} {
		if p.raw == nil {
			continue
		}
		if err := json.Unmarshal([]byte(*p.raw), p.dst); err != nil {
			return fmt.Errorf("decode the parts of workout %s: %w", w.ID, err)
		}
	}
	return nil
}
