//go:build linux

package main

import (
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
	export := filepath.Join(t.TempDir(), "export.xml")
	xml := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<HealthData locale=\"en_US\">\n" + recs.String() + "</HealthData>\n"
	if err := os.WriteFile(export, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"import", "apple-export", "--user", "alice", export}, env, &out, &errOut); err != nil {
		t.Fatalf("import beside a running server: %v\n%s", err, errOut.String())
	}
	if !regexp.MustCompile(`accepted \(new\)\s+3\s`).MatchString(out.String()) {
		t.Errorf("import summary, want 3 accepted:\n%s", out.String())
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
}
