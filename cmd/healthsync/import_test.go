package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"healthsync/importers/appleexport"
)

func TestImportCommandUsage(t *testing.T) {
	env := envOf(map[string]string{"HEALTHSYNC_DATA_DIR": t.TempDir()})
	for _, args := range [][]string{
		{"import"},
		{"import", "garmin-export", "--user", "alice", "x.zip"},
		{"import", "apple-export", "x.zip"},
		{"import", "apple-export", "--user", "alice"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, env, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "usage: healthsync import apple-export") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import", "apple-export", "--user", "alice", "/nonexistent/export.zip"}, env, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "open export") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestImportSummaryAndProgress(t *testing.T) {
	s := appleexport.Summary{Records: 1234567, Accepted: 1200000, Duplicates: 34000, Rejected: 567, Unknown: 0, Batches: 247,
		BytesDone: 500, BytesTotal: 1000, Elapsed: 10 * time.Second,
		RejectedByCode: map[string]int64{"OUT_OF_RANGE": 500, "BAD_UNIT": 67}}
	line := progressLine(s)
	for _, want := range []string{"[###############...............]", " 50.0%", "1,234,567 records", "123,456 records/s"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	var b bytes.Buffer
	writeImportSummary(&b, s)
	out := b.String()
	for _, want := range []string{"records read  1,234,567", "accepted (new)  1,200,000", "rejected        567", "records/s    123,456"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "OUT_OF_RANGE") > strings.Index(out, "BAD_UNIT") {
		t.Errorf("rejection codes not ordered by count:\n%s", out)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
