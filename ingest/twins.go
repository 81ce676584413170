package ingest

import (
	"context"

	"healthsync/db"
)

// dropTwins removes quantity samples, category samples and workouts that are already stored under another id.
// That happens only when a user's data arrives both with platform ids (the iOS app's HealthKit UUIDs) and with
// content ids (an export import, Health Auto Export), so the look-up runs only then: most users never pay for
// it. Series records have no twins: exports and Health Auto Export carry no Health Connect series.
func dropTwins(ctx context.Context, tx *db.Tx, b *Batch, live []*record) ([]*record, error) {
	mixed, err := tx.MixesIDKinds(ctx, string(b.Provider), b.ContentIDs)
	if err != nil || !mixed {
		return live, err
	}
	var samples []db.TwinProbe
	var cats []db.CategoryTwinProbe
	var works []db.WorkoutTwinProbe
	var sampleAt, catAt, workAt []int
	for i, r := range live {
		switch {
		case r.category != nil:
			c := r.category
			cats = append(cats, db.CategoryTwinProbe{ID: r.id, Category: c.Category, Value: c.Value, Start: c.Start,
				End: c.End, SourceName: r.source.Name})
			catAt = append(catAt, i)
		case r.workout != nil:
			w := r.workout
			works = append(works, db.WorkoutTwinProbe{ID: r.id, ActivityType: w.ActivityType, Start: w.Start, End: w.End,
				SourceName: r.source.Name})
			workAt = append(workAt, i)
		case r.kind == KindSample:
			row := r.samples[0]
			samples = append(samples, db.TwinProbe{ID: r.id, Metric: row.Metric, Start: row.Start, End: row.End,
				Value: row.Value, SourceName: r.source.Name})
			sampleAt = append(sampleAt, i)
		}
	}
	drop := map[int]bool{}
	for _, look := range []struct {
		find func() (map[int]bool, error)
		at   []int
	}{
		{func() (map[int]bool, error) { return tx.SampleTwins(ctx, samples) }, sampleAt},
		{func() (map[int]bool, error) { return tx.CategoryTwins(ctx, cats) }, catAt},
		{func() (map[int]bool, error) { return tx.WorkoutTwins(ctx, works) }, workAt},
	} {
		if len(look.at) == 0 {
			continue
		}
		twins, err := look.find()
		if err != nil {
			return live, err
		}
		for p := range twins {
			drop[look.at[p]] = true
		}
	}
	if len(drop) == 0 {
		return live, nil
	}
	kept := live[:0:0]
	for i, r := range live {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
