package resolvers

import (
	"time"

	"healthsync/graph/model"
	"healthsync/ingest"
)

// toBatch copies the GraphQL input into the domain's batch. Times are made UTC so that a retry that spells the
// same instants with another offset still hashes the same.
func toBatch(in model.IngestBatchInput) ingest.Batch {
	b := ingest.Batch{
		IdempotencyKey: in.IdempotencyKey,
		Provider:       ingest.Provider(in.Provider),
		Deletions:      in.Deletions,
	}
	if in.Device != nil {
		b.Device = ingest.Device{ID: in.Device.ID, Model: in.Device.Model, OSVersion: in.Device.OsVersion,
			AppVersion: in.Device.AppVersion, TimeZone: in.Device.TimeZone}
	}
	// Decoded straight into the domain's type by the QuantitySampleList scalar (times already UTC).
	b.Samples = []ingest.QuantitySample(in.Samples)
	b.Series = make([]ingest.SeriesSample, len(in.SeriesSamples))
	for i, s := range in.SeriesSamples {
		pts := make([]ingest.SeriesPoint, len(s.Points))
		for j, p := range s.Points {
			pts[j] = ingest.SeriesPoint{Time: p.Time.UTC(), Value: ingest.Float(p.Value)}
		}
		b.Series[i] = ingest.SeriesSample{ID: s.ID, Type: s.Type, Unit: s.Unit, Start: s.Start.UTC(), End: s.End.UTC(),
			Source: toSource(s.Source), TimeZone: s.TimeZone, Version: s.Version, Metadata: s.Metadata, Points: pts}
	}
	b.Categories = make([]ingest.CategorySample, len(in.CategorySamples))
	for i, s := range in.CategorySamples {
		v := ""
		if s.Value != nil {
			v = *s.Value
		}
		b.Categories[i] = ingest.CategorySample{ID: s.ID, Type: s.Type, Value: v, Start: s.Start.UTC(), End: s.End.UTC(),
			Source: toSource(s.Source), TimeZone: s.TimeZone, UserEntered: s.UserEntered, Version: s.Version,
			Metadata: s.Metadata}
	}
	b.Workouts = make([]ingest.Workout, len(in.Workouts))
	for i, w := range in.Workouts {
		b.Workouts[i] = ingest.Workout{ID: w.ID, ActivityType: w.ActivityType, Start: w.Start.UTC(), End: w.End.UTC(),
			DurationSeconds: w.DurationSeconds, Energy: toQuantity(w.Energy), Distance: toQuantity(w.Distance),
			Source: toSource(w.Source), TimeZone: w.TimeZone, Version: w.Version, Metadata: w.Metadata}
	}
	b.Cursors = make([]ingest.Cursor, len(in.Cursors))
	for i, c := range in.Cursors {
		var end *time.Time
		if c.NewestSampleEnd != nil {
			t := c.NewestSampleEnd.UTC()
			end = &t
		}
		b.Cursors[i] = ingest.Cursor{Type: c.Type, Cursor: c.Cursor, NewestSampleEnd: end}
	}
	addKinds(&b, in)
	addAudiograms(&b, in)
	addWorkoutParts(b.Workouts, in.Workouts)
	return b
}

func toSource(s *model.SourceInput) ingest.Source {
	if s == nil {
		return ingest.Source{}
	}
	return ingest.Source{Name: s.Name, BundleID: s.BundleID, Version: s.Version, ProductType: s.ProductType,
		DeviceName: s.DeviceName, DeviceModel: s.DeviceModel, DeviceManufacturer: s.DeviceManufacturer,
		HardwareVersion: s.HardwareVersion, SoftwareVersion: s.SoftwareVersion}
}

func toQuantity(q *model.QuantityInput) *ingest.Quantity {
	if q == nil {
		return nil
	}
	return &ingest.Quantity{Value: ingest.Float(q.Value), Unit: q.Unit}
}

func toResult(r ingest.Result) *model.IngestResult {
	out := &model.IngestResult{Replayed: r.Replayed, Accepted: r.Accepted, Duplicates: r.Duplicates,
		Updated: r.Updated, Deleted: r.Deleted, Rejected: make([]model.Rejection, len(r.Rejected))}
	for i, rj := range r.Rejected {
		var id *string
		if rj.ID != "" {
			v := rj.ID
			id = &v
		}
		out.Rejected[i] = model.Rejection{Kind: model.ItemKind(rj.Kind), Index: rj.Index, ID: id,
			Code: model.RejectionCode(rj.Code), Message: rj.Message}
	}
	return out
}
