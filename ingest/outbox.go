package ingest

import (
	"context"
	"time"

	"healthsync/webhooks"
)

// WithWebhooks makes every batch that stored or deleted something write its data.stored / data.deleted events
// to the webhook outbox inside its transaction (one statement), so they are delivered exactly when it commits.
// A replay writes nothing: it returns before the write steps.
func WithWebhooks() Option {
	return func(s *Service) { s.outbox = true }
}

// outbox writes the batch's webhook events. live and outs are the rows step's records and what it stored.
func (w *batchWrite) outbox(ctx context.Context, live []*record, outs outcomes) error {
	var evs []webhooks.Event
	if w.res.Accepted+w.res.Updated > 0 {
		st, vals := w.stored(live, outs)
		ev := webhooks.Event{Type: webhooks.DataStored, Data: st}
		if vals != nil { // a nil map in the interface would be stored as JSON null
			ev.Values = vals
		}
		evs = append(evs, ev)
	}
	if w.res.Deleted > 0 {
		evs = append(evs, webhooks.Event{Type: webhooks.DataDeleted, Data: webhooks.Deleted{
			Device: w.b.Device.ID, Provider: string(w.b.Provider), Deleted: w.res.Deleted}})
	}
	if len(evs) == 0 {
		return nil
	}
	return webhooks.Enqueue(ctx, w.tx, w.n.now, evs...)
}

// stored counts what the batch stored per kind and type and the time range it covers, and sums up the
// quantities' values per type apart (only endpoints that include values get those).
func (w *batchWrite) stored(live []*record, outs outcomes) (webhooks.Stored, map[string]*webhooks.Summary) {
	vals := map[string]*webhooks.Summary{}
	st := webhooks.Stored{Device: w.b.Device.ID, Provider: string(w.b.Provider), Accepted: w.res.Accepted,
		Updated: w.res.Updated, Kinds: map[string]webhooks.KindCount{}}
	var from, to time.Time
	for _, r := range live {
		if !outs.of(r).WasInserted(r.id) {
			continue
		}
		kind, start := "samples", r.end
		switch {
		case r.category != nil:
			kind, start = "categories", r.category.Start
		case r.workout != nil:
			kind, start = "workouts", r.workout.Start
		case r.kindRow != nil: // state_of_mind, ecg_recordings, medication_doses, audiograms
			kind, start = r.kindRow.Table(), r.kindRow.Envelope().Start
		case len(r.samples) > 0:
			sum := vals[r.dataType]
			if sum == nil {
				sum = &webhooks.Summary{}
				vals[r.dataType] = sum
			}
			start = r.samples[0].Start
			for _, s := range r.samples {
				if s.Start.Before(start) {
					start = s.Start
				}
				sum.Add(s.Value)
			}
		}
		k := st.Kinds[kind]
		if k.Types == nil {
			k.Types = map[string]int{}
		}
		k.Items++
		k.Types[r.dataType]++
		st.Kinds[kind] = k
		if from.IsZero() || start.Before(from) {
			from = start
		}
		if to.IsZero() || r.end.After(to) {
			to = r.end
		}
	}
	if !from.IsZero() {
		from, to = from.UTC(), to.UTC()
		st.From, st.To = &from, &to
	}
	if len(vals) == 0 {
		return st, nil
	}
	return st, vals
}
