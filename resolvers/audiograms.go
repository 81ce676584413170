package resolvers

import (
	"context"
	"time"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/ingest"
)

// addAudiograms copies the audiogram inputs into the batch.
func addAudiograms(b *ingest.Batch, in model.IngestBatchInput) {
	for _, a := range in.Audiograms {
		g := ingest.Audiogram{ItemEnvelope: ingest.ItemEnvelope{ID: a.ID, Start: a.Start.UTC(), End: a.End.UTC(),
			Source: toSource(a.Source), TimeZone: a.TimeZone, Version: a.Version, Metadata: a.Metadata},
			Points: make([]ingest.AudiogramPoint, len(a.Points))}
		for i, p := range a.Points {
			pt := ingest.AudiogramPoint{FrequencyHz: ingest.Float(p.FrequencyHz), LeftEar: optFloat(p.LeftEarDbHl),
				RightEar: optFloat(p.RightEarDbHl)}
			for _, t := range p.Tests {
				pt.Tests = append(pt.Tests, ingest.AudiogramTest{Side: t.Side, Conduction: deref(t.Conduction),
					Masked: t.Masked, Sensitivity: ingest.Float(t.SensitivityDbHl), ClampLower: optFloat(t.ClampLowerDbHl),
					ClampUpper: optFloat(t.ClampUpperDbHl)})
			}
			g.Points[i] = pt
		}
		b.Audiograms = append(b.Audiograms, g)
	}
}

func optFloat(v *float64) *ingest.Float {
	if v == nil {
		return nil
	}
	f := ingest.Float(*v)
	return &f
}

// addWorkoutParts copies each workout input's segments, laps and events into the batch's workout at the same index.
func addWorkoutParts(out []ingest.Workout, in []model.WorkoutInput) {
	for i, w := range in {
		if w.Segments != nil {
			out[i].Segments = make([]ingest.WorkoutSegment, len(w.Segments))
			for j, s := range w.Segments {
				out[i].Segments[j] = ingest.WorkoutSegment{Start: s.Start.UTC(), End: s.End.UTC(), Type: s.Type}
				if s.Repetitions != nil {
					r := int64(*s.Repetitions)
					out[i].Segments[j].Repetitions = &r
				}
			}
		}
		if w.Laps != nil {
			out[i].Laps = make([]ingest.WorkoutLap, len(w.Laps))
			for j, l := range w.Laps {
				out[i].Laps[j] = ingest.WorkoutLap{Start: l.Start.UTC(), End: l.End.UTC(), Distance: toQuantity(l.Distance)}
			}
		}
		if w.Events != nil {
			out[i].Events = make([]ingest.WorkoutEvent, len(w.Events))
			for j, e := range w.Events {
				out[i].Events[j] = ingest.WorkoutEvent{Type: e.Type, Start: e.Start.UTC()}
				if e.End != nil {
					end := e.End.UTC()
					out[i].Events[j].End = &end
				}
			}
		}
	}
}

func (r *Resolver) audiograms(ctx context.Context, from, to time.Time) ([]model.Audiogram, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.Kinds.Audiograms(ctx, u.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]model.Audiogram, len(rows))
	for i, a := range rows {
		pts := make([]model.AudiogramPoint, len(a.Points))
		for j, p := range a.Points {
			tests := make([]model.AudiogramTest, len(p.Tests))
			for k, t := range p.Tests {
				tests[k] = model.AudiogramTest{Side: t.Side, Conduction: t.Conduction, Masked: t.Masked,
					SensitivityDbHl: t.DbHL, ClampLowerDbHl: t.ClampLower, ClampUpperDbHl: t.ClampUpper}
			}
			pts[j] = model.AudiogramPoint{FrequencyHz: p.Hz, LeftEarDbHl: p.Left, RightEarDbHl: p.Right, Tests: tests}
		}
		out[i] = model.Audiogram{ID: a.ID, Points: pts, Start: a.Start, End: a.End, Source: a.SourceName,
			TimeZone: zoneOf(a.StoredKind)}
	}
	return out, nil
}

// workoutParts maps a workout's stored segments, laps and events to the schema's lists (never null).
func workoutParts(segs []db.WorkoutSegment, laps []db.WorkoutLap, evs []db.WorkoutEvent) ([]model.WorkoutSegment, []model.WorkoutLap, []model.WorkoutEvent) {
	ms := make([]model.WorkoutSegment, len(segs))
	for i, s := range segs {
		ms[i] = model.WorkoutSegment{Start: s.Start, End: s.End, Type: s.Type}
		if s.Repetitions != nil {
			n := int(*s.Repetitions)
			ms[i].Repetitions = &n
		}
	}
	ml := make([]model.WorkoutLap, len(laps))
	for i, l := range laps {
		ml[i] = model.WorkoutLap{Start: l.Start, End: l.End, DistanceMeters: l.DistanceM}
	}
	me := make([]model.WorkoutEvent, len(evs))
	for i, e := range evs {
		me[i] = model.WorkoutEvent{Type: e.Type, Start: e.Start, End: e.End}
	}
	return ms, ml, me
}
