package ingest

import (
	"encoding/json"
	"math"
	"testing"
)

// appendJSON must write exactly what encoding/json writes for the values it handles.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, "plain", "quote\" back\\slash\n\t\r\x01<>&\u2028\u2029 é 🫀", "bad \xff utf8",
		json.Number("61.5"), json.Number("-3e7"), 0.97, 12, int64(-4),
		[]any{1.5, "x", nil, []any{}}, map[string]any{"b": 1.0, "a": map[string]any{"z": "y", "c": []any{true}}},
		map[string]any{}, []any{map[string]any{"HKTimeZone": "Europe/Zurich", "HKWasUserEntered": json.Number("1")}},
		struct{ X int }{3},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil || string(got) != string(want) {
			t.Errorf("%#v: got %s (%v), want %s", v, got, err, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("NaN"), []any{math.Inf(-1)}} {
		if _, err := appendJSON(nil, bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
