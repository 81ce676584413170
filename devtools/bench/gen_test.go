package bench_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
	"healthsync/ingest"
)

// batchSize is the upload size every benchmark measures: a phone that was offline for a month sends about this much
// heart rate in one go, and it is half the server's default item limit.
const batchSize = 10_000

const (
	genSeed  = 2026
	interval = 5 * time.Minute
	deviceID = "3C1F6E2A-ios-install"
	deviceTZ = "Europe/Zurich"
	hrType   = "HKQuantityTypeIdentifierHeartRate"
	hrUnit   = "count/min"
	// hrMetric is heart rate's canonical name and count/min its canonical unit, so stored value = uploaded value.
	hrMetric = "heart_rate"
	// motionMeta is HKMetadataKeyHeartRateMotionContext = 1 (sedentary) as encoding/json writes it, which is
	// how the ingest path stores metadata.
	motionMeta = `{"HKMetadataKeyHeartRateMotionContext":1}`
)

// anchor is where the newest generated batch ends: the generator's end, the last midnight by the clock the
// server runs on, so the server's "not in the future" check passes on any day; older batches go further back.
var anchor = gen.DefaultEnd

// The Apple Watch as HealthKit reports it: the source is the Watch's Health app, named by the user, with a
// per-device bundle id suffix; HKDevice gives model "Watch" and the hardware identifier.
var watch = struct {
	Name, BundleID, ProductType, DeviceModel, HardwareVersion string
}{"Alice’s Apple Watch", "com.apple.health.5C2E94A1-0D7B-4E0F-9E43-7B5A1F0C2D88", "Watch6,7", "Watch", "Watch6,7"}

// hrSample is one generated heart-rate reading, before any transport shape.
type hrSample struct {
	ID  string // HealthKit UUID, uppercase as HealthKit prints it
	At  time.Time
	BPM int
}

// genBatch makes batch k of n samples: one reading about every five minutes (the Watch's background rate, with
// a few seconds of jitter), heart rate drifting around a resting level with bouts of activity. Batch k covers the
// n slots ending k windows before anchor, so batches never overlap in time and each is deterministic in (k, n).
func genBatch(k, n int) []hrSample {
	r := rand.New(rand.NewPCG(genSeed, uint64(k)))
	first := anchor.Add(-time.Duration(k+1) * time.Duration(n) * interval)
	out := make([]hrSample, n)
	bpm, active := 64.0, 0
	for i := range out {
		if active == 0 && r.IntN(100) == 0 { // a walk or a workout now and then
			active = 3 + r.IntN(12)
		}
		target := 62.0
		if active > 0 {
			target = 115
			active--
		}
		bpm += (target-bpm)*0.35 + r.NormFloat64()*3
		bpm = min(max(bpm, 42), 185)
		jitter := time.Duration(r.IntN(30_000)) * time.Millisecond
		out[i] = hrSample{ID: uuid(r), At: first.Add(time.Duration(i)*interval + jitter), BPM: int(bpm + 0.5)}
	}
	return out
}

// uuid draws a version-4 UUID, spelled uppercase.
func uuid(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func ptr[T any](v T) *T { return &v }

// toBatch is the batch as the ingest service receives it from the resolver.
func toBatch(key string, samples []hrSample) ingest.Batch {
	src := ingest.Source{Name: watch.Name, BundleID: ptr(watch.BundleID), ProductType: ptr(watch.ProductType),
		DeviceModel: ptr(watch.DeviceModel), HardwareVersion: ptr(watch.HardwareVersion)}
	qs := make([]ingest.QuantitySample, len(samples))
	for i, s := range samples {
		at := s.At.UTC()
		qs[i] = ingest.QuantitySample{ID: s.ID, Type: hrType, Value: ingest.Float(s.BPM), Unit: hrUnit, Start: at, End: at,
			Source: src,
			// gqlgen decodes variables with UseNumber, so this is what the HTTP path hands the service.
			Metadata: map[string]any{"HKMetadataKeyHeartRateMotionContext": json.Number("1")}}
	}
	return ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth,
		Device:  ingest.Device{ID: deviceID, Model: ptr("iPhone15,2"), OSVersion: ptr("18.1"), AppVersion: ptr("1.4.0"), TimeZone: ptr(deviceTZ)},
		Samples: qs}
}

const ingestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { kind index id code message } }
}`

// The request body's shape, typed so that encoding it costs what a client's encoder costs.
type (
	gqlRequest struct {
		Query     string `json:"query"`
		Variables struct {
			Input batchInput `json:"input"`
		} `json:"variables"`
	}
	batchInput struct {
		IdempotencyKey string        `json:"idempotencyKey"`
		Provider       string        `json:"provider"`
		Device         deviceInput   `json:"device"`
		Samples        []sampleInput `json:"samples"`
	}
	deviceInput struct {
		ID         string `json:"id"`
		Model      string `json:"model"`
		OSVersion  string `json:"osVersion"`
		AppVersion string `json:"appVersion"`
		TimeZone   string `json:"timeZone"`
	}
	sourceInput struct {
		Name            string `json:"name"`
		BundleID        string `json:"bundleId"`
		ProductType     string `json:"productType"`
		DeviceModel     string `json:"deviceModel"`
		HardwareVersion string `json:"hardwareVersion"`
	}
	sampleInput struct {
		ID       string          `json:"id"`
		Type     string          `json:"type"`
		Value    int             `json:"value"`
		Unit     string          `json:"unit"`
		Start    string          `json:"start"`
		End      string          `json:"end"`
		Source   sourceInput     `json:"source"`
		Metadata json.RawMessage `json:"metadata"`
	}
)

// toBody is the POST /graphql body an iOS client sends for the batch. Times carry the device's UTC offset and
// milliseconds, as ISO8601DateFormatter with fractional seconds writes them.
func toBody(key string, samples []hrSample) []byte {
	zurich, err := time.LoadLocation(deviceTZ)
	if err != nil {
		panic(err) // the benchmark cannot run without tzdata; say so loudly
	}
	var req gqlRequest
	req.Query = ingestMutation
	in := &req.Variables.Input
	in.IdempotencyKey, in.Provider = key, "APPLE_HEALTH"
	in.Device = deviceInput{ID: deviceID, Model: "iPhone15,2", OSVersion: "18.1", AppVersion: "1.4.0", TimeZone: deviceTZ}
	src := sourceInput{Name: watch.Name, BundleID: watch.BundleID, ProductType: watch.ProductType,
		DeviceModel: watch.DeviceModel, HardwareVersion: watch.HardwareVersion}
	meta := json.RawMessage(motionMeta)
	in.Samples = make([]sampleInput, len(samples))
	for i, s := range samples {
		at := s.At.In(zurich).Format("2006-01-02T15:04:05.000Z07:00")
		in.Samples[i] = sampleInput{ID: s.ID, Type: hrType, Value: s.BPM, Unit: hrUnit, Start: at, End: at, Source: src, Metadata: meta}
	}
	body, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return body
}

// toRows normalizes the samples the way ingest does (lowercase ids, canonical metric, the device's zone) and
// orders them as db.WriteSamples does, by id, so that the baselines do the same index work in the same order.
func toRows(userID, sourceID int64, samples []hrSample) []bench.Row {
	out := make([]bench.Row, len(samples))
	for i, s := range samples {
		at := s.At.UTC()
		out[i] = bench.Row{UserID: userID, ID: strings.ToLower(s.ID), Metric: hrMetric, SourceID: sourceID, DeviceID: deviceID,
			Start: at, End: at, Value: float64(s.BPM), OrigValue: float64(s.BPM), OrigUnit: hrUnit, TimeZone: deviceTZ, Metadata: motionMeta}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
