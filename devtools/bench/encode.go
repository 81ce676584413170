// Package bench is `healthsync-bench` (cmd/healthsync-bench): it starts the real server in-process on its own PostgreSQL, uploads
// generated Apple Health data through ingestBatch over loopback HTTP, and measures ingest, retries, dashboard reads,
// memory and growth against raw COPY and naive SQL on the same database in the same run. See README.md.
package bench

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/devtools/bench/gen"
	"healthsync/ingest"
)

// IngestMutation is the upload every path sends.
const IngestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { kind index id code message } }
}`

// isoMillis is how ISO8601DateFormatter with fractional seconds writes a date: the device's offset, milliseconds.
const isoMillis = "2006-01-02T15:04:05.000Z07:00"

type (
	sourceJSON struct {
		Name            string `json:"name"`
		BundleID        string `json:"bundleId,omitempty"`
		ProductType     string `json:"productType,omitempty"`
		DeviceModel     string `json:"deviceModel,omitempty"`
		HardwareVersion string `json:"hardwareVersion,omitempty"`
		SoftwareVersion string `json:"softwareVersion,omitempty"`
	}
	sampleJSON struct {
		ID       string          `json:"id"`
		Type     string          `json:"type"`
		Value    float64         `json:"value"`
		Unit     string          `json:"unit"`
		Start    string          `json:"start"`
		End      string          `json:"end"`
		Source   *sourceJSON     `json:"source"`
		Metadata json.RawMessage `json:"metadata,omitempty"`
	}
	categoryJSON struct {
		ID     string      `json:"id"`
		Type   string      `json:"type"`
		Value  string      `json:"value"`
		Start  string      `json:"start"`
		End    string      `json:"end"`
		Source *sourceJSON `json:"source"`
	}
	quantityJSON struct {
		Value float64 `json:"value"`
		Unit  string  `json:"unit"`
	}
	workoutJSON struct {
		ID           string        `json:"id"`
		ActivityType string        `json:"activityType"`
		Start        string        `json:"start"`
		End          string        `json:"end"`
		Energy       *quantityJSON `json:"energy,omitempty"`
		Distance     *quantityJSON `json:"distance,omitempty"`
		Source       *sourceJSON   `json:"source"`
	}
)

// Body is the POST /graphql body an iOS client sends for b under key.
func Body(b gen.Batch, key string) ([]byte, error) {
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			Input struct {
				IdempotencyKey  string         `json:"idempotencyKey"`
				Provider        string         `json:"provider"`
				Device          deviceJSON     `json:"device"`
				Samples         []sampleJSON   `json:"samples,omitempty"`
				CategorySamples []categoryJSON `json:"categorySamples,omitempty"`
				Workouts        []workoutJSON  `json:"workouts,omitempty"`
			} `json:"input"`
		} `json:"variables"`
	}
	u := b.User
	req.Query = IngestMutation
	in := &req.Variables.Input
	in.IdempotencyKey, in.Provider = key, "APPLE_HEALTH"
	in.Device = deviceJSON{ID: u.Device.ID, Model: u.Device.Model, OSVersion: u.Device.OSVersion,
		AppVersion: u.Device.AppVersion, TimeZone: u.Device.TimeZone}
	srcs := map[*gen.Source]*sourceJSON{}
	src := func(s *gen.Source) *sourceJSON {
		if j, ok := srcs[s]; ok {
			return j
		}
		j := &sourceJSON{Name: s.Name, BundleID: s.BundleID, ProductType: s.ProductType, DeviceModel: s.DeviceModel,
			HardwareVersion: s.HardwareVersion, SoftwareVersion: s.SoftwareVersion}
		srcs[s] = j
		return j
	}
	at := func(t time.Time) string { return t.In(u.Zone).Format(isoMillis) }
	in.Samples = make([]sampleJSON, len(b.Samples))
	for i, s := range b.Samples {
		in.Samples[i] = sampleJSON{ID: s.ID, Type: s.Type, Value: s.Value, Unit: s.Unit, Start: at(s.Start), End: at(s.End), Source: src(s.Source)}
		if m := s.Meta.JSON(); m != "" {
			in.Samples[i].Metadata = json.RawMessage(m)
		}
	}
	in.CategorySamples = make([]categoryJSON, len(b.Categories))
	for i, c := range b.Categories {
		in.CategorySamples[i] = categoryJSON{ID: c.ID, Type: c.Type, Value: c.Value, Start: at(c.Start), End: at(c.End), Source: src(c.Source)}
	}
	in.Workouts = make([]workoutJSON, len(b.Workouts))
	for i, w := range b.Workouts {
		in.Workouts[i] = workoutJSON{ID: w.ID, ActivityType: w.ActivityType, Start: at(w.Start), End: at(w.End),
			Energy: &quantityJSON{w.EnergyKcal, "kcal"}, Source: src(w.Source)}
		if w.DistanceM > 0 {
			in.Workouts[i].Distance = &quantityJSON{w.DistanceM, "m"}
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode batch %s: %w", key, err)
	}
	return body, nil
}

type deviceJSON struct {
	ID         string `json:"id"`
	Model      string `json:"model"`
	OSVersion  string `json:"osVersion"`
	AppVersion string `json:"appVersion"`
	TimeZone   string `json:"timeZone"`
}

func ptr[T any](v T) *T { return &v }

func ingestSource(s *gen.Source) ingest.Source {
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return ptr(v)
	}
	return ingest.Source{Name: s.Name, BundleID: opt(s.BundleID), ProductType: opt(s.ProductType), DeviceModel: opt(s.DeviceModel),
		HardwareVersion: opt(s.HardwareVersion), SoftwareVersion: opt(s.SoftwareVersion)}
}

// IngestBatch is b as the ingest service receives it from the resolver (metadata numbers as json.Number, which is
// how gqlgen decodes variables).
func IngestBatch(b gen.Batch, key string) ingest.Batch {
	u := b.User
	out := ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth,
		Device: ingest.Device{ID: u.Device.ID, Model: ptr(u.Device.Model), OSVersion: ptr(u.Device.OSVersion),
			AppVersion: ptr(u.Device.AppVersion), TimeZone: ptr(u.Device.TimeZone)}}
	srcs := map[*gen.Source]ingest.Source{}
	src := func(s *gen.Source) ingest.Source {
		if v, ok := srcs[s]; ok {
			return v
		}
		srcs[s] = ingestSource(s)
		return srcs[s]
	}
	// Times go through the same millisecond rounding as the HTTP body.
	ms := func(t time.Time) time.Time { return t.Truncate(time.Millisecond) }
	for _, s := range b.Samples {
		q := ingest.QuantitySample{ID: s.ID, Type: s.Type, Value: ingest.Float(s.Value), Unit: s.Unit, Start: ms(s.Start), End: ms(s.End), Source: src(s.Source)}
		if m := s.Meta.Map(); m != nil {
			q.Metadata = map[string]any{}
			for k, v := range m {
				q.Metadata[k] = json.Number(fmt.Sprint(v))
			}
		}
		out.Samples = append(out.Samples, q)
	}
	for _, c := range b.Categories {
		out.Categories = append(out.Categories, ingest.CategorySample{ID: c.ID, Type: c.Type, Value: c.Value, Start: ms(c.Start), End: ms(c.End), Source: src(c.Source)})
	}
	for _, w := range b.Workouts {
		iw := ingest.Workout{ID: w.ID, ActivityType: w.ActivityType, Start: ms(w.Start), End: ms(w.End),
			Energy: &ingest.Quantity{Value: ingest.Float(w.EnergyKcal), Unit: "kcal"}, Source: src(w.Source)}
		if w.DistanceM > 0 {
			iw.Distance = &ingest.Quantity{Value: ingest.Float(w.DistanceM), Unit: "m"}
		}
		out.Workouts = append(out.Workouts, iw)
	}
	return out
}

// Row is one samples row as the ingest path stores it (ingested_at left to its default).
type Row struct {
	UserID      int64
	ID          string
	Metric      string
	SourceID    int64
	DeviceID    string
	Start, End  time.Time
	Value       float64
	OrigValue   float64
	OrigUnit    string
	TimeZone    string
	UserEntered bool
	Metadata    string
}

// Rows normalizes b's quantity samples the way ingest does (lowercase ids, canonical metric and unit, the
// device's zone, metadata as JSON) and orders them by id as db.WriteSamples does, so the baselines do the same
// index work in the same order. sourceID names the stored id of each generated source.
func Rows(cat *catalog.Catalog, b gen.Batch, userID int64, sourceID func(*gen.Source) int64) ([]Row, error) {
	out := make([]Row, len(b.Samples))
	for i, s := range b.Samples {
		m, ok := cat.Lookup(s.Type)
		if !ok {
			return nil, fmt.Errorf("rows: unknown type %s", s.Type)
		}
		v, err := cat.Convert(m, s.Value, s.Unit, catalog.HealthKit)
		if err != nil {
			return nil, fmt.Errorf("rows: %w", err)
		}
		out[i] = Row{UserID: userID, ID: strings.ToLower(s.ID), Metric: m.Name, SourceID: sourceID(s.Source),
			DeviceID: b.User.Device.ID, Start: s.Start.Truncate(time.Millisecond), End: s.End.Truncate(time.Millisecond),
			Value: v, OrigValue: s.Value, OrigUnit: s.Unit, TimeZone: b.User.Device.TimeZone,
			UserEntered: s.Meta.UserEntered, Metadata: s.Meta.JSON()}
	}
	slices.SortFunc(out, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
