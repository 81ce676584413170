package gen

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSameSeedSameData(t *testing.T) {
	a, b := New(Config{Seed: 7, Days: 30}), New(Config{Seed: 7, Days: 30})
	ua, ub := a.User(3), b.User(3)
	if ua.Subject != ub.Subject || ua.Device != ub.Device || *ua.Watch != *ub.Watch {
		t.Fatalf("users differ: %+v vs %+v", ua, ub)
	}
	for _, d := range []int{0, 11, 29} {
		da, db := a.Day(ua, d), b.Day(ub, d)
		if !reflect.DeepEqual(stripSources(da), stripSources(db)) {
			t.Fatalf("day %d differs between two generators with the same seed", d)
		}
	}
	other := New(Config{Seed: 8, Days: 30})
	if other.Day(other.User(3), 0).Samples[0].ID == a.Day(ua, 0).Samples[0].ID {
		t.Fatal("another seed gave the same first sample id")
	}
	// A user's data does not depend on how many days are generated after it, only on its dates.
	long := New(Config{Seed: 7, Days: 31, End: DefaultEnd.AddDate(0, 0, 1)})
	if !reflect.DeepEqual(stripSources(long.Day(long.User(3), 0)), stripSources(a.Day(ua, 0))) {
		t.Fatal("day 0 of the same date differs")
	}
}

// stripSources replaces source pointers (distinct per User call) by their values for comparison.
func stripSources(d Day) []any {
	var out []any
	for _, s := range d.Samples {
		src := *s.Source
		s.Source = nil
		out = append(out, s, src)
	}
	for _, c := range d.Categories {
		src := *c.Source
		c.Source = nil
		out = append(out, c, src)
	}
	for _, w := range d.Workouts {
		src := *w.Source
		w.Source = nil
		out = append(out, w, src)
	}
	return out
}

func TestBatchesCoverEveryItemOnce(t *testing.T) {
	g := New(Config{Seed: 1, Days: 20})
	u := g.User(0)
	var want []string
	for d := range 20 {
		day := g.Day(u, d)
		for _, s := range day.Samples {
			want = append(want, s.ID)
		}
		for _, c := range day.Categories {
			want = append(want, c.ID)
		}
		for _, w := range day.Workouts {
			want = append(want, w.ID)
		}
	}
	for _, size := range []int{97, 777, 5000, 1 << 20} {
		refs := g.Plan(u, size)
		var got []string
		for i, ref := range refs {
			b := g.Batch(u, ref)
			n := len(b.Samples) + len(b.Categories) + len(b.Workouts)
			if n != ref.Items || n > size || n == 0 || ref.Index != i {
				t.Fatalf("size %d batch %d: %d items, ref says %d (index %d)", size, i, n, ref.Items, ref.Index)
			}
			if len(b.Samples) != ref.Samples || len(b.Categories) != ref.Categories || len(b.Workouts) != ref.Workouts {
				t.Fatalf("size %d batch %d: kinds %d/%d/%d, ref says %+v", size, i, len(b.Samples), len(b.Categories), len(b.Workouts), ref)
			}
			for _, s := range b.Samples {
				got = append(got, s.ID)
			}
			for _, c := range b.Categories {
				got = append(got, c.ID)
			}
			for _, w := range b.Workouts {
				got = append(got, w.ID)
			}
		}
		// Batches keep day order but regroup kinds inside a batch, so compare as sets plus count.
		if len(got) != len(want) {
			t.Fatalf("size %d: %d items in batches, %d generated", size, len(got), len(want))
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("size %d: id %s in two batches", size, id)
			}
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Fatalf("size %d: id %s in no batch", size, id)
			}
		}
	}
}

func TestDataLooksLikeAnAppleWatchWearer(t *testing.T) {
	const days = 28
	g := New(Config{Seed: 2026, Days: days})
	u := g.User(1)
	from, to := g.Span(u)
	if y, m, d := DefaultEnd.In(u.Zone).Date(); !to.Equal(time.Date(y, m, d, 0, 0, 0, 0, u.Zone)) || !from.Equal(to.AddDate(0, 0, -days)) {
		t.Fatalf("span %s – %s", from, to)
	}
	ids := map[string]bool{}
	count := map[string]int{}
	workouts, userEntered, phoneSteps, watchSteps, overlaps := 0, 0, 0, 0, 0
	stages := map[string]int{}
	for d := range days {
		day := g.Day(u, d)
		var ws []Workout = day.Workouts
		workouts += len(ws)
		var lastHR time.Time
		var watchStep []Sample
		for _, s := range day.Samples {
			if len(s.ID) != 36 || s.ID != strings.ToUpper(s.ID) || s.ID[14] != '4' || ids[s.ID] {
				t.Fatalf("bad or repeated id %q", s.ID)
			}
			ids[s.ID] = true
			count[s.Type]++
			if s.Value <= 0 {
				t.Fatalf("sample %+v: non-positive value", s)
			}
			if s.End.Before(s.Start) || !s.End.Before(DefaultEnd.Add(24*time.Hour)) {
				t.Fatalf("sample %+v: bad times", s)
			}
			switch s.Type {
			case HeartRate:
				if s.Unit != "count/min" || s.Value < 35 || s.Value > 200 {
					t.Fatalf("heart rate %+v", s)
				}
				inWorkout := len(ws) > 0 && !s.Start.Before(ws[0].Start) && s.Start.Before(ws[0].End)
				if inWorkout != (s.Meta.Motion == 2) {
					t.Fatalf("heart rate motion context %d, in workout %v", s.Meta.Motion, inWorkout)
				}
				if !lastHR.IsZero() && s.Meta.Motion == 1 {
					if gap := s.Start.Sub(lastHR); gap > 6*time.Minute && !inWorkout && len(ws) == 0 {
						t.Fatalf("gap of %s between background heart rates", gap)
					}
				}
				if s.Meta.Motion == 1 {
					lastHR = s.Start
				}
			case StepCount:
				if s.Source == u.Phone {
					phoneSteps++
					for _, w := range watchStep {
						if s.Start.Before(w.End) && w.Start.Before(s.End) {
							overlaps++
							break
						}
					}
				} else {
					watchSteps++
					watchStep = append(watchStep, s)
				}
			case BodyMass:
				if !s.Meta.UserEntered || s.Source != u.Health || s.Unit != "kg" && s.Unit != "lb" {
					t.Fatalf("weight %+v", s)
				}
				userEntered++
			}
		}
		for _, c := range day.Categories {
			if c.Type != SleepAnalysis || !strings.HasPrefix(c.Value, "HKCategoryValueSleepAnalysis") || !c.End.After(c.Start) {
				t.Fatalf("sleep sample %+v", c)
			}
			stages[strings.TrimPrefix(c.Value, "HKCategoryValueSleepAnalysis")]++
		}
		for _, w := range ws {
			if !strings.HasPrefix(w.ActivityType, "HKWorkoutActivityType") || w.EnergyKcal <= 0 || w.End.Sub(w.Start) < 20*time.Minute {
				t.Fatalf("workout %+v", w)
			}
			// Heart rate every 5 seconds during the workout.
			n := 0
			for _, s := range day.Samples {
				if s.Type == HeartRate && !s.Start.Before(w.Start) && s.Start.Before(w.End) {
					n++
				}
			}
			if want := int(w.End.Sub(w.Start) / (5 * time.Second)); n < want-1 || n > want+1 {
				t.Fatalf("workout of %s has %d heart rates, want about %d", w.End.Sub(w.Start), n, want)
			}
		}
	}
	if hr := count[HeartRate]; hr < days*250 {
		t.Errorf("%d heart rates in %d days", hr, days)
	}
	if count[RestingHR] != days || count[HRV] < days*2 || count[ActiveEnergy] < days*50 || count[Distance] == 0 {
		t.Errorf("daily metrics: %v", count)
	}
	if workouts < 4*3 || workouts > 4*5 {
		t.Errorf("%d workouts in 4 weeks, want 3 to 5 a week", workouts)
	}
	if userEntered < 1 || userEntered > 4 {
		t.Errorf("%d user-entered weights in 4 weeks", userEntered)
	}
	if watchSteps == 0 || phoneSteps == 0 || overlaps < phoneSteps/2 || overlaps == phoneSteps {
		t.Errorf("steps: watch %d, phone %d, phone overlapping the watch %d: want both, mostly but not always overlapping", watchSteps, phoneSteps, overlaps)
	}
	for _, s := range []string{"InBed", "AsleepCore", "AsleepDeep", "AsleepREM", "Awake"} {
		if stages[s] == 0 {
			t.Errorf("no %s sleep samples: %v", s, stages)
		}
	}
	if stages["InBed"] != days {
		t.Errorf("%d in-bed samples in %d nights", stages["InBed"], days)
	}
}

// Every user of a year stays inside plausible ranges (the server rejects the rest, and the benchmark expects no
// rejections).
func TestAYearOfEveryZoneStaysPlausible(t *testing.T) {
	g := New(Config{Seed: 2026, Days: 365})
	for u := range len(zones) {
		user := g.User(u)
		for d := range 365 {
			for _, s := range g.Day(user, d).Samples {
				bad := s.Value <= 0
				switch s.Type {
				case HeartRate, RestingHR:
					bad = s.Value < 25 || s.Value > 220
				case HRV:
					bad = s.Value < 1 || s.Value > 300
				}
				if bad || s.End.Before(s.Start) || s.End.Sub(s.Start) > 24*time.Hour {
					t.Fatalf("user %d day %d: %+v", u, d, s)
				}
			}
		}
	}
}
