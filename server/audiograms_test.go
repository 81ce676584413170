package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"healthsync/ingest"
	"healthsync/server"
)

// audiogramBatch uploads two hearing tests, dated from base: one from before iOS 18.1 (per-ear values only) and
// one with per-test conductions, masking and a clamping range.
func audiogramBatch(key string, base time.Time) map[string]any {
	at := func(m int) string { return base.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	in := ingestInput(key)["input"].(map[string]any)
	delete(in, "samples")
	in["audiograms"] = []map[string]any{
		{"id": uuid(301), "start": at(0), "end": at(8), "source": phoneSource, "timeZone": "Europe/Zurich",
			"points": []map[string]any{
				{"frequencyHz": 4000, "leftEarDbHL": 25, "rightEarDbHL": 30},
				{"frequencyHz": 500, "leftEarDbHL": 10, "rightEarDbHL": 5},
				{"frequencyHz": 1000, "leftEarDbHL": 5},
			}},
		{"id": uuid(302), "start": at(60), "end": at(70), "source": watchSource, "points": []map[string]any{
			{"frequencyHz": 2000, "tests": []map[string]any{
				{"side": "left", "sensitivityDbHL": 15, "masked": false},
				{"side": "HKAudiogramSensitivityTestSideLeft", "conduction": "air", "sensitivityDbHL": 20, "masked": true},
				{"side": "1", "conduction": "0", "sensitivityDbHL": 35, "masked": false, "clampLowerDbHL": -10, "clampUpperDbHL": 35},
				{"side": "right", "conduction": "bone", "sensitivityDbHL": 30},
			}},
		}},
	}
	in["cursors"] = []map[string]any{{"type": "HKDataTypeIdentifierAudiogram", "cursor": "anchor-" + key}}
	return map[string]any{"input": in}
}

const audiogramsQuery = `query A($from: Time!, $to: Time!) {
  audiograms(from: $from, to: $to) { id start end source timeZone
    points { frequencyHz leftEarDbHL rightEarDbHL tests { side conduction masked sensitivityDbHL clampLowerDbHL clampUpperDbHL } } }
}`

type audiogramsAnswer struct {
	Audiograms []struct {
		ID, Start, End, Source string
		TimeZone               *string
		Points                 []struct {
			FrequencyHz               float64
			LeftEarDbHL, RightEarDbHL *float64
			Tests                     []struct {
				Side, Conduction               string
				Masked                         *bool
				SensitivityDbHL                float64
				ClampLowerDbHL, ClampUpperDbHL *float64
			}
		}
	}
}

func TestAudiogramsIngestAndReadBack(t *testing.T) {
	a := newApp(t, func(o *server.Options) {
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{MaxItems: 5000}, nil, ingest.WithWebhooks())
	})
	tok := a.token("alice")
	base := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)
	var res ingestResult
	a.do(tok, ingestMutation, audiogramBatch("aud-1", base)).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 2 || len(r.Rejected) != 0 {
		t.Fatalf("first upload: %+v", r)
	}
	read := func(tok string) audiogramsAnswer {
		var out audiogramsAnswer
		a.do(tok, audiogramsQuery, map[string]any{"from": iso(base), "to": iso(base.Add(24 * time.Hour))}).decode(t, &out)
		return out
	}
	got := read(tok)
	if len(got.Audiograms) != 2 {
		t.Fatalf("read back: %+v", got)
	}
	old := got.Audiograms[0]
	if !strings.EqualFold(old.ID, uuid(301)) || old.Source != "iPhone" || old.TimeZone == nil || *old.TimeZone != "Europe/Zurich" ||
		old.Start != iso(base) || len(old.Points) != 3 {
		t.Fatalf("first audiogram: %+v", old)
	}
	// Lowest frequency first; a point without tests lists its ears as air tests of unknown masking.
	p0, p1, p2 := old.Points[0], old.Points[1], old.Points[2]
	if p0.FrequencyHz != 500 || *p0.LeftEarDbHL != 10 || *p0.RightEarDbHL != 5 || len(p0.Tests) != 2 ||
		p0.Tests[0].Side != "left" || p0.Tests[0].Conduction != "air" || p0.Tests[0].Masked != nil || p0.Tests[1].SensitivityDbHL != 5 {
		t.Fatalf("500 Hz: %+v", p0)
	}
	if p1.FrequencyHz != 1000 || p1.RightEarDbHL != nil || len(p1.Tests) != 1 || p2.FrequencyHz != 4000 || *p2.RightEarDbHL != 30 {
		t.Fatalf("1 and 4 kHz: %+v %+v", p1, p2)
	}
	p := got.Audiograms[1].Points[0]
	if p.FrequencyHz != 2000 || len(p.Tests) != 4 || p.LeftEarDbHL == nil || *p.LeftEarDbHL != 15 || p.RightEarDbHL == nil || *p.RightEarDbHL != 35 {
		t.Fatalf("2 kHz (the ears are the first air test of each side): %+v", p)
	}
	masked, right, bone := p.Tests[1], p.Tests[2], p.Tests[3]
	if masked.Masked == nil || !*masked.Masked || masked.SensitivityDbHL != 20 || right.Side != "right" ||
		right.ClampLowerDbHL == nil || *right.ClampLowerDbHL != -10 || *right.ClampUpperDbHL != 35 ||
		bone.Conduction != "bone" || bone.Masked != nil {
		t.Fatalf("2 kHz tests: %+v", p.Tests)
	}

	// A retry is the stored answer; the same ids under a new key store nothing twice.
	a.do(tok, ingestMutation, audiogramBatch("aud-1", base)).decode(t, &res)
	if !res.IngestBatch.Replayed || res.IngestBatch.Accepted != 2 {
		t.Fatalf("replay: %+v", res.IngestBatch)
	}
	a.do(tok, ingestMutation, audiogramBatch("aud-2", base)).decode(t, &res)
	if r := res.IngestBatch; r.Replayed || r.Accepted != 0 || r.Duplicates != 2 {
		t.Fatalf("same items, new key: %+v", r)
	}
	if again := read(tok); len(again.Audiograms) != 2 {
		t.Fatalf("after the retry: %+v", again)
	}
	// Another user sees nothing.
	if other := read(a.token("bob")); len(other.Audiograms) != 0 {
		t.Fatalf("bob sees %+v", other)
	}
	// data.stored counts the audiograms under their own kind, once (the replay and the duplicates wrote none).
	var kinds []string
	if err := a.opts.Store.DB().SelectContext(context.Background(), &kinds,
		`SELECT (payload->'kinds')::text FROM webhook_events WHERE type = 'data.stored' ORDER BY event_id`); err != nil {
		t.Fatal(err)
	}
	var counted map[string]struct{ Items int }
	if len(kinds) != 1 || json.Unmarshal([]byte(kinds[0]), &counted) != nil || counted["audiograms"].Items != 2 || len(counted) != 1 {
		t.Fatalf("data.stored kinds: %v", kinds)
	}

	// A deletion removes by id, and a deleted id is never stored again.
	del := ingestInput("aud-del")
	del["input"].(map[string]any)["deletions"] = []string{uuid(302)}
	a.do(tok, ingestMutation, del).decode(t, &res)
	if res.IngestBatch.Deleted != 1 {
		t.Fatalf("delete: %+v", res.IngestBatch)
	}
	a.do(tok, ingestMutation, audiogramBatch("aud-3", base)).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 0 || r.Duplicates != 2 {
		t.Fatalf("deleted id uploaded again: %+v", r)
	}
	if left := read(tok); len(left.Audiograms) != 1 || !strings.EqualFold(left.Audiograms[0].ID, uuid(301)) {
		t.Fatalf("after the deletion: %+v", left)
	}
}

func TestAudiogramsRejectBadItemsOneByOne(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	base := time.Now().UTC().Truncate(time.Hour).Add(-72 * time.Hour)
	good := func(id int) map[string]any {
		return map[string]any{"id": uuid(id), "start": iso(base), "end": iso(base.Add(5 * time.Minute)), "source": phoneSource,
			"points": []map[string]any{{"frequencyHz": 1000, "leftEarDbHL": 10}}}
	}
	with := func(id int, points ...map[string]any) map[string]any {
		g := good(id)
		g["points"] = append([]map[string]any{}, points...)
		return g
	}
	in := ingestInput("aud-bad")["input"].(map[string]any)
	delete(in, "samples")
	in["audiograms"] = []map[string]any{
		with(311, map[string]any{"frequencyHz": 5, "leftEarDbHL": 10}),      // OUT_OF_RANGE
		with(312, map[string]any{"frequencyHz": 1000, "rightEarDbHL": 400}), // OUT_OF_RANGE
		with(313, map[string]any{"frequencyHz": 1000}),                      // BAD_FIELD: no ear
		with(314), // BAD_FIELD: no points
		with(315, map[string]any{"frequencyHz": 500, "tests": []map[string]any{{"side": "middle", "sensitivityDbHL": 1}}}),    // BAD_VALUE
		with(316, map[string]any{"frequencyHz": 500, "leftEarDbHL": 1}, map[string]any{"frequencyHz": 500, "leftEarDbHL": 2}), // BAD_FIELD
		with(317, map[string]any{"frequencyHz": 500, "tests": []map[string]any{{"side": "left", "sensitivityDbHL": 1,
			"clampLowerDbHL": 40, "clampUpperDbHL": 20}}}), // BAD_VALUE
		good(318),
	}
	in["audiograms"].([]map[string]any)[7]["end"] = iso(base.Add(-time.Minute)) // BAD_TIME: ends before it starts
	var res ingestResult
	a.do(tok, ingestMutation, map[string]any{"input": in}).decode(t, &res)
	r := res.IngestBatch
	want := []string{"OUT_OF_RANGE", "OUT_OF_RANGE", "BAD_FIELD", "BAD_FIELD", "BAD_VALUE", "BAD_FIELD", "BAD_VALUE", "BAD_TIME"}
	if r.Accepted != 0 || len(r.Rejected) != len(want) {
		t.Fatalf("%+v", r)
	}
	for i, code := range want {
		if g := r.Rejected[i]; g.Kind != "AUDIOGRAM" || g.Index != i || g.Code != code || g.Message == "" {
			t.Fatalf("rejection %d: %+v, want %s", i, g, code)
		}
	}
	// The good ones land beside the bad.
	in["audiograms"] = []map[string]any{with(311, map[string]any{"frequencyHz": 5, "leftEarDbHL": 10}), good(319)}
	in["idempotencyKey"] = "aud-bad-2"
	a.do(tok, ingestMutation, map[string]any{"input": in}).decode(t, &res)
	if r := res.IngestBatch; r.Accepted != 1 || len(r.Rejected) != 1 {
		t.Fatalf("one good, one bad: %+v", r)
	}
}
