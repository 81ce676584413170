package resolvers

import (
	"context"
	"time"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/ingest"
)

// addKinds copies the State of Mind, ECG and medication dose inputs into the batch.
func addKinds(b *ingest.Batch, in model.IngestBatchInput) {
	env := func(id string, start, end time.Time, src *model.SourceInput, tz *string, ver *int64, meta map[string]any) ingest.ItemEnvelope {
		return ingest.ItemEnvelope{ID: id, Start: start.UTC(), End: end.UTC(), Source: toSource(src), TimeZone: tz,
			Version: ver, Metadata: meta}
	}
	for _, s := range in.StatesOfMind {
		b.StatesOfMind = append(b.StatesOfMind, ingest.StateOfMind{
			ItemEnvelope: env(s.ID, s.Start, s.End, s.Source, s.TimeZone, s.Version, s.Metadata),
			Kind:         s.Kind, Valence: ingest.Float(s.Valence), Classification: deref(s.ValenceClassification),
			Labels: s.Labels, Associations: s.Associations})
	}
	for _, e := range in.EcgRecordings {
		volts := make([]ingest.Float, len(e.VoltagesMicrovolts))
		for i, v := range e.VoltagesMicrovolts {
			volts[i] = ingest.Float(v)
		}
		var hr *ingest.Float
		if e.AverageHeartRate != nil {
			v := ingest.Float(*e.AverageHeartRate)
			hr = &v
		}
		b.ECGs = append(b.ECGs, ingest.ECGRecording{
			ItemEnvelope:   env(e.ID, e.Start, e.End, e.Source, e.TimeZone, e.Version, e.Metadata),
			Classification: e.Classification, AverageHeartRate: hr, SymptomsStatus: deref(e.SymptomsStatus),
			SamplingHz: ingest.Float(e.SamplingFrequency), VoltagesUV: volts})
	}
	for _, m := range in.MedicationDoses {
		d := ingest.MedicationDose{ItemEnvelope: env(m.ID, m.Start, m.End, m.Source, m.TimeZone, m.Version, m.Metadata),
			Medication: m.Medication, ConceptID: m.ConceptID, DoseUnit: m.DoseUnit, Status: m.Status}
		for _, c := range m.Codes {
			d.Codes = append(d.Codes, ingest.MedicationCode{System: c.System, Code: c.Code})
		}
		if m.Dose != nil {
			v := ingest.Float(*m.Dose)
			d.Dose = &v
		}
		if m.ScheduledAt != nil {
			t := m.ScheduledAt.UTC()
			d.Scheduled = &t
		}
		b.MedicationDoses = append(b.MedicationDoses, d)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r *Resolver) statesOfMind(ctx context.Context, from, to time.Time) ([]model.StateOfMind, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.Kinds.StatesOfMind(ctx, u.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]model.StateOfMind, len(rows))
	for i, s := range rows {
		out[i] = model.StateOfMind{ID: s.ID, Kind: s.Kind, Valence: s.Valence, ValenceClassification: s.Classification,
			Labels: nonNil(s.Labels), Associations: nonNil(s.Associations), Start: s.Start, End: s.End,
			Source: s.SourceName, TimeZone: zoneOf(s.StoredKind)}
	}
	return out, nil
}

func (r *Resolver) ecgRecordings(ctx context.Context, from, to time.Time) ([]model.EcgRecording, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.Kinds.ECGRecordings(ctx, u.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]model.EcgRecording, len(rows))
	for i, e := range rows {
		volts := make([]float64, len(e.VoltagesUV))
		for j, v := range e.VoltagesUV {
			volts[j] = float64(v)
		}
		out[i] = model.EcgRecording{ID: e.ID, Classification: e.Classification, AverageHeartRate: e.AverageHeartRate,
			SymptomsStatus: e.SymptomsStatus, SamplingFrequency: e.SamplingHz, VoltagesMicrovolts: volts,
			Start: e.Start, End: e.End, Source: e.SourceName, TimeZone: zoneOf(e.StoredKind)}
	}
	return out, nil
}

func (r *Resolver) medicationDoses(ctx context.Context, from, to time.Time) ([]model.MedicationDose, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.Kinds.MedicationDoses(ctx, u.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]model.MedicationDose, len(rows))
	for i, m := range rows {
		codes := make([]model.MedicationCode, len(m.Codes))
		for j, c := range m.Codes {
			codes[j] = model.MedicationCode{System: c.System, Code: c.Code}
		}
		out[i] = model.MedicationDose{ID: m.ID, Medication: m.Medication, ConceptID: m.ConceptID, Codes: codes,
			Dose: m.Dose, DoseUnit: m.DoseUnit, Status: m.Status, ScheduledAt: m.Scheduled, LoggedAt: m.Start,
			End: m.End, Source: m.SourceName, TimeZone: zoneOf(m.StoredKind)}
	}
	return out, nil
}

func zoneOf(k db.StoredKind) *string {
	if k.TimeZone == "" {
		return nil
	}
	return &k.TimeZone
}
