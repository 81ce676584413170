package appleexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/ingest"
)

// DefaultDeviceID is the device an import is recorded under, so sync state shows what the import brought.
const DefaultDeviceID = "apple-export"

// DefaultBatchSize is how many items go into one ingest batch: large enough to amortize a transaction, small
// enough that a failure repeats little work.
const DefaultBatchSize = 5000

// Options tune an Importer; zero values take the defaults.
type Options struct {
	DeviceID  string
	BatchSize int // capped by the ingest service's MaxItems
}

// Importer streams an export into the ingest write path.
type Importer struct {
	svc      *ingest.Service
	cat      *catalog.Catalog
	deviceID string
	size     int
}

// NewImporter wires an importer to the write path and the catalog that decides which types are known.
func NewImporter(svc *ingest.Service, cat *catalog.Catalog, o Options) *Importer {
	if o.DeviceID == "" {
		o.DeviceID = DefaultDeviceID
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	o.BatchSize = min(o.BatchSize, svc.Limits().MaxItems)
	return &Importer{svc: svc, cat: cat, deviceID: o.DeviceID, size: o.BatchSize}
}

// Summary counts what an import did. It is also the progress report, filled in as the import goes.
type Summary struct {
	Records    int64 // Record, Workout and Audiogram elements read
	Accepted   int64 // stored for the first time
	Duplicates int64 // already stored (by this import or an earlier one)
	Updated    int64
	Rejected   int64 // refused by validation (see RejectedByCode)
	Unknown    int64 // records of types the catalog does not know (see UnknownTypes)
	Skipped    int64 // top-level elements that are not imported (see SkippedElements)
	Batches    int
	Replayed   int // batches the server had already stored under their idempotency key

	RejectedByCode  map[string]int64
	UnknownTypes    map[string]int64
	SkippedElements map[string]int64
	FirstRejections []ingest.Rejection // the first few, for the report

	BytesDone, BytesTotal int64
	Elapsed               time.Duration
}

// clone gives the progress callback a copy it may keep.
func (s *Summary) clone() Summary {
	c := *s
	c.RejectedByCode = maps.Clone(s.RejectedByCode)
	c.UnknownTypes = maps.Clone(s.UnknownTypes)
	c.SkippedElements = maps.Clone(s.SkippedElements)
	c.FirstRejections = append([]ingest.Rejection(nil), s.FirstRejections...)
	return c
}

const keepRejections = 20

func (s *Summary) reject(r ingest.Rejection) {
	s.Rejected++
	s.RejectedByCode[string(r.Code)]++
	if len(s.FirstRejections) < keepRejections {
		s.FirstRejections = append(s.FirstRejections, r)
	}
}

// Import reads export.xml from r (size is its length in bytes, or 0 when unknown) and stores it for the user.
// progress, when not nil, is called after every batch with the counts so far. Re-importing the same export,
// or a later one that overlaps it, stores only what is new: item ids are hashes of the records' content.
//
// Reading and storing overlap: one goroutine parses the next batch while the caller's stores the last one, with
// at most one parsed batch waiting, so memory stays bounded by a few batches whatever the file size.
func (im *Importer) Import(ctx context.Context, userID int64, r io.Reader, size int64, progress func(Summary)) (Summary, error) {
	began := time.Now()
	sum := Summary{BytesTotal: size, RejectedByCode: map[string]int64{}, UnknownTypes: map[string]int64{},
		SkippedElements: map[string]int64{}}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parsedc := make(chan parsed, 1)
	p := &producer{im: im, rd: NewReader(r), unknownTypes: map[string]int64{}, skippedElements: map[string]int64{}}
	go p.run(ctx, parsedc)

	var err error
	for c := range parsedc {
		sum.Records, sum.Unknown, sum.Skipped = c.records, c.unknown, c.skipped
		sum.UnknownTypes, sum.SkippedElements, sum.BytesDone = c.unknownTypes, c.skippedElements, c.bytesRead
		for _, rej := range c.rejections {
			sum.reject(rej)
		}
		if c.err != nil {
			err = c.err
			break
		}
		if c.items > 0 {
			if err = im.store(ctx, userID, &sum, c.batch); err != nil {
				break
			}
		}
		if progress != nil {
			sum.Elapsed = time.Since(began)
			progress(sum.clone())
		}
	}
	cancel()
	for range parsedc { // let the producer see the cancellation and finish
	}
	if err == nil && parent.Err() != nil { // stopped from outside: the reader gave up without an error of its own
		err = parent.Err()
	}
	sum.Elapsed = time.Since(began)
	return sum.clone(), err
}

// store ingests one batch. Its idempotency key is a hash of its content, so the same export imported again
// replays batch by batch instead of writing, and a different payload can never reuse a key.
func (im *Importer) store(ctx context.Context, userID int64, sum *Summary, b ingest.Batch) error {
	h, err := b.Fingerprint()
	if err != nil {
		return fmt.Errorf("hash import batch: %w", err)
	}
	b.IdempotencyKey = "apple-export:" + hex.EncodeToString(h[:16])
	res, err := im.svc.Ingest(ctx, userID, b)
	if err != nil {
		return fmt.Errorf("import batch %d: %w", sum.Batches+1, err)
	}
	sum.Batches++
	if res.Replayed {
		// The stored answer describes the first import; for this one everything in it was already there.
		sum.Replayed++
		sum.Duplicates += int64(res.Accepted + res.Duplicates + res.Updated)
	} else {
		sum.Accepted += int64(res.Accepted)
		sum.Duplicates += int64(res.Duplicates)
		sum.Updated += int64(res.Updated)
	}
	for _, rej := range res.Rejected {
		sum.reject(rej)
	}
	return nil
}

// parsed is one batch handed from the reading goroutine to the storing one, with the reading side's counts so far.
type parsed struct {
	batch                         ingest.Batch
	items                         int
	rejections                    []ingest.Rejection // refused while reading, since the last batch
	records, unknown, skipped     int64
	unknownTypes, skippedElements map[string]int64 // copies
	bytesRead                     int64
	err                           error
}

// producer reads elements and builds batches.
type producer struct {
	im         *Importer
	rd         *Reader
	batch      ingest.Batch
	items      int
	rejections []ingest.Rejection

	records, unknown, skipped     int64
	unknownTypes, skippedElements map[string]int64
}

func (p *producer) run(ctx context.Context, out chan<- parsed) {
	defer close(out)
	send := func(err error) bool {
		c := parsed{batch: p.batch, items: p.items, rejections: p.rejections, records: p.records, unknown: p.unknown,
			skipped: p.skipped, unknownTypes: maps.Clone(p.unknownTypes), skippedElements: maps.Clone(p.skippedElements),
			bytesRead: p.rd.BytesRead(), err: err}
		p.reset()
		select {
		case out <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	p.reset()
	for {
		if ctx.Err() != nil {
			return
		}
		el, err := p.rd.Next()
		if errors.Is(err, io.EOF) {
			send(nil)
			return
		}
		if err != nil {
			send(err)
			return
		}
		switch el.Kind {
		case KindRecord:
			p.records++
			p.im.addRecord(p, el.Record)
		case KindWorkout:
			p.records++
			p.im.addWorkout(p, el.Workout)
		case KindAudiogram:
			p.records++
			p.im.addAudiogram(p, el.Audiogram)
		case KindOther:
			p.skipped++
			p.skippedElements[el.Other]++
		}
		// Rejections count towards the size too, so a file of nothing but bad records still reports as it goes.
		if p.items+len(p.rejections) >= p.im.size && !send(nil) {
			return
		}
	}
}

func (p *producer) reset() {
	p.batch = ingest.Batch{Provider: ingest.AppleHealth, Device: ingest.Device{ID: p.im.deviceID}, ContentIDs: true}
	p.items = 0
	p.rejections = nil
}

func (im *Importer) addRecord(r *producer, rec *Record) {
	src := source(rec.SourceName, rec.SourceVersion, rec.Device)
	meta := anyMap(rec.Metadata)
	if _, ok := im.cat.Lookup(rec.Type); ok && !strings.HasPrefix(rec.Type, "HKCategoryTypeIdentifier") {
		v, err := strconv.ParseFloat(strings.TrimSpace(rec.Value), 64)
		id := ItemID(rec.Type, rec.SourceName, rec.Start, rec.End, canonicalNumber(rec.Value), rec.Unit)
		if err != nil {
			r.rejections = append(r.rejections, ingest.Rejection{Kind: ingest.KindSample, ID: id, Code: ingest.CodeBadValue,
				Message: fmt.Sprintf("%s value %q is not a number", rec.Type, rec.Value)})
			return
		}
		r.batch.Samples = append(r.batch.Samples, ingest.QuantitySample{ID: id, Type: rec.Type, Value: ingest.Float(v),
			Unit: rec.Unit, Start: rec.Start, End: rec.End, Source: src, Metadata: meta})
		r.items++
		return
	}
	if _, ok := im.cat.LookupCategory(rec.Type); ok {
		id := ItemID(rec.Type, rec.SourceName, rec.Start, rec.End, rec.Value, rec.Unit)
		r.batch.Categories = append(r.batch.Categories, ingest.CategorySample{ID: id, Type: rec.Type, Value: rec.Value,
			Start: rec.Start, End: rec.End, Source: src, Metadata: meta})
		r.items++
		return
	}
	r.unknown++
	r.unknownTypes[rec.Type]++
}

// workoutTotals names the statistics that stand in for a workout's totals when its attributes lack them
// (exports since iOS 16 moved the totals into WorkoutStatistics).
var distanceStatistics = []string{
	"HKQuantityTypeIdentifierDistanceWalkingRunning", "HKQuantityTypeIdentifierDistanceCycling",
	"HKQuantityTypeIdentifierDistanceSwimming", "HKQuantityTypeIdentifierDistanceWheelchair",
	"HKQuantityTypeIdentifierDistanceDownhillSnowSports", "HKQuantityTypeIdentifierDistanceRowing",
	"HKQuantityTypeIdentifierDistancePaddleSports", "HKQuantityTypeIdentifierDistanceSkatingSports",
	"HKQuantityTypeIdentifierDistanceCrossCountrySkiing",
}

func (im *Importer) addWorkout(r *producer, w *WorkoutElement) {
	meta := anyMap(w.Metadata)
	stat := func(typ string) *Statistic {
		for i := range w.Statistics {
			if w.Statistics[i].Type == typ {
				return &w.Statistics[i]
			}
		}
		return nil
	}
	out := ingest.Workout{
		ID:           ItemID(w.ActivityType, w.SourceName, w.Start, w.End, "", ""),
		ActivityType: w.ActivityType, Start: w.Start, End: w.End,
		Source: source(w.SourceName, w.SourceVersion, w.Device), Metadata: meta,
	}
	if d, ok := seconds(w.Duration, w.DurationUnit); ok {
		out.DurationSeconds = &d
	}
	if q := quantity(w.TotalEnergy, w.EnergyUnit); q != nil {
		out.Energy = q
	} else if s := stat("HKQuantityTypeIdentifierActiveEnergyBurned"); s != nil && s.Sum != nil {
		out.Energy = &ingest.Quantity{Value: ingest.Float(*s.Sum), Unit: s.Unit}
	}
	if q := quantity(w.TotalDistance, w.DistanceUnit); q != nil {
		out.Distance = q
	} else {
		for _, typ := range distanceStatistics {
			if s := stat(typ); s != nil && s.Sum != nil {
				out.Distance = &ingest.Quantity{Value: ingest.Float(*s.Sum), Unit: s.Unit}
				break
			}
		}
	}
	// Heart rate statistics go where the workouts read side looks for them (workouts.HeartRateFromMetadata).
	if s := stat("HKQuantityTypeIdentifierHeartRate"); s != nil && (s.Unit == "" || s.Unit == "count/min") {
		if s.Average != nil {
			meta = setMeta(meta, "averageHeartRate", *s.Average)
		}
		if s.Max != nil {
			meta = setMeta(meta, "maxHeartRate", *s.Max)
		}
	}
	if len(w.Events) > 0 {
		ev := make(map[string]any, len(w.Events))
		for k, n := range w.Events {
			ev[k] = n
		}
		meta = setMeta(meta, "workoutEvents", ev)
	}
	if len(w.Routes) > 0 {
		meta = setMeta(meta, "routeFiles", w.Routes)
	}
	out.Metadata = meta
	workoutParts(w, &out)
	r.batch.Workouts = append(r.batch.Workouts, out)
	r.items++
}

func setMeta(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

func quantity(value, unit string) *ingest.Quantity {
	f := number(value)
	if f == nil {
		return nil
	}
	return &ingest.Quantity{Value: ingest.Float(*f), Unit: unit}
}

func seconds(value, unit string) (float64, bool) {
	f := number(value)
	if f == nil {
		return 0, false
	}
	switch unit {
	case "s", "sec":
		return *f, true
	case "min", "":
		return *f * 60, true
	case "hr", "h":
		return *f * 3600, true
	}
	return 0, false
}

func source(name, version string, d Device) ingest.Source {
	s := ingest.Source{Name: name, Version: opt(version), DeviceName: opt(d.Name), DeviceManufacturer: opt(d.Manufacturer),
		DeviceModel: opt(d.Model), HardwareVersion: opt(d.Hardware), SoftwareVersion: opt(d.Software)}
	// HealthKit's productType is the hardware identifier ("Watch6,7"); the export prints it as hardware.
	s.ProductType = opt(d.Hardware)
	return s
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func anyMap(m map[string]string) map[string]any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// canonicalNumber prints a number the same way however the export spelled it ("74", "74.0").
func canonicalNumber(s string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// ItemID is the stable id of an exported item: export.xml carries no sample UUIDs, so the id is a SHA-256 of
// what makes a record itself (type, source, start and end instants, value, unit), printed as a UUID (version 8,
// RFC 9562) because the write path takes HealthKit ids only in that shape. The instants are hashed as Unix
// seconds so a later export that prints another offset for the same instant yields the same id.
func ItemID(typ, sourceName string, start, end time.Time, value, unit string) string {
	h := sha256.New()
	for _, part := range []string{"healthsync/apple-export/v1", typ, sourceName,
		strconv.FormatInt(start.Unix(), 10), strconv.FormatInt(end.Unix(), 10), value, unit} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return uuidOf(h.Sum(nil))
}

func uuidOf(sum []byte) string {
	var b [16]byte
	copy(b[:], sum)
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
