// Package gen makes deterministic, realistic Apple Health data as an iOS app uploads it: an Apple Watch and an
// iPhone per user, heart rate every 5 minutes (every 5 seconds in workouts), overlapping steps and distance from
// both devices, active energy, daily resting heart rate and HRV, nightly sleep stages, 3 to 5 workouts a week and
// a few user-entered weights. Everything is a pure function of (seed, user, day), so any batch can be rebuilt
// without keeping the data in memory, and two runs (or two machines) upload byte-identical batches.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// HealthKit identifiers the generator emits.
const (
	HeartRate      = "HKQuantityTypeIdentifierHeartRate"
	StepCount      = "HKQuantityTypeIdentifierStepCount"
	Distance       = "HKQuantityTypeIdentifierDistanceWalkingRunning"
	ActiveEnergy   = "HKQuantityTypeIdentifierActiveEnergyBurned"
	RestingHR      = "HKQuantityTypeIdentifierRestingHeartRate"
	HRV            = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN"
	BodyMass       = "HKQuantityTypeIdentifierBodyMass"
	SleepAnalysis  = "HKCategoryTypeIdentifierSleepAnalysis"
	sleepPrefix    = "HKCategoryValueSleepAnalysis"
	motionKey      = "HKMetadataKeyHeartRateMotionContext"
	userEnteredKey = "HKWasUserEntered"
)

// DefaultEnd is where generated data stops: the last UTC midnight when the program started, so the data is in
// the past by the server's clock ("not in the future") and recent by it (retention, STALE, rolling ranges) on
// whatever day the benchmark or a test runs.
var DefaultEnd = time.Now().UTC().Truncate(24 * time.Hour)

// Source is a HealthKit source (HKSourceRevision + HKDevice) as an app reports it.
type Source struct {
	Name, BundleID, ProductType, DeviceModel, HardwareVersion, SoftwareVersion string
}

// Meta is the metadata a generated item carries; zero means none.
type Meta struct {
	Motion      int  // HKMetadataKeyHeartRateMotionContext: 1 sedentary, 2 active
	UserEntered bool // HKWasUserEntered = 1
}

// JSON is the metadata object as encoding/json writes a map (sorted keys), or "" when there is none: the ingest
// path stores exactly this.
func (m Meta) JSON() string {
	switch {
	case m.Motion != 0 && m.UserEntered:
		return fmt.Sprintf(`{"%s":%d,"%s":1}`, motionKey, m.Motion, userEnteredKey)
	case m.Motion != 0:
		return fmt.Sprintf(`{"%s":%d}`, motionKey, m.Motion)
	case m.UserEntered:
		return `{"` + userEnteredKey + `":1}`
	}
	return ""
}

// Map is the metadata as key → integer value, nil when there is none.
func (m Meta) Map() map[string]int {
	out := map[string]int{}
	if m.Motion != 0 {
		out[motionKey] = m.Motion
	}
	if m.UserEntered {
		out[userEnteredKey] = 1
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Sample is a HealthKit quantity sample.
type Sample struct {
	ID         string // uppercase UUID, as HealthKit prints it
	Type       string
	Value      float64
	Unit       string // HKUnit string
	Start, End time.Time
	Source     *Source
	Meta       Meta
}

// Category is a HealthKit category sample (here: sleep stages).
type Category struct {
	ID         string
	Type       string
	Value      string // HKCategoryValueSleepAnalysis… enum name
	Start, End time.Time
	Source     *Source
}

// Workout is an HKWorkout with its totals.
type Workout struct {
	ID           string
	ActivityType string // HKWorkoutActivityType… name
	Start, End   time.Time
	EnergyKcal   float64
	DistanceM    float64 // 0: none
	Source       *Source
}

// Device is the uploading app installation.
type Device struct {
	ID, Model, OSVersion, AppVersion, TimeZone string
}

// User is one generated person: their devices and habits.
type User struct {
	Index                int
	Subject              string // the JWT sub
	Device               Device
	Zone                 *time.Location
	Watch, Phone, Health *Source
	restingHR            float64
	bedMinute, wakeMin   int // local minutes after midnight (bed may exceed 24h)
	weightKg             float64
	weightUnit           string
}

// Day is everything a user's devices record on one local day (the night that ends on it included).
type Day struct {
	Samples    []Sample
	Categories []Category
	Workouts   []Workout
}

// Items is the number of uploadable items of the day.
func (d *Day) Items() int { return len(d.Samples) + len(d.Categories) + len(d.Workouts) }

// Config says what to generate.
type Config struct {
	Seed uint64
	// Days per user, ending at End (exclusive, at the user's local midnight on End's date).
	Days int
	End  time.Time // zero: DefaultEnd
}

// Generator makes users and their days.
type Generator struct {
	cfg Config
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	if cfg.End.IsZero() {
		cfg.End = DefaultEnd
	}
	return &Generator{cfg: cfg}
}

// Days is the number of days per user.
func (g *Generator) Days() int { return g.cfg.Days }

var zones = []string{"Europe/Zurich", "America/New_York", "Europe/London", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"}

// User returns user u (any u ≥ 0; the same u always gives the same person).
func (g *Generator) User(u int) *User {
	r := g.rng(uint64(u), math.MaxUint32)
	zone := zones[u%len(zones)]
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(fmt.Sprintf("gen: time zone data missing for %s: %v", zone, err)) // a broken installation, not input
	}
	watchUUID, phoneUUID, install := uuid(r), uuid(r), uuid(r)
	unit := "kg"
	if zone == "America/New_York" || zone == "America/Los_Angeles" {
		unit = "lb"
	}
	return &User{
		Index: u, Subject: fmt.Sprintf("bench-%d-user-%d", g.cfg.Seed, u), Zone: loc,
		Device: Device{ID: install, Model: "iPhone15,2", OSVersion: "18.1", AppVersion: "2.3.0", TimeZone: zone},
		Watch: &Source{Name: fmt.Sprintf("User %d’s Apple Watch", u), BundleID: "com.apple.health." + watchUUID,
			ProductType: "Watch6,7", DeviceModel: "Watch", HardwareVersion: "Watch6,7", SoftwareVersion: "11.1"},
		Phone: &Source{Name: fmt.Sprintf("User %d’s iPhone", u), BundleID: "com.apple.health." + phoneUUID,
			ProductType: "iPhone15,2", DeviceModel: "iPhone", HardwareVersion: "iPhone15,2", SoftwareVersion: "18.1"},
		Health:    &Source{Name: "Health", BundleID: "com.apple.Health", ProductType: "iPhone15,2", SoftwareVersion: "18.1"},
		restingHR: 52 + r.Float64()*14, bedMinute: 22*60 + 15 + r.IntN(90), wakeMin: 6*60 + r.IntN(80),
		weightKg: 58 + r.Float64()*35, weightUnit: unit,
	}
}

func (g *Generator) rng(a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.cfg.Seed^0x9E3779B97F4A7C15*(a+1), b))
}

// midnight is the local start of day d (0 = the first day).
func (g *Generator) midnight(u *User, d int) time.Time {
	y, m, dd := g.cfg.End.In(u.Zone).Date()
	return time.Date(y, m, dd-g.cfg.Days+d, 0, 0, 0, 0, u.Zone)
}

// Span is the generated period of user u: [first local midnight, End's local midnight).
func (g *Generator) Span(u *User) (from, to time.Time) {
	return g.midnight(u, 0), g.midnight(u, g.cfg.Days)
}

// workoutDays marks which days of the week holding day d have a workout: 3 to 5 of 7.
func (g *Generator) workoutDay(u *User, d int) bool {
	week := d / 7
	r := g.rng(uint64(u.Index), uint64(week)<<20|0xABCDE)
	k := 3 + r.IntN(3)
	perm := r.Perm(7)
	for _, p := range perm[:k] {
		if p == d%7 {
			return true
		}
	}
	return false
}

var activities = []struct {
	name    string
	speed   float64 // metres per minute (0: no distance)
	cadence float64 // steps per minute (0: no steps)
	kcalMin float64
}{
	{"HKWorkoutActivityTypeRunning", 170, 165, 11},
	{"HKWorkoutActivityTypeWalking", 90, 110, 5},
	{"HKWorkoutActivityTypeCycling", 380, 0, 9},
	{"HKWorkoutActivityTypeTraditionalStrengthTraining", 0, 0, 6},
}

// Day generates day d of user u.
func (g *Generator) Day(u *User, d int) Day {
	r := g.rng(uint64(u.Index), uint64(d))
	day := Day{}
	mid := g.midnight(u, d)
	next := g.midnight(u, d+1)
	at := func(min int) time.Time { return mid.Add(time.Duration(min) * time.Minute) }
	add := func(typ string, v float64, unit string, s, e time.Time, src *Source, m Meta) {
		day.Samples = append(day.Samples, Sample{ID: uuid(r), Type: typ, Value: v, Unit: unit, Start: s.UTC(), End: e.UTC(), Source: src, Meta: m})
	}

	// The night that ends this morning: in bed from yesterday evening, stages cycling until waking.
	bed := at(u.bedMinute - 24*60 + r.IntN(40) - 20)
	wake := at(u.wakeMin + r.IntN(50) - 25)
	day.Categories = append(day.Categories, Category{ID: uuid(r), Type: SleepAnalysis, Value: sleepPrefix + "InBed",
		Start: bed.UTC(), End: wake.UTC(), Source: u.Watch})
	t := bed.Add(time.Duration(8+r.IntN(15)) * time.Minute)
	cycle := []struct {
		stage    string
		min, max int
	}{{"AsleepCore", 15, 40}, {"AsleepDeep", 10, 35}, {"AsleepCore", 10, 25}, {"AsleepREM", 10, 30}}
	for t.Before(wake.Add(-10 * time.Minute)) {
		for _, c := range cycle {
			e := t.Add(time.Duration(c.min+r.IntN(c.max-c.min)) * time.Minute)
			if e.After(wake) {
				e = wake
			}
			if !e.After(t) {
				break
			}
			day.Categories = append(day.Categories, Category{ID: uuid(r), Type: SleepAnalysis, Value: sleepPrefix + c.stage,
				Start: t.UTC(), End: e.UTC(), Source: u.Watch})
			t = e
		}
		if r.IntN(3) == 0 && t.Before(wake) { // a short wake-up between cycles
			e := t.Add(time.Duration(1+r.IntN(5)) * time.Minute)
			if e.After(wake) {
				e = wake
			}
			day.Categories = append(day.Categories, Category{ID: uuid(r), Type: SleepAnalysis, Value: sleepPrefix + "Awake",
				Start: t.UTC(), End: e.UTC(), Source: u.Watch})
			t = e
		}
	}

	// A workout on 3 to 5 days a week, in the morning or the evening.
	var wStart, wEnd time.Time
	if g.workoutDay(u, d) {
		a := activities[r.IntN(len(activities))]
		startMin := 7*60 + 30 + r.IntN(60)
		if r.IntN(2) == 0 {
			startMin = 17*60 + r.IntN(120)
		}
		wStart = at(startMin).Add(time.Duration(r.IntN(60)) * time.Second)
		dur := time.Duration(25+r.IntN(40)) * time.Minute
		wEnd = wStart.Add(dur)
		mins := dur.Minutes()
		w := Workout{ID: uuid(r), ActivityType: a.name, Start: wStart.UTC(), End: wEnd.UTC(), Source: u.Watch,
			EnergyKcal: math.Round(a.kcalMin*mins*(0.85+0.3*r.Float64())*10) / 10}
		if a.speed > 0 {
			w.DistanceM = math.Round(a.speed * mins * (0.9 + 0.2*r.Float64()))
		}
		day.Workouts = append(day.Workouts, w)
		// Heart rate every 5 seconds, active energy and (on foot) steps and distance every minute.
		hr := u.restingHR + 40
		for s := wStart; s.Before(wEnd); s = s.Add(5 * time.Second) {
			hr += (u.restingHR+75-hr)*0.05 + r.NormFloat64()*2
			add(HeartRate, math.Round(hr), "count/min", s, s, u.Watch, Meta{Motion: 2})
		}
		for s := wStart; s.Before(wEnd); s = s.Add(time.Minute) {
			e := s.Add(time.Minute)
			add(ActiveEnergy, math.Round(a.kcalMin*(0.8+0.4*r.Float64())*100)/100, "kcal", s, e, u.Watch, Meta{})
			if a.cadence > 0 {
				add(StepCount, math.Round(a.cadence*(0.9+0.2*r.Float64())), "count", s, e, u.Watch, Meta{})
				add(Distance, math.Round(w.DistanceM/mins*(0.9+0.2*r.Float64())*10)/10, "m", s, e, u.Watch, Meta{})
			}
		}
	}
	inWorkout := func(t time.Time) bool { return !wStart.IsZero() && !t.Before(wStart) && t.Before(wEnd) }

	// Background heart rate every 5 minutes, a few seconds of jitter, lower at night.
	hr := u.restingHR + 5
	for m := 0; m < 24*60; m += 5 {
		s := at(m).Add(time.Duration(r.IntN(20_000)) * time.Millisecond)
		if !s.Before(next) || inWorkout(s) {
			continue
		}
		target := u.restingHR + 12
		if s.Before(wake) || s.After(at(u.bedMinute)) {
			target = u.restingHR - 3
		}
		hr += (target-hr)*0.3 + r.NormFloat64()*3
		add(HeartRate, math.Round(min(max(hr, 38), 190)), "count/min", s, s, u.Watch, Meta{Motion: 1})
	}

	// Walking bouts while awake: the watch records each; the phone, carried most of the time, records most of them
	// over a slightly shifted interval (the overlap the priority merge must count once), and a few alone.
	day0, dayEnd := wake.Add(10*time.Minute), at(u.bedMinute-20)
	for s := day0; s.Before(dayEnd); {
		dur := time.Duration(2+r.IntN(12)) * time.Minute
		e := s.Add(dur)
		if !inWorkout(s) && !inWorkout(e) && e.Before(next) {
			steps := math.Round(dur.Minutes() * (60 + r.Float64()*50))
			stride := 0.68 + r.Float64()*0.12
			if r.IntN(10) != 0 {
				add(StepCount, steps, "count", s, e, u.Watch, Meta{})
				add(Distance, math.Round(steps*stride*10)/10, "m", s, e, u.Watch, Meta{})
			}
			if r.IntN(10) < 7 {
				shift := time.Duration(r.IntN(120)-60) * time.Second
				ps, pe := s.Add(shift), e.Add(shift+time.Duration(r.IntN(60))*time.Second)
				psteps := math.Round(steps * (0.85 + 0.3*r.Float64()))
				add(StepCount, psteps, "count", ps, pe, u.Phone, Meta{})
				add(Distance, math.Round(psteps*stride*10)/10, "m", ps, pe, u.Phone, Meta{})
			}
		}
		s = e.Add(time.Duration(5+r.IntN(25)) * time.Minute)
	}
	// Active energy from the watch in 10-minute pieces while awake.
	for s := day0; s.Before(dayEnd); s = s.Add(10 * time.Minute) {
		e := s.Add(10 * time.Minute)
		if inWorkout(s) || inWorkout(e) || !e.Before(next) {
			continue
		}
		add(ActiveEnergy, math.Round((1+r.Float64()*12)*100)/100, "kcal", s, e, u.Watch, Meta{})
	}

	// Resting heart rate once a day, HRV a few times (mostly at night).
	add(RestingHR, math.Round(u.restingHR+r.NormFloat64()*2), "count/min", mid, at(23*60+50), u.Watch, Meta{})
	for _, when := range []time.Time{wake.Add(-2 * time.Hour), wake.Add(-40 * time.Minute), at(14*60 + r.IntN(120))} {
		sdnn := max(8, 35+r.NormFloat64()*10+20*r.Float64())
		add(HRV, math.Round(sdnn*100)/100, "ms", when.Add(-time.Minute), when, u.Watch, Meta{})
	}

	// A weight entered by hand about every two weeks.
	if (d+u.Index)%13 == 0 {
		kg := u.weightKg + r.NormFloat64()*0.6
		v, unit := math.Round(kg*10)/10, u.weightUnit
		if unit == "lb" {
			v = math.Round(kg/0.45359237*10) / 10
		}
		s := at(7*60 + 30 + r.IntN(30))
		add(BodyMass, v, unit, s, s, u.Health, Meta{UserEntered: true})
	}
	return day
}

const hexDigits = "0123456789ABCDEF"

// uuid draws a version-4 UUID, uppercase as HealthKit prints it.
func uuid(r *rand.Rand) string {
	var b [16]byte
	x, y := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(x>>(8*i)), byte(y>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	return string(s[:])
}
