package server_test

import (
	"testing"
	"time"
)

const workoutPartsQuery = `query W($from: Time!, $to: Time!) {
  workouts(from: $from, to: $to) { edges { node { id activityType
    segments { start end type repetitions } laps { start end distanceMeters } events { type start end } } } }
}`

type workoutPartsAnswer struct {
	Workouts struct {
		Edges []struct {
			Node struct {
				ID, ActivityType string
				Segments         []struct {
					Start, End, Type string
					Repetitions      *int
				}
				Laps []struct {
					Start, End     string
					DistanceMeters *float64
				}
				Events []struct {
					Type, Start string
					End         *string
				}
			}
		}
	}
}

// A Health Connect session with segments and laps and a HealthKit workout with an activity and its events are
// stored with their workout, in canonical form, and come back with it.
func TestWorkoutSegmentsLapsAndEventsRoundTrip(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	start := time.Now().UTC().Truncate(time.Hour).Add(-50 * time.Hour)
	at := func(m float64) string { return start.Add(time.Duration(m * float64(time.Minute))).Format(time.RFC3339) }
	hc := map[string]any{"input": map[string]any{"idempotencyKey": "hc-parts", "provider": "HEALTH_CONNECT",
		"device": map[string]any{"id": "pixel-1", "model": "Pixel 8"},
		"workouts": []map[string]any{{"id": "hc-session-1", "activityType": "EXERCISE_TYPE_STRENGTH_TRAINING",
			"start": at(0), "end": at(30), "source": map[string]any{"name": "Fit", "bundleId": "com.google.android.apps.fitness"},
			"segments": []map[string]any{
				{"start": at(10), "end": at(12), "type": "44"},                          // rest, by its int
				{"start": at(0), "end": at(10), "type": "51", "repetitions": 20},        // squat
				{"start": at(12), "end": at(20), "type": "EXERCISE_SEGMENT_TYPE_PLANK"}, // by name
			},
			"laps": []map[string]any{
				{"start": at(20), "end": at(25), "distance": map[string]any{"value": 0.25, "unit": "mi"}},
				{"start": at(25), "end": at(30)},
			}}},
	}}
	var res ingestResult
	a.do(tok, ingestMutation, hc).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 1 || len(r.Rejected) != 0 {
		t.Fatalf("Health Connect session: %+v", r)
	}
	hk := ingestInput("hk-parts")
	hk["input"].(map[string]any)["workouts"] = []map[string]any{{"id": workoutID(50), "activityType": "HKWorkoutActivityTypeSwimBikeRun",
		"start": at(60), "end": at(120), "source": watchSource,
		"segments": []map[string]any{{"start": at(60), "end": at(80), "type": "HKWorkoutActivityTypeSwimming"},
			{"start": at(80), "end": at(120), "type": "cycling"}},
		"events": []map[string]any{{"type": "HKWorkoutEventTypeResume", "start": at(95)},
			{"type": "1", "start": at(90)}, {"type": "motionPaused", "start": at(100), "end": at(101.5)}},
	}}
	a.do(tok, ingestMutation, hk).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 1 || len(r.Rejected) != 0 {
		t.Fatalf("HealthKit workout: %+v", r)
	}
	var got workoutPartsAnswer
	a.do(tok, workoutPartsQuery, map[string]any{"from": iso(start), "to": iso(start.Add(3 * time.Hour))}).decode(t, &got)
	if len(got.Workouts.Edges) != 2 {
		t.Fatalf("workouts: %+v", got)
	}
	tri, gym := got.Workouts.Edges[0].Node, got.Workouts.Edges[1].Node // newest first
	s := gym.Segments
	if len(s) != 3 || s[0].Type != "squat" || s[0].Repetitions == nil || *s[0].Repetitions != 20 || s[0].Start != at(0) ||
		s[1].Type != "rest" || s[1].Repetitions != nil || s[2].Type != "plank" {
		t.Fatalf("segments, oldest first: %+v", s)
	}
	l := gym.Laps
	if len(l) != 2 || l[0].DistanceMeters == nil || *l[0].DistanceMeters < 402.3 || *l[0].DistanceMeters > 402.4 ||
		l[1].DistanceMeters != nil || len(gym.Events) != 0 {
		t.Fatalf("laps in metres: %+v, events %+v", l, gym.Events)
	}
	if len(tri.Segments) != 2 || tri.Segments[0].Type != "swimming" || tri.Segments[1].Type != "cycling" || len(tri.Laps) != 0 {
		t.Fatalf("workout activities as segments: %+v", tri)
	}
	e := tri.Events
	if len(e) != 3 || e[0].Type != "pause" || e[0].Start != at(90) || e[1].Type != "resume" || e[1].End != nil ||
		e[2].Type != "motion_paused" || e[2].End == nil || *e[2].End != at(101.5) {
		t.Fatalf("events: %+v", e)
	}

	// A retry of the same batch is the stored answer, the same workout under a new key a duplicate, and another
	// user sees none of it.
	a.do(tok, ingestMutation, hc).decode(t, &res)
	if !res.IngestBatch.Replayed {
		t.Fatalf("replay: %+v", res.IngestBatch)
	}
	hc["input"].(map[string]any)["idempotencyKey"] = "hc-parts-again"
	a.do(tok, ingestMutation, hc).decode(t, &res)
	if r := res.IngestBatch; r.Replayed || r.Accepted != 0 || r.Duplicates != 1 {
		t.Fatalf("same workout, new key: %+v", r)
	}
	var bob workoutPartsAnswer
	a.do(a.token("bob"), workoutPartsQuery, map[string]any{"from": iso(start), "to": iso(start.Add(3 * time.Hour))}).decode(t, &bob)
	if len(bob.Workouts.Edges) != 0 {
		t.Fatalf("bob sees %+v", bob)
	}
	// A higher version replaces the parts with the workout's.
	w := hc["input"].(map[string]any)["workouts"].([]map[string]any)[0]
	w["version"] = 2
	w["laps"] = []map[string]any{{"start": at(0), "end": at(30), "distance": map[string]any{"value": 1, "unit": "km"}}}
	delete(w, "segments")
	hc["input"].(map[string]any)["idempotencyKey"] = "hc-parts-v2"
	a.do(tok, ingestMutation, hc).decode(t, &res)
	if r := res.IngestBatch; r.Updated != 1 {
		t.Fatalf("version 2: %+v", r)
	}
	a.do(tok, workoutPartsQuery, map[string]any{"from": iso(start), "to": iso(start.Add(time.Hour))}).decode(t, &got)
	if g := got.Workouts.Edges[0].Node; len(g.Segments) != 0 || len(g.Laps) != 1 || *g.Laps[0].DistanceMeters != 1000 {
		t.Fatalf("after version 2: %+v", g)
	}
	// Deleting the workout takes its parts with it.
	del := map[string]any{"input": map[string]any{"idempotencyKey": "hc-del", "provider": "HEALTH_CONNECT",
		"device": map[string]any{"id": "pixel-1"}, "deletions": []string{"hc-session-1"}}}
	a.do(tok, ingestMutation, del).decode(t, &res)
	if res.IngestBatch.Deleted != 1 {
		t.Fatalf("delete: %+v", res.IngestBatch)
	}
	got = workoutPartsAnswer{}
	a.do(tok, workoutPartsQuery, map[string]any{"from": iso(start), "to": iso(start.Add(time.Hour))}).decode(t, &got)
	if len(got.Workouts.Edges) != 0 {
		t.Fatalf("after the deletion: %+v", got)
	}
}

func TestWorkoutPartsRejectTheWorkoutWithACode(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	start := time.Now().UTC().Truncate(time.Hour).Add(-50 * time.Hour)
	at := func(m int) string { return start.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	w := func(n int, key string, v any) map[string]any {
		return map[string]any{"id": workoutID(n), "activityType": "running", "start": at(0), "end": at(30), "source": watchSource, key: v}
	}
	in := ingestInput("parts-bad")
	in["input"].(map[string]any)["workouts"] = []map[string]any{
		w(61, "laps", []map[string]any{{"start": at(20), "end": at(40)}}),                                                         // BAD_TIME: outside
		w(62, "laps", []map[string]any{{"start": at(0), "end": at(10)}, {"start": at(5), "end": at(15)}}),                         // BAD_TIME: overlap
		w(63, "laps", []map[string]any{{"start": at(0), "end": at(10), "distance": map[string]any{"value": 1, "unit": "kg"}}}),    // BAD_UNIT
		w(64, "segments", []map[string]any{{"start": at(0), "end": at(10), "type": "juggling"}}),                                  // BAD_VALUE
		w(65, "segments", []map[string]any{{"start": at(0), "end": at(10), "type": "squat", "repetitions": -1}}),                  // BAD_VALUE
		w(66, "events", []map[string]any{{"type": "HKWorkoutEventTypeNap", "start": at(3)}}),                                      // BAD_VALUE
		w(67, "events", []map[string]any{{"type": "pause", "start": at(31)}}),                                                     // BAD_TIME
		w(68, "laps", []map[string]any{{"start": at(0), "end": at(30), "distance": map[string]any{"value": 5000, "unit": "km"}}}), // OUT_OF_RANGE
		w(69, "events", []map[string]any{{"type": "pause", "start": at(3)}}),
	}
	var res ingestResult
	a.do(tok, ingestMutation, in).decode(t, &res)
	r := res.IngestBatch
	want := []string{"BAD_TIME", "BAD_TIME", "BAD_UNIT", "BAD_VALUE", "BAD_VALUE", "BAD_VALUE", "BAD_TIME", "OUT_OF_RANGE"}
	if r.Accepted != 1 || len(r.Rejected) != len(want) {
		t.Fatalf("%+v", r)
	}
	for i, code := range want {
		if g := r.Rejected[i]; g.Kind != "WORKOUT" || g.Index != i || g.Code != code || g.Message == "" {
			t.Fatalf("rejection %d: %+v, want %s", i, g, code)
		}
	}
}

// The Android Open Wearables SDK's Health Connect segments and laps (snake-case types, "other_<int>", distanceM)
// land with their workout through the real route.
func TestOpenWearablesWorkoutSegmentsAndLaps(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	t0 := day0.Add(9 * time.Hour)
	at := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	src := map[string]any{"appId": "com.google.android.apps.fitness", "deviceName": "Pixel Watch 2", "deviceType": "watch"}
	workouts := []map[string]any{{"id": "hc-ow-1", "type": "STRENGTH_TRAINING", "startDate": at(0), "endDate": at(40),
		"zoneOffset": "+01:00", "source": src, "values": []map[string]any{{"type": "duration", "value": 2400, "unit": "s"}},
		"segments": []map[string]any{
			{"startDate": at(0), "endDate": at(10), "type": "squat", "repetitions": 15},
			{"startDate": at(10), "endDate": at(12), "type": "rest", "repetitions": 0},
			{"startDate": at(12), "endDate": at(20), "type": "other_34", "repetitions": 10},
		},
		"laps": []map[string]any{{"startDate": at(20), "endDate": at(30), "distanceM": 1000.5}, {"startDate": at(30), "endDate": at(40), "distanceM": nil}},
	}}
	status, out, _ := a.postOW(syncPath("alice"), "Bearer "+tok, owBody("google", nil, nil, workouts))
	if status != 200 || out.Accepted != 1 || out.Rejected != 0 {
		t.Fatalf("%d %+v", status, out)
	}
	var got workoutPartsAnswer
	a.do(tok, workoutPartsQuery, map[string]any{"from": iso(t0), "to": iso(t0.Add(time.Hour))}).decode(t, &got)
	if len(got.Workouts.Edges) != 1 {
		t.Fatalf("%+v", got)
	}
	w := got.Workouts.Edges[0].Node
	if len(w.Segments) != 3 || w.Segments[0].Type != "squat" || *w.Segments[0].Repetitions != 15 || w.Segments[1].Repetitions != nil ||
		w.Segments[2].Type != "leg_press" || len(w.Laps) != 2 || *w.Laps[0].DistanceMeters != 1000.5 || w.Laps[1].DistanceMeters != nil {
		t.Fatalf("workout %+v", w)
	}
}
