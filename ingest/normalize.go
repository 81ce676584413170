package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"healthsync/catalog"
	"healthsync/db"
)

const (
	maxIDLen       = 200
	maxCursorBytes = 8 << 10
	maxMetaBytes   = 16 << 10
	maxFieldLen    = 255
	maxSpan        = 31 * 24 * time.Hour
	futureSlack    = 24 * time.Hour
	workoutType    = "workout" // the data type under which workouts are tracked in sync state
)

var earliest = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// normalizer turns one batch's items into rows, collecting a rejection for each bad item.
type normalizer struct {
	cat      *catalog.Catalog
	dialect  catalog.Dialect
	provider Provider
	now      time.Time
	deviceTZ string
	zones    map[string]bool // IANA names checked in this batch
	types    map[string]typeHit
	sources  map[string]db.Source
	rejected []Rejection
	// metas are the quantity samples' metadata JSON as the fingerprint encoded it (nil: encode here).
	metas []string
	// last is the previous item's source and what it became: a batch repeats a handful of sources thousands of
	// times, and validating and keying each one again was a tenth of the normalizer's time.
	last struct {
		in  Source
		out *db.Source
		ok  bool
	}
	// recs and rows are where the batch's records and quantity-sample rows are allocated, a slab at a time: one
	// allocation each per item was a third of the upload's allocated bytes, and the collector's work with them.
	recs []record
	rows []db.SampleRow
}

// slab is how many records (or rows) one allocation holds: large enough that a 5,000-item batch takes a few,
// small enough that a one-item batch does not hold a large one.
const slab = 256

// newRecord places r in the batch's record slab.
func (n *normalizer) newRecord(r record) *record {
	if len(n.recs) == cap(n.recs) {
		n.recs = make([]record, 0, slab)
	}
	n.recs = append(n.recs, r)
	return &n.recs[len(n.recs)-1]
}

// sampleRow places row in the batch's row slab and returns it as a one-row list (capped, so an append to it
// cannot reach the next row).
func (n *normalizer) sampleRow(row db.SampleRow) []db.SampleRow {
	if len(n.rows) == cap(n.rows) {
		n.rows = make([]db.SampleRow, 0, slab)
	}
	n.rows = append(n.rows, row)
	k := len(n.rows)
	return n.rows[k-1 : k : k]
}

func dialectOf(p Provider) catalog.Dialect {
	switch p {
	case AppleHealth:
		return catalog.HealthKit
	case HealthConnect:
		return catalog.HealthConnect
	}
	return catalog.Canonical
}

func (n *normalizer) reject(kind ItemKind, index int, id string, code Code, format string, args ...any) {
	if len(id) > maxIDLen {
		id = id[:maxIDLen]
	}
	// The answer is stored (jsonb) and a NUL cannot be: echoes of bad input lose theirs.
	n.rejected = append(n.rejected, Rejection{Kind: kind, Index: index, ID: strings.ReplaceAll(id, "\x00", "\uFFFD"),
		Code: code, Message: strings.ReplaceAll(fmt.Sprintf(format, args...), "\x00", "\uFFFD")})
}

// hasNUL reports a NUL character, which PostgreSQL text and jsonb cannot hold.
func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// typeHit is a catalog look-up remembered for the batch: uploads repeat a handful of types thousands of times.
type typeHit struct {
	m  catalog.Metric
	ok bool
}

func (n *normalizer) metric(typ string) (catalog.Metric, bool) {
	if h, seen := n.types[typ]; seen {
		return h.m, h.ok
	}
	m, ok := n.cat.Lookup(typ)
	if n.types == nil {
		n.types = map[string]typeHit{}
	}
	if len(n.types) < 256 { // bounded: a hostile batch of distinct junk types must not grow it without end
		n.types[typ] = typeHit{m, ok}
	}
	return m, ok
}

// problem is a rejection before it is tied to an item.
type problem struct {
	code Code
	msg  string
}

func fail(code Code, format string, args ...any) *problem {
	return &problem{code, fmt.Sprintf(format, args...)}
}

// normalizeID canonicalizes an item id: HealthKit ids must be UUIDs (compared lowercase, since HealthKit prints
// them uppercase and other tools lowercase); other platforms' ids are opaque printable strings.
func (n *normalizer) normalizeID(id string) (string, *problem) {
	if id == "" {
		return "", fail(CodeBadID, "id is empty")
	}
	if n.provider == AppleHealth {
		low, ok := lowerUUID(id)
		if !ok {
			return "", fail(CodeBadID, "id %q is not a UUID (HealthKit sample ids are UUIDs like 3F2504E0-4F89-41D3-9A0C-0305E82C3301)", clip(id))
		}
		return low, nil
	}
	if len(id) > maxIDLen {
		return "", fail(CodeBadID, "id is %d bytes long; at most %d are allowed", len(id), maxIDLen)
	}
	for _, r := range id {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return "", fail(CodeBadID, "id contains a non-printable character")
		}
	}
	return id, nil
}

// lowerUUID checks that s is a UUID (IsUUID) and returns it in lower case, in one pass and one allocation at
// most: every HealthKit sample id goes through it.
func lowerUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	var b [36]byte
	upper := false
	for i := 0; i < 36; i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
			upper = true
		default:
			return "", false
		}
		b[i] = c
	}
	if !upper {
		return s, true
	}
	return string(b[:]), true
}

// IsUUID reports whether s is a UUID in its 8-4-4-4-12 hex form (any case).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (n *normalizer) checkTimes(start, end time.Time) *problem {
	switch {
	case start.IsZero() || end.IsZero():
		return fail(CodeBadTime, "start and end are required")
	case end.Before(start):
		return fail(CodeBadTime, "end %s is before start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	case start.Before(earliest):
		return fail(CodeBadTime, "start %s is before 1900", start.Format(time.RFC3339))
	case end.After(n.now.Add(futureSlack)):
		return fail(CodeBadTime, "end %s is in the future (server time %s)", end.Format(time.RFC3339), n.now.Format(time.RFC3339))
	case end.Sub(start) > maxSpan:
		return fail(CodeBadTime, "the sample spans %s; at most 31 days are allowed", end.Sub(start).Round(time.Hour))
	}
	return nil
}

// timeZone picks the item's IANA zone: its own, else HKTimeZone metadata, else the device's.
func (n *normalizer) timeZone(explicit *string, meta map[string]any) (string, *problem) {
	if explicit != nil && *explicit != "" {
		if !n.validZone(*explicit) {
			return "", fail(CodeBadTimeZone, "time zone %q is not an IANA zone name such as Europe/Zurich", clip(*explicit))
		}
		return *explicit, nil
	}
	// A bad HKTimeZone in metadata is the platform's problem, not the user's: fall back instead of refusing.
	if s, ok := meta["HKTimeZone"].(string); ok && s != "" && n.validZone(s) {
		return s, nil
	}
	return n.deviceTZ, nil
}

func (n *normalizer) validZone(name string) bool {
	if ok, seen := n.zones[name]; seen {
		return ok
	}
	_, err := time.LoadLocation(name)
	ok := err == nil && name != "Local" && len(name) <= 64
	n.zones[name] = ok
	return ok
}

// userEntered reads the explicit flag, else HealthKit's HKWasUserEntered metadata key.
func userEntered(explicit *bool, meta map[string]any) bool {
	if explicit != nil {
		return *explicit
	}
	switch v := meta["HKWasUserEntered"].(type) {
	case bool:
		return v
	case json.Number:
		return v.String() == "1"
	case string:
		return v == "1" || strings.EqualFold(v, "true")
	case float64:
		return v == 1
	case int:
		return v == 1
	case int64:
		return v == 1
	}
	return false
}

func encodeMeta(meta map[string]any) (string, *problem) {
	if len(meta) == 0 {
		return "", nil
	}
	b, err := appendJSON(nil, meta)
	if err != nil {
		return "", fail(CodeBadField, "metadata is not valid JSON: %v", err)
	}
	return string(b), checkMeta(string(b))
}

// checkMeta applies the limits to encoded metadata.
func checkMeta(b string) *problem {
	if len(b) > maxMetaBytes {
		return fail(CodeBadField, "metadata is %d bytes; at most %d are allowed", len(b), maxMetaBytes)
	}
	if strings.Contains(b, `\u0000`) {
		return fail(CodeBadField, "metadata contains a NUL character")
	}
	return nil
}

// source validates an item's source and returns it with the key UpsertSources will answer under. The source is
// registered for writing only once its item is valid (see plan), so a rejected item leaves no trace.
func (n *normalizer) source(s Source) (*db.Source, *problem) {
	if n.last.ok && sameSource(&n.last.in, &s) {
		return n.last.out, nil
	}
	out, p := n.checkSource(s)
	if p != nil {
		return nil, p
	}
	// Consecutive items naming the same source share one copy of it.
	ptr := &out
	n.last.in, n.last.out, n.last.ok = s, ptr, true
	return ptr, nil
}

// sameSource compares two sources field by field (by value: each item's strings are its own).
func sameSource(a, b *Source) bool {
	eq := func(x, y *string) bool { return x == y || x != nil && y != nil && *x == *y }
	return a.Name == b.Name && eq(a.BundleID, b.BundleID) && eq(a.Version, b.Version) && eq(a.ProductType, b.ProductType) &&
		eq(a.DeviceName, b.DeviceName) && eq(a.DeviceModel, b.DeviceModel) && eq(a.DeviceManufacturer, b.DeviceManufacturer) &&
		eq(a.HardwareVersion, b.HardwareVersion) && eq(a.SoftwareVersion, b.SoftwareVersion)
}

func (n *normalizer) checkSource(s Source) (db.Source, *problem) {
	if strings.TrimSpace(s.Name) == "" {
		return db.Source{}, fail(CodeBadField, "source.name is required")
	}
	for _, f := range []*string{&s.Name, s.BundleID, s.Version, s.ProductType, s.DeviceName, s.DeviceModel,
		s.DeviceManufacturer, s.HardwareVersion, s.SoftwareVersion} {
		if f != nil && len(*f) > maxFieldLen {
			return db.Source{}, fail(CodeBadField, "a source field is %d bytes long; at most %d are allowed", len(*f), maxFieldLen)
		}
		if f != nil && hasNUL(*f) {
			return db.Source{}, fail(CodeBadField, "a source field contains a NUL character")
		}
	}
	// What tells two sources apart: the app (bundle id, or its name when there is none) and the hardware.
	app := deref(s.BundleID)
	if app == "" {
		app = s.Name
	}
	key := app + "|" + deref(s.DeviceModel) + "|" + deref(s.HardwareVersion)
	return db.Source{Provider: string(n.provider), Key: key, Name: s.Name, BundleID: s.BundleID,
		Version: s.Version, ProductType: s.ProductType, DeviceName: s.DeviceName, DeviceModel: s.DeviceModel,
		DeviceManufacturer: s.DeviceManufacturer, HardwareVersion: s.HardwareVersion, SoftwareVersion: s.SoftwareVersion}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// quantity converts a value to the metric's canonical unit and checks it.
func (n *normalizer) quantity(m catalog.Metric, v Float, unit string) (float64, *problem) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fail(CodeBadValue, "value %v is not a finite number", f)
	}
	c, err := n.cat.Convert(m, f, unit, n.dialect)
	if errors.Is(err, catalog.ErrBadUnit) {
		return 0, fail(CodeBadUnit, "%v", err)
	}
	if err != nil {
		return 0, fail(CodeBadValue, "%v", err)
	}
	if c < m.Min || c > m.Max {
		return 0, fail(CodeOutOfRange, "%s %g %s is outside the plausible range %g–%g %s", m.Name, c, m.Unit, m.Min, m.Max, m.Unit)
	}
	return c, nil
}

func version(v *int64) (int64, *problem) {
	if v == nil {
		return 0, nil
	}
	if *v < 0 {
		return 0, fail(CodeBadField, "version must not be negative")
	}
	return *v, nil
}
