package server_test

import (
	"testing"
)

// A Health Connect BloodPressure record arrives as its two values under the record's id; deleting the record
// id removes both, and the deleted record is not stored again when a client re-sends it.
func TestMultiValueRecordDeletesByRecordID(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	tok := a.token("parts-anna")
	at := day0.Add(7 * 3600e9)
	src := map[string]any{"name": "Omron Connect", "bundleId": "jp.co.omron.healthcare.omronconnect"}
	part := func(id, typ, unit string, v float64) map[string]any {
		return map[string]any{"id": id, "type": typ, "value": v, "unit": unit, "start": iso(at), "end": iso(at), "source": src}
	}
	bp := []map[string]any{
		part("bp-1", "BloodPressureRecord.systolic", "mmHg", 121),
		part("bp-1", "BloodPressureRecord.diastolic", "mmHg", 79),
	}
	meal := part("meal-1", "Nutrition.protein", "grams", 30)
	batch := func(key string, items []map[string]any, deletions ...string) map[string]any {
		in := ingestInput(key, items...)
		in["input"].(map[string]any)["provider"] = "HEALTH_CONNECT"
		if len(deletions) > 0 {
			in["input"].(map[string]any)["deletions"] = deletions
		}
		return in
	}
	count := func() (bp, protein int) {
		var got struct {
			S []struct{ Value float64 } `json:"s"`
			D []struct{ Value float64 } `json:"d"`
			P []struct{ Value float64 } `json:"p"`
		}
		a.do(tok, `query($from: Time!, $to: Time!) {
			s: samples(metric: "blood_pressure_systolic", from: $from, to: $to) { value }
			d: samples(metric: "blood_pressure_diastolic", from: $from, to: $to) { value }
			p: samples(metric: "dietary_protein", from: $from, to: $to) { value } }`,
			map[string]any{"from": iso(day0), "to": iso(day0.AddDate(0, 0, 1))}).decode(t, &got)
		return len(got.S) + len(got.D), len(got.P)
	}

	var res ingestResult
	a.do(tok, ingestMutation, batch("parts-1", append(bp, meal))).decode(t, &res)
	if res.IngestBatch.Accepted != 3 || len(res.IngestBatch.Rejected) != 0 {
		t.Fatalf("upload: %+v", res.IngestBatch)
	}
	if b, p := count(); b != 2 || p != 1 {
		t.Fatalf("stored %d blood pressure values and %d protein, want 2 and 1", b, p)
	}

	a.do(tok, ingestMutation, batch("parts-2", nil, "bp-1")).decode(t, &res)
	if res.IngestBatch.Deleted != 1 {
		t.Errorf("deleted %d, want the one record", res.IngestBatch.Deleted)
	}
	if b, p := count(); b != 0 || p != 1 {
		t.Fatalf("after deleting bp-1: %d blood pressure values and %d protein, want 0 and 1", b, p)
	}

	// The record, re-sent by a client that missed the deletion, stays deleted.
	a.do(tok, ingestMutation, batch("parts-3", bp)).decode(t, &res)
	if res.IngestBatch.Accepted != 0 || res.IngestBatch.Duplicates != 2 {
		t.Errorf("re-send: %+v", res.IngestBatch)
	}
	if b, _ := count(); b != 0 {
		t.Errorf("re-send stored %d blood pressure values", b)
	}
}
