package appleexport_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"healthsync/db"
)

// The Audiogram elements of export.xml as the Health app writes them (each ear's first air-conduction test,
// masked YES/NO, an optional clamping range), and a workout's events and activities.
const audiogramExport = `<HealthData locale="en_US">
 <Audiogram type="HKDataTypeIdentifierAudiogram" sourceName="Mimi" sourceVersion="5.2" creationDate="2024-03-01 09:10:00 +0100" startDate="2024-03-01 09:00:00 +0100" endDate="2024-03-01 09:08:00 +0100">
  <MetadataEntry key="HKTimeZone" value="Europe/Zurich"/>
  <SensitivityPoint frequencyValue="1000" frequencyUnit="Hz" leftEarValue="10" leftEarUnit="dBHL" leftEarMasked="NO" rightEarValue="15" rightEarUnit="dBHL" rightEarMasked="YES" rightEarClampingRangeLowerBound="0" rightEarClampingRangeUpperBound="90"/>
  <SensitivityPoint frequencyValue="0.5" frequencyUnit="kHz" leftEarValue="5" leftEarUnit="dBHL"/>
  <SensitivityPoint frequencyValue="8000" frequencyUnit="Hz" rightEarValue="45" rightEarUnit="dBHL" rightEarMasked="NO"/>
 </Audiogram>
 <Audiogram type="HKDataTypeIdentifierAudiogram" sourceName="Mimi" startDate="2024-03-02 09:00:00 +0100" endDate="2024-03-02 09:08:00 +0100">
  <SensitivityPoint frequencyValue="1000" frequencyUnit="Hz" leftEarValue="500" leftEarUnit="dBHL"/>
 </Audiogram>
 <Workout workoutActivityType="HKWorkoutActivityTypeSwimming" duration="30" durationUnit="min" sourceName="Watch" startDate="2024-03-03 07:00:00 +0000" endDate="2024-03-03 07:30:00 +0000">
  <WorkoutEvent type="HKWorkoutEventTypeLap" date="2024-03-03 07:01:00 +0000" duration="1" durationUnit="min"/>
  <WorkoutEvent type="HKWorkoutEventTypeLap" date="2024-03-03 07:02:00 +0000" duration="1.5" durationUnit="min"/>
  <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-03-03 07:10:00 +0000"/>
  <WorkoutEvent type="HKWorkoutEventTypeResume" date="2024-03-03 07:12:00 +0000"/>
  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="2024-03-03 07:00:00 +0000" duration="10" durationUnit="min"/>
  <WorkoutEvent type="HKWorkoutEventTypeMarker" date="2024-03-03 08:00:00 +0000"/>
  <WorkoutActivity uuid="A1" startDate="2024-03-03 07:00:00 +0000" endDate="2024-03-03 07:15:00 +0000">
   <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-03-03 07:10:00 +0000"/>
  </WorkoutActivity>
  <WorkoutActivity uuid="A2" startDate="2024-03-03 07:15:00 +0000" endDate="2024-03-03 07:30:00 +0000"/>
 </Workout>
</HealthData>`

func TestImportAudiogramsAndWorkoutParts(t *testing.T) {
	e := newEnv(t, 0)
	s := e.importString(audiogramExport)
	if s.Records != 3 || s.Accepted != 2 || s.Rejected != 1 || s.RejectedByCode["OUT_OF_RANGE"] != 1 || s.Skipped != 0 {
		t.Fatalf("summary %+v", s)
	}
	var got []db.StoredAudiogram
	err := e.store.InUserTx(context.Background(), e.user, func(tx *db.Tx) (err error) {
		got, err = tx.Audiograms(context.Background(), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].SourceName != "Mimi" || got[0].TimeZone != "Europe/Zurich" || len(got[0].Points) != 3 {
		t.Fatalf("audiograms %+v", got)
	}
	p := got[0].Points
	if p[0].Hz != 500 || *p[0].Left != 5 || p[0].Right != nil || p[0].Tests[0].Masked != nil {
		t.Errorf("500 Hz (printed in kHz): %+v", p[0])
	}
	r := p[1].Tests[1]
	if p[1].Hz != 1000 || *p[1].Left != 10 || *p[1].Right != 15 || r.Side != "right" || r.Masked == nil || !*r.Masked ||
		*r.ClampLower != 0 || *r.ClampUpper != 90 || p[1].Tests[0].Masked == nil || *p[1].Tests[0].Masked {
		t.Errorf("1000 Hz: %+v", p[1])
	}
	if p[2].Hz != 8000 || p[2].Left != nil || *p[2].Right != 45 {
		t.Errorf("8000 Hz: %+v", p[2])
	}

	var w struct {
		Segments, Laps, Events string
	}
	if err := e.sqlDB.Get(&w, `SELECT segments::text AS segments, laps::text AS laps, events::text AS events FROM workouts WHERE user_id = $1`, e.user); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"end": "2024-03-03T07:02:00Z", "start": "2024-03-03T07:01:00Z"`, `"end": "2024-03-03T07:03:30Z"`} {
		if !strings.Contains(w.Laps, want) {
			t.Errorf("laps %s lack %s", w.Laps, want)
		}
	}
	// The marker after the workout's end is left out; the activity's own copy of the pause is not read twice.
	if strings.Count(w.Events, `"type"`) != 3 || !strings.Contains(w.Events, `"pause"`) || !strings.Contains(w.Events, `"segment"`) ||
		strings.Contains(w.Events, "08:00") {
		t.Errorf("events %s", w.Events)
	}
	if strings.Count(w.Segments, `"swimming"`) != 2 || !strings.Contains(w.Segments, `"end": "2024-03-03T07:15:00Z"`) {
		t.Errorf("segments %s", w.Segments)
	}

	// The same export again stores nothing new.
	if again := e.importString(audiogramExport); again.Accepted != 0 {
		t.Errorf("second import %+v", again)
	}
}
