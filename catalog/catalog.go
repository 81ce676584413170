package catalog

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Dialect says how the uploading platform spells types, units and values.
// The same spelling can mean different things per platform: "%" is a fraction
// in HealthKit, sleep value "5" is REM in HealthKit and deep sleep in Health
// Connect, workout type 37 is running in HealthKit and hiking in Health Connect.
type Dialect string

// Dialects. Canonical is healthsync's own spelling (metric, value and
// activity names from this package, UCUM-like units with "%" as 0–100).
const (
	HealthKit     Dialect = "healthkit"
	HealthConnect Dialect = "healthconnect"
	Canonical     Dialect = "canonical"
)

// Aggregation says how samples of a metric combine over time.
type Aggregation string

const (
	// Cumulative samples are summed over an interval (steps, energy, distance).
	Cumulative Aggregation = "CUMULATIVE"
	// Discrete samples are averaged or min/max-ed, never summed (heart rate, weight).
	Discrete Aggregation = "DISCRETE"
)

// Metric is one canonical quantity metric.
type Metric struct {
	Name        string // canonical snake_case name
	Unit        string // canonical unit, one of the canonical units in units.go
	Aggregation Aggregation
	// Resolution is the step, in Unit, that totals and sums of the metric are answered in (1 for counts such as
	// steps): the finest the platforms record a value in, so that rounding to it takes away only the float
	// noise of adding and prorating. 1 or a power of ten below it.
	Resolution    float64
	Min, Max      float64 // plausible range of one sample in Unit, inclusive
	HealthKit     []string
	HealthConnect []string
	LOINC         string
	Description   string
}

// InRange reports whether v is a plausible value for one sample of m in m.Unit.
func (m Metric) InRange(v float64) bool {
	return !math.IsNaN(v) && v >= m.Min && v <= m.Max
}

// Round rounds a total or sum of m's values to m.Resolution (half away from zero). Noise far below the
// resolution is snapped away first, so that two computations of one total that differ in their last bits (a
// half that comes out as 0.49999999999999994 one way and 0.5 the other) round alike. The result is the double
// nearest to the decimal, so 600.0000000000001 steps answer 600 and 12.345000000000001 m answer 12.35.
func (m Metric) Round(v float64) float64 {
	res := m.Resolution
	if res <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	// Below 1 the resolution is 1/inv with inv an integer: dividing by inv, an exact double, rounds once.
	inv := 1.0
	if res < 1 {
		inv, res = math.Round(1/res), 1
	}
	q := v * inv / res
	if snapped := math.Round(q*1e6) / 1e6; math.Abs(q) < 1<<32 {
		q = snapped
	}
	return math.Round(q) * res / inv
}

// Category is one canonical category type: samples with an interval and an
// enumerated value (or no value at all) instead of a quantity.
type Category struct {
	Name          string
	HealthKit     []string
	HealthConnect []string
	Values        []string // canonical values; empty when the value carries no meaning

	// values maps a folded raw value to its canonical value, per dialect.
	values map[Dialect]map[string]string
	// raw lists the spellings of each canonical value, per dialect, in table order.
	raw map[Dialect]map[string][]string
}

// RawValues lists how dialect d spells canonical value v of c (raw integers and enum names), nil when the
// platform has no spelling for it.
func (c Category) RawValues(d Dialect, v string) []string {
	return slices.Clone(c.raw[d][v])
}

// Catalog is the read-only index over the metric, category and activity
// tables. It is safe for concurrent use. Metrics and categories are returned
// by value, but their name slices are shared with the catalog: do not modify
// them.
type Catalog struct {
	metrics       []Metric
	categories    []Category
	metricKey     map[string]int // folded type name -> index in metrics
	catKey        map[string]int // folded type name -> index in categories
	unitFamily    map[string]*unitFamily
	activities    map[Dialect]map[string]string // folded raw activity -> canonical
	activityNames []string
}

// New returns the built-in catalog.
func New() *Catalog {
	c, err := build(metricTable(), categoryTable(), unitFamilies(), activityTable())
	if err != nil {
		// The tables are static; the package tests build them, so this only
		// fires when someone edits a table without running the tests.
		panic("catalog: inconsistent built-in tables: " + err.Error())
	}
	return c
}

func validResolution(r float64) bool {
	switch {
	case r >= 1:
		return r == math.Trunc(r)
	case r > 0:
		inv := math.Round(1 / r)
		return math.Abs(1/r-inv) < 1e-9*inv && math.Abs(math.Log10(inv)-math.Round(math.Log10(inv))) < 1e-12
	}
	return false
}

func build(metrics []Metric, cats []categoryDef, fams []*unitFamily, acts []activityRow) (*Catalog, error) {
	c := &Catalog{
		metricKey:  map[string]int{},
		catKey:     map[string]int{},
		unitFamily: map[string]*unitFamily{},
	}
	var problems []string

	for _, f := range fams {
		if err := f.index(); err != nil {
			problems = append(problems, err.Error())
		}
		for _, u := range f.canonical {
			if prev, dup := c.unitFamily[u]; dup {
				problems = append(problems, fmt.Sprintf("canonical unit %q in families %s and %s", u, prev.name, f.name))
			}
			c.unitFamily[u] = f
		}
	}

	c.metrics = slices.Clone(metrics)
	slices.SortFunc(c.metrics, func(a, b Metric) int { return strings.Compare(a.Name, b.Name) })
	for i, m := range c.metrics {
		if _, ok := c.unitFamily[m.Unit]; !ok {
			problems = append(problems, fmt.Sprintf("metric %s: unit %q is no canonical unit of any family", m.Name, m.Unit))
		}
		if !(m.Min < m.Max) {
			problems = append(problems, fmt.Sprintf("metric %s: Min %v not below Max %v", m.Name, m.Min, m.Max))
		}
		if !validResolution(m.Resolution) {
			problems = append(problems, fmt.Sprintf("metric %s: resolution %v is not 1, a power of ten below it or a whole number", m.Name, m.Resolution))
		}
		if m.Aggregation != Cumulative && m.Aggregation != Discrete {
			problems = append(problems, fmt.Sprintf("metric %s: aggregation %q", m.Name, m.Aggregation))
		}
		for _, name := range typeNames(m.Name, m.HealthKit, m.HealthConnect) {
			problems = addKey(c.metricKey, name, i, problems, func(j int) string { return c.metrics[j].Name })
		}
	}

	for _, d := range cats {
		cat, err := d.category()
		if err != nil {
			problems = append(problems, err.Error())
		}
		c.categories = append(c.categories, cat)
	}
	slices.SortFunc(c.categories, func(a, b Category) int { return strings.Compare(a.Name, b.Name) })
	for i, cat := range c.categories {
		for _, name := range typeNames(cat.Name, cat.HealthKit, cat.HealthConnect) {
			problems = addKey(c.catKey, name, i, problems, func(j int) string { return c.categories[j].Name })
		}
	}

	for _, a := range acts {
		c.activityNames = append(c.activityNames, a.name)
	}
	slices.Sort(c.activityNames)
	var err error
	c.activities, err = indexActivities(acts)
	if err != nil {
		problems = append(problems, err.Error())
	}

	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

func typeNames(canonical string, hk, hc []string) []string {
	return append(append([]string{canonical}, hk...), hc...)
}

// addKey records that the folded form of name resolves to entry i. A spelling
// claimed by two different entries is a table bug, reported in problems.
func addKey(keys map[string]int, name string, i int, problems []string, nameOf func(int) string) []string {
	k := foldType(name)
	if k == "" {
		return append(problems, fmt.Sprintf("%s: empty type name", nameOf(i)))
	}
	if j, dup := keys[k]; dup && j != i {
		return append(problems, fmt.Sprintf("type %q claimed by %s and %s", name, nameOf(j), nameOf(i)))
	}
	keys[k] = i
	return problems
}

// typePrefixes are the platform prefixes that carry no information once the
// caller has said whether it wants a quantity or a category.
var typePrefixes = []string{
	"hkquantitytypeidentifier",
	"hkcategorytypeidentifier",
}

// foldType reduces a type spelling to a key: HealthKit identifiers lose their
// prefix, Health Connect names their "Record" suffix, and case and separators
// are dropped, so "StepsRecord", "STEPS", "Steps" and "steps" meet.
// A Health Connect record that carries several values (BloodPressure,
// Nutrition) is named per value as "Record.field"; the record part folds as
// a type and the field as a word.
func foldType(s string) string {
	if rec, field, ok := strings.Cut(s, "."); ok {
		return foldType(rec) + "." + foldWord(field)
	}
	k := foldWord(s)
	for _, p := range typePrefixes {
		k = strings.TrimPrefix(k, p)
	}
	return strings.TrimSuffix(k, "record")
}

// RecordField returns the field of a type spelled "Record.field" (a value of
// a Health Connect record that carries several), or "" for any other type.
// Each field of one record is stored as its own sample, so the caller keys
// it by record id and field.
func RecordField(typ string) string {
	if _, field, ok := strings.Cut(typ, "."); ok {
		return foldWord(field)
	}
	return ""
}

// foldWord lower-cases s and drops '_' and ' '.
func foldWord(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch r {
		case '_', ' ':
			continue
		}
		b.WriteRune(toLowerASCII(r))
	}
	return b.String()
}

func toLowerASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// Lookup finds the metric for a HealthKit quantity type identifier, a Health
// Connect record type ("Steps", "StepsRecord", "STEPS") or a canonical name.
func (c *Catalog) Lookup(typ string) (Metric, bool) {
	i, ok := c.metricKey[foldType(typ)]
	if !ok {
		return Metric{}, false
	}
	return c.metrics[i], true
}

// LookupCategory finds the category for a HealthKit category type identifier,
// a Health Connect record type or a canonical category name.
func (c *Catalog) LookupCategory(typ string) (Category, bool) {
	i, ok := c.catKey[foldType(typ)]
	if !ok {
		return Category{}, false
	}
	return c.categories[i], true
}

// RecordFields lists, folded as RecordField returns them, every field of a multi-value record the catalog
// maps: the suffixes a stored part's id may carry.
func (c *Catalog) RecordFields() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range c.metrics {
		for _, typ := range m.HealthConnect {
			if f := RecordField(typ); f != "" && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Metrics returns every metric, ordered by name. The slice is a copy.
func (c *Catalog) Metrics() []Metric {
	return slices.Clone(c.metrics)
}

// Categories returns every category, ordered by name. The slice is a copy.
func (c *Catalog) Categories() []Category {
	return slices.Clone(c.categories)
}

// NormalizeValue maps a raw category value as the platform spells it to the
// canonical value. Categories without meaningful values (events, mindful
// sessions) accept anything and return "". Canonical values are accepted in
// every dialect; an unknown dialect accepts canonical values only.
func (c Category) NormalizeValue(d Dialect, raw string) (string, bool) {
	if len(c.Values) == 0 {
		return "", true
	}
	k := foldWord(raw)
	if k == "" {
		return "", false
	}
	if v, ok := c.values[d][k]; ok {
		return v, true
	}
	v, ok := c.values[Canonical][k]
	return v, ok
}

// ActivityType maps a workout activity type as the platform spells it to the
// canonical snake_case activity: HealthKit enum names with or without the
// HKWorkoutActivityType prefix and their raw integers, Health Connect
// EXERCISE_TYPE_* names and their integers. Canonical names work in every
// dialect. Raw integers are read in the given dialect only, since the two
// platforms number their enums differently.
func (c *Catalog) ActivityType(d Dialect, raw string) (string, bool) {
	k := foldActivity(raw)
	if k == "" {
		return "", false
	}
	if d != Canonical {
		if v, ok := c.activities[d][k]; ok {
			return v, true
		}
	}
	v, ok := c.activities[Canonical][k]
	return v, ok
}

// Activities returns every canonical activity name, sorted.
func (c *Catalog) Activities() []string {
	return slices.Clone(c.activityNames)
}
