package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// StoredKind is the envelope of a stored row of the kinds' tables, as read back.
type StoredKind struct {
	ID         string
	SourceName string
	Start, End time.Time
	TimeZone   string
}

// envelopeCols are the columns every kinds read starts with, x being the kind's table and so its source.
const envelopeCols = `x.item_id, so.name, x.start_time, x.end_time, coalesce(x.time_zone, '')`

func kindReadSQL(table, cols string) string {
	return fmt.Sprintf(`
		SELECT %s, %s
		FROM %s x JOIN sources so ON so.user_id = x.user_id AND so.source_id = x.source_id
		WHERE x.user_id = $1 AND x.start_time >= $2 AND x.start_time < $3
		ORDER BY x.start_time, x.item_id COLLATE "C"`, envelopeCols, cols, table)
}

// readKind runs a kinds read over [from, to) and scans each row with scan (StoredKind.dest first, then its own columns).
func (t *Tx) readKind(ctx context.Context, what, q string, from, to time.Time, scan func(rows *sql.Rows) error) error {
	rows, err := t.tx.QueryContext(ctx, q, t.userID, from, to)
	if err != nil {
		return fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("list %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list %s: %w", what, err)
	}
	return nil
}

func (k *StoredKind) dest() []any { return []any{&k.ID, &k.SourceName, &k.Start, &k.End, &k.TimeZone} }

// StoredStateOfMind is a State of Mind log as read back.
type StoredStateOfMind struct {
	StoredKind
	Kind, Classification string
	Valence              float64
	Labels, Associations []string
}

// StatesOfMind lists the user's State of Mind logs starting in [from, to), oldest first.
func (t *Tx) StatesOfMind(ctx context.Context, from, to time.Time) ([]StoredStateOfMind, error) {
	var out []StoredStateOfMind
	q := kindReadSQL("state_of_mind", "x.kind, x.valence, x.classification, x.labels, x.associations")
	err := t.readKind(ctx, "states of mind", q, from, to, func(rows *sql.Rows) error {
		var r StoredStateOfMind
		var labels, assoc pq.StringArray
		if err := rows.Scan(append(r.dest(), &r.Kind, &r.Valence, &r.Classification, &labels, &assoc)...); err != nil {
			return err
		}
		r.Labels, r.Associations = labels, assoc
		out = append(out, r)
		return nil
	})
	return out, err
}

// StoredECG is an ECG recording as read back, with its voltages.
type StoredECG struct {
	StoredKind
	Classification, SymptomsStatus string
	AverageHeartRate               *float64
	SamplingHz                     float64
	VoltagesUV                     []float32
}

// ECGRecordings lists the user's ECG recordings starting in [from, to), oldest first.
func (t *Tx) ECGRecordings(ctx context.Context, from, to time.Time) ([]StoredECG, error) {
	var out []StoredECG
	q := kindReadSQL("ecg_recordings", "x.classification, x.average_heart_rate, x.symptoms_status, x.sampling_hz, x.voltages_uv")
	err := t.readKind(ctx, "ECG recordings", q, from, to, func(rows *sql.Rows) error {
		var r StoredECG
		var volts pq.Float32Array
		if err := rows.Scan(append(r.dest(), &r.Classification, &r.AverageHeartRate, &r.SymptomsStatus, &r.SamplingHz, &volts)...); err != nil {
			return err
		}
		r.VoltagesUV = volts
		out = append(out, r)
		return nil
	})
	return out, err
}

// StoredMedicationDose is a medication dose event as read back.
type StoredMedicationDose struct {
	StoredKind
	Medication, Status string
	ConceptID          *string
	Codes              []MedicationCode
	Dose               *float64
	DoseUnit           *string
	Scheduled          *time.Time
}

// MedicationDoses lists the user's medication dose events logged in [from, to), oldest first.
func (t *Tx) MedicationDoses(ctx context.Context, from, to time.Time) ([]StoredMedicationDose, error) {
	var out []StoredMedicationDose
	q := kindReadSQL("medication_doses", "x.medication, x.concept_id, x.codes::text, x.dose, x.dose_unit, x.status, x.scheduled_time")
	err := t.readKind(ctx, "medication doses", q, from, to, func(rows *sql.Rows) error {
		var r StoredMedicationDose
		var codes *string
		if err := rows.Scan(append(r.dest(), &r.Medication, &r.ConceptID, &codes, &r.Dose, &r.DoseUnit, &r.Status, &r.Scheduled)...); err != nil {
			return err
		}
		if codes != nil {
			if err := json.Unmarshal([]byte(*codes), &r.Codes); err != nil {
				return fmt.Errorf("decode medication codes: %w", err)
			}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// StoredAudiogram is a hearing test as read back.
type StoredAudiogram struct {
	StoredKind
	Points []AudiogramPoint
}

// Audiograms lists the user's hearing tests starting in [from, to), oldest first.
func (t *Tx) Audiograms(ctx context.Context, from, to time.Time) ([]StoredAudiogram, error) {
	var out []StoredAudiogram
	q := kindReadSQL("audiograms", "x.points::text")
	err := t.readKind(ctx, "audiograms", q, from, to, func(rows *sql.Rows) error {
		var r StoredAudiogram
		var points string
		if err := rows.Scan(append(r.dest(), &points)...); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(points), &r.Points); err != nil {
			return fmt.Errorf("decode audiogram points: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
