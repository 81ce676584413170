package ingest

import (
	"math"
	"sort"

	"healthsync/db"
)

// Audiograms are HealthKit's HKAudiogramSample: a hearing test's sensitivity points, each a frequency with the
// threshold of each ear, and since iOS 18.1 the tests behind them (ear, conduction, masked, clamping range).
// A kind of its own with its table, like State of Mind, ECG and medication doses (kinds.go).

// KindAudiogram is the item kind of the audiograms list.
const KindAudiogram ItemKind = "AUDIOGRAM"

// audiogramType is the data type under which audiograms are tracked in sync state.
const audiogramType = "audiogram"

// MaxAudiogramPoints bounds one test: Apple's tests have 6 to 8 frequencies, clinical ones up to ~20.
const MaxAudiogramPoints = 64

// Audiogram is one hearing test.
type Audiogram struct {
	ItemEnvelope
	Points []AudiogramPoint
}

// AudiogramPoint is one frequency of a hearing test. LeftEar and RightEar are HealthKit's leftEarSensitivity and
// rightEarSensitivity (air conduction); Tests are iOS 18.1's HKAudiogramSensitivityTest list. Either or both.
type AudiogramPoint struct {
	FrequencyHz       Float
	LeftEar, RightEar *Float // dBHL
	Tests             []AudiogramTest
}

// AudiogramTest is one HKAudiogramSensitivityTest.
type AudiogramTest struct {
	Side        string // left | right (or HealthKit's raw 0 | 1)
	Conduction  string // air (the default; HealthKit's raw 0) | bone
	Masked      *bool
	Sensitivity Float // dBHL
	ClampLower  *Float
	ClampUpper  *Float
}

var (
	audiogramSides       = words("left", "right")
	audiogramConductions = words("air", "bone")
	sideRaw              = map[string]string{"0": "left", "1": "right"}
	conductionRaw        = map[string]string{"0": "air"}
)

// Plausible ranges: hearing is tested from 125 Hz to 8 kHz (extended high frequencies to 16 kHz), and
// thresholds lie between -10 dBHL and the audiometer's limit (~120 dBHL); the bounds leave room around both.
const (
	minAudiogramHz, maxAudiogramHz = 20, 20000
	minDbHL, maxDbHL               = -20, 150
)

func (n *normalizer) audiogram(i int, a Audiogram) *record {
	return n.kindRecord(KindAudiogram, i, audiogramType, &a.ItemEnvelope, func() (db.KindRow, *problem) {
		row, p := audiogramRow(a)
		return row, p
	})
}

func audiogramRow(a Audiogram) (*db.AudiogramRow, *problem) {
	if len(a.Points) == 0 || len(a.Points) > MaxAudiogramPoints {
		return nil, fail(CodeBadField, "an audiogram needs 1 to %d sensitivity points; it has %d", MaxAudiogramPoints, len(a.Points))
	}
	row := &db.AudiogramRow{Points: make([]db.AudiogramPoint, len(a.Points))}
	seen := make(map[float64]bool, len(a.Points))
	for j, pt := range a.Points {
		out, p := audiogramPoint(j, pt)
		if p != nil {
			return nil, p
		}
		if seen[out.Hz] {
			return nil, fail(CodeBadField, "point %d: frequency %g Hz appears twice", j, out.Hz)
		}
		seen[out.Hz] = true
		row.Points[j] = out
	}
	sort.Slice(row.Points, func(x, y int) bool { return row.Points[x].Hz < row.Points[y].Hz })
	return row, nil
}

func audiogramPoint(j int, pt AudiogramPoint) (db.AudiogramPoint, *problem) {
	hz := float64(pt.FrequencyHz)
	if math.IsNaN(hz) || hz < minAudiogramHz || hz > maxAudiogramHz {
		return db.AudiogramPoint{}, fail(CodeOutOfRange, "point %d: frequency %v Hz must be between %d and %d", j, hz, minAudiogramHz, maxAudiogramHz)
	}
	out := db.AudiogramPoint{Hz: hz, Tests: make([]db.AudiogramTest, 0, len(pt.Tests)+2)}
	var p *problem
	if out.Left, p = dbHL(j, "leftEar", pt.LeftEar); p != nil {
		return out, p
	}
	if out.Right, p = dbHL(j, "rightEar", pt.RightEar); p != nil {
		return out, p
	}
	for k, t := range pt.Tests {
		test, p := audiogramTest(j, k, t)
		if p != nil {
			return out, p
		}
		out.Tests = append(out.Tests, test)
		// HealthKit's per-ear sensitivity is the first air-conduction test of that ear.
		if test.Conduction == "air" {
			v := test.DbHL
			if test.Side == "left" && out.Left == nil {
				out.Left = &v
			} else if test.Side == "right" && out.Right == nil {
				out.Right = &v
			}
		}
	}
	if len(pt.Tests) == 0 { // a point from before iOS 18.1: its ears are air-conduction tests, masking unknown
		for _, e := range []struct {
			side string
			v    *float64
		}{{"left", out.Left}, {"right", out.Right}} {
			if e.v != nil {
				out.Tests = append(out.Tests, db.AudiogramTest{Side: e.side, Conduction: "air", DbHL: *e.v})
			}
		}
	}
	if len(out.Tests) == 0 {
		return out, fail(CodeBadField, "point %d (%g Hz) has no sensitivity for either ear", j, hz)
	}
	return out, nil
}

func dbHL(j int, what string, v *Float) (*float64, *problem) {
	if v == nil {
		return nil, nil
	}
	f := float64(*v)
	if math.IsNaN(f) || f < minDbHL || f > maxDbHL {
		return nil, fail(CodeOutOfRange, "point %d: %s %v dBHL must be between %d and %d", j, what, f, minDbHL, maxDbHL)
	}
	return &f, nil
}

func audiogramTest(j, k int, t AudiogramTest) (db.AudiogramTest, *problem) {
	side, ok := sideRaw[t.Side]
	if !ok {
		if side, ok = canonical(audiogramSides, t.Side, "HKAudiogramSensitivityTestSide"); !ok {
			return db.AudiogramTest{}, fail(CodeBadValue, "point %d test %d: side %q is neither left nor right", j, k, clip(t.Side))
		}
	}
	conduction := "air"
	if t.Conduction != "" {
		if conduction, ok = conductionRaw[t.Conduction]; !ok {
			if conduction, ok = canonical(audiogramConductions, t.Conduction, "HKAudiogramConductionType"); !ok {
				return db.AudiogramTest{}, fail(CodeBadValue, "point %d test %d: conduction %q is neither air nor bone", j, k, clip(t.Conduction))
			}
		}
	}
	v, p := dbHL(j, "sensitivity", &t.Sensitivity)
	if p != nil {
		return db.AudiogramTest{}, p
	}
	out := db.AudiogramTest{Side: side, Conduction: conduction, Masked: t.Masked, DbHL: *v}
	if out.ClampLower, p = dbHL(j, "clampingRange lowerBound", t.ClampLower); p != nil {
		return out, p
	}
	if out.ClampUpper, p = dbHL(j, "clampingRange upperBound", t.ClampUpper); p != nil {
		return out, p
	}
	if out.ClampLower != nil && out.ClampUpper != nil && *out.ClampLower > *out.ClampUpper {
		return out, fail(CodeBadValue, "point %d test %d: the clamping range's lower bound is above its upper bound", j, k)
	}
	return out, nil
}

// audiograms hashes the audiograms list; a batch without any hashes as it did before they existed.
func (f *fp) audiograms(b *Batch) {
	if len(b.Audiograms) == 0 {
		return
	}
	f.str("audiograms")
	f.n(len(b.Audiograms))
	for i := range b.Audiograms {
		a := &b.Audiograms[i]
		f.itemEnvelope(&a.ItemEnvelope)
		f.n(len(a.Points))
		for _, pt := range a.Points {
			f.float(float64(pt.FrequencyHz))
			f.optFloat(pt.LeftEar)
			f.optFloat(pt.RightEar)
			f.n(len(pt.Tests))
			for _, t := range pt.Tests {
				f.str(t.Side)
				f.str(t.Conduction)
				f.optBool(t.Masked)
				f.float(float64(t.Sensitivity))
				f.optFloat(t.ClampLower)
				f.optFloat(t.ClampUpper)
			}
		}
	}
}

func (f *fp) optFloat(v *Float) {
	if f.present(v != nil) {
		f.float(float64(*v))
	}
}
