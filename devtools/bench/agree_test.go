package bench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The ratios only mean something if every path stores the same rows. These tests hold the benchmarks' inputs to
// that, on a batch small enough for `make test`.

const smallBatch = 300

// storedCols are the samples columns a path decides (ingested_at is the clock's).
var storedCols = "user_id, sample_id, point_ms, metric, source_id, device_id, start_time, end_time, value, " +
	"orig_value, orig_unit, time_zone, user_entered, version, metadata"

// differing counts rows of query a that query b lacks, and the other way round.
func differing(t *testing.T, e *env, a, b string) int {
	t.Helper()
	var n int
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM (%[1]s EXCEPT ALL %[2]s) x) + (SELECT count(*) FROM (%[2]s EXCEPT ALL %[1]s) y)`, a, b)
	if err := e.sql.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBaselinesStoreWhatIngestStores(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	samples := genBatch(0, smallBatch)
	res, err := e.svc.Ingest(ctx, e.userID, toBatch("batch-0", samples))
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(fromResult(res), false, smallBatch, 0); msg != "" {
		t.Fatal(msg)
	}
	var sourceID int64
	if err := e.sql.Get(&sourceID, `SELECT source_id FROM sources WHERE user_id = $1`, e.userID); err != nil {
		t.Fatal(err)
	}
	rows := toRows(e.userID, sourceID, samples)
	if err := copyRows(ctx, e.sql, copyTable, rows); err != nil {
		t.Fatal(err)
	}
	n, err := unnestRows(ctx, e.sql, unnestTable, rows)
	if err != nil {
		t.Fatal(err)
	}
	if n != smallBatch {
		t.Fatalf("unnest inserted %d rows, want %d", n, smallBatch)
	}
	for _, table := range []string{"samples", copyTable, unnestTable} {
		if got := e.count(t, table); got != smallBatch {
			t.Fatalf("%s holds %d rows, want %d", table, got, smallBatch)
		}
	}
	ingested := "SELECT " + storedCols + " FROM samples"
	for _, table := range []string{copyTable, unnestTable} {
		if d := differing(t, e, ingested, "SELECT "+storedCols+" FROM "+table); d != 0 {
			t.Errorf("%s differs from what ingest stored in %d rows", table, d)
		}
	}
	// A second write of the same rows must be refused (COPY) or skipped (unnest), as on samples.
	if err := copyRows(ctx, e.sql, copyTable, rows[:1]); err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("COPY of a stored row: err = %v, want a duplicate key error", err)
	}
	if n, err := unnestRows(ctx, e.sql, unnestTable, rows); err != nil || n != 0 {
		t.Errorf("unnest of stored rows: inserted %d, err %v; want 0, nil", n, err)
	}
}

func TestHTTPBodyStoresWhatTheServiceBatchStores(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	ctx := context.Background()
	samples := genBatch(3, smallBatch)

	body := toBody("batch-3", samples)
	got, err := a.post(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(got, false, smallBatch, 0); msg != "" {
		t.Fatal(msg)
	}
	// The same samples through the service for another user: only user_id and source_id may differ.
	other, err := e.store.EnsureUser(ctx, "other-user")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Ingest(ctx, other.ID, toBatch("batch-3", samples))
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(fromResult(res), false, smallBatch, 0); msg != "" {
		t.Fatal(msg)
	}
	cols := strings.TrimPrefix(storedCols, "user_id, ")
	cols = strings.Replace(cols, "source_id, ", "", 1)
	perUser := func(id int64) string { return fmt.Sprintf("SELECT %s FROM samples WHERE user_id = %d", cols, id) }
	if d := differing(t, e, perUser(e.userID), perUser(other.ID)); d != 0 {
		t.Errorf("HTTP and service stored %d differing rows for the same samples", d)
	}
	// The body's times carry the Zurich offset; stored they must be the generated instants.
	var first time.Time
	if err := e.sql.Get(&first, `SELECT min(start_time) FROM samples WHERE user_id = $1`, e.userID); err != nil {
		t.Fatal(err)
	}
	if want := samples[0].At; !first.Equal(want) {
		t.Errorf("first stored start %s, want %s", first, want)
	}

	// The replay and duplicate benchmarks' expectations.
	if got, err := a.post(ctx, body); err != nil {
		t.Fatal(err)
	} else if msg := check(got, true, smallBatch, 0); msg != "" {
		t.Errorf("replay: %s", msg)
	}
	if got, err := a.post(ctx, toBody("again-0", samples)); err != nil {
		t.Fatal(err)
	} else if msg := check(got, false, 0, smallBatch); msg != "" {
		t.Errorf("duplicates: %s", msg)
	}
	if n := e.count(t, "samples"); n != 2*smallBatch {
		t.Errorf("samples holds %d rows, want %d", n, 2*smallBatch)
	}
}

func TestGeneratorIsDeterministicAndRealistic(t *testing.T) {
	a, b := genBatch(7, batchSize), genBatch(7, batchSize)
	next := genBatch(6, batchSize)
	ids := map[string]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs between two generations: %+v vs %+v", i, a[i], b[i])
		}
		if ids[a[i].ID] {
			t.Fatalf("id %s repeats", a[i].ID)
		}
		ids[a[i].ID] = true
		if a[i].ID != strings.ToUpper(a[i].ID) || len(a[i].ID) != 36 || a[i].ID[14] != '4' {
			t.Fatalf("id %q is not an uppercase v4 UUID", a[i].ID)
		}
		if a[i].BPM < 40 || a[i].BPM > 190 {
			t.Fatalf("sample %d: %d bpm", i, a[i].BPM)
		}
		if i > 0 {
			if gap := a[i].At.Sub(a[i-1].At); gap < 4*time.Minute+30*time.Second || gap > 5*time.Minute+30*time.Second {
				t.Fatalf("gap %s between samples %d and %d", gap, i-1, i)
			}
		}
	}
	for _, s := range next {
		if ids[s.ID] {
			t.Fatalf("batches 6 and 7 share id %s", s.ID)
		}
	}
	if !a[len(a)-1].At.Before(next[0].At) {
		t.Fatalf("batch 7 ends at %s, after batch 6 starts at %s", a[len(a)-1].At, next[0].At)
	}
	if !next[len(next)-1].At.Before(anchor) {
		t.Fatalf("batches must lie before %s", anchor)
	}
}
