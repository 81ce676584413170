package hae

import (
	"encoding/json"
	"strconv"

	"healthsync/ingest"
)

// Sections are the payload's lists beside metrics and workouts (app version 7 and later). Only stateOfMind's
// item layout is confirmed (id, kind, start, end, valence, valenceClassification, labels, associations); the
// others are read as opaque items and counted in Mapped.Skipped until a sample of each is at hand, rather than
// guessed at and stored wrong.
type Sections struct {
	StateOfMind            []StateOfMindEntry `json:"stateOfMind"`
	Medications            []json.RawMessage  `json:"medications"`
	Symptoms               []json.RawMessage  `json:"symptoms"`
	CycleTracking          []json.RawMessage  `json:"cycleTracking"`
	ECG                    []json.RawMessage  `json:"ecg"`
	HeartRateNotifications []json.RawMessage  `json:"heartRateNotifications"`
}

// StateOfMindEntry is one item of the stateOfMind section. Labels and associations are taken when they are
// strings; anything else in them makes the entry invalid.
type StateOfMindEntry struct {
	ID                    string   `json:"id"`
	Kind                  string   `json:"kind"`
	Start                 string   `json:"start"`
	End                   string   `json:"end"`
	Valence               *float64 `json:"valence"`
	ValenceClassification string   `json:"valenceClassification"`
	Labels                []any    `json:"labels"`
	Associations          []any    `json:"associations"`
	Source                string   `json:"source"`
}

// unconfirmedSection is the reason recorded in Mapped.Skipped for the sections whose item layout is unknown.
const unconfirmedSection = ": item layout not confirmed, not imported"

func (m *Mapped) sections(s Sections) {
	for _, e := range s.StateOfMind {
		m.stateOfMind(e)
	}
	for name, items := range map[string][]json.RawMessage{"medications": s.Medications, "symptoms": s.Symptoms,
		"cycleTracking": s.CycleTracking, "ecg": s.ECG, "heartRateNotifications": s.HeartRateNotifications} {
		if len(items) > 0 {
			m.Skipped[name+unconfirmedSection] += len(items)
		}
	}
}

func (m *Mapped) stateOfMind(e StateOfMindEntry) {
	start, err1 := ParseTime(e.Start)
	end, err2 := ParseTime(orDefault(e.End, e.Start))
	labels, ok1 := strs(e.Labels)
	assoc, ok2 := strs(e.Associations)
	if err1 != nil || err2 != nil || e.Valence == nil || e.Kind == "" || !ok1 || !ok2 {
		m.Invalid["stateOfMind"]++
		return
	}
	src := orDefault(e.Source, defaultSource)
	var meta map[string]any
	if e.ID != "" {
		meta = map[string]any{"healthAutoExportId": e.ID}
	}
	m.StatesOfMind = append(m.StatesOfMind, ingest.StateOfMind{
		ItemEnvelope: ingest.ItemEnvelope{
			ID:    ItemID("state_of_mind", src, start, end, e.Kind+" "+strconv.FormatFloat(*e.Valence, 'g', -1, 64), ""),
			Start: start, End: end, Source: ingest.Source{Name: src}, Metadata: meta},
		Kind: e.Kind, Valence: ingest.Float(*e.Valence), Classification: e.ValenceClassification,
		Labels: labels, Associations: assoc})
}

func strs(in []any) ([]string, bool) {
	out := make([]string, 0, len(in))
	for _, v := range in {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
