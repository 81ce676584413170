package appleexport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"healthsync/importers/appleexport"
)

// writeExport writes a synthetic export.xml of at least size bytes in the shape of a real one: the DTD, Apple
// Watch heart rate with device strings and metadata, iPhone steps, energy, sleep stages, blood-pressure
// correlations (with their records also at top level), workouts with statistics, activity summaries, a type
// the catalog does not know and the odd stray \x0b. It returns the number of Record and Workout elements.
func writeExport(w io.Writer, size int64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	fmt.Fprint(cw, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED sourceName CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2026-01-01 09:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1985-03-02" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
`)
	const watchDev = `&lt;&lt;HKDevice: 0x3012772a0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2&gt;`
	const phoneDev = `&lt;&lt;HKDevice: 0x30088a1c0&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone15,2, software:17.2.1&gt;`
	base := time.Date(2019, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))
	var records int64
	for i := int64(0); cw.n < size; i++ {
		at := base.Add(time.Duration(i) * 20 * time.Second)
		ts := at.Format(appleexport.DateLayout)
		te := at.Add(20 * time.Second).Format(appleexport.DateLayout)
		stray := ""
		if i%100000 == 7 {
			stray = "\x0b"
		}
		switch {
		case i%10 < 6:
			fmt.Fprintf(cw, ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Anna’s Apple Watch%s" sourceVersion="10.2" device="%s" unit="count/min" creationDate="%s" startDate="%s" endDate="%s" value="%d">
  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="%d"/>
 </Record>
`, stray, watchDev, te, ts, ts, 50+i%90, i%3)
			records++
		case i%10 < 8:
			fmt.Fprintf(cw, ` <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Anna’s iPhone" sourceVersion="17.2.1" device="%s" unit="count" creationDate="%s" startDate="%s" endDate="%s" value="%d"/>
`, phoneDev, te, ts, te, i%120)
			records++
		case i%10 == 8:
			fmt.Fprintf(cw, ` <Record type="HKQuantityTypeIdentifierActiveEnergyBurned" sourceName="Anna’s Apple Watch" sourceVersion="10.2" device="%s" unit="kJ" creationDate="%s" startDate="%s" endDate="%s" value="%s"/>
`, watchDev, te, ts, te, strconv.FormatFloat(float64(i%50)/7, 'f', 3, 64))
			records++
		default:
			switch (i / 10) % 50 {
			case 0:
				fmt.Fprintf(cw, ` <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Anna’s Apple Watch" sourceVersion="10.2" creationDate="%s" startDate="%s" endDate="%s" value="HKCategoryValueSleepAnalysisAsleepCore">
  <MetadataEntry key="HKTimeZone" value="Europe/Zurich"/>
 </Record>
`, te, ts, te)
				records++
			case 1:
				bp := func(typ string, v int) {
					fmt.Fprintf(cw, `  <Record type="HKQuantityTypeIdentifierBloodPressure%s" sourceName="Omron" sourceVersion="3" unit="mmHg" creationDate="%s" startDate="%s" endDate="%s" value="%d"/>
`, typ, ts, ts, ts, v)
				}
				fmt.Fprintf(cw, " <Correlation type=\"HKCorrelationTypeIdentifierBloodPressure\" sourceName=\"Omron\" startDate=\"%s\" endDate=\"%s\">\n", ts, ts)
				bp("Systolic", 110+int(i%30))
				bp("Diastolic", 70+int(i%20))
				fmt.Fprint(cw, " </Correlation>\n")
				bp("Systolic", 110+int(i%30))
				bp("Diastolic", 70+int(i%20))
				records += 2
			case 2:
				fmt.Fprintf(cw, ` <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="20" durationUnit="min" sourceName="Anna’s Apple Watch" sourceVersion="10.2" device="%s" creationDate="%s" startDate="%s" endDate="%s">
  <MetadataEntry key="HKTimeZone" value="Europe/Zurich"/>
  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="%s" duration="5" durationUnit="min"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="%s" endDate="%s" sum="812.5" unit="kJ"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="%s" endDate="%s" sum="3.9" unit="km"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="%s" endDate="%s" average="141" minimum="98" maximum="172" unit="count/min"/>
 </Workout>
`, watchDev, ts, ts, at.Add(20*time.Minute).Format(appleexport.DateLayout), ts, ts, ts, ts, ts, ts, ts)
				records++
			case 3:
				fmt.Fprintf(cw, ` <ActivitySummary dateComponents="%s" activeEnergyBurned="500" activeEnergyBurnedGoal="600" activeEnergyBurnedUnit="kcal"/>
`, at.Format("2006-01-02"))
			default:
				fmt.Fprintf(cw, ` <Record type="HKQuantityTypeIdentifierFromAFutureSDK" sourceName="Coffee" unit="mg" startDate="%s" endDate="%s" value="80"/>
`, ts, ts)
				records++
			}
		}
		if cw.err != nil {
			return 0, cw.err
		}
	}
	fmt.Fprint(cw, "</HealthData>\n")
	if cw.err != nil {
		return 0, cw.err
	}
	return records, bw.Flush()
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// peakRSS is the process's high-water resident memory (VmHWM), in bytes; 0 where /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestLargeExport imports a generated export of HEALTHSYNC_LARGE_EXPORT_MB megabytes (at least 500 for the
// memory promise) and reports the rate and the peak resident memory of the test process; the PostgreSQL server is
// another process. Not part of the default run:
//
//	HEALTHSYNC_LARGE_EXPORT_MB=600 go test -run TestLargeExport -timeout 60m -v ./appleexport
func TestLargeExport(t *testing.T) {
	mb, _ := strconv.Atoi(os.Getenv("HEALTHSYNC_LARGE_EXPORT_MB"))
	if mb <= 0 {
		t.Skip("set HEALTHSYNC_LARGE_EXPORT_MB to run")
	}
	name := filepath.Join(t.TempDir(), "export.xml")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	records, err := writeExport(f, int64(mb)<<20)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(name)
	t.Logf("generated %d MB, %d records; peak RSS before import %d MB", st.Size()>>20, records, peakRSS()>>20)

	e := newEnv(t, 0)
	x, err := appleexport.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	began := time.Now()
	last := began
	s, err := e.imp.Import(context.Background(), e.user, x, x.Size, func(p appleexport.Summary) {
		if time.Since(last) > 15*time.Second {
			last = time.Now()
			t.Logf("%5.1f%%  %d records  %.0f records/s  RSS peak %d MB", 100*float64(p.BytesDone)/float64(p.BytesTotal),
				p.Records, float64(p.Records)/p.Elapsed.Seconds(), peakRSS()>>20)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(began)
	peak := peakRSS()
	t.Logf("imported %d records (%d accepted, %d duplicates, %d rejected, %d unknown) from %d MB in %s: %.0f records/s, %.1f MB/s; peak RSS %d MB",
		s.Records, s.Accepted, s.Duplicates, s.Rejected, s.Unknown, st.Size()>>20, elapsed.Round(time.Second),
		float64(s.Records)/elapsed.Seconds(), float64(st.Size())/(1<<20)/elapsed.Seconds(), peak>>20)
	if s.Records != records || s.Rejected != 0 || s.BytesDone != st.Size() {
		t.Errorf("records %d of %d, rejected %d %v, bytes %d of %d", s.Records, records, s.Rejected, s.FirstRejections, s.BytesDone, st.Size())
	}
	if peak > 150<<20 {
		t.Errorf("peak RSS %d MB, want under 150 MB", peak>>20)
	}
}

// BenchmarkReader measures the XML side alone: the generated export read from memory, no database.
func BenchmarkReader(b *testing.B) {
	var buf strings.Builder
	records, err := writeExport(&buf, 32<<20)
	if err != nil {
		b.Fatal(err)
	}
	doc := buf.String()
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for range b.N {
		r := appleexport.NewReader(strings.NewReader(doc))
		n := int64(0)
		for {
			el, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if el.Kind != appleexport.KindOther {
				n++
			}
		}
		if n != records {
			b.Fatalf("read %d records, wrote %d", n, records)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
