package fhir

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"healthsync/db"
)

// Resource types the server serves.
const (
	TypeObservation = "Observation"
	TypePatient     = "Patient"
	TypeDevice      = "Device"
)

// SearchParam is one search parameter a resource type supports; the parser accepts exactly these and the
// CapabilityStatement lists exactly these, so the two cannot disagree.
type SearchParam struct {
	Name, Type, Definition, Doc string
}

const spBase = "http://hl7.org/fhir/SearchParameter/"

var paramID = SearchParam{"_id", "token", spBase + "Resource-id", "the resource id (comma for or)"}

// SearchParams are the search parameters of each resource type, by type.
var SearchParams = map[string][]SearchParam{
	TypeObservation: {
		paramID,
		{"code", "token", spBase + "clinical-code", "system|code, |code, code or system| (comma for or; repeated: and). " +
			"LOINC, SNOMED CT, HealthKit identifiers and " + SystemMetric},
		{"category", "token", spBase + "Observation-category", "vital-signs, activity or laboratory, with or without " + SystemCategory + "|"},
		{"date", "date", spBase + "clinical-date", "eq, ne, lt, le, gt, ge, sa (on the start) and eb (on the end); " +
			"a value stands for its precision's range (a day is the UTC day, a dateTime needs a zone); repeated: and"},
		{"identifier", "token", spBase + "clinical-identifier", SystemSampleID + "|<sample id> (id#pointMs for a series point)"},
		{"patient", "reference", spBase + "clinical-patient", "the token's own Patient (any other finds nothing)"},
		{"subject", "reference", spBase + "Observation-subject", "as patient"},
	},
	TypePatient: {
		paramID,
		{"identifier", "token", spBase + "Patient-identifier", SystemSubject + "|<token subject>"},
	},
	TypeDevice: {
		paramID,
		{"identifier", "token", spBase + "Device-identifier", SystemSource + "|<provider>/<source key>"},
		{"patient", "reference", spBase + "Device-patient", "the token's own Patient (any other finds nothing)"},
	},
}

// resultParams are understood on every type: _count, _summary=count, _format, _cursor (from next links), and
// _sort=date|-date on Observations.
var resultParams = map[string]bool{"_count": true, "_summary": true, "_format": true, "_cursor": true}

// Search is a parsed search of one resource type.
type Search struct {
	Type string
	// Names are the export names asked for by code and category (nil: everything); a search that names nothing
	// leaves it empty, not nil, and finds nothing.
	Names          []string
	From, To       *time.Time
	EndBefore      *time.Time
	NotFrom, NotTo []time.Time
	// Idents are identifier values (nil: any; empty: none), IDs resource ids (same).
	Idents, IDs []string
	// Patients are the Patient ids the search is limited to (nil: no limit); any but the token's finds nothing.
	Patients []string
	Desc     bool // _sort=-date
	Summary  bool // _summary=count
	After    *db.ObservationKey
	// AfterSource is a Device search's cursor.
	AfterSource int64
	Count       int
	// Applied are the parameters the search used (the Bundle's self link); Ignored the names of those it did
	// not (unknown, or a value it does not support), which a strict client is refused for.
	Applied url.Values
	Ignored []string
}

// ParseSearch reads the FHIR search parameters v of resource type typ. A malformed value of a supported
// parameter is an error (wrapping ErrBadSearch); an unknown parameter or an unsupported result parameter value
// is put in Ignored, per FHIR's lenient handling.
func (s *Service) ParseSearch(typ string, v url.Values) (Search, error) {
	q := Search{Type: typ, Count: DefaultCount, Applied: url.Values{}}
	supported := map[string]bool{}
	for _, p := range SearchParams[typ] {
		supported[p.Name] = true
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same error for the same query, whatever the map order
	for _, key := range keys {
		vals := v[key]
		if !supported[key] && !resultParams[key] && !(key == "_sort" && typ == TypeObservation) {
			q.Ignored = append(q.Ignored, key)
			continue
		}
		for _, val := range vals {
			if val == "" { // FHIR: an empty parameter is no parameter
				continue
			}
			used, err := s.parseParam(&q, key, val)
			if err != nil {
				return q, err
			}
			if used {
				q.Applied.Add(key, val)
			} else if !slices.Contains(q.Ignored, key) {
				q.Ignored = append(q.Ignored, key)
			}
		}
	}
	return q, nil
}

func (s *Service) parseParam(q *Search, key, val string) (bool, error) {
	switch key {
	case "_id":
		q.IDs = intersect(q.IDs, strings.Split(val, ","))
	case "code":
		var names []string
		for _, tok := range splitEscaped(val, ',') {
			names = append(names, s.codeNames(tok)...)
		}
		q.Names = intersect(q.Names, orEmpty(names))
	case "category":
		var names []string
		for _, tok := range splitEscaped(val, ',') {
			system, code, found := cutToken(tok)
			if !found {
				system = SystemCategory
			}
			if system == SystemCategory {
				names = append(names, s.categoryNames(code)...)
			}
		}
		q.Names = intersect(q.Names, orEmpty(names))
	case "date":
		return true, q.addDate(val)
	case "identifier":
		var idents []string
		for _, tok := range splitEscaped(val, ',') {
			system, value, found := cutToken(tok)
			if !found {
				system = identifierSystem(q.Type)
			}
			if system == identifierSystem(q.Type) && value != "" {
				idents = append(idents, value)
			}
		}
		q.Idents = intersect(q.Idents, orEmpty(idents))
	case "patient", "subject":
		var ids []string
		for _, tok := range strings.Split(val, ",") {
			// Patient/<id>, <id> or an absolute URL ending in Patient/<id>.
			tok = tok[strings.LastIndex(tok, "/")+1:]
			ids = append(ids, tok)
		}
		q.Patients = intersect(q.Patients, ids)
	case "_count":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return false, fmt.Errorf("%w: _count must be a whole number from 1 to %d", ErrBadSearch, MaxCount)
		}
		q.Count = min(n, MaxCount)
	case "_sort":
		switch val {
		case "date":
			q.Desc = false
		case "-date":
			q.Desc = true
		default:
			return false, nil
		}
	case "_summary":
		switch val {
		case "count":
			q.Summary = true
		case "false":
		default:
			return false, nil
		}
	case "_cursor":
		if q.Type == TypeDevice {
			n, err := strconv.ParseInt(val, 36, 64)
			if err != nil || n < 0 {
				return false, fmt.Errorf("%w: _cursor is not one this server wrote; start again from the first page", ErrBadSearch)
			}
			q.AfterSource = n
			return true, nil
		}
		k, err := DecodeCursor(val)
		if err != nil {
			return false, err
		}
		q.After = &k
	}
	return true, nil
}

// splitEscaped splits a FHIR search value on sep where it is not escaped by a backslash (\, \| \$ \\).
// The parts keep their escapes; unescape removes them.
func splitEscaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cutToken splits an escaped token at its first unescaped | and unescapes both halves.
func cutToken(tok string) (system, code string, found bool) {
	parts := splitEscaped(tok, '|')
	if len(parts) == 1 {
		return "", unescape(tok), false
	}
	return unescape(parts[0]), unescape(strings.Join(parts[1:], "|")), true
}

func unescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func identifierSystem(typ string) string {
	switch typ {
	case TypePatient:
		return SystemSubject
	case TypeDevice:
		return SystemSource
	}
	return SystemSampleID
}

// orEmpty keeps "matched nothing" apart from "no filter": a nil result becomes empty.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// intersect is the and of two filters, nil standing for "no filter".
func intersect(a, b []string) []string {
	if a == nil {
		return b
	}
	out := []string{}
	for _, x := range a {
		if slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// allNames is every export name: the catalog's metrics and the panel, sleep and workout names.
func (s *Service) allNames() []string {
	return append(slices.Clone(s.mapper.names), BloodPressure, Sleep, Workout)
}

// codeNames resolves one code token: system|code, |code (no system: nothing here has none), system| (every
// name coded in the system) or a bare code (any system).
func (s *Service) codeNames(tok string) []string {
	system, code, found := cutToken(tok)
	if !found {
		return NamesFor("", code, s.mapper.MetricForHealthKit)
	}
	if system == "" {
		return nil
	}
	if code != "" {
		return NamesFor(system, code, s.mapper.MetricForHealthKit)
	}
	var out []string
	for _, n := range s.allNames() {
		c := concept(n, s.healthKitOf(n), "")
		for _, cd := range c.Coding {
			if cd.System == system {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

func (s *Service) healthKitOf(name string) string {
	switch name {
	case BloodPressure:
		return hkBloodPressure
	case Sleep:
		return hkSleep
	case Workout:
		return hkWorkout
	}
	met, _ := s.mapper.Metric(name)
	return first(met.HealthKit)
}

// categoryNames are the names exported under category c (sleep and workouts are activity).
func (s *Service) categoryNames(c string) []string {
	var out []string
	for _, n := range s.allNames() {
		cat := category(n)
		if n == Sleep || n == Workout {
			cat = CategoryActivity
		}
		if cat == c {
			out = append(out, n)
		}
	}
	return out
}

// addDate applies one date value, and with the ones before it narrows the range (repeated dates are and-ed).
// Every prefix but eb reads the observation's start; a value stands for the range its precision covers.
func (q *Search) addDate(v string) error {
	prefix, rest := "eq", v
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, rest = v[:2], v[2:]
	}
	if strings.Contains(rest, ",") {
		return fmt.Errorf("%w: date %q: give one date a parameter (repeat date to narrow the range)", ErrBadSearch, v)
	}
	lo, hi, err := parseDate(rest)
	if err != nil {
		return fmt.Errorf("%w: date %q: want 2026, 2026-11, 2026-11-01 or a time with a zone (2026-11-01T08:00:00Z), "+
			"after an optional eq, ne, lt, le, gt, ge, sa or eb", ErrBadSearch, v)
	}
	later := func(p **time.Time, t time.Time) {
		if *p == nil || t.After(**p) {
			*p = &t
		}
	}
	earlier := func(p **time.Time, t time.Time) {
		if *p == nil || t.Before(**p) {
			*p = &t
		}
	}
	switch prefix {
	case "eq":
		later(&q.From, lo)
		earlier(&q.To, hi)
	case "ne":
		q.NotFrom, q.NotTo = append(q.NotFrom, lo), append(q.NotTo, hi)
	case "ge":
		later(&q.From, lo)
	case "gt", "sa":
		later(&q.From, hi)
	case "lt":
		earlier(&q.To, lo)
	case "le":
		earlier(&q.To, hi)
	case "eb":
		// Ends before lo; an observation never ends before it starts, so its start is before lo too (which
		// lets the index bound the scan).
		earlier(&q.EndBefore, lo)
		earlier(&q.To, lo)
	default:
		return fmt.Errorf("%w: date %q: the prefix %q is not supported (eq, ne, lt, le, gt, ge, sa, eb)", ErrBadSearch, v, prefix)
	}
	return nil
}

var dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$`)

// parseDate reads an R4 search date: a year, month or day (UTC) or a dateTime with a zone (minutes, seconds or
// a fraction), and returns the range [lo, hi) its precision covers.
func parseDate(s string) (time.Time, time.Time, error) {
	for _, f := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	} {
		if len(s) == len(f.layout) {
			t, err := time.Parse(f.layout, s)
			if err != nil {
				return t, t, err
			}
			return t, f.next(t), nil
		}
	}
	m := dateTimeRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, time.Time{}, fmt.Errorf("not an R4 date")
	}
	layout, span := "2006-01-02T15:04Z07:00", time.Minute
	if m[1] != "" {
		layout, span = time.RFC3339Nano, time.Second
		if frac := len(m[2]) - 1; frac > 0 {
			span = time.Duration(1)
			for range 9 - frac {
				span *= 10
			}
			span = max(span, time.Microsecond) // the database keeps microseconds
		}
	}
	t, err := time.Parse(layout, s)
	return t, t.Add(span), err
}
