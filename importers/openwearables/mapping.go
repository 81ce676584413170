package openwearables

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/ingest"
)

// Origin is where a mapped item sits in the SDK's body, so the write path's rejections are reported in the
// SDK's terms (collection and index) rather than in the batch's.
type Origin struct {
	Collection string // records, sleep or workouts
	Index      int
	ID         string
}

// Rejection is one item of the body that was not stored.
type Rejection struct {
	Collection string `json:"collection"`
	Index      int    `json:"index"`
	ID         string `json:"id,omitempty"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// Mapped is a request turned into ingest items with their origins, not yet split into batches.
type Mapped struct {
	Provider     ingest.Provider
	DeviceID     string
	SDKVersion   *string
	Samples      []ingest.QuantitySample
	Categories   []ingest.CategorySample
	Workouts     []ingest.Workout
	SampleFrom   []Origin
	CategoryFrom []Origin
	WorkoutFrom  []Origin
	// Rejected are the items refused before the write path: undecodable, or missing what every item needs.
	Rejected []Rejection
}

// ErrUnsupportedProvider is a body whose provider is none of apple, samsung and google.
var ErrUnsupportedProvider = fmt.Errorf("unsupported provider: send apple, samsung or google")

// providers maps the SDK's provider to the platform whose spelling of types, units and values it uses. Samsung
// Health goes through the Android SDK with Health Connect's vocabulary.
var providers = map[string]ingest.Provider{
	"apple": ingest.AppleHealth, "samsung": ingest.HealthConnect, "google": ingest.HealthConnect,
}

// sdkTypes are the SDK's type names whose folded spelling differs from the catalog's Health Connect
// names (HEART_RATE meets HeartRate on its own; WEIGHT does not meet body_mass). Their backend reads Android
// HEART_RATE_VARIABILITY as RMSSD, which is what Health Connect records.
var sdkTypes = map[string]string{
	"WEIGHT":                 "body_mass",
	"BODY_FAT":               "body_fat_percentage",
	"BMI":                    "body_mass_index",
	"HEART_RATE_VARIABILITY": "hrv_rmssd",
	"HYDRATION":              "dietary_water",
	"TOTAL_CALORIES_BURNED":  "total_energy_burned",
	"BASAL_METABOLIC_RATE":   "basal_metabolic_rate",
	"DISTANCE":               "distance_walking_running",
	"STEP_COUNT":             "steps",
	"ACTIVE_CALORIES_BURNED": "active_energy_burned",
	"FLOORS_CLIMBED":         "flights_climbed",
	// HealthKit's cycling power and speed are the catalog's generic power and speed, as in their backend.
	"HKQuantityTypeIdentifierCyclingPower": "power",
	"HKQuantityTypeIdentifierCyclingSpeed": "speed",
}

// MetricName is the catalog name for one of the SDK's record types, and whether the catalog has it.
func MetricName(cat *catalog.Catalog, typ string) (string, bool) {
	if n, ok := sdkTypes[typ]; ok {
		typ = n
	}
	m, ok := cat.Lookup(typ)
	return m.Name, ok
}

// Map turns a decoded request into ingest items. Items that cannot be decoded are rejected here; everything
// else (types, units, ranges, ids) is judged by the write path.
func Map(r *Request, cat *catalog.Catalog) (*Mapped, error) {
	provider := strings.ToLower(strings.TrimSpace(r.Provider))
	p, ok := providers[provider]
	if !ok {
		return nil, ErrUnsupportedProvider
	}
	m := &Mapped{Provider: p, DeviceID: "open-wearables-" + provider, SDKVersion: r.SDKVersion.Ptr()}
	mp := mapper{m: m, cat: cat, apple: provider == "apple", provider: provider, fractionSpO2: r.legacy}
	for i, raw := range r.Data.Records {
		o := r.origin("records", i)
		rec, err := DecodeRecord(raw)
		if err != nil {
			m.reject(o, "BAD_FIELD", err.Error())
			continue
		}
		mp.record(o, rec)
	}
	for i, raw := range r.Data.Sleep {
		o := r.origin("sleep", i)
		s, err := DecodeSleep(raw)
		if err != nil {
			m.reject(o, "BAD_FIELD", err.Error())
			continue
		}
		mp.sleep(o, s)
	}
	for i, raw := range r.Data.Workouts {
		o := r.origin("workouts", i)
		w, err := DecodeWorkout(raw)
		if err != nil {
			m.reject(o, "BAD_FIELD", err.Error())
			continue
		}
		mp.workout(o, w)
	}
	return m, nil
}

func (m *Mapped) reject(o Origin, code, msg string) {
	m.Rejected = append(m.Rejected, Rejection{Collection: o.Collection, Index: o.Index, ID: o.ID, Code: code, Message: msg})
}

type mapper struct {
	m        *Mapped
	cat      *catalog.Catalog
	apple    bool
	provider string
	// fractionSpO2: oxygen saturation arrives as HealthKit's fraction (iOS SDK 0.2.x), not ×100.
	fractionSpO2 bool
}

// envelope checks what every item needs: a start (the end defaults to it). o carries the item's id.
func (mp *mapper) envelope(o Origin, start, end Time) (time.Time, time.Time, bool) {
	if !start.Valid {
		mp.m.reject(o, "BAD_TIME", "startDate is required")
		return time.Time{}, time.Time{}, false
	}
	e := start.T
	if end.Valid {
		e = end.T
	}
	return start.T, e, true
}

func (mp *mapper) record(from Origin, r Record) {
	from.ID = r.ID.S
	start, end, ok := mp.envelope(from, r.StartDate, r.EndDate)
	if !ok {
		return
	}
	typ := strings.TrimSpace(r.Type.S)
	src := mp.source(r.Source)
	tz, meta := zone(r.ZoneOffset, r.Metadata)
	meta = extra(meta, r.ParentID, r.Source)
	if c, isCat := mp.cat.LookupCategory(typ); isCat && typ != "" {
		value := ""
		if r.Value.Valid {
			value = strconv.FormatFloat(r.Value.F, 'f', -1, 64)
		}
		mp.m.Categories = append(mp.m.Categories, ingest.CategorySample{ID: r.ID.S, Type: c.Name, Value: value,
			Start: start, End: end, Source: src, TimeZone: tz, UserEntered: manual(r.Source), Metadata: meta})
		mp.m.CategoryFrom = append(mp.m.CategoryFrom, from)
		return
	}
	if !r.Value.Valid {
		mp.m.reject(from, "BAD_VALUE", "value is required")
		return
	}
	name := typ
	if n, ok := MetricName(mp.cat, typ); ok {
		name = n
	}
	mp.m.Samples = append(mp.m.Samples, ingest.QuantitySample{ID: r.ID.S, Type: name, Value: ingest.Float(r.Value.F),
		Unit: mp.unit(name, r.Unit.S), Start: start, End: end, Source: src, TimeZone: tz,
		UserEntered: manual(r.Source), Metadata: meta})
	mp.m.SampleFrom = append(mp.m.SampleFrom, from)
}

// unit translates the SDKs' unit spellings where they mean something else in the platform's dialect. The iOS
// SDK from 0.3.0 multiplies oxygen saturation by 100 but keeps "%", which in HealthKit's dialect is a
// fraction (as 0.2.x sends it); the Android SDK's "%" is always 0–100.
func (mp *mapper) unit(metric, u string) string {
	u = strings.TrimSpace(u)
	if u == "%" && (!mp.apple || (metric == "oxygen_saturation" && !mp.fractionSpO2)) {
		return "percent"
	}
	return u
}

// sleepStages maps the SDKs' stage names (iOS and Android write in_bed, sleeping, awake, light, deep, rem,
// unknown; their tests also use HealthKit's camelCase names) to the catalog's sleep values.
var sleepStages = map[string]string{
	"inbed": "in_bed", "sleeping": "asleep_unspecified", "asleep": "asleep_unspecified",
	"asleepunspecified": "asleep_unspecified", "unknown": "asleep_unspecified", "awake": "awake",
	"light": "asleep_core", "core": "asleep_core", "asleepcore": "asleep_core", "deep": "asleep_deep",
	"asleepdeep": "asleep_deep", "rem": "asleep_rem", "asleeprem": "asleep_rem", "outofbed": "awake_out_of_bed",
	"awakeinbed": "awake_in_bed",
}

func (mp *mapper) sleep(from Origin, s Sleep) {
	from.ID = s.ID.S
	start, end, ok := mp.envelope(from, s.StartDate, s.EndDate)
	if !ok {
		return
	}
	stage := strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s.Stage.S)))
	value, known := sleepStages[stage]
	if !known {
		value = s.Stage.S // the write path refuses it and lists the known values
	}
	tz, meta := zone(s.ZoneOffset, s.Metadata)
	meta = extra(meta, s.ParentID, s.Source)
	var values any
	if len(s.Values) > 0 && json.Unmarshal(s.Values, &values) == nil && values != nil {
		meta = with(meta, "values", values)
	}
	mp.m.Categories = append(mp.m.Categories, ingest.CategorySample{ID: s.ID.S, Type: "sleep", Value: value,
		Start: start, End: end, Source: mp.source(s.Source), TimeZone: tz, UserEntered: manual(s.Source), Metadata: meta})
	mp.m.CategoryFrom = append(mp.m.CategoryFrom, from)
}

func (mp *mapper) workout(from Origin, w Workout) {
	from.ID = w.ID.S
	start, end, ok := mp.envelope(from, w.StartDate, w.EndDate)
	if !ok {
		return
	}
	tz, meta := zone(w.ZoneOffset, w.Metadata)
	meta = extra(meta, w.ParentID, w.Source)
	if t := w.Title.Ptr(); t != nil {
		meta = with(meta, "title", *t)
	}
	if n := w.Notes.Ptr(); n != nil {
		meta = with(meta, "notes", *n)
	}
	out := ingest.Workout{ID: w.ID.S, ActivityType: mp.activity(w.Type.S), Start: start, End: end,
		Source: mp.source(w.Source), TimeZone: tz}
	if out.ActivityType == "other" && w.Type.S != "" {
		meta = with(meta, "workoutType", w.Type.S)
	}
	stats := map[string]any{}
	for _, st := range w.Values {
		name := strings.TrimSpace(st.Type.S)
		if name == "" || !st.Value.Valid {
			continue
		}
		v, u := st.Value.F, strings.TrimSpace(st.Unit.S)
		stats[name] = map[string]any{"value": v, "unit": u}
		switch name {
		case "duration":
			if secs, ok := seconds(v, u); ok && secs <= end.Sub(start).Seconds()+1 {
				out.DurationSeconds = &secs
			}
		case "activeEnergyBurned":
			out.Energy = &ingest.Quantity{Value: ingest.Float(v), Unit: u}
		case "calories": // Samsung's workout energy, when no active energy came
			if out.Energy == nil {
				out.Energy = &ingest.Quantity{Value: ingest.Float(v), Unit: u}
			}
		case "distance":
			out.Distance = &ingest.Quantity{Value: ingest.Float(v), Unit: u}
		case "averageHeartRate", "meanHeartRate":
			meta = with(meta, "averageHeartRate", v)
		case "maxHeartRate":
			meta = with(meta, "maxHeartRate", v)
		case "minHeartRate":
			meta = with(meta, "minHeartRate", v)
		case "indoorWorkout":
			meta = with(meta, "isIndoor", v != 0)
		}
	}
	if len(stats) > 0 {
		meta = with(meta, "statistics", stats)
	}
	out.Metadata = meta
	workoutParts(w, &out)
	mp.m.Workouts = append(mp.m.Workouts, out)
	mp.m.WorkoutFrom = append(mp.m.WorkoutFrom, from)
}

// activity maps the SDKs' workout names (iOS: snake_case such as strength_training or hiit; Android: Health
// Connect's RUNNING, EXERCISE_TYPE_*) to a catalog activity; what the catalog lacks is stored as "other" with
// the name kept in metadata, rather than losing the workout.
func (mp *mapper) activity(typ string) string {
	typ = strings.TrimSpace(typ)
	if typ == "" {
		return "other"
	}
	if a, ok := activityAliases[strings.ToLower(typ)]; ok {
		typ = a
	}
	d := catalog.HealthConnect
	if mp.apple {
		d = catalog.HealthKit
	}
	if a, ok := mp.cat.ActivityType(d, typ); ok {
		return a
	}
	if a, ok := mp.cat.ActivityType(catalog.HealthKit, typ); ok {
		return a
	}
	return "other"
}

// activityAliases are the iOS SDK's shortened workout names whose HealthKit name differs.
var activityAliases = map[string]string{
	"strength_training": "traditionalStrengthTraining", "hiit": "highIntensityIntervalTraining",
	"wheelchair_run": "wheelchairRunPace", "wheelchair_walk": "wheelchairWalkPace", "surfing": "surfingSports",
}

func seconds(v float64, unit string) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false
	}
	switch strings.ToLower(unit) {
	case "s", "sec", "second", "seconds", "":
		return v, true
	case "ms", "millisecond", "milliseconds":
		return v / 1000, true
	case "min", "minute", "minutes":
		return v * 60, true
	case "h", "hr", "hour", "hours":
		return v * 3600, true
	}
	return 0, false
}

// source builds the item's source from the SDK's source object. The write path needs a name: Android sources
// carry none, so the device's name, the app id or the provider stands in.
func (mp *mapper) source(s *Source) ingest.Source {
	if s == nil {
		return ingest.Source{Name: "Open Wearables " + mp.provider}
	}
	name := firstText(s.Name, s.DeviceName, s.AppID, s.BundleIdentifier)
	if name == "" {
		name = "Open Wearables " + mp.provider
	}
	out := ingest.Source{Name: name, BundleID: s.BundleIdentifier.Ptr(), Version: s.Version.Ptr(),
		ProductType: s.ProductType.Ptr(), DeviceName: s.DeviceName.Ptr(), DeviceModel: s.DeviceModel.Ptr(),
		DeviceManufacturer: s.DeviceManufacturer.Ptr(), HardwareVersion: s.DeviceHardwareVersion.Ptr(),
		SoftwareVersion: s.DeviceSoftwareVersion.Ptr()}
	if out.BundleID == nil {
		out.BundleID = s.AppID.Ptr()
	}
	if out.SoftwareVersion == nil && s.OperatingSystemVersion != nil && s.OperatingSystemVersion.Major.Valid {
		v := s.OperatingSystemVersion
		sv := fmt.Sprintf("%d.%d.%d", int64(v.Major.F), int64(v.Minor.F), int64(v.Patch.F))
		out.SoftwareVersion = &sv
	}
	return out
}

func firstText(ts ...Text) string {
	for _, t := range ts {
		if p := t.Ptr(); p != nil {
			return strings.TrimSpace(*p)
		}
	}
	return ""
}

func manual(s *Source) *bool {
	if s == nil || !strings.EqualFold(s.RecordingMethod.S, "manual") {
		return nil
	}
	t := true
	return &t
}

// zone turns the SDK's zoneOffset ("+01:00") into a time zone the write path accepts: whole-hour offsets are
// the fixed Etc/GMT zones (whose sign is inverted by POSIX convention). The offset itself stays in metadata.
func zone(offset Text, meta Metadata) (*string, map[string]any) {
	out := map[string]any(meta)
	o := strings.TrimSpace(offset.S)
	if o == "" {
		return nil, out
	}
	out = with(out, "zoneOffset", o)
	if o == "Z" || o == "+00:00" || o == "-00:00" || o == "+0000" {
		utc := "UTC"
		return &utc, out
	}
	t, err := time.Parse("-07:00", o)
	if err != nil {
		if t, err = time.Parse("-0700", o); err != nil {
			return nil, out
		}
	}
	_, secs := t.Zone()
	if secs%3600 != 0 || secs == 0 || secs < -12*3600 || secs > 14*3600 {
		return nil, out
	}
	name := fmt.Sprintf("Etc/GMT%+d", -secs/3600)
	return &name, out
}

// extra keeps what our source and sample have no column for.
func extra(meta map[string]any, parent Text, s *Source) map[string]any {
	if p := parent.Ptr(); p != nil {
		meta = with(meta, "parentId", *p)
	}
	if s != nil {
		if d := s.DeviceType.Ptr(); d != nil {
			meta = with(meta, "deviceType", *d)
		}
		if r := s.RecordingMethod.Ptr(); r != nil {
			meta = with(meta, "recordingMethod", *r)
		}
	}
	return meta
}

func with(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// Batch is one ingest batch with where its items came from.
type Batch struct {
	ingest.Batch
	SampleFrom, CategoryFrom, WorkoutFrom []Origin
}

// Batches splits the mapped items into batches of at most max items. A batch's idempotency key is a hash of
// its content, so a retried upload is answered from the stored result and stores nothing twice.
func Batches(m *Mapped, max int) []Batch {
	if max <= 0 {
		max = 5000
	}
	var out []Batch
	cur := Batch{}
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		cur.Provider = m.Provider
		cur.Device = ingest.Device{ID: m.DeviceID, AppVersion: m.SDKVersion}
		sum, err := cur.Fingerprint()
		if err != nil { // only metadata that cannot be encoded, which a JSON body cannot carry: no replay then
			sum = []byte(rand.Text())
		}
		cur.IdempotencyKey = "open-wearables:" + hex.EncodeToString(sum[:16])
		out = append(out, cur)
		cur, n = Batch{}, 0
	}
	for i, s := range m.Samples {
		cur.Samples, cur.SampleFrom = append(cur.Samples, s), append(cur.SampleFrom, m.SampleFrom[i])
		if n++; n == max {
			flush()
		}
	}
	for i, c := range m.Categories {
		cur.Categories, cur.CategoryFrom = append(cur.Categories, c), append(cur.CategoryFrom, m.CategoryFrom[i])
		if n++; n == max {
			flush()
		}
	}
	for i, w := range m.Workouts {
		cur.Workouts, cur.WorkoutFrom = append(cur.Workouts, w), append(cur.WorkoutFrom, m.WorkoutFrom[i])
		if n++; n == max {
			flush()
		}
	}
	flush()
	return out
}

// Origin finds the body position of one of the write path's rejections.
func (b *Batch) Origin(r ingest.Rejection) Rejection {
	var from []Origin
	switch r.Kind {
	case ingest.KindSample:
		from = b.SampleFrom
	case ingest.KindCategorySample:
		from = b.CategoryFrom
	case ingest.KindWorkout:
		from = b.WorkoutFrom
	}
	out := Rejection{Collection: string(r.Kind), Index: r.Index, ID: r.ID, Code: string(r.Code), Message: r.Message}
	if r.Index >= 0 && r.Index < len(from) {
		o := from[r.Index]
		out.Collection, out.Index = o.Collection, o.Index
		if o.ID != "" {
			out.ID = o.ID
		}
	}
	return out
}

// workoutParts copies the Android SDK's segments and laps. Its segment types are Health Connect's in snake case,
// "cycling" and "swimming" for biking and swimming, and "other_<int>" for the rest, which is the segment type's
// int: the write path knows them all. A segment or lap without both dates is left out.
func workoutParts(w Workout, out *ingest.Workout) {
	for _, s := range w.Segments {
		if !s.StartDate.Valid || !s.EndDate.Valid {
			continue
		}
		seg := ingest.WorkoutSegment{Start: s.StartDate.T, End: s.EndDate.T, Type: strings.TrimPrefix(s.Type.S, "other_")}
		if s.Repetitions.Valid && s.Repetitions.F > 0 {
			n := int64(s.Repetitions.F)
			seg.Repetitions = &n
		}
		out.Segments = append(out.Segments, seg)
	}
	for _, l := range w.Laps {
		if !l.StartDate.Valid || !l.EndDate.Valid {
			continue
		}
		lap := ingest.WorkoutLap{Start: l.StartDate.T, End: l.EndDate.T}
		if l.DistanceM.Valid {
			lap.Distance = &ingest.Quantity{Value: ingest.Float(l.DistanceM.F), Unit: "m"}
		}
		out.Laps = append(out.Laps, lap)
	}
}
