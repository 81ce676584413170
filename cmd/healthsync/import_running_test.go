//go:build linux

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"healthsync/config"
	"healthsync/pgembed"
)

// `healthsync import apple-export` beside `make run`: the server holds the private PostgreSQL in the data dir,
// and the import connects to it instead of failing to start a second one.
func TestImportBesideARunningServer(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"HEALTHSYNC_DATA_DIR": dir})
	cfg, err := config.FromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.PostgresDir(), Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop(context.Background())
	if err := pg.EnsureDatabase(ctx, "healthsync"); err != nil {
		t.Fatal(err)
	}

	// Three heart-rate readings of yesterday, in the shape Health's export writes them.
	var recs strings.Builder
	day := time.Now().Add(-24 * time.Hour)
	for i, bpm := range []int{61, 72, 95} {
		at := day.Add(time.Duration(i) * time.Hour).Format("2006-01-02 15:04:05 -0700")
		fmt.Fprintf(&recs, `<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" `+
			`creationDate="%s" startDate="%s" endDate="%s" value="%d"/>`+"\n", at, at, at, bpm)
	}
	// An export.zip as the Health app writes it: export.xml, and an ECG recording beside it, which the CLI imports
	// through the same path as the import jobs.
	export := filepath.Join(t.TempDir(), "export.zip")
	xml := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<HealthData locale=\"en_US\">\n" + recs.String() + "</HealthData>\n"
	var ecg strings.Builder
	fmt.Fprintf(&ecg, "Recorded Date,%s\nClassification,Sinus Rhythm\nSample Rate,512 hertz\nUnit,µV\n\n",
		day.Format("2006-01-02 15:04:05 -0700"))
	for i := range 512 {
		fmt.Fprintf(&ecg, "%d.5\n", i%40)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for name, body := range map[string]string{"apple_health_export/export.xml": xml,
		"apple_health_export/electrocardiograms/ecg_1.csv": ecg.String()} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(export, zipped.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"import", "apple-export", "--user", "alice", export}, env, &out, &errOut); err != nil {
		t.Fatalf("import beside a running server: %v\n%s", err, errOut.String())
	}
	if !regexp.MustCompile(`accepted \(new\)\s+4\s`).MatchString(out.String()) {
		t.Errorf("import summary, want 4 accepted (3 readings, 1 ECG):\n%s", out.String())
	}
	// The rows are in the server's database (read as the superuser, past row-level security).
	d, err := sql.Open("postgres", pg.DSN("healthsync"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM samples`).Scan(&n); err != nil || n != 3 {
		t.Errorf("samples in the running server's database: %d (%v), want 3", n, err)
	}
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM ecg_recordings WHERE cardinality(voltages_uv) = 512`).Scan(&n); err != nil || n != 1 {
		t.Errorf("ECG recordings in the running server's database: %d (%v), want 1", n, err)
	}
}
