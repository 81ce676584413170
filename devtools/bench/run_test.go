package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"healthsync/catalog"
	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
)

// A generated batch with a workout and a user-entered weight in pounds: the HTTP body, the service batch and the
// baseline rows must all describe the same stored samples.
func TestGeneratedBatchStoresTheBaselineRows(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	ctx := context.Background()
	g := gen.New(gen.Config{Seed: 5, Days: 40})
	u := g.User(1) // America/New_York: weights in lb
	var b gen.Batch
	for _, ref := range g.Plan(u, 3000) {
		cand := g.Batch(u, ref)
		weight := false
		for _, s := range cand.Samples {
			weight = weight || s.Type == gen.BodyMass
		}
		if weight && len(cand.Workouts) > 0 && len(cand.Categories) > 0 {
			b = cand
			break
		}
	}
	if b.User == nil {
		t.Fatal("no batch with a weight, a workout and sleep")
	}
	items := b.Ref.Items
	body, err := bench.Body(b, "gen-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.post(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(got, false, items, 0); msg != "" {
		t.Fatal(msg)
	}
	other, err := e.store.EnsureUser(ctx, "other-user")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Ingest(ctx, other.ID, bench.IngestBatch(b, "gen-1"))
	if err != nil {
		t.Fatal(err)
	}
	if msg := check(fromResult(res), false, items, 0); msg != "" {
		t.Fatal(msg)
	}
	cols := strings.TrimPrefix(storedCols, "user_id, ")
	cols = strings.Replace(cols, "source_id, ", "", 1)
	perUser := func(id int64) string { return fmt.Sprintf("SELECT %s FROM samples WHERE user_id = %d", cols, id) }
	if d := differing(t, e, perUser(e.userID), perUser(other.ID)); d != 0 {
		t.Errorf("HTTP body and service batch stored %d differing sample rows", d)
	}
	for _, q := range []string{
		"SELECT sample_id, category, value, start_time, end_time, time_zone FROM category_samples WHERE user_id = %d",
		"SELECT workout_id, activity_type, start_time, end_time, energy_kcal, distance_m FROM workouts WHERE user_id = %d",
	} {
		if d := differing(t, e, fmt.Sprintf(q, e.userID), fmt.Sprintf(q, other.ID)); d != 0 {
			t.Errorf("%d differing rows for %q", d, q)
		}
	}
	var n int
	if err := e.sql.Get(&n, `SELECT count(*) FROM samples WHERE user_id = $1 AND user_entered AND metric = 'body_mass'`, e.userID); err != nil || n == 0 {
		t.Fatalf("user-entered weights stored: %d, %v", n, err)
	}

	// The baseline rows, with the ids the server gave the sources, are exactly the stored rows.
	srcs := map[*gen.Source]int64{}
	for _, s := range []*gen.Source{u.Watch, u.Phone, u.Health} {
		var id int64
		if err := e.sql.Get(&id, `SELECT source_id FROM sources WHERE user_id = $1 AND bundle_id = $2`, e.userID, s.BundleID); err != nil {
			t.Fatalf("source %s: %v", s.Name, err)
		}
		srcs[s] = id
	}
	rows, err := bench.Rows(catalog.New(), b, e.userID, func(s *gen.Source) int64 { return srcs[s] })
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(b.Samples) {
		t.Fatalf("%d rows for %d samples", len(rows), len(b.Samples))
	}
	if err := copyRows(ctx, e.sql, copyTable, rows); err != nil {
		t.Fatal(err)
	}
	stored := fmt.Sprintf("SELECT %s FROM samples WHERE user_id = %d", storedCols, e.userID)
	if d := differing(t, e, stored, "SELECT "+storedCols+" FROM "+copyTable); d != 0 {
		t.Errorf("COPY baseline rows differ from the stored rows in %d rows", d)
	}
	if n, err := unnestRows(ctx, e.sql, unnestTable, rows); err != nil || n != len(rows) {
		t.Fatalf("unnest: %d, %v", n, err)
	}
	if d := differing(t, e, stored, "SELECT "+storedCols+" FROM "+unnestTable); d != 0 {
		t.Errorf("unnest baseline rows differ from the stored rows in %d rows", d)
	}
}

// The whole runner on a few thousand samples: every section is there and every number is sane.
func TestRunReportsEverySection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	out := filepath.Join(t.TempDir(), "results", "r.json")
	o := bench.DefaultOptions()
	o.Users, o.Years, o.BatchSize, o.Concurrency = 2, 0.01, 400, 2
	o.ReadYears, o.ReadReps = 0.03, 1
	// The reader the growth phase creates already stores ~10k rows, so the level must lie above that to make the
	// SQL prefill run: 10 days a prefilled person keeps it small.
	o.GrowthRows, o.ProbeBatches, o.GrowthDays = []int64{20000}, 2, 10
	o.Out, o.Statements = out, true
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	var table bytes.Buffer
	if _, err := bench.Run(context.Background(), o, &table); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	d := rep.Data
	if d.Users != 2 || d.Items < 2000 || d.Items != d.Samples+d.Categories+d.Workouts || d.Batches < d.Items/400 || d.BodyBytes < int64(d.Items)*100 {
		t.Errorf("data %+v", d)
	}
	for _, k := range []string{"first_upload", "replay", "duplicates", "copy", "insert_unnest"} {
		p, ok := rep.Ingest[k]
		if !ok {
			t.Errorf("ingest section %s missing", k)
			continue
		}
		wantItems := d.Items
		if k == "copy" || k == "insert_unnest" {
			wantItems = d.Samples
		}
		if p.Items != wantItems || p.Batches != d.Batches || p.PerSecond <= 0 || p.Seconds <= 0 ||
			p.Latency.N != d.Batches || p.Latency.P50 <= 0 || p.Latency.P50 > p.Latency.P95 || p.Latency.P95 > p.Latency.P99 || p.Latency.Max < p.Latency.P99 {
			t.Errorf("%s: %+v", k, p)
		}
	}
	// The server-side COPY loads exactly the rows the upload stored, in --concurrency parts, PostgreSQL doing it all.
	if p := rep.Ingest["server_copy"]; p.Items != d.Samples || p.Batches != o.Concurrency || p.PerSecond <= 0 || p.PostgresCPU < 0 {
		t.Errorf("server_copy: %+v", p)
	}
	for _, k := range []string{"first_vs_copy", "first_vs_insert_unnest", "insert_unnest_vs_copy", "replay_vs_first", "duplicates_vs_first",
		"first_vs_server_copy", "first_samples_vs_server_copy", "copy_vs_server_copy"} {
		if v := rep.Ratios[k]; v <= 0 || v > 1000 {
			t.Errorf("ratio %s = %v", k, v)
		}
	}
	// --statements: the first upload's statements by share, the samples insert among them with one call a batch.
	share, insert := 0.0, false
	for _, st := range rep.Statements {
		share += st.Share
		if strings.HasPrefix(st.Query, "INSERT INTO samples ") && st.CallsBatch == 1 && st.Rows == int64(d.Samples) {
			insert = true
		}
	}
	if !insert || share < 0.99 || share > 1.01 {
		t.Errorf("statements (shares sum to %v, the samples insert found: %v): %+v", share, insert, rep.Statements)
	}
	// 17 dashboard reads, then a new phone's uploadDigests and syncPlan.
	if len(rep.Reads) != 19 {
		t.Errorf("%d reads, want 19", len(rep.Reads))
	}
	rolling := 0
	for _, r := range rep.Reads {
		if r.API.N != 1 || r.API.P50 <= 0 || r.Naive.P50 <= 0 || r.Speedup <= 0 || r.Result <= 0 {
			t.Errorf("read %+v", r)
		}
		if r.Aligned != "" {
			rolling++
			if r.VsAligned <= 0 || r.VsAlignedP95 <= 0 {
				t.Errorf("rolling read %+v has no ratio to %q", r, r.Aligned)
			}
		}
	}
	if rolling != 6 {
		t.Errorf("%d rolling reads, want 6", rolling)
	}
	if got := rep.Memory.GoPeakMB["first_upload"]; got < 5 || got > 4000 {
		t.Errorf("Go peak RSS during the first upload: %v MB", got)
	}
	if rep.Memory.GoRunPeakMB < rep.Memory.GoPeakMB["first_upload"] {
		t.Errorf("whole-run peak %v below the first upload's %v", rep.Memory.GoRunPeakMB, rep.Memory.GoPeakMB["first_upload"])
	}
	if len(rep.Growth) != 2 || rep.Growth[0].Rows >= 20000 || rep.Growth[1].Rows < 20000 || rep.Growth[0].VsEmpty != 1 ||
		rep.Growth[0].PrefillSecs != 0 || rep.Growth[1].PrefillSecs <= 0 {
		t.Errorf("growth %+v", rep.Growth)
	}
	for _, l := range rep.Growth {
		if l.Phase.Batches != 2 || l.Phase.PerSecond <= 0 || l.VsEmpty <= 0 {
			t.Errorf("growth level %+v", l)
		}
	}
	if rep.Machine.CPUs < 1 || rep.Machine.PostgreSQL == "" || rep.Seconds <= 0 {
		t.Errorf("machine %+v, %v s", rep.Machine, rep.Seconds)
	}
	for _, s := range []string{"### Ingest", "server-side COPY", "× server COPY", "× COPY", "× first", "### Memory", "### Reads", "### Growth", "dailySummary", "Rolling ranges", "pg_stat_statements"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("the table lacks %q:\n%s", s, table.String())
		}
	}
}
