package server_test

import (
	"testing"
	"time"

	"healthsync/auth"
)

func TestMetricsShowWhatTheUserHas(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	var r ingestResult
	a.do(tok, ingestMutation, ingestInput("iphone-only",
		stepSample(uuid(1), phoneSource, at, at.Add(10*time.Minute), 100),
		stepSample(uuid(2), phoneSource, at.Add(2*time.Hour), at.Add(2*time.Hour+5*time.Minute), 50))).decode(t, &r)
	var m struct {
		Metrics []struct {
			Name        string     `json:"name"`
			DisplayName string     `json:"displayName"`
			UnitLabel   string     `json:"unitLabel"`
			SampleCount int        `json:"sampleCount"`
			FirstSample *time.Time `json:"firstSample"`
			LastSample  *time.Time `json:"lastSample"`
		} `json:"metrics"`
	}
	a.do(tok, `{ metrics { name displayName unitLabel sampleCount firstSample lastSample } }`, nil).decode(t, &m)
	seen := map[string]bool{}
	for _, x := range m.Metrics {
		seen[x.Name] = true
		switch x.Name {
		case "heart_rate":
			if x.DisplayName != "Heart rate" || x.UnitLabel != "bpm" {
				t.Errorf("heart_rate is shown as %q in %q, want Heart rate in bpm", x.DisplayName, x.UnitLabel)
			}
		}
		switch x.Name {
		case "steps":
			if x.SampleCount != 2 || !x.FirstSample.Equal(at) || !x.LastSample.Equal(at.Add(2*time.Hour+5*time.Minute)) {
				t.Fatalf("steps: %+v", x)
			}
		default:
			if x.SampleCount != 0 || x.FirstSample != nil {
				t.Fatalf("%s has data for an iPhone-only user: %+v", x.Name, x)
			}
		}
	}
	if !seen["heart_rate"] || !seen["oxygen_saturation"] {
		t.Fatal("the catalog is incomplete")
	}
	// An upload-only token sees the catalog but not the user's counts.
	up := a.token("alice", auth.ScopeIngest)
	if res := a.do(up, `{ metrics { name unit } }`, nil); len(res.Errors) != 0 {
		t.Fatalf("catalog with an ingest token: %s", res.Raw)
	}
	if res := a.do(up, `{ metrics { name sampleCount } }`, nil); res.code() != "FORBIDDEN" {
		t.Fatalf("counts with an ingest token: %s", res.Raw[:min(300, len(res.Raw))])
	}
}
