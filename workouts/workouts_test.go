package workouts_test

import (
	"errors"
	"testing"
	"time"

	"healthsync/workouts"
)

var t0 = time.Date(2026, 5, 3, 7, 0, 0, 0, time.UTC)

func session(src int64, act string, startMin, endMin float64) workouts.Session {
	return workouts.Session{ActivityType: act, SourceID: src,
		Start: t0.Add(time.Duration(startMin * float64(time.Minute))),
		End:   t0.Add(time.Duration(endMin * float64(time.Minute)))}
}

func TestSameSession(t *testing.T) {
	cases := []struct {
		name string
		a, b workouts.Session
		want bool
	}{
		{"identical spans, two sources", session(1, "running", 0, 60), session(2, "running", 0, 60), true},
		{"exactly 80% of the shorter", session(1, "running", 0, 50), session(2, "running", 10, 60), true},
		{"just under 80%", session(1, "running", 0, 50), session(2, "running", 10.01, 60), false},
		{"the shorter one is what counts", session(1, "running", 0, 100), session(2, "running", 40, 60), true},
		{"shorter mostly outside", session(1, "running", 0, 100), session(2, "running", 90, 110), false},
		{"apart", session(1, "running", 0, 30), session(2, "running", 40, 70), false},
		{"touching", session(1, "running", 0, 30), session(2, "running", 30, 60), false},
		{"other activity class", session(1, "running", 0, 60), session(2, "walking", 0, 60), false},
		{"one source never duplicates itself", session(1, "running", 0, 60), session(1, "running", 0, 60), false},
		{"zero length inside", session(1, "running", 0, 60), session(2, "running", 20, 20), true},
		{"zero length outside", session(1, "running", 0, 60), session(2, "running", 61, 61), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := workouts.SameSession(c.a, c.b); got != c.want {
				t.Errorf("SameSession(a, b) = %v, want %v (overlap %s)", got, c.want, workouts.Overlap(c.a, c.b))
			}
			if got := workouts.SameSession(c.b, c.a); got != c.want {
				t.Errorf("SameSession(b, a) = %v, want %v: the rule must be symmetric", got, c.want)
			}
		})
	}
}

func TestOverlap(t *testing.T) {
	if got := workouts.Overlap(session(1, "x", 0, 50), session(2, "x", 10, 60)); got != 40*time.Minute {
		t.Errorf("overlap = %s, want 40m", got)
	}
	if got := workouts.Overlap(session(1, "x", 0, 10), session(2, "x", 15, 20)); got != -5*time.Minute {
		t.Errorf("gap = %s, want -5m", got)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := workouts.Cursor{Start: time.Date(2026, 5, 3, 7, 0, 0, 123456000, time.UTC), ID: "id:with:colons"}
	got, err := workouts.ParseCursor(c.String())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(c.Start) || got.ID != c.ID {
		t.Fatalf("round trip: %+v, want %+v", got, c)
	}
	// Nanoseconds below the storage's microseconds are dropped, not rounded up past the row.
	fine := workouts.Cursor{Start: c.Start.Add(999), ID: "x"}
	if got, _ := workouts.ParseCursor(fine.String()); !got.Start.Equal(c.Start) {
		t.Fatalf("sub-microsecond start kept: %s", got.Start)
	}
	for _, bad := range []string{"", "!!!", "bm90LWEtY3Vyc29y", workouts.Cursor{Start: t0}.String(),
		"dzE6YWJjOmlk" /* w1:abc:id */} {
		if _, err := workouts.ParseCursor(bad); !errors.Is(err, workouts.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	if n, err := workouts.PageSize(nil); err != nil || n != workouts.DefaultPageSize {
		t.Fatalf("default = %d, %v", n, err)
	}
	for _, v := range []int{1, 100} {
		if n, err := workouts.PageSize(&v); err != nil || n != v {
			t.Errorf("PageSize(%d) = %d, %v", v, n, err)
		}
	}
	for _, v := range []int{0, -1, 101} {
		if _, err := workouts.PageSize(&v); !errors.Is(err, workouts.ErrBadPageSize) {
			t.Errorf("PageSize(%d) = %v, want ErrBadPageSize", v, err)
		}
	}
}

func TestHeartRateFromMetadata(t *testing.T) {
	hr := workouts.HeartRateFromMetadata(map[string]any{"averageHeartRate": 142.5, "maxHeartRate": 181.0})
	if hr.Average == nil || *hr.Average != 142.5 || hr.Max == nil || *hr.Max != 181 {
		t.Fatalf("flat keys: %+v", hr)
	}
	hr = workouts.HeartRateFromMetadata(map[string]any{"heartRate": map[string]any{
		"avg": map[string]any{"qty": 130.0, "units": "bpm"}, "max": 170.0}})
	if hr.Average == nil || *hr.Average != 130 || hr.Max == nil || *hr.Max != 170 {
		t.Fatalf("nested: %+v", hr)
	}
	hr = workouts.HeartRateFromMetadata(map[string]any{"averageHeartRate": "142", "maxHeartRate": 900.0,
		"HKIndoorWorkout": true})
	if hr.Average != nil || hr.Max != nil {
		t.Fatalf("text and implausible values must be ignored: %+v", hr)
	}
	if hr := workouts.HeartRateFromMetadata(nil); hr.Average != nil || hr.Max != nil {
		t.Fatalf("nil metadata: %+v", hr)
	}
}
