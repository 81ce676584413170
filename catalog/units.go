package catalog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrBadUnit is returned (wrapped) by Convert when a unit is unknown or of the
// wrong dimension for the metric.
var ErrBadUnit = errors.New("unit not accepted for this metric")

// ErrBadValue is returned (wrapped) by Convert for NaN and infinite values.
var ErrBadValue = errors.New("value is not a finite number")

// unitDef converts a value of one unit to its family's base unit:
// base = (v + pre) * scale.
type unitDef struct {
	scale float64
	pre   float64
	// hkScale, when set, replaces scale in the HealthKit dialect; "%" is a
	// fraction there.
	hkScale float64
}

// unitFamily is one physical dimension. Units are listed under their exact
// spellings; spelled-out words (letters and underscores only, four or more
// letters) also match case-insensitively and without underscores, so
// "KILOGRAMS", "Kilograms" and "kilo_grams" all work while "M", "CAL" or "MS"
// never fold into m, cal or ms.
type unitFamily struct {
	name      string
	canonical []string // units a Metric may use as its canonical Unit
	units     map[string]unitDef
	// molar, when set, parses HealthKit molar units such as
	// "mmol<180.1558800000541>/L" into a unitDef.
	molar func(s string) (unitDef, bool)

	display []string // first spelling of each unit, for error messages
	all     []string // every exact spelling in table order, for the reference page
	folded  map[string]unitDef
}

func (f *unitFamily) index() error {
	f.folded = map[string]unitDef{}
	for s, u := range f.units {
		if !foldable(s) {
			continue
		}
		k := foldWord(s)
		if prev, dup := f.folded[k]; dup && prev != u {
			return fmt.Errorf("unit family %s: %q folds onto a different unit", f.name, s)
		}
		f.folded[k] = u
	}
	for _, c := range f.canonical {
		if _, ok := f.units[c]; !ok {
			return fmt.Errorf("unit family %s: canonical unit %q is not listed", f.name, c)
		}
	}
	return nil
}

// noFold lists words that are ambiguous across case: "calories" is a small
// calorie in Health Connect, but "Calories" on a food label is a kilocalorie.
var noFold = map[string]bool{"calories": true, "calorie": true}

func foldable(s string) bool {
	if noFold[s] || utf8.RuneCountInString(s) < 4 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func (f *unitFamily) lookup(s string) (unitDef, bool) {
	if u, ok := f.units[s]; ok {
		return u, true
	}
	if f.molar != nil {
		if u, ok := f.molar(s); ok {
			return u, true
		}
	}
	if foldable(strings.ReplaceAll(s, " ", "_")) {
		u, ok := f.folded[foldWord(s)]
		return u, ok
	}
	return unitDef{}, false
}

// accepted lists the exact spellings of the family for error messages.
func (f *unitFamily) accepted() string {
	return strings.Join(f.display, ", ")
}

func lin(scale float64) unitDef { return unitDef{scale: scale} }

// adder registers spellings of one unit; the first spelling is the one
// named in error messages.
type adder func(u unitDef, spellings ...string)

// Exact factors: the international yard and pound (1959), the thermochemical
// calorie (4.184 J, as HealthKit uses), the conventional millimetre of
// mercury (133.322387415 Pa), US customary and imperial fluid measures.
const (
	metresPerMile   = 1609.344
	metresPerFoot   = 0.3048
	metresPerInch   = 0.0254
	metresPerYard   = 0.9144
	gramsPerPound   = 453.59237
	gramsPerOunce   = gramsPerPound / 16
	gramsPerStone   = gramsPerPound * 14
	joulesPerKcal   = 4184
	pascalsPerMmHg  = 133.322387415
	mLPerUSFlOz     = 29.5735295625
	mLPerImpFlOz    = 28.4130625
	secondsPerDay   = 86400
	glucoseMolarMas = 180.15588 // g/mol; HealthKit writes it as 180.1558800000541
)

func unitFamilies() []*unitFamily {
	glucose := family("glucose", []string{"mg/dL"}, func(add adder) {
		// Base: mg/dL. mmol/L → mg/dL is molar mass (g/mol) / 10; the
		// family is glucose-only, so plain mmol/L may assume glucose.
		add(lin(1), "mg/dL", "mg/dl", "milligrams_per_deciliter", "milligrams_per_decilitre")
		add(lin(glucoseMolarMas/10), "mmol/L", "mmol/l", "millimoles_per_liter", "millimoles_per_litre")
	})
	glucose.molar = parseMolarPerLitre

	fams := []*unitFamily{
		family("count", []string{"count"}, func(add adder) {
			add(lin(1), "count", "{steps}", "{count}")
		}),
		family("energy", []string{"kcal"}, func(add adder) {
			// Base: joule.
			add(lin(joulesPerKcal), "kcal", "Cal", "kilocalories", "kilocalorie")
			add(lin(joulesPerKcal/1000.0), "cal", "calories", "calorie", "small_calories")
			add(lin(1000), "kJ", "kilojoules", "kilojoule")
			add(lin(1), "J", "joules", "joule")
		}),
		family("length", []string{"m", "cm"}, func(add adder) {
			add(lin(1), "m", "meters", "metres", "meter", "metre")
			add(lin(0.01), "cm", "centimeters", "centimetres")
			add(lin(0.001), "mm", "millimeters", "millimetres")
			add(lin(1000), "km", "kilometers", "kilometres")
			add(lin(metresPerMile), "mi", "miles", "mile", "[mi_i]")
			add(lin(metresPerFoot), "ft", "feet", "foot", "[ft_i]")
			add(lin(metresPerInch), "in", "inches", "inch", "[in_i]")
			add(lin(metresPerYard), "yd", "yards", "yard", "[yd_i]")
		}),
		family("mass", []string{"kg", "g", "mg", "mcg"}, func(add adder) {
			// Base: gram.
			add(lin(1000), "kg", "kilograms", "kilogram")
			add(lin(1), "g", "grams", "gram")
			add(lin(0.001), "mg", "milligrams", "milligram")
			add(lin(1e-6), "mcg", "µg", "μg", "ug", "micrograms", "microgram")
			add(lin(gramsPerPound), "lb", "lbs", "pounds", "pound", "[lb_av]")
			add(lin(gramsPerOunce), "oz", "ounces", "ounce", "[oz_av]")
			add(lin(gramsPerStone), "st", "stones", "stone")
		}),
		family("temperature", []string{"degC"}, func(add adder) {
			// Base: degree Celsius.
			add(lin(1), "degC", "°C", "Cel", "celsius")
			add(unitDef{pre: -32, scale: 5.0 / 9}, "degF", "°F", "[degF]", "fahrenheit")
			add(unitDef{pre: -273.15, scale: 1}, "K", "kelvin")
		}),
		family("percent", []string{"%"}, func(add adder) {
			// Base: percent 0–100.
			add(unitDef{scale: 1, hkScale: 100}, "%")
			add(lin(1), "percent", "percentage")
		}),
		glucose,
		family("time", []string{"ms", "s", "min"}, func(add adder) {
			// Base: second.
			add(lin(0.001), "ms", "milliseconds", "millisecond")
			add(lin(1), "s", "sec", "seconds", "second")
			add(lin(60), "min", "minutes", "minute")
			add(lin(3600), "hr", "h", "hours", "hour")
			add(lin(secondsPerDay), "d", "day", "days")
		}),
		family("volume", []string{"mL", "L"}, func(add adder) {
			// Base: millilitre.
			add(lin(1), "mL", "ml", "milliliters", "millilitres")
			add(lin(10), "cL", "cl")
			add(lin(100), "dL", "dl")
			add(lin(1000), "L", "l", "liters", "litres")
			add(lin(mLPerUSFlOz), "fl_oz_us", "fluid_ounces_us", "[foz_us]")
			add(lin(mLPerImpFlOz), "fl_oz_imp", "fluid_ounces_imperial", "[foz_br]")
			add(lin(mLPerUSFlOz*8), "cup_us")
			add(lin(mLPerImpFlOz*10), "cup_imp")
			add(lin(mLPerUSFlOz*16), "pt_us")
			add(lin(mLPerImpFlOz*20), "pt_imp")
		}),
		family("speed", []string{"m/s"}, func(add adder) {
			// Base: metre per second.
			add(lin(1), "m/s", "meters_per_second", "metres_per_second")
			add(lin(1000.0/3600), "km/hr", "km/h", "kph", "kilometers_per_hour", "kilometres_per_hour")
			add(lin(metresPerMile/3600), "mi/hr", "mi/h", "mph", "miles_per_hour")
			add(lin(1.0/60), "m/min")
		}),
		family("rate", []string{"count/min"}, func(add adder) {
			// Base: per minute.
			add(lin(1), "count/min", "/min", "{beats}/min", "{breaths}/min", "bpm", "beats/min", "breaths/min",
				"beats_per_minute", "breaths_per_minute", "rpm")
			add(lin(60), "count/s", "/s")
		}),
		family("pressure", []string{"mmHg"}, func(add adder) {
			// Base: pascal.
			add(lin(pascalsPerMmHg), "mmHg", "mm[Hg]", "millimeters_of_mercury", "millimetres_of_mercury")
			add(lin(1000), "kPa", "kilopascals")
			add(lin(1), "Pa", "pascals")
		}),
		family("vo2max", []string{"mL/(kg·min)"}, func(add adder) {
			add(lin(1),
				"mL/(kg·min)", "mL/(min·kg)", "mL/kg·min", "mL/min·kg", "mL/kg/min", "mL/min/kg",
				"ml/(kg·min)", "ml/(min·kg)", "ml/kg·min", "ml/min·kg", "ml/kg/min", "ml/min/kg",
				"milliliters_per_minute_kilogram", "milliliters_per_kilogram_per_minute")
		}),
		family("effort", []string{"kcal/(h·kg)"}, func(add adder) {
			add(lin(1),
				"kcal/(h·kg)", "kcal/(hr·kg)", "kcal/(kg·h)", "kcal/(kg·hr)",
				"kcal/h·kg", "kcal/hr·kg", "kcal/kg·h", "kcal/kg·hr",
				"kcal/h/kg", "kcal/hr/kg", "kcal/kg/h", "kcal/kg/hr")
		}),
		family("power", []string{"W", "kcal/d"}, func(add adder) {
			// Base: watt.
			add(lin(1), "W", "watts", "watt")
			add(lin(1000), "kW", "kilowatts")
			add(lin(float64(joulesPerKcal)/secondsPerDay), "kcal/d", "kcal/day", "Cal/d", "Cal/day",
				"kilocalories_per_day")
			add(lin(1000.0/secondsPerDay), "kJ/d", "kJ/day", "kilojoules_per_day")
		}),
		family("sound", []string{"dBASPL"}, func(add adder) {
			add(lin(1), "dBASPL", "dB(A)", "dBA", "dB[SPL]", "dB(SPL)", "dBSPL")
		}),
		family("bmi", []string{"kg/m2"}, func(add adder) {
			// HealthKit sends BMI as a plain count.
			add(lin(1), "kg/m2", "kg/m^2", "kg/m²", "count")
		}),
		family("temperature_delta", []string{"K"}, func(add adder) {
			// A difference of temperatures: no offset, so 1 °C of change is 1 K and 1 °F is 5/9 K.
			add(lin(1), "K", "kelvin", "degC", "°C", "Cel", "celsius")
			add(lin(5.0/9), "degF", "°F", "[degF]", "fahrenheit")
		}),
		family("flow", []string{"L/min"}, func(add adder) {
			add(lin(1), "L/min", "l/min", "liters_per_minute", "litres_per_minute")
			add(lin(60), "L/s", "l/s")
			add(lin(0.001), "mL/min", "ml/min")
		}),
		family("insulin", []string{"IU"}, func(add adder) {
			add(lin(1), "IU", "[IU]", "international_units", "international_unit")
		}),
		family("conductance", []string{"uS"}, func(add adder) {
			// HealthKit writes micro-siemens as "mcS".
			add(lin(1), "uS", "mcS", "µS", "μS", "microsiemens")
			add(lin(1000), "mS", "millisiemens")
			add(lin(1e6), "S", "siemens")
		}),
		family("effort_score", []string{"score"}, func(add adder) {
			// HKUnit.appleEffortScore(); a bare count from other clients.
			add(lin(1), "score", "appleEffortScore", "count")
		}),
	}
	return fams
}

func family(name string, canonical []string, fill func(adder)) *unitFamily {
	f := &unitFamily{name: name, canonical: canonical, units: map[string]unitDef{}}
	fill(func(u unitDef, spellings ...string) {
		f.display = append(f.display, spellings[0])
		f.all = append(f.all, spellings...)
		for _, s := range spellings {
			f.units[s] = u
		}
	})
	return f
}

// parseMolarPerLitre reads HealthKit's "mmol<M>/L" (M in g/mol) as mg/dL.
func parseMolarPerLitre(s string) (unitDef, bool) {
	rest, ok := strings.CutPrefix(s, "mmol<")
	if !ok {
		return unitDef{}, false
	}
	num, ok := strings.CutSuffix(rest, ">/L")
	if !ok {
		return unitDef{}, false
	}
	molar, err := strconv.ParseFloat(num, 64)
	if err != nil || !(molar > 0) || math.IsInf(molar, 0) {
		return unitDef{}, false
	}
	return lin(molar / 10), true
}

// normalizeUnit trims the unit and writes every product separator as "·":
// HealthKit prints U+00B7, hand-written payloads use "*", "." or U+22C5. A
// "." between digits is a decimal point (molar masses) and stays.
func normalizeUnit(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "*.⋅") {
		return s
	}
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '*', '⋅':
			rs[i] = '·'
		case '.':
			if !(i > 0 && isDigit(rs[i-1]) && i+1 < len(rs) && isDigit(rs[i+1])) {
				rs[i] = '·'
			}
		}
	}
	return string(rs)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// Convert returns value, given in unit as dialect d spells it, in m.Unit.
// An empty unit is accepted only when m.Unit is "count". A unit unknown or of
// another dimension than m.Unit yields an error wrapping ErrBadUnit.
func (c *Catalog) Convert(m Metric, value float64, unit string, d Dialect) (float64, error) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return 0, fmt.Errorf("%s: %w", m.Name, ErrBadValue)
	}
	f, ok := c.unitFamily[m.Unit]
	if !ok {
		return 0, fmt.Errorf("%w: metric %q has no known canonical unit %q", ErrBadUnit, m.Name, m.Unit)
	}
	unit = normalizeUnit(unit)
	if unit == "" {
		if m.Unit == "count" {
			return value, nil
		}
		return 0, fmt.Errorf("%w: empty unit for %s (accepted: %s)", ErrBadUnit, m.Name, f.accepted())
	}
	from, ok := f.lookup(unit)
	if !ok {
		return 0, fmt.Errorf("%w: %q for %s (accepted: %s)", ErrBadUnit, unit, m.Name, f.accepted())
	}
	to := f.units[m.Unit]
	if from == to && !(d == HealthKit && from.hkScale != 0) {
		return value, nil
	}
	scale := from.scale
	if d == HealthKit && from.hkScale != 0 {
		scale = from.hkScale
	}
	base := (value + from.pre) * scale
	return base/to.scale - to.pre, nil
}
