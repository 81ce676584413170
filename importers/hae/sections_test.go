package hae_test

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/importers/hae"
)

// haeTime prints an instant as the app does, in a zone of its own so the offset is read, not assumed.
func haeTime(t time.Time) string {
	return t.In(time.FixedZone("", -8*3600)).Format("2006-01-02 15:04:05 -0700")
}

// sectionsPayload is a payload with every section beside metrics, in the layouts the app documents (see
// testdata/README.md), dated from the clock: the ingest refuses the future and the test must not depend on today.
// Each section holds good items and, last, bad ones the receiver must refuse with a code.
func sectionsPayload(at time.Time) map[string]any {
	voltages := func(n int, units string, scale float64) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"date": haeTime(at.Add(time.Duration(i) * time.Second / 512)),
				"voltage": scale * math.Sin(float64(i)/10), "units": units}
		}
		return out
	}
	reading := func(bpm float64, t time.Time) map[string]any {
		return map[string]any{"hr": bpm, "units": "bpm", "timestamp": map[string]any{"start": haeTime(t), "end": haeTime(t),
			"interval": map[string]any{"duration": 5, "units": "s"}}}
	}
	return map[string]any{"data": map[string]any{
		"metrics": []map[string]any{
			{"name": "sexual_activity", "units": "count", "data": []map[string]any{{"date": haeTime(at.Add(13 * time.Hour)),
				"Unspecified": 0, "Protection Used": 2, "Protection Not Used": 1}}},
			{"name": "toothbrushing", "units": "s", "data": []map[string]any{{"date": haeTime(at.Add(14 * time.Hour)),
				"qty": 120, "value": "Complete"}}},
		},
		"symptoms": []map[string]any{
			{"start": haeTime(at), "end": haeTime(at.Add(2 * time.Hour)), "name": "Headache", "severity": "Moderate",
				"userEntered": true, "source": "Health"},
			{"start": haeTime(at.Add(3 * time.Hour)), "end": haeTime(at.Add(3 * time.Hour)), "name": "Rapid, Pounding, or Fluttering Heartbeat",
				"severity": "Mild", "userEntered": true, "source": "Health"},
			{"start": haeTime(at.Add(4 * time.Hour)), "end": haeTime(at.Add(5 * time.Hour)), "name": "Appetite Changes",
				"severity": "Increased", "userEntered": true, "source": "Health"},
			{"start": haeTime(at), "end": haeTime(at), "name": "Hiccups", "severity": "Mild", "source": "Health"}, // no such type
			{"start": haeTime(at), "end": haeTime(at), "name": "Nausea", "severity": "Unbearable", "source": "Health"},
			{"start": "last Tuesday", "name": "Fatigue", "severity": "Mild"},
		},
		"medications": []map[string]any{
			{"displayText": "Ibuprofen 200 mg Tablet", "nickname": "Ibuprofen", "start": haeTime(at.Add(time.Hour)),
				"end": haeTime(at.Add(time.Hour)), "scheduledDate": haeTime(at.Add(50 * time.Minute)), "form": "Tablet",
				"status": "Taken", "isArchived": false, "dosage": 1, "units": "tablet",
				"codings": []map[string]any{{"code": "310965", "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "version": "2024"}}},
			{"displayText": "Levothyroxine 50 mcg", "start": haeTime(at.Add(2 * time.Hour)), "status": "Not Interacted",
				"isArchived": false, "codings": []map[string]any{}},
			{"displayText": "Vitamin D", "start": haeTime(at), "status": "Unspecified"},
			{"displayText": "Iron", "start": haeTime(at), "status": "Taken", "dosage": "one"}, // a string for a number
		},
		"ecg": []map[string]any{
			{"start": haeTime(at.Add(6 * time.Hour)), "end": haeTime(at.Add(6*time.Hour + 30*time.Second)),
				"classification": "Sinus Rhythm", "severity": "None", "averageHeartRate": 68,
				"numberOfVoltageMeasurements": 1536, "voltageMeasurements": voltages(1536, "mV", 0.25),
				"samplingFrequency": 512, "source": "Anna’s Apple Watch"},
			{"start": haeTime(at.Add(7 * time.Hour)), "end": haeTime(at.Add(7*time.Hour + 30*time.Second)),
				"classification": "Inconclusive Poor Recording", "averageHeartRate": 91,
				"voltageMeasurements": voltages(512, "V", 0.0003), "samplingFrequency": 512, "source": "Anna’s Apple Watch"},
			{"start": haeTime(at.Add(8 * time.Hour)), "classification": "Sinus Rhythm", "samplingFrequency": 512,
				"voltageMeasurements": voltages(4, "furlongs", 1)},
		},
		"heartRateNotifications": []map[string]any{
			{"start": haeTime(at.Add(9 * time.Hour)), "end": haeTime(at.Add(9*time.Hour + 10*time.Minute)), "threshold": 120,
				"heartRate":          []any{reading(131, at.Add(9*time.Hour)), reading(127, at.Add(9*time.Hour+5*time.Minute))},
				"heartRateVariation": []any{map[string]any{"hrv": 21, "units": "ms"}}},
			{"start": haeTime(at.Add(10 * time.Hour)), "end": haeTime(at.Add(10*time.Hour + 10*time.Minute)), "threshold": 40,
				"heartRate": []any{reading(37, at.Add(10*time.Hour)), reading(38, at.Add(10*time.Hour+5*time.Minute))}},
			{"start": haeTime(at.Add(11 * time.Hour)), "end": haeTime(at.Add(11 * time.Hour)),
				"heartRate": []any{reading(88, at.Add(11*time.Hour))}},
			{"start": haeTime(at.Add(12 * time.Hour)), "threshold": 120}, // no readings: neither high nor low can be told
		},
		"cycleTracking": []map[string]any{{"start": haeTime(at), "name": "Menstrual Flow"}},
	}}
}

func TestSectionsLandThroughTheHandler(t *testing.T) {
	e := newEnv(t)
	at := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -3)
	body, err := json.Marshal(sectionsPayload(at))
	if err != nil {
		t.Fatal(err)
	}
	code, res, raw := e.post(e.token(auth.ScopeIngest), body)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, raw)
	}
	// 3 symptoms, 2 medication doses, 2 ECGs, 3 heart notifications, 3 times sexual activity, 1 toothbrushing;
	// the write path refuses nothing.
	checkResponse(t, "sections", res, 14, 0)
	refused := map[string]string{}
	for _, r := range res.Refused {
		refused[r.Section+"["+itoa(r.Index)+"]"] = string(r.Code)
		if r.Message == "" {
			t.Errorf("refusal without a message: %+v", r)
		}
	}
	wantRefused := map[string]string{"symptoms[3]": "UNKNOWN_TYPE", "symptoms[4]": "BAD_VALUE", "symptoms[5]": "BAD_TIME",
		"medications[2]": "BAD_VALUE", "medications[3]": "BAD_FIELD", "ecg[2]": "BAD_UNIT",
		"heartRateNotifications[3]": "UNKNOWN_TYPE"}
	if len(refused) != len(wantRefused) {
		t.Errorf("refused %v, want %v", refused, wantRefused)
	}
	for k, v := range wantRefused {
		if refused[k] != v {
			t.Errorf("refused %s = %q, want %q (all: %v)", k, refused[k], v, refused)
		}
	}
	if res.Invalid["symptoms"] != 3 || res.Invalid["medications"] != 2 || res.Invalid["ecg"] != 1 ||
		res.Invalid["heartRateNotifications"] != 1 {
		t.Errorf("invalid %v", res.Invalid)
	}
	if len(res.Skipped) != 1 || res.Skipped["cycleTracking: the app documents no item layout for this section; not imported"] != 1 {
		t.Errorf("skipped %v", res.Skipped)
	}

	var cats []struct {
		Category string  `db:"category"`
		Value    string  `db:"value"`
		Orig     string  `db:"orig_value"`
		Manual   bool    `db:"user_entered"`
		Source   string  `db:"name"`
		Minutes  float64 `db:"minutes"`
		Meta     string  `db:"metadata"`
	}
	if err := e.sqlDB.Select(&cats, `SELECT c.category, c.value, c.orig_value, c.user_entered, s.name,
		extract(epoch FROM c.end_time - c.start_time) / 60 AS minutes, coalesce(c.metadata::text, '') AS metadata
		FROM category_samples c JOIN sources s ON s.user_id = c.user_id AND s.source_id = c.source_id
		ORDER BY c.start_time, c.value`); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cats {
		got = append(got, c.Category+"="+c.Value+"("+c.Orig+")@"+c.Source)
	}
	want := []string{"symptom_headache=moderate(Moderate)@Health",
		"symptom_rapid_pounding_or_fluttering_heartbeat=mild(Mild)@Health", "appetite_changes=increased(Increased)@Health",
		"high_heart_rate_event=()@Health Auto Export", "low_heart_rate_event=()@Health Auto Export",
		"irregular_heart_rhythm_event=()@Health Auto Export", "sexual_activity=protected(protected)@Health Auto Export",
		"sexual_activity=protected(protected)@Health Auto Export", "sexual_activity=unprotected(unprotected)@Health Auto Export",
		"toothbrushing=(Complete)@Health Auto Export"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("category samples:\n got %v\nwant %v", got, want)
	}
	if !cats[0].Manual || cats[0].Minutes != 120 {
		t.Errorf("headache: user entered %v, %v minutes", cats[0].Manual, cats[0].Minutes)
	}
	for _, w := range []string{`"threshold": 120`, `"max": 131`, `"min": 127`, `"heartRateReadings": 2`, `"heartRateVariationReadings": 1`} {
		if !strings.Contains(cats[3].Meta, w) {
			t.Errorf("high heart rate metadata %s lacks %s", cats[3].Meta, w)
		}
	}

	var doses []struct {
		Medication string   `db:"medication"`
		Status     string   `db:"status"`
		Dose       *float64 `db:"dose"`
		Unit       *string  `db:"dose_unit"`
		Codes      *string  `db:"codes"`
		Scheduled  *string  `db:"scheduled"`
		Logged     string   `db:"logged"`
		Meta       *string  `db:"metadata"`
	}
	if err := e.sqlDB.Select(&doses, `SELECT medication, status, dose, dose_unit, codes::text AS codes,
		to_char(scheduled_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS scheduled,
		to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS logged, metadata::text AS metadata
		FROM medication_doses ORDER BY start_time`); err != nil {
		t.Fatal(err)
	}
	if len(doses) != 2 {
		t.Fatalf("doses %+v", doses)
	}
	d := doses[0]
	if d.Medication != "Ibuprofen 200 mg Tablet" || d.Status != "taken" || d.Dose == nil || *d.Dose != 1 || *d.Unit != "tablet" ||
		!strings.Contains(*d.Codes, `"310965"`) || *d.Scheduled != at.Add(50*time.Minute).Format(time.RFC3339) ||
		d.Logged != at.Add(time.Hour).Format(time.RFC3339) || !strings.Contains(*d.Meta, `"form": "Tablet"`) {
		t.Errorf("ibuprofen %+v codes %v meta %v", d, *d.Codes, *d.Meta)
	}
	if doses[1].Status != "not_interacted" || doses[1].Dose != nil || doses[1].Scheduled != nil {
		t.Errorf("levothyroxine %+v", doses[1])
	}

	var ecgs []struct {
		Class  string   `db:"classification"`
		HR     *float64 `db:"average_heart_rate"`
		Sym    string   `db:"symptoms_status"`
		Hz     float64  `db:"sampling_hz"`
		N      int      `db:"n"`
		Second float64  `db:"second"`
		Source string   `db:"name"`
	}
	if err := e.sqlDB.Select(&ecgs, `SELECT x.classification, x.average_heart_rate, x.symptoms_status, x.sampling_hz,
		cardinality(x.voltages_uv) AS n, x.voltages_uv[2] AS second, s.name
		FROM ecg_recordings x JOIN sources s ON s.user_id = x.user_id AND s.source_id = x.source_id ORDER BY x.start_time`); err != nil {
		t.Fatal(err)
	}
	if len(ecgs) != 2 {
		t.Fatalf("ecgs %+v", ecgs)
	}
	// 0.25 mV·sin(0.1) and 0.0003 V·sin(0.1), both in µV.
	if g := ecgs[0]; g.Class != "sinus_rhythm" || *g.HR != 68 || g.Sym != "none" || g.Hz != 512 || g.N != 1536 ||
		math.Abs(g.Second-250*math.Sin(0.1)) > 1e-3 || g.Source != "Anna’s Apple Watch" {
		t.Errorf("first ECG %+v", g)
	}
	if g := ecgs[1]; g.Class != "inconclusive_poor_reading" || g.Sym != "not_set" || g.N != 512 || math.Abs(g.Second-300*math.Sin(0.1)) > 1e-3 {
		t.Errorf("second ECG %+v", g)
	}

	// The app sends the same period again: nothing new, the same refusals.
	code, again, raw := e.post(e.token(auth.ScopeIngest), body)
	if code != http.StatusOK {
		t.Fatalf("again: %d %s", code, raw)
	}
	checkResponse(t, "sections again", again, 0, 14)
	if len(again.Refused) != len(res.Refused) {
		t.Errorf("refusals again %+v", again.Refused)
	}
	var n int
	if err := e.sqlDB.Get(&n, `SELECT (SELECT count(*) FROM category_samples) + (SELECT count(*) FROM medication_doses)
		+ (SELECT count(*) FROM ecg_recordings)`); err != nil || n != 14 {
		t.Fatalf("stored %d rows after the repeat (%v)", n, err)
	}
}

// A heart notification that names itself is taken at its word, in either of the spellings receivers have seen.
func TestHeartNotificationNamedAndObservedLayout(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -2)
	body := `{"data":{"heartRateNotifications":[
	 {"heartNotification":"Low Heart Rate","start":"` + haeTime(at) + `","end":"` + haeTime(at.Add(10*time.Minute)) + `","threshold":50,
	  "source":{"name":"Anna’s Apple Watch"},"heartRateData":[{"heartRate":62,"hrUnits":"bpm","timestamp":{"start":"` + haeTime(at) + `","end":"` + haeTime(at) + `"}}]},
	 {"heartNotification":"Irregular Rhythm","start":"` + haeTime(at.Add(time.Hour)) + `","end":"` + haeTime(at.Add(time.Hour)) + `"},
	 {"heartNotification":"Cardio Fitness","start":"` + haeTime(at) + `"}]}}`
	var p hae.Payload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	m := hae.Map(&p, catalog.New())
	if len(m.Categories) != 2 || m.Categories[0].Type != "HKCategoryTypeIdentifierLowHeartRateEvent" ||
		m.Categories[0].Source.Name != "Anna’s Apple Watch" || m.Categories[1].Type != "HKCategoryTypeIdentifierIrregularHeartRhythmEvent" {
		t.Fatalf("categories %+v", m.Categories)
	}
	if len(m.Refused) != 1 || m.Refused[0].Index != 2 || m.Refused[0].Code != "UNKNOWN_TYPE" {
		t.Fatalf("refused %+v", m.Refused)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// Sexual activity, handwashing and toothbrushing come as metrics in the documented layout and land as category
// samples: sexual activity once per counted time, by protection.
func TestCategoryMetrics(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -2)
	body := `{"data":{"metrics":[
	 {"name":"sexual_activity","units":"count","data":[{"date":"` + haeTime(at) + `","Unspecified":0,"Protection Used":2,"Protection Not Used":1},
	   {"date":"` + haeTime(at.Add(time.Hour)) + `"}]},
	 {"name":"toothbrushing","units":"s","data":[{"date":"` + haeTime(at) + `","qty":120,"value":"Complete"}]}]}}`
	var p hae.Payload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	m := hae.Map(&p, catalog.New())
	var got []string
	ids := map[string]bool{}
	for _, c := range m.Categories {
		got = append(got, c.Type+"="+c.Value)
		ids[c.ID] = true
	}
	if strings.Join(got, " ") != "sexual_activity=protected sexual_activity=protected sexual_activity=unprotected toothbrushing=Complete" ||
		len(ids) != 4 || m.Invalid["sexual_activity"] != 1 || m.Categories[3].Metadata["qty"] != 120.0 {
		t.Fatalf("categories %v (%d ids), invalid %v", got, len(ids), m.Invalid)
	}
}
