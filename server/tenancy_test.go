package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"healthsync/workouts"
)

// Cross-tenant probes: user A (alice) uses everything she can learn or guess of user B (bob) – sample, workout,
// source and device ids, idempotency keys, cursors from B's pages – in her own queries and mutations. Nothing of
// B's may be read, changed, or even confirmed to exist: every answer A gets must be the one she gets for an id
// that exists nowhere.

var tenDay = day0.AddDate(0, 0, -20)

func tenID(owner string, n int) string {
	prefix := map[string]string{"alice": "A11CE000", "bob": "B0B00000"}[owner]
	return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, n)
}

// tenBatch is one upload of device deviceID: heart rate samples, one step sample, workouts and sync cursors.
func tenBatch(key, deviceID string, source map[string]any, samples, workouts []map[string]any, deletions []string) map[string]any {
	return map[string]any{"input": map[string]any{
		"idempotencyKey": key, "provider": "APPLE_HEALTH",
		"device":    map[string]any{"id": deviceID, "model": "iPhone15,2", "timeZone": "UTC"},
		"samples":   samples,
		"workouts":  workouts,
		"deletions": deletions,
		"cursors": []map[string]any{{"type": "HKQuantityTypeIdentifierHeartRate", "cursor": "anchor-" + deviceID,
			"newestSampleEnd": tenDay.Add(23 * time.Hour).Format(time.RFC3339)}},
	}}
}

func tenSample(id string, typ, unit string, value float64, start, end time.Time, source map[string]any) map[string]any {
	return map[string]any{"id": id, "type": typ, "value": value, "unit": unit,
		"start": start.Format(time.RFC3339), "end": end.Format(time.RFC3339), "source": source}
}

func tenWorkout(id string, start time.Time, source map[string]any) map[string]any {
	return map[string]any{"id": id, "activityType": "HKWorkoutActivityTypeRunning", "start": start.Format(time.RFC3339),
		"end": start.Add(40 * time.Minute).Format(time.RFC3339), "source": source}
}

var bobSource = map[string]any{"name": "Bob's Watch", "bundleId": "com.apple.health.B0B", "productType": "Watch7,1"}

// tenView is everything a user can read about their data, as raw JSON, for before/after comparisons.
const tenView = `query($from: Time!, $to: Time!) {
  sources { id provider name bundleId productType }
  devices { id model timeZone }
  syncState { deviceId dataType cursor newestSampleEnd count }
  hr: samples(metric: "heart_rate", from: $from, to: $to, limit: 1000) { id value unit start end }
  steps: samples(metric: "steps", from: $from, to: $to, limit: 1000) { id value unit start end }
  stepSeries: series(metric: "steps", from: $from, to: $to, bucket: HOUR, merge: NONE) { points { start value count } }
  workouts(from: $from, to: $to, first: 100) { edges { cursor node { id start source { id } } } }
  breakdown: sourceBreakdown(metric: "steps", from: $from, to: $to) { source { id } priority total }
}`

func (a *app) view(tok string) string {
	a.t.Helper()
	r := a.do(tok, tenView, map[string]any{"from": tenDay, "to": tenDay.AddDate(0, 0, 1)})
	if len(r.Errors) > 0 || r.Status != 200 {
		a.t.Fatalf("view: %s", r.Raw)
	}
	return string(r.Data)
}

func (a *app) ingestOK(tok string, vars map[string]any) ingestResult {
	a.t.Helper()
	var r ingestResult
	a.do(tok, ingestMutation, vars).decode(a.t, &r)
	if len(r.IngestBatch.Rejected) > 0 {
		a.t.Fatalf("rejected: %+v", r.IngestBatch.Rejected)
	}
	return r
}

func TestCrossTenantProbes(t *testing.T) {
	a := newApp(t)
	alice, bob := a.token("alice"), a.token("bob")
	hr, steps := "HKQuantityTypeIdentifierHeartRate", "HKQuantityTypeIdentifierStepCount"
	at := func(h int) time.Time { return tenDay.Add(time.Duration(h) * time.Hour) }

	// B: two heart rates, steps, one workout at 12:00, device bob-phone, under key "shared-key".
	a.ingestOK(bob, tenBatch("shared-key", "bob-phone", bobSource, []map[string]any{
		tenSample(tenID("bob", 1), hr, "count/min", 71, at(9), at(9), bobSource),
		tenSample(tenID("bob", 2), hr, "count/min", 72, at(10), at(10), bobSource),
		tenSample(tenID("bob", 3), steps, "count", 900, at(10), at(11), bobSource),
	}, []map[string]any{tenWorkout(tenID("bob", 10), at(12), bobSource)}, nil))
	// A: her own data around B's, with workouts before and after B's.
	a.ingestOK(alice, tenBatch("alice-1", "alice-phone", watchSource, []map[string]any{
		tenSample(tenID("alice", 1), hr, "count/min", 61, at(9), at(9), watchSource),
		tenSample(tenID("alice", 3), steps, "count", 400, at(10), at(11), watchSource),
	}, []map[string]any{tenWorkout(tenID("alice", 10), at(7), watchSource), tenWorkout(tenID("alice", 11), at(18), watchSource)}, nil))

	bobBefore := a.view(bob)
	aliceBefore := a.view(alice)
	var bv struct {
		Sources  []struct{ ID string } `json:"sources"`
		Workouts struct {
			Edges []struct{ Cursor string } `json:"edges"`
		} `json:"workouts"`
	}
	if err := json.Unmarshal([]byte(bobBefore), &bv); err != nil {
		t.Fatal(err)
	}
	if len(bv.Sources) != 1 || len(bv.Workouts.Edges) != 1 {
		t.Fatalf("bob's view: %s", bobBefore)
	}
	bobSourceID, bobCursor := bv.Sources[0].ID, bv.Workouts.Edges[0].Cursor
	for _, leak := range []string{tenID("bob", 1), tenID("bob", 3), tenID("bob", 10), "bob-phone", `"` + bobSourceID + `"`, "Bob's Watch"} {
		if strings.Contains(strings.ToLower(aliceBefore), strings.ToLower(leak)) {
			t.Errorf("alice's view shows bob's %s: %s", leak, aliceBefore)
		}
	}
	const nowhere = "99999999"
	ghost := func(n int) string { return fmt.Sprintf("C0FFEE00-0000-4000-8000-%012d", n) }

	t.Run("deletions of B's ids delete nothing and say nothing", func(t *testing.T) {
		mine := a.ingestOK(alice, tenBatch("alice-del-bob", "alice-phone", watchSource, nil, nil,
			[]string{tenID("bob", 1), tenID("bob", 10), tenID("bob", 3)}))
		ghosts := a.ingestOK(alice, tenBatch("alice-del-ghost", "alice-phone", watchSource, nil, nil,
			[]string{ghost(1), ghost(10), ghost(3)}))
		if fmt.Sprintf("%+v", mine.IngestBatch) != fmt.Sprintf("%+v", ghosts.IngestBatch) || mine.IngestBatch.Deleted != 0 {
			t.Fatalf("deleting bob's ids: %+v; deleting unknown ids: %+v", mine.IngestBatch, ghosts.IngestBatch)
		}
	})

	t.Run("B's sample id uploaded by A is A's own new sample", func(t *testing.T) {
		// A duplicate count here would confirm that the id exists somewhere. (Tombstoned by A above, so use id 2.)
		r := a.ingestOK(alice, tenBatch("alice-reuse", "alice-phone", watchSource, []map[string]any{
			tenSample(tenID("bob", 2), hr, "count/min", 99, at(10), at(10), watchSource)}, nil, nil))
		if r.IngestBatch.Accepted != 1 || r.IngestBatch.Duplicates != 0 || r.IngestBatch.Updated != 0 {
			t.Fatalf("alice uploading bob's sample id: %+v", r.IngestBatch)
		}
	})

	t.Run("B's idempotency key is not B's answer", func(t *testing.T) {
		r := a.do(alice, ingestMutation, tenBatch("shared-key", "alice-phone", watchSource, []map[string]any{
			tenSample(tenID("alice", 4), hr, "count/min", 64, at(11), at(11), watchSource)}, nil, nil))
		var res ingestResult
		r.decode(t, &res)
		if res.IngestBatch.Replayed || res.IngestBatch.Accepted != 1 {
			t.Fatalf("alice using bob's key: %+v", res.IngestBatch)
		}
	})

	t.Run("B's source id as a series filter", func(t *testing.T) {
		vars := func(src string) map[string]any {
			return map[string]any{"m": "steps", "from": tenDay, "to": tenDay.AddDate(0, 0, 1), "b": "DAY", "merge": "NONE",
				"src": []string{src}}
		}
		withBob := a.do(alice, seriesQuery, vars(bobSourceID))
		withGhost := a.do(alice, seriesQuery, vars(nowhere))
		if withBob.Raw != withGhost.Raw {
			t.Fatalf("bob's source: %s\nunknown source: %s", withBob.Raw, withGhost.Raw)
		}
		if strings.Contains(withBob.Raw, "900") {
			t.Fatalf("bob's steps leak: %s", withBob.Raw)
		}
		// Mixed with her own source, B's id adds nothing.
		own := a.do(alice, seriesQuery, map[string]any{"m": "steps", "from": tenDay, "to": tenDay.AddDate(0, 0, 1), "b": "DAY",
			"merge": "NONE", "src": []string{sourceIDOf(t, aliceBefore), bobSourceID}})
		var s seriesResult
		own.decode(t, &s)
		if len(s.Series.Points) != 1 || !near(s.Series.Points[0].Value, 400) {
			t.Fatalf("alice's steps with bob's source added: %s", own.Raw)
		}
	})

	t.Run("B's source id in setSourcePriority", func(t *testing.T) {
		const m = `mutation($ids: [ID!]!) { setSourcePriority(metric: "steps", sourceIds: $ids) { id name } }`
		withBob := a.do(alice, m, map[string]any{"ids": []string{bobSourceID}})
		withGhost := a.do(alice, m, map[string]any{"ids": []string{nowhere}})
		if withBob.code() != "BAD_USER_INPUT" ||
			strings.Replace(withBob.Raw, "source "+bobSourceID+" ", "source ID ", 1) !=
				strings.Replace(withGhost.Raw, "source "+nowhere+" ", "source ID ", 1) {
			t.Fatalf("bob's source: %s\nunknown source: %s", withBob.Raw, withGhost.Raw)
		}
		// Also when listed behind one of her own.
		mixed := a.do(alice, m, map[string]any{"ids": []string{sourceIDOf(t, aliceBefore), bobSourceID}})
		if mixed.code() != "BAD_USER_INPUT" {
			t.Fatalf("mixed: %s", mixed.Raw)
		}
	})

	t.Run("B's workouts cursor used by A", func(t *testing.T) {
		c, err := workouts.ParseCursor(bobCursor)
		if err != nil {
			t.Fatal(err)
		}
		forged := workouts.Cursor{Start: c.Start, ID: ghost(10)}.String()
		withBob := a.workouts(alice, tenDay, tenDay.AddDate(0, 0, 1), 10, &bobCursor)
		withGhost := a.workouts(alice, tenDay, tenDay.AddDate(0, 0, 1), 10, &forged)
		// The cursor only carries a position: A gets her workouts older than 12:00, nothing of B's.
		if len(withBob.Workouts.Edges) != 1 || !strings.EqualFold(withBob.Workouts.Edges[0].Node.ID, tenID("alice", 10)) {
			t.Fatalf("alice after bob's cursor: %+v", withBob.Workouts)
		}
		if len(withGhost.Workouts.Edges) != 1 || withGhost.Workouts.Edges[0].Node.ID != withBob.Workouts.Edges[0].Node.ID ||
			withGhost.Workouts.PageInfo.HasNextPage != withBob.Workouts.PageInfo.HasNextPage {
			t.Fatalf("bob's cursor: %+v\nforged cursor: %+v", withBob.Workouts, withGhost.Workouts)
		}
	})

	t.Run("B's device id in syncState", func(t *testing.T) {
		const q = `query($d: ID) { syncState(deviceId: $d) { deviceId dataType cursor count } }`
		withBob := a.do(alice, q, map[string]any{"d": "bob-phone"})
		withGhost := a.do(alice, q, map[string]any{"d": "nowhere-phone"})
		if withBob.Raw != withGhost.Raw || strings.Contains(withBob.Raw, "anchor") {
			t.Fatalf("bob's device: %s\nunknown device: %s", withBob.Raw, withGhost.Raw)
		}
	})

	// After every probe, B's data is exactly what it was, and A's reads still show nothing of B's.
	if after := a.view(bob); after != bobBefore {
		t.Fatalf("bob's data changed under alice's probes:\nbefore %s\nafter  %s", bobBefore, after)
	}
	aliceAfter := a.view(alice)
	for _, leak := range []string{tenID("bob", 1), tenID("bob", 3), tenID("bob", 10), "bob-phone", `"` + bobSourceID + `"`, "Bob's Watch"} {
		if strings.Contains(strings.ToLower(aliceAfter), strings.ToLower(leak)) {
			t.Errorf("alice's view shows bob's %s: %s", leak, aliceAfter)
		}
	}
}

// sourceIDOf returns the only source id in a view.
func sourceIDOf(t *testing.T, view string) string {
	t.Helper()
	var v struct {
		Sources []struct{ ID string } `json:"sources"`
	}
	if err := json.Unmarshal([]byte(view), &v); err != nil || len(v.Sources) != 1 {
		t.Fatalf("sources in %s: %v", view, err)
	}
	return v.Sources[0].ID
}
