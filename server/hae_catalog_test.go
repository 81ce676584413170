package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"healthsync/auth"
)

// A Health Auto Export payload with the metrics the catalog gained for issue 17, named as the app names them,
// lands through the real endpoint with nothing unknown, and reads back in canonical units.
func TestHealthAutoExportNewMetrics(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	tok := a.token("hae-catalog", auth.ScopeIngest, auth.ScopeRead)
	at := day0.Add(10 * time.Hour)
	metrics := []struct {
		name, units string
		qty         float64
		metric      string
		want        float64
	}{
		{"caffeine", "mg", 95, "dietary_caffeine", 95},
		{"vitamin_c", "mg", 60, "dietary_vitamin_c", 60},
		{"dietary_sugar", "g", 12.5, "dietary_sugar", 12.5},
		{"fiber", "g", 6, "dietary_fiber", 6},
		{"saturated_fat", "g", 4, "dietary_fat_saturated", 4},
		{"headphone_audio_exposure", "dBASPL", 71, "headphone_audio_exposure", 71},
		{"walking_step_length", "cm", 72, "walking_step_length", 0.72},
		{"walking_asymmetry_percentage", "%", 3, "walking_asymmetry_percentage", 3},
		{"six_minute_walking_test_distance", "m", 510, "six_minute_walk_test_distance", 510},
		{"stair_speed_up", "m/s", 0.4, "stair_ascent_speed", 0.4},
		{"apple_move_time", "min", 35, "move_time", 35},
		{"number_of_times_fallen", "count", 1, "number_of_times_fallen", 1},
		{"running_power", "W", 250, "running_power", 250},
		{"cycling_cadence", "count/min", 88, "cycling_cadence", 88},
		{"cardio_recovery", "count/min", 22, "heart_rate_recovery_one_minute", 22},
		{"peak_expiratory_flow_rate", "L/min", 420, "peak_expiratory_flow_rate", 420},
		{"blood_alcohol_content", "%", 0.02, "blood_alcohol_content", 0.02},
		{"insulin_delivery", "IU", 4.5, "insulin_delivery", 4.5},
	}
	var parts []string
	for i, m := range metrics {
		date := at.Add(time.Duration(i) * time.Minute).Format("2006-01-02 15:04:05 -0700")
		parts = append(parts, fmt.Sprintf(`{"name":%q,"units":%q,"data":[{"date":%q,"qty":%v}]}`, m.name, m.units, date, m.qty))
	}
	body := []byte(`{"data":{"metrics":[` + strings.Join(parts, ",") + `]}}`)
	status, out := a.postHAE(tok, body)
	if status != http.StatusOK || out["accepted"] != float64(len(metrics)) {
		t.Fatalf("post: %d %v", status, out)
	}
	if u, _ := out["unknown"].(map[string]any); len(u) != 0 {
		t.Errorf("unknown metrics: %v", u)
	}

	for _, m := range metrics {
		var got struct {
			Samples []struct {
				Value float64 `json:"value"`
				Unit  string  `json:"unit"`
			} `json:"samples"`
		}
		a.do(tok, `query($m: String!, $from: Time!, $to: Time!) { samples(metric: $m, from: $from, to: $to) { value unit } }`,
			map[string]any{"m": m.metric, "from": iso(day0), "to": iso(day0.AddDate(0, 0, 1))}).decode(t, &got)
		if len(got.Samples) != 1 || math.Abs(got.Samples[0].Value-m.want) > 1e-9 {
			b, _ := json.Marshal(got.Samples)
			t.Errorf("%s → %s: read back %s, want one sample of %v", m.name, m.metric, b, m.want)
		}
	}
}
