package db

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// The kinds that are neither a number nor a category (State of Mind, ECG, medication doses, audiograms) each have their own
// table; they share the envelope every item has and the way they are written: stored ids left alone, a higher
// version replaces.

// KindEnvelope is what a row of every kind carries besides its own columns.
type KindEnvelope struct {
	ID         string
	SourceID   int64
	Start, End time.Time
	TimeZone   string
	Version    int64
	Metadata   string
}

// KindRow is one row of one of the kinds' tables.
type KindRow interface {
	Envelope() *KindEnvelope
	Table() string
	kindTable() kindTable
	values() []any
}

// kindTable names a kind's table and its own columns, in the order values gives them.
type kindTable struct {
	name string
	cols []string
	lock int32
}

// Record lock spaces of the kinds' tables (see recordlocks.go).
const (
	stateOfMindLocks int32 = 7330 + iota
	ecgLocks
	medicationLocks
	audiogramLocks
)

var (
	stateOfMindTable = kindTable{"state_of_mind", []string{"kind", "valence", "classification", "labels", "associations"}, stateOfMindLocks}
	ecgTable         = kindTable{"ecg_recordings", []string{"classification", "average_heart_rate", "symptoms_status", "sampling_hz", "voltages_uv"}, ecgLocks}
	medicationTable  = kindTable{"medication_doses", []string{"medication", "concept_id", "codes", "dose", "dose_unit", "status", "scheduled_time"}, medicationLocks}
	audiogramTable   = kindTable{"audiograms", []string{"points"}, audiogramLocks}
	kindTables       = []kindTable{stateOfMindTable, ecgTable, medicationTable, audiogramTable}
)

// StateOfMindRow is one iOS 18 State of Mind log.
type StateOfMindRow struct {
	KindEnvelope
	Kind           string // momentary_emotion | daily_mood
	Valence        float64
	Classification string
	Labels         []string
	Associations   []string
}

func (r *StateOfMindRow) Envelope() *KindEnvelope { return &r.KindEnvelope }
func (r *StateOfMindRow) kindTable() kindTable    { return stateOfMindTable }
func (r *StateOfMindRow) values() []any {
	return []any{r.Kind, r.Valence, r.Classification, pq.Array(nonNil(r.Labels)), pq.Array(nonNil(r.Associations))}
}

// ECGRow is one electrocardiogram recording with its voltages in microvolts.
type ECGRow struct {
	KindEnvelope
	Classification   string
	AverageHeartRate *float64
	SymptomsStatus   string
	SamplingHz       float64
	VoltagesUV       []float32
}

func (r *ECGRow) Envelope() *KindEnvelope { return &r.KindEnvelope }
func (r *ECGRow) kindTable() kindTable    { return ecgTable }
func (r *ECGRow) values() []any {
	return []any{r.Classification, r.AverageHeartRate, r.SymptomsStatus, r.SamplingHz, pq.Array(r.VoltagesUV)}
}

// MedicationCode is one coding of a medication concept, as stored in medication_doses.codes.
type MedicationCode struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// MedicationDoseRow is one medication dose event; Start is when it was logged.
type MedicationDoseRow struct {
	KindEnvelope
	Medication string
	ConceptID  *string
	Codes      []MedicationCode
	Dose       *float64
	DoseUnit   *string
	Status     string
	Scheduled  *time.Time
}

func (r *MedicationDoseRow) Envelope() *KindEnvelope { return &r.KindEnvelope }
func (r *MedicationDoseRow) kindTable() kindTable    { return medicationTable }
func (r *MedicationDoseRow) values() []any {
	var codes *string
	if len(r.Codes) > 0 {
		b, _ := json.Marshal(r.Codes) // two strings per code: cannot fail
		s := string(b)
		codes = &s
	}
	return []any{r.Medication, r.ConceptID, codes, r.Dose, r.DoseUnit, r.Status, r.Scheduled}
}

// AudiogramTest is one test of a sensitivity point, in dBHL, as stored in audiograms.points.
type AudiogramTest struct {
	Side       string   `json:"side"`       // left | right
	Conduction string   `json:"conduction"` // air | bone
	Masked     *bool    `json:"masked,omitempty"`
	DbHL       float64  `json:"dbhl"`
	ClampLower *float64 `json:"clampLower,omitempty"`
	ClampUpper *float64 `json:"clampUpper,omitempty"`
}

// AudiogramPoint is one frequency of a hearing test. Left and Right are the ear's air-conduction threshold
// (HealthKit's leftEarSensitivity / rightEarSensitivity: the first air test of that side); Tests has them all.
type AudiogramPoint struct {
	Hz    float64         `json:"hz"`
	Left  *float64        `json:"left,omitempty"`
	Right *float64        `json:"right,omitempty"`
	Tests []AudiogramTest `json:"tests"`
}

// AudiogramRow is one hearing test with its sensitivity points, lowest frequency first.
type AudiogramRow struct {
	KindEnvelope
	Points []AudiogramPoint
}

func (r *AudiogramRow) Envelope() *KindEnvelope { return &r.KindEnvelope }
func (r *AudiogramRow) kindTable() kindTable    { return audiogramTable }
func (r *AudiogramRow) values() []any {
	b, _ := json.Marshal(r.Points) // numbers, strings and bools validated by the ingest: cannot fail
	return []any{string(b)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteKindRows stores rows of the kinds' tables, one statement per row (they come a few per batch, and an
// ECG's array of thousands of voltages is one value). The outcome is keyed by table name, then id.
func (t *Tx) WriteKindRows(ctx context.Context, deviceID string, rows []KindRow) (map[string]*WriteOutcome, error) {
	outs := make(map[string]*WriteOutcome, len(kindTables))
	byTable := map[string][]KindRow{}
	for _, r := range rows {
		byTable[r.kindTable().name] = append(byTable[r.kindTable().name], r)
	}
	for _, kt := range kindTables {
		out := newOutcome()
		outs[kt.name] = &out
		rs := byTable[kt.name]
		if len(rs) == 0 {
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Envelope().ID < rs[j].Envelope().ID })
		if err := t.replaceOlder(ctx, kt.name, "item_id", kt.lock, versionedRecords(len(rs), func(i int) (string, int64) {
			return rs[i].Envelope().ID, rs[i].Envelope().Version
		}), out.Replaced); err != nil {
			return nil, err
		}
		q := insertKindSQL(kt)
		for _, r := range rs {
			e := r.Envelope()
			args := append([]any{t.userID, e.ID, e.SourceID, deviceID, e.Start, e.End, e.TimeZone, e.Version, e.Metadata}, r.values()...)
			if err := t.collectIDs(ctx, out.Inserted, q, args...); err != nil {
				return nil, fmt.Errorf("insert %s: %w", kt.name, err)
			}
		}
	}
	return outs, nil
}

func insertKindSQL(kt kindTable) string {
	params := make([]string, len(kt.cols))
	for i := range kt.cols {
		params[i] = fmt.Sprintf("$%d", 10+i)
	}
	return fmt.Sprintf(`
		INSERT INTO %s (user_id, item_id, source_id, device_id, start_time, end_time, time_zone, version, metadata, %s)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, nullif($9, '')::jsonb, %s)
		ON CONFLICT (user_id, item_id) DO NOTHING
		RETURNING item_id`, kt.name, strings.Join(kt.cols, ", "), strings.Join(params, ", "))
}

// DeleteKindItems removes the ids from the kinds' tables and adds those that removed a row to removed; the
// tombstones are DeleteItems'.
func (t *Tx) DeleteKindItems(ctx context.Context, ids []string, removed map[string]struct{}) error {
	if len(ids) == 0 {
		return nil
	}
	err := t.collectIDs(ctx, removed, `
		WITH s AS (DELETE FROM state_of_mind WHERE user_id = $1 AND item_id = ANY($2::text[]) RETURNING item_id),
		     e AS (DELETE FROM ecg_recordings WHERE user_id = $1 AND item_id = ANY($2::text[]) RETURNING item_id),
		     m AS (DELETE FROM medication_doses WHERE user_id = $1 AND item_id = ANY($2::text[]) RETURNING item_id),
		     a AS (DELETE FROM audiograms WHERE user_id = $1 AND item_id = ANY($2::text[]) RETURNING item_id)
		SELECT item_id FROM s UNION SELECT item_id FROM e UNION SELECT item_id FROM m UNION SELECT item_id FROM a`,
		t.userID, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("delete state of mind, ECG, medication and audiogram items: %w", err)
	}
	return nil
}

func (r *StateOfMindRow) Table() string    { return stateOfMindTable.name }
func (r *ECGRow) Table() string            { return ecgTable.name }
func (r *MedicationDoseRow) Table() string { return medicationTable.name }
func (r *AudiogramRow) Table() string      { return audiogramTable.name }
