package appleexport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/importers/appleexport"
)

// ecgCSV writes an ECG file as the Health app exports it, with n voltages.
func ecgCSV(at time.Time, class, symptoms, unit string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Name,Jane Appleseed\nDate of Birth,1980-01-01\nRecorded Date,%s\nClassification,%s\nSymptoms,%s\n",
		at.Format(appleexport.DateLayout), class, symptoms)
	fmt.Fprintf(&b, "Software Version,2\nDevice,\"Watch6,7\"\nSample Rate,512 hertz\nLead,Lead I\nUnit,%s\n\n", unit)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%.3f\n", 100*math.Sin(float64(i)/10))
	}
	return b.String()
}

func TestParseECGReadsTheHeaderAndVoltages(t *testing.T) {
	at := time.Now().Add(-240 * time.Hour).Truncate(time.Second)
	e, err := appleexport.ParseECG(strings.NewReader(ecgCSV(at, "Sinus Rhythm", "", "µV", 1024)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Classification != "sinus_rhythm" || e.SymptomsStatus != "none" || e.SamplingHz != 512 || len(e.VoltagesUV) != 1024 ||
		!e.Start.Equal(at) || e.End.Sub(e.Start) != 2*time.Second || e.ID == "" {
		t.Fatalf("%+v", e.ItemEnvelope)
	}
	if math.Abs(float64(e.VoltagesUV[5])-100*math.Sin(0.5)) > 0.001 {
		t.Fatalf("voltage 5: %v", e.VoltagesUV[5])
	}
	for k := range e.Metadata {
		if strings.Contains(strings.ToLower(k), "birth") || strings.Contains(strings.ToLower(k), "name") {
			t.Fatalf("personal header kept in metadata: %v", e.Metadata)
		}
	}
	// A localized classification is kept as text; millivolts become microvolts; symptoms are present.
	e, err = appleexport.ParseECG(strings.NewReader(ecgCSV(at, "Sinusrhythmus", "Herzrasen", "mV", 10)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Classification != "unrecognized" || e.Metadata["exportClassification"] != "Sinusrhythmus" || e.SymptomsStatus != "present" ||
		math.Abs(float64(e.VoltagesUV[5])-100000*math.Sin(0.5)) > 1 {
		t.Fatalf("%+v %v", e.Metadata, e.VoltagesUV[5])
	}
	if _, err := appleexport.ParseECG(strings.NewReader("Recorded Date,yesterday\n\n1\n")); err == nil {
		t.Fatal("an unreadable date was accepted")
	}
}

func TestImportECGsFromTheExportZip(t *testing.T) {
	e := newEnv(t, 1000)
	at := time.Now().Add(-240 * time.Hour).Truncate(time.Second)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"apple_health_export/export.xml":                          `<HealthData locale="en_US"></HealthData>`,
		"apple_health_export/electrocardiograms/ecg_1.csv":        ecgCSV(at, "Sinus Rhythm", "", "µV", 15360),
		"apple_health_export/electrocardiograms/ecg_2.csv":        ecgCSV(at.Add(time.Hour), "Atrial Fibrillation", "Fatigue", "µV", 512),
		"apple_health_export/electrocardiograms/ecg_broken.csv":   "Recorded Date,never\n\nx\n",
		"apple_health_export/workout-routes/route_2024-01-01.gpx": "<gpx/>",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	importECGs := func() appleexport.Summary {
		sum := appleexport.Summary{SkippedElements: map[string]int64{}, RejectedByCode: map[string]int64{}}
		if err := e.imp.ImportECGs(context.Background(), e.user, bytes.NewReader(buf.Bytes()), int64(buf.Len()), &sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	sum := importECGs()
	if sum.Records != 3 || sum.Accepted != 2 || sum.Skipped != 1 || sum.Rejected != 0 {
		t.Fatalf("first import: %+v", sum)
	}
	if again := importECGs(); again.Accepted != 0 || again.Duplicates != 2 {
		t.Fatalf("second import: %+v", again)
	}
	var got []db.StoredECG
	err := e.store.InUserTx(context.Background(), e.user, func(tx *db.Tx) (err error) {
		got, err = tx.ECGRecordings(context.Background(), at.Add(-time.Hour), at.Add(2*time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Classification != "sinus_rhythm" || len(got[0].VoltagesUV) != 15360 ||
		got[1].Classification != "atrial_fibrillation" || got[1].SymptomsStatus != "present" {
		t.Fatalf("stored: %d recordings", len(got))
	}
}

// ImportFile is the one path of the CLI and the import jobs: an export.zip brings export.xml's records and the
// ECG recordings beside it, a bare export.xml its records; the same file again stores nothing new.
func TestImportFileTakesTheZipWithItsECGsAndABareXML(t *testing.T) {
	e := newEnv(t, 1000)
	at := time.Now().Add(-240 * time.Hour).Truncate(time.Second)
	xml := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_US">
 <Record type="HKCategoryTypeIdentifierHeadache" sourceName="Health" startDate="%[1]s" endDate="%[1]s" value="HKCategoryValueSeverityMild"/>
 <Record type="HKCategoryTypeIdentifierHighHeartRateEvent" sourceName="Watch" startDate="%[1]s" endDate="%[2]s" value="HKCategoryValueNotApplicable"/>
</HealthData>
`, at.Format(appleexport.DateLayout), at.Add(10*time.Minute).Format(appleexport.DateLayout))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"apple_health_export/export.xml":                   xml,
		"apple_health_export/electrocardiograms/ecg_1.csv": ecgCSV(at.Add(time.Hour), "Sinus Rhythm", "", "µV", 1024),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	importFile := func(b []byte) appleexport.Summary {
		sum, err := e.imp.ImportFile(context.Background(), e.user, bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := importFile(buf.Bytes()); sum.Records != 3 || sum.Accepted != 3 || sum.Rejected != 0 || sum.Unknown != 0 {
		t.Fatalf("zip: %+v", sum)
	}
	if sum := importFile(buf.Bytes()); sum.Accepted != 0 || sum.Duplicates != 3 {
		t.Fatalf("zip again: %+v", sum)
	}
	if sum := importFile([]byte(xml)); sum.Records != 2 || sum.Accepted != 0 || sum.Duplicates != 2 {
		t.Fatalf("bare export.xml: %+v", sum)
	}
	var got []string
	if err := e.sqlDB.Select(&got, `SELECT category || '=' || value FROM category_samples
		UNION ALL SELECT 'ecg=' || classification FROM ecg_recordings ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "ecg=sinus_rhythm high_heart_rate_event= symptom_headache=mild" {
		t.Fatalf("stored %v", got)
	}
}
