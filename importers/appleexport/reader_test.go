package appleexport_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"healthsync/importers/appleexport"
)

func readAll(t *testing.T, doc string) []appleexport.Element {
	t.Helper()
	r := appleexport.NewReader(strings.NewReader(doc))
	var out []appleexport.Element
	for {
		el, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, el)
	}
}

// A DOCTYPE with an internal subset (as every real export has), a stray \x0b in an attribute, a Correlation whose
// records must not be read twice, and a modern Workout whose totals are in WorkoutStatistics.
const synthetic = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
]>
<HealthData locale="de_CH">
 <ExportDate value="2025-03-01 10:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Anna` + "\x0b" + `s iPhone" unit="count" startDate="2025-02-28 08:00:00 +0100" endDate="2025-02-28 08:10:00 +0100" value="812"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" startDate="2025-02-28 07:00:00 +0100" endDate="2025-02-28 07:00:00 +0100">
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" startDate="2025-02-28 07:00:00 +0100" endDate="2025-02-28 07:00:00 +0100" value="121"/>
  <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Omron" unit="mmHg" startDate="2025-02-28 07:00:00 +0100" endDate="2025-02-28 07:00:00 +0100" value="79"/>
 </Correlation>
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" startDate="2025-02-28 07:00:00 +0100" endDate="2025-02-28 07:00:00 +0100" value="121"/>
 <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Omron" unit="mmHg" startDate="2025-02-28 07:00:00 +0100" endDate="2025-02-28 07:00:00 +0100" value="79"/>
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Anna's Watch" unit="ms" startDate="2025-02-28 03:00:00 +0100" endDate="2025-02-28 03:01:00 +0100" value="41.5">
  <HeartRateVariabilityMetadataList>
   <InstantaneousBeatsPerMinute bpm="58" time="3:00:01.00 AM"/>
  </HeartRateVariabilityMetadataList>
  <MetadataEntry key="HKTimeZone" value="Europe/Zurich"/>
 </Record>
 <Record type="HKQuantityTypeIdentifierFromAFutureSDK" sourceName="Coffee app" unit="mg" startDate="2025-02-28 09:00:00 +0100" endDate="2025-02-28 09:00:00 +0100" value="80"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="30" durationUnit="min" sourceName="Anna's Watch" device="&lt;&lt;HKDevice: 0x1&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch7,2, software:11.3&gt;" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100">
  <MetadataEntry key="HKTimeZone" value="Europe/Zurich"/>
  <WorkoutEvent type="HKWorkoutEventTypePause" date="2025-02-28 17:10:00 +0100"/>
  <WorkoutEvent type="HKWorkoutEventTypeResume" date="2025-02-28 17:11:00 +0100"/>
  <WorkoutActivity uuid="X" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100" sum="1046" unit="kJ"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceCycling" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100" sum="12.5" unit="km"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100" average="138" minimum="96" maximum="171" unit="count/min"/>
  <WorkoutRoute sourceName="Anna's Watch" startDate="2025-02-28 17:00:00 +0100" endDate="2025-02-28 17:30:00 +0100">
   <FileReference path="/workout-routes/route_2025-02-28_5.00pm.gpx"/>
  </WorkoutRoute>
 </Workout>
 <ActivitySummary dateComponents="2025-02-28" activeEnergyBurned="410" activeEnergyBurnedGoal="500" activeEnergyBurnedUnit="kcal"/>
 <ClinicalRecord type="HKClinicalTypeIdentifierLabResultRecord" identifier="x"/>
</HealthData>
`

func TestReaderElements(t *testing.T) {
	els := readAll(t, synthetic)
	var kinds []string
	for _, el := range els {
		switch el.Kind {
		case appleexport.KindRecord:
			kinds = append(kinds, el.Record.Type)
		case appleexport.KindWorkout:
			kinds = append(kinds, "Workout")
		case appleexport.KindOther:
			kinds = append(kinds, "other:"+el.Other)
		}
	}
	want := []string{"HKQuantityTypeIdentifierStepCount", "other:Correlation",
		"HKQuantityTypeIdentifierBloodPressureSystolic", "HKQuantityTypeIdentifierBloodPressureDiastolic",
		"HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "HKQuantityTypeIdentifierFromAFutureSDK",
		"Workout", "other:ActivitySummary", "other:ClinicalRecord"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("elements:\n got %v\nwant %v", kinds, want)
	}
	if got := els[0].Record.SourceName; got != "Anna s iPhone" {
		t.Errorf("control character: source name %q", got)
	}
	hrv := els[4].Record
	if hrv.Metadata["HKTimeZone"] != "Europe/Zurich" || len(hrv.Metadata) != 1 || hrv.Value != "41.5" {
		t.Errorf("HRV record: %+v", hrv)
	}
	if hrv.Start.UTC().Format("2006-01-02T15:04:05Z") != "2025-02-28T02:00:00Z" {
		t.Errorf("HRV start %v", hrv.Start)
	}
	w := els[6].Workout
	if w.ActivityType != "HKWorkoutActivityTypeCycling" || w.Device.Hardware != "Watch7,2" || len(w.Statistics) != 3 ||
		w.Events["HKWorkoutEventTypePause"] != 1 || len(w.Routes) != 1 || w.Routes[0] != "/workout-routes/route_2025-02-28_5.00pm.gpx" {
		t.Errorf("workout: %+v", w)
	}
}

func TestReaderRefusesOtherDocuments(t *testing.T) {
	r := appleexport.NewReader(strings.NewReader(`<gpx><trk/></gpx>`))
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "HealthData") {
		t.Fatalf("err = %v", err)
	}
	r = appleexport.NewReader(strings.NewReader(`<HealthData><Record type="x"><MetadataEntry`))
	if _, err := r.Next(); err == nil {
		t.Fatal("a truncated file read without error")
	}
}
