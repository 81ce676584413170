package server_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"healthsync/rights"
	"healthsync/server"
)

// rightsData uploads, for one user, samples, a category sample, a workout, a deletion and a cursor, so that
// most user tables get a row; ids start with the user's letter (who, one hex digit) eight times, so that an
// export can be checked for leaks.
func rightsData(t *testing.T, a *app, tok, who, key string, at time.Time) ingestResult {
	t.Helper()
	id := func(n int) string { return fmt.Sprintf("%s-0000-4000-a000-%012d", strings.Repeat(who, 8), n) }
	in := ingestInput(key, hrSample(id(1), at, 61), hrSample(id(2), at.Add(time.Minute), 64))
	b := in["input"].(map[string]any)
	b["categorySamples"] = []map[string]any{{"id": id(3), "type": "HKCategoryTypeIdentifierSleepAnalysis",
		"value": "HKCategoryValueSleepAnalysisAsleepCore", "start": iso(at.Add(-8 * time.Hour)), "end": iso(at.Add(-7 * time.Hour)),
		"source": watchSource}}
	b["workouts"] = []map[string]any{{"id": id(4), "activityType": "HKWorkoutActivityTypeRunning",
		"start": iso(at.Add(-2 * time.Hour)), "end": iso(at.Add(-time.Hour)), "source": watchSource}}
	b["statesOfMind"] = []map[string]any{{"id": id(6), "kind": "momentaryEmotion", "valence": 0.4, "labels": []string{"calm"},
		"start": iso(at.Add(-3 * time.Hour)), "end": iso(at.Add(-3 * time.Hour)), "source": watchSource}}
	b["medicationDoses"] = []map[string]any{{"id": id(7), "medication": "Ibuprofen", "dose": 200.0, "doseUnit": "mg",
		"status": "taken", "start": iso(at.Add(-4 * time.Hour)), "end": iso(at.Add(-4 * time.Hour)), "source": watchSource}}
	b["deletions"] = []string{id(5)}
	b["cursors"] = []map[string]any{{"type": "HKQuantityTypeIdentifierHeartRate", "cursor": who + "-anchor"}}
	var res ingestResult
	a.do(tok, ingestMutation, in).decode(t, &res)
	return res
}

// userTables walks the catalog (not a list written here) for every table with a user_id, and digests each
// table's rows of a user; superuser connections see past row-level security.
func userTableDigests(t *testing.T, a *app, userID int64) map[string]string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := a.opts.Store.DB().SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.columns
		WHERE column_name = 'user_id' AND table_schema = current_schema() ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		var n int64
		var digest string
		if err := a.opts.Store.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
			FROM %q t WHERE user_id = $1`, tb), userID).Scan(&n, &digest); err != nil {
			t.Fatal(err)
		}
		out[tb] = fmt.Sprintf("%d:%s", n, digest)
	}
	return out
}

func rightsApp(t *testing.T, now func() time.Time) *app {
	return newApp(t, func(o *server.Options) {
		o.Rights = rights.NewService(o.Store, rights.Options{Now: now, ExportChunk: 4096})
	})
}

const erasureFields = `{ id status requestedAt runsAfter startedAt finishedAt rowsErased { table rows } }`

type erasureAnswer struct {
	ID, Status             string
	RequestedAt, RunsAfter time.Time
	StartedAt, FinishedAt  *time.Time
	RowsErased             []struct {
		Table string
		Rows  int64
	}
}

// An erasure waits out its grace period (cancellable), then removes every row of the user from every table that
// has a user_id, and nothing of another user; the record says when, by which token and how many rows.
func TestErasureRemovesEveryRowOfTheUserAndNoOther(t *testing.T) {
	t.Parallel()
	// The service's clock runs an hour behind: the erasure's epoch is then before the data uploaded after it.
	a := rightsApp(t, func() time.Time { return time.Now().Add(-time.Hour) })
	ctx := context.Background()
	anna, bob := a.token("erase-anna"), a.token("erase-bob")
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	if r := rightsData(t, a, anna, "a", "anna-1", at); r.IngestBatch.Accepted != 6 {
		t.Fatalf("anna's upload: %+v", r.IngestBatch)
	}
	if r := rightsData(t, a, bob, "b", "bob-1", at); r.IngestBatch.Accepted != 6 {
		t.Fatalf("bob's upload: %+v", r.IngestBatch)
	}
	var exp struct{ RequestDataExport struct{ ID string } }
	a.do(anna, `mutation { requestDataExport { id } }`, nil).decode(t, &exp)
	if _, err := a.opts.Rights.RunDueExports(ctx); err != nil {
		t.Fatal(err)
	}
	annaU, _ := a.opts.Store.EnsureUser(ctx, "erase-anna")
	bobU, _ := a.opts.Store.EnsureUser(ctx, "erase-bob")
	before := userTableDigests(t, a, annaU.ID)
	bobBefore := userTableDigests(t, a, bobU.ID)
	filled := 0
	for _, d := range before {
		if !strings.HasPrefix(d, "0:") {
			filled++
		}
	}
	if filled < 10 {
		t.Fatalf("anna has rows in %d tables only, want at least 10 for the test to mean something: %v", filled, before)
	}

	// Requested with the default grace: pending for 7 days, not run by a worker, cancellable.
	var req struct{ RequestErasure erasureAnswer }
	a.do(anna, `mutation { requestErasure `+erasureFields+` }`, nil).decode(t, &req)
	if e := req.RequestErasure; e.Status != "PENDING" || e.RunsAfter.Sub(e.RequestedAt) != 7*24*time.Hour {
		t.Fatalf("requested erasure: %+v", e)
	}
	if n, err := a.opts.Rights.RunDueErasures(ctx); err != nil || n != 0 {
		t.Fatalf("an erasure in its grace period ran: %d, %v", n, err)
	}
	var cancel struct{ CancelErasure *erasureAnswer }
	a.do(anna, `mutation { cancelErasure `+erasureFields+` }`, nil).decode(t, &cancel)
	if cancel.CancelErasure == nil || cancel.CancelErasure.Status != "CANCELLED" {
		t.Fatalf("cancel: %+v", cancel.CancelErasure)
	}
	if r := a.do(anna, `mutation { requestErasure(graceDays: 1000) { id } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("graceDays 1000: %s", r.Raw)
	}

	a.do(anna, `mutation { requestErasure(eraseNow: true) `+erasureFields+` }`, nil).decode(t, &req)
	if req.RequestErasure.Status != "PENDING" || !req.RequestErasure.RunsAfter.Equal(req.RequestErasure.RequestedAt) {
		t.Fatalf("erase now: %+v", req.RequestErasure)
	}
	if n, err := a.opts.Rights.RunDueErasures(ctx); err != nil || n != 1 {
		t.Fatalf("run erasures: %d, %v", n, err)
	}

	after := userTableDigests(t, a, annaU.ID)
	// The erasure's announcement (erasure.done, row counts only) is the one event the outbox keeps for her.
	var kept []string
	if err := a.opts.Store.DB().SelectContext(ctx, &kept, `SELECT type FROM webhook_events WHERE user_id = $1`, annaU.ID); err != nil {
		t.Fatal(err)
	}
	if len(kept) == 1 && kept[0] == "erasure.done" {
		delete(after, "webhook_events")
	}
	for tb, d := range after {
		if tb == "erasures" {
			continue
		}
		if !strings.HasPrefix(d, "0:") {
			t.Errorf("%s: anna's rows left after erasure: %s", tb, d)
		}
	}
	if got := userTableDigests(t, a, bobU.ID); fmt.Sprint(got) != fmt.Sprint(bobBefore) {
		t.Errorf("bob's rows changed:\nbefore %v\nafter  %v", bobBefore, got)
	}

	var status struct{ Erasure erasureAnswer }
	a.do(anna, `{ erasure `+erasureFields+` }`, nil).decode(t, &status)
	e := status.Erasure
	if e.Status != "DONE" || e.StartedAt == nil || e.FinishedAt == nil {
		t.Fatalf("erasure status: %+v", e)
	}
	erased := map[string]int64{}
	for _, r := range e.RowsErased {
		erased[r.Table] = r.Rows
	}
	for tb, d := range before {
		var n int64
		fmt.Sscanf(d, "%d:", &n)
		if tb != "erasures" && erased[tb] != n {
			t.Errorf("%s: %d rows recorded as erased, anna had %d", tb, erased[tb], n)
		}
	}
	var subject string
	if err := a.opts.Store.DB().GetContext(ctx, &subject, `SELECT requested_subject FROM erasures WHERE user_id = $1 AND status = 'DONE'`, annaU.ID); err != nil || subject != "erase-anna" {
		t.Fatalf("recorded subject %q, %v", subject, err)
	}
	// The erasure took the export with it: its download is gone.
	if rec := download(a, anna, exp.RequestDataExport.ID); rec.Code != http.StatusNotFound {
		t.Fatalf("download of an erased export: %d", rec.Code)
	}
	// Bob still sees his data.
	var me struct{ Samples []struct{ ID string } }
	a.do(bob, `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { id } }`,
		map[string]any{"from": iso(at.Add(-time.Hour)), "to": iso(at.Add(time.Hour))}).decode(t, &me)
	if len(me.Samples) != 2 {
		t.Fatalf("bob's samples after anna's erasure: %+v", me.Samples)
	}
}

// After an erasure, a retried upload of a batch sent before it (its old idempotency key, or its ids under a
// new key) stores nothing; data recorded after the erasure's epoch is stored.
func TestErasureNoResurrection(t *testing.T) {
	t.Parallel()
	epoch := time.Now().Add(-time.Hour)
	a := rightsApp(t, func() time.Time { return epoch })
	ctx := context.Background()
	tok := a.token("erase-carla")
	at := epoch.UTC().Add(-2 * time.Hour).Truncate(time.Second)
	if r := rightsData(t, a, tok, "c", "carla-1", at); r.IngestBatch.Accepted != 6 {
		t.Fatalf("upload: %+v", r.IngestBatch)
	}
	a.do(tok, `mutation { requestErasure(eraseNow: true) { id } }`, nil).decode(t, &struct{}{})
	if n, err := a.opts.Rights.RunDueErasures(ctx); err != nil || n != 1 {
		t.Fatalf("run erasures: %d, %v", n, err)
	}
	for _, key := range []string{"carla-1", "carla-retry"} {
		r := rightsData(t, a, tok, "c", key, at)
		if r.IngestBatch.Accepted != 0 || r.IngestBatch.Replayed || r.IngestBatch.Duplicates != 6 {
			t.Errorf("retried pre-erasure batch under key %s: %+v", key, r.IngestBatch)
		}
	}
	var n int
	if err := a.opts.Store.DB().GetContext(ctx, &n, `SELECT (SELECT count(*) FROM samples s JOIN users u ON u.id = s.user_id WHERE u.subject = 'erase-carla')
		+ (SELECT count(*) FROM workouts s JOIN users u ON u.id = s.user_id WHERE u.subject = 'erase-carla')
		+ (SELECT count(*) FROM category_samples s JOIN users u ON u.id = s.user_id WHERE u.subject = 'erase-carla')
		+ (SELECT count(*) FROM state_of_mind s JOIN users u ON u.id = s.user_id WHERE u.subject = 'erase-carla')
		+ (SELECT count(*) FROM medication_doses s JOIN users u ON u.id = s.user_id WHERE u.subject = 'erase-carla')`); err != nil || n != 0 {
		t.Fatalf("rows back after the retried uploads: %d, %v", n, err)
	}
	// New data, recorded after the erasure began, is welcome.
	var res ingestResult
	a.do(tok, ingestMutation, ingestInput("carla-new", hrSample("cccccccc-0000-4000-a000-000000000099", epoch.Add(30*time.Minute), 70))).decode(t, &res)
	if res.IngestBatch.Accepted != 1 {
		t.Fatalf("post-erasure upload: %+v", res.IngestBatch)
	}
}

func download(a *app, tok, id string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/exports/"+id, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// An export writes every kind of the user's data as NDJSON with a manifest whose counts match the files,
// keeps the provider tokens out, and is downloadable with the same user's token only.
func TestExportZipHoldsTheUsersDataOnly(t *testing.T) {
	t.Parallel()
	a := rightsApp(t, nil)
	ctx := context.Background()
	dan, eve := a.token("export-dan"), a.token("export-eve")
	at := day0.Add(10 * time.Hour)
	rightsData(t, a, dan, "d", "dan-1", at)
	rightsData(t, a, eve, "e", "eve-1", at)
	danU, _ := a.opts.Store.EnsureUser(ctx, "export-dan")
	if _, err := a.opts.Store.DB().ExecContext(ctx, `INSERT INTO provider_connections (user_id, provider, provider_user_id,
		status, token_sealed, connected_at, updated_at) VALUES ($1, 'OURA', 'oura-dan', 'CONNECTED', '\xdeadbeef', $2, $2)`, danU.ID, at); err != nil {
		t.Fatal(err)
	}

	var req struct {
		RequestDataExport struct{ ID, Status, Format string }
	}
	a.do(dan, `mutation { requestDataExport(format: NDJSON_ZIP) { id status format } }`, nil).decode(t, &req)
	id := req.RequestDataExport.ID
	if req.RequestDataExport.Status != "QUEUED" {
		t.Fatalf("requested: %+v", req.RequestDataExport)
	}
	if rec := download(a, dan, id); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "EXPORT_NOT_READY") {
		t.Fatalf("download before done: %d %s", rec.Code, rec.Body.String())
	}
	if r := a.do(dan, `mutation { requestDataExport(format: FHIR_NDJSON) { id } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("FHIR when the service has no FHIR export wired: %s", r.Raw)
	}
	if n, err := a.opts.Rights.RunDueExports(ctx); err != nil || n != 1 {
		t.Fatalf("run exports: %d, %v", n, err)
	}
	var st struct {
		DataExport struct {
			Status              string
			RowsDone, RowsTotal int64
			Bytes               int64
			DownloadURL         *string
		}
	}
	a.do(dan, `query($id: ID!) { dataExport(id: $id) { status rowsDone rowsTotal bytes downloadUrl } }`, map[string]any{"id": id}).decode(t, &st)
	d := st.DataExport
	if d.Status != "DONE" || d.DownloadURL == nil || *d.DownloadURL != "/exports/"+id || d.RowsDone != d.RowsTotal || d.RowsTotal < 8 {
		t.Fatalf("export status: %+v", d)
	}
	var other struct{ DataExport *struct{ ID string } }
	a.do(eve, `query($id: ID!) { dataExport(id: $id) { id } }`, map[string]any{"id": id}).decode(t, &other)
	if other.DataExport != nil {
		t.Fatal("eve sees dan's export")
	}
	if rec := download(a, eve, id); rec.Code != http.StatusNotFound {
		t.Fatalf("eve downloads dan's export: %d", rec.Code)
	}
	if rec := download(a, "", id); rec.Code != http.StatusUnauthorized {
		t.Fatalf("download without a token: %d", rec.Code)
	}
	rec := download(a, dan, id)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" || int64(rec.Body.Len()) != d.Bytes {
		t.Fatalf("download: %d %s, %d bytes of %d", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), d.Bytes)
	}
	body := rec.Body.Bytes()
	if bytes.Contains(body, []byte("eeeeeeee")) {
		t.Error("the zip's bytes name eve's data") // stored entries are deflated; checked again below, unzipped
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]map[string]any{}
	var man struct {
		SchemaVersion int
		Counts        map[string]int64
		Files         []string
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(raw), "eeeeeeee") {
			t.Errorf("%s names eve", f.Name)
		}
		if f.Name == "manifest.json" {
			if err := json.Unmarshal(raw, &man); err != nil {
				t.Fatal(err)
			}
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<20)
		files[f.Name] = []map[string]any{}
		for sc.Scan() {
			var row map[string]any
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			if _, ok := row["user_id"]; ok {
				t.Errorf("%s carries user_id", f.Name)
			}
			if _, ok := row["token_sealed"]; ok {
				t.Errorf("%s carries the provider token", f.Name)
			}
			files[f.Name] = append(files[f.Name], row)
		}
	}
	if man.SchemaVersion != rights.ExportSchemaVersion || len(man.Files) != len(files) {
		t.Fatalf("manifest: %+v, files %d", man, len(files))
	}
	var total int64
	for kind, n := range man.Counts {
		if int64(len(files[kind+".ndjson"])) != n {
			t.Errorf("%s: manifest says %d rows, file has %d", kind, n, len(files[kind+".ndjson"]))
		}
		total += n
	}
	if total != d.RowsTotal {
		t.Errorf("manifest counts %d rows, the job %d", total, d.RowsTotal)
	}
	want := map[string]int{"samples.ndjson": 2, "category_samples.ndjson": 1, "workouts.ndjson": 1, "deletions.ndjson": 1,
		"devices.ndjson": 1, "provider_connections.ndjson": 1, "state_of_mind.ndjson": 1, "medication_doses.ndjson": 1,
		"ecg_recordings.ndjson": 0}
	for f, n := range want {
		if len(files[f]) != n {
			t.Errorf("%s: %d rows, want %d", f, len(files[f]), n)
		}
	}
	if s := files["samples.ndjson"]; len(s) > 0 && (s[0]["orig_unit"] != "count/min" || s[0]["orig_value"] == nil) {
		t.Errorf("a sample lacks its original value and unit: %v", s[0])
	}
}
