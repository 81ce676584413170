package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"
)

const digestsQuery = `query D($type: String!, $from: Time!, $to: Time!, $tz: String) {
  uploadDigests(type: $type, from: $from, to: $to, timeZone: $tz) { weekStart weekEnd count digest }
}`

type digestWeek struct {
	WeekStart time.Time `json:"weekStart"`
	WeekEnd   time.Time `json:"weekEnd"`
	Count     int       `json:"count"`
	Digest    string    `json:"digest"`
}

// digestOf is the documented digest, written independently of the server's SQL.
func digestOf(ids []string) string {
	set := map[string]bool{}
	for _, id := range ids {
		set[strings.ToLower(id)] = true // the test ids are ASCII
	}
	sorted := make([]string, 0, len(set))
	for id := range set {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return hex.EncodeToString(sum[:])
}

func mondayUTC(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Digests agree with the documented computation, count deleted ids as held, see only the token's user, and a
// week nobody touched has the empty digest.
func TestUploadDigestsMatchTheDocumentedHash(t *testing.T) {
	a := newApp(t)
	alice, bob := a.token("alice"), a.token("bob")
	week0 := mondayUTC(day0).AddDate(0, 0, -14)
	byWeek := map[int][]string{}
	var samples []map[string]any
	for i := 0; i < 40; i++ {
		at := week0.Add(time.Duration(i) * 11 * time.Hour) // spans three weeks
		samples = append(samples, hrSample(uuid(i), at, 60+i))
		w := int(at.Sub(week0) / (7 * 24 * time.Hour))
		byWeek[w] = append(byWeek[w], uuid(i))
	}
	a.ingestOK(alice, ingestInput("digests-1", samples...))
	// Deleting a sample leaves its id held: the digest of its week must not change.
	del := ingestInput("digests-del")
	del["input"].(map[string]any)["deletions"] = []string{uuid(3)}
	if res := a.ingestOK(alice, del); res.IngestBatch.Deleted != 1 {
		t.Fatalf("deletion: %+v", res.IngestBatch)
	}
	vars := map[string]any{"type": "HKQuantityTypeIdentifierHeartRate", "from": iso(week0.Add(time.Hour)),
		"to": iso(week0.AddDate(0, 0, 28)), "tz": "UTC"}
	var got struct{ UploadDigests []digestWeek }
	a.do(alice, digestsQuery, vars).decode(t, &got)
	if len(got.UploadDigests) != 4 {
		t.Fatalf("%d weeks, want 4: %+v", len(got.UploadDigests), got.UploadDigests)
	}
	for w, d := range got.UploadDigests {
		if !d.WeekStart.Equal(week0.AddDate(0, 0, 7*w)) || !d.WeekEnd.Equal(week0.AddDate(0, 0, 7*w+7)) {
			t.Errorf("week %d is [%s, %s)", w, d.WeekStart, d.WeekEnd)
		}
		if d.Count != len(byWeek[w]) || d.Digest != digestOf(byWeek[w]) {
			t.Errorf("week %d: count %d digest %s, want %d %s", w, d.Count, d.Digest, len(byWeek[w]), digestOf(byWeek[w]))
		}
	}
	if got.UploadDigests[3].Count != 0 || got.UploadDigests[3].Digest != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty week: %+v", got.UploadDigests[3])
	}
	// The canonical name answers the same; bob holds nothing of alice's.
	vars["type"] = "heart_rate"
	var again struct{ UploadDigests []digestWeek }
	a.do(alice, digestsQuery, vars).decode(t, &again)
	if again.UploadDigests[0].Digest != got.UploadDigests[0].Digest {
		t.Errorf("canonical name digests differently")
	}
	var bobs struct{ UploadDigests []digestWeek }
	a.do(bob, digestsQuery, vars).decode(t, &bobs)
	for _, d := range bobs.UploadDigests {
		if d.Count != 0 {
			t.Errorf("bob sees %d of alice's ids", d.Count)
		}
	}
	for _, bad := range []map[string]any{
		{"type": "HKQuantityTypeIdentifierNoSuchThing", "from": vars["from"], "to": vars["to"]},
		{"type": "heart_rate", "from": vars["to"], "to": vars["from"]},
		{"type": "heart_rate", "from": vars["from"], "to": vars["to"], "tz": "Mars/Olympus"},
		{"type": "heart_rate", "from": iso(week0.AddDate(-10, 0, 0)), "to": vars["to"]},
	} {
		if r := a.do(alice, digestsQuery, bad); r.code() != "BAD_USER_INPUT" || strings.Contains(r.Raw, "SELECT") {
			t.Errorf("%v: %s", bad, r.Raw)
		}
	}
}

const planQuery = `query P($device: ID!, $types: [String!]!) {
  syncPlan(deviceId: $device, types: $types) { timeZone types { type dataType count firstSample lastSample
    newestSampleEnd cursor cursorNewestSampleEnd weeks } }
}`

type typePlan struct {
	Type            string     `json:"type"`
	DataType        string     `json:"dataType"`
	Count           int64      `json:"count"`
	FirstSample     *time.Time `json:"firstSample"`
	LastSample      *time.Time `json:"lastSample"`
	NewestSampleEnd *time.Time `json:"newestSampleEnd"`
	Cursor          *string    `json:"cursor"`
	Weeks           []string   `json:"weeks"`
}

// The plan tells a new phone what the server holds from every device and where this device acknowledged.
func TestSyncPlanTellsWhatIsHeldAndWhereTheDeviceStopped(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	start := mondayUTC(day0).AddDate(0, 0, -7).Add(12 * time.Hour) // noon UTC: the same date in Zurich
	in := ingestInput("plan-1", hrSample(uuid(1), start, 60), hrSample(uuid(2), start.AddDate(0, 0, 8), 70))
	in["input"].(map[string]any)["cursors"] = []map[string]any{{"type": "HKQuantityTypeIdentifierHeartRate", "cursor": "anchor-7"}}
	a.ingestOK(tok, in)
	a.upload(tok, "plan-2", []map[string]any{workoutIn(1, "HKWorkoutActivityTypeRunning", start, start.Add(time.Hour), stravaSource)}, nil)
	var got struct {
		SyncPlan struct {
			TimeZone string
			Types    []typePlan
		}
	}
	a.do(tok, planQuery, map[string]any{"device": "iphone-1", "types": []string{"HKQuantityTypeIdentifierHeartRate", "workout", "HKCategoryTypeIdentifierSleepAnalysis"}}).decode(t, &got)
	p := got.SyncPlan
	if p.TimeZone != "Europe/Zurich" || len(p.Types) != 3 {
		t.Fatalf("plan: %+v", p)
	}
	hr, wo, sl := p.Types[0], p.Types[1], p.Types[2]
	wk := func(t time.Time) string { return mondayUTC(t).Format("2006-01-02") }
	if hr.DataType != "heart_rate" || hr.Count != 2 || !hr.FirstSample.Equal(start) || !hr.LastSample.Equal(start.AddDate(0, 0, 8)) ||
		hr.Cursor == nil || *hr.Cursor != "anchor-7" || strings.Join(hr.Weeks, ",") != wk(start.AddDate(0, 0, 8))+","+wk(start) {
		t.Errorf("heart rate: %+v", hr)
	}
	if wo.DataType != "workout" || wo.Count != 1 || !wo.NewestSampleEnd.Equal(start.Add(time.Hour)) || len(wo.Weeks) != 1 {
		t.Errorf("workout: %+v", wo)
	}
	if sl.Count != 0 || sl.FirstSample != nil || len(sl.Weeks) != 0 {
		t.Errorf("sleep: %+v", sl)
	}
	// Another device of the same user sees the data but no cursor of its own.
	var other struct{ SyncPlan struct{ Types []typePlan } }
	a.do(tok, planQuery, map[string]any{"device": "new-phone", "types": []string{"heart_rate"}}).decode(t, &other)
	if o := other.SyncPlan.Types[0]; o.Count != 2 || o.Cursor != nil {
		t.Errorf("new phone: %+v", o)
	}
	if r := a.do(tok, planQuery, map[string]any{"device": "x", "types": []string{"nope"}}); r.code() != "BAD_USER_INPUT" {
		t.Errorf("unknown type: %s", r.Raw)
	}
}
