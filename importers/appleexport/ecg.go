package appleexport

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"healthsync/ingest"
)

// ECG recordings are not in export.xml: the Health app writes each as electrocardiograms/ecg_<date>.csv beside
// it, a block of "key,value" header lines (Name, Date of Birth, Recorded Date, Classification, Symptoms,
// Software Version, Device, Sample Rate, Lead, Unit), a blank line, then one voltage per line. The name and date
// of birth are never read into anything stored.

// unreadableECG is the SkippedElements key of ECG files that could not be read (no date, rate or numbers).
const unreadableECG = "electrocardiograms/*.csv (unreadable)"

// ecgPerBatch bounds the recordings of one batch: each counts 16 items against the batch limit at 512 Hz.
const ecgPerBatch = 50

// ecgClassNames maps the export's English classification texts that are not HealthKit's own names.
var ecgClassNames = map[string]string{
	"inconclusive":        "inconclusive_other",
	"heartrateover120":    "inconclusive_high_heart_rate",
	"heartrateover150":    "inconclusive_high_heart_rate",
	"heartrateunder50":    "inconclusive_low_heart_rate",
	"poorrecording":       "inconclusive_poor_reading",
	"sinusrhythm":         "sinus_rhythm",
	"atrialfibrillation":  "atrial_fibrillation",
	"unrecognized":        "unrecognized",
	"unrecognizedrhythm":  "unrecognized",
	"inconclusivereading": "inconclusive_other",
}

// ParseECG reads one exported ECG CSV. A classification it does not know (a localized export) is stored as
// unrecognized with the text kept in metadata, so nothing is lost.
func ParseECG(r io.Reader) (ingest.ECGRecording, error) {
	var e ingest.ECGRecording
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	head := map[string]string{}
	inHeader := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if inHeader {
			if line == "" {
				inHeader = len(head) == 0 // blank lines before the header are not its end
				continue
			}
			k, v, _ := strings.Cut(line, ",")
			head[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
			continue
		}
		if line == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(line, ",", "."), 64)
		if err != nil {
			return e, fmt.Errorf("voltage %q is not a number", clipText(line))
		}
		e.VoltagesUV = append(e.VoltagesUV, ingest.Float(v))
	}
	if err := sc.Err(); err != nil {
		return e, fmt.Errorf("read ECG: %w", err)
	}
	return e, ecgHeader(&e, head)
}

func ecgHeader(e *ingest.ECGRecording, head map[string]string) error {
	start, err := ParseTime(head["Recorded Date"])
	if err != nil {
		return fmt.Errorf("recorded date: %w", err)
	}
	hz, err := strconv.ParseFloat(strings.Fields(head["Sample Rate"] + " x")[0], 64)
	if err != nil || hz <= 0 {
		return fmt.Errorf("sample rate %q is not a frequency", clipText(head["Sample Rate"]))
	}
	switch unit := head["Unit"]; unit {
	case "µV", "μV", "uV", "":
	case "mV":
		for i := range e.VoltagesUV {
			e.VoltagesUV[i] *= 1000
		}
	default:
		return fmt.Errorf("voltage unit %q is not µV or mV", clipText(unit))
	}
	meta := map[string]any{}
	class, ok := ecgClassNames[squashText(head["Classification"])]
	if !ok {
		class = "unrecognized"
		meta["exportClassification"] = head["Classification"]
	}
	e.Classification = class
	e.SymptomsStatus = "none"
	if s := head["Symptoms"]; s != "" {
		e.SymptomsStatus = "present"
		meta["symptoms"] = s
	}
	if lead := head["Lead"]; lead != "" {
		meta["lead"] = lead
	}
	e.SamplingHz = ingest.Float(hz)
	e.Start = start
	e.End = start.Add(time.Duration(float64(len(e.VoltagesUV)) / hz * float64(time.Second)))
	e.Source = ingest.Source{Name: "ECG", SoftwareVersion: opt(head["Software Version"])}
	if len(meta) > 0 {
		e.Metadata = meta
	}
	e.ID = ItemID("ecg", e.Source.Name, e.Start, e.End, strconv.Itoa(len(e.VoltagesUV)), strconv.FormatFloat(hz, 'g', -1, 64))
	return nil
}

func squashText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ImportECGs stores the ECG recordings of an export.zip (its electrocardiograms folder) for the user and adds
// them to sum: a file that cannot be read counts as skipped under unreadableECG.
func (im *Importer) ImportECGs(ctx context.Context, userID int64, ra io.ReaderAt, size int64, sum *Summary) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("open export.zip: %w", err)
	}
	batch := ingest.Batch{Provider: ingest.AppleHealth, Device: ingest.Device{ID: im.deviceID}, ContentIDs: true}
	flush := func() error {
		if len(batch.ECGs) == 0 {
			return nil
		}
		err := im.store(ctx, userID, sum, batch)
		batch.ECGs = nil
		return err
	}
	for _, f := range zr.File {
		if path.Base(path.Dir(f.Name)) != "electrocardiograms" || !strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			continue
		}
		sum.Records++
		e, err := readECG(f)
		if err != nil {
			sum.Skipped++
			sum.SkippedElements[unreadableECG]++
			continue
		}
		if batch.ECGs = append(batch.ECGs, e); len(batch.ECGs) == ecgPerBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func readECG(f *zip.File) (ingest.ECGRecording, error) {
	rc, err := f.Open()
	if err != nil {
		return ingest.ECGRecording{}, fmt.Errorf("cannot open the file")
	}
	defer rc.Close()
	return ParseECG(rc)
}
