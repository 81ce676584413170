package jobs_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/importers/appleexport"
	"healthsync/importers/jobs"
	"healthsync/ingest"
)

type env struct {
	t     *testing.T
	sqlDB *sqlx.DB
	svc   *jobs.Service
	user  int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	cat := catalog.New()
	ing := ingest.NewService(store, cat, ingest.Limits{MaxItems: 20000}, nil)
	svc := jobs.NewService(store, appleexport.NewImporter(ing, cat, appleexport.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(svc.Close)
	u, err := store.EnsureUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sqlDB: d, svc: svc, user: u.ID}
}

// upload sends data in chunks of size n and finishes the job.
func (e *env) upload(data []byte, n int) db.ImportJob {
	e.t.Helper()
	ctx := context.Background()
	name := "export.zip"
	job, err := e.svc.Start(ctx, e.user, &name, int64(len(data)))
	if err != nil {
		e.t.Fatal(err)
	}
	for off := 0; off < len(data); off += n {
		end := min(off+n, len(data))
		j, err := e.svc.Append(ctx, e.user, job.ID, int64(off), data[off:end])
		if err != nil {
			e.t.Fatalf("chunk at %d: %v", off, err)
		}
		if j.BytesUploaded != int64(end) {
			e.t.Fatalf("uploaded %d after chunk ending at %d", j.BytesUploaded, end)
		}
	}
	if _, err := e.svc.Finish(ctx, e.user, job.ID); err != nil {
		e.t.Fatal(err)
	}
	e.svc.Wait()
	j, err := e.svc.Job(ctx, e.user, job.ID)
	if err != nil || j == nil {
		e.t.Fatalf("job: %v %v", j, err)
	}
	return *j
}

func (e *env) count(q string) int {
	var n int
	if err := e.sqlDB.Get(&n, q); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile("../appleexport/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadAndImportXML(t *testing.T) {
	e := newEnv(t)
	data := fixture(t, "apple-health-parser_export.xml")
	job := e.upload(data, 700)
	if job.Status != jobs.StatusDone || job.RecordsRead != 8 || job.Accepted != 8 || job.Duplicates != 0 ||
		job.BytesDone != int64(len(data)) || job.BytesToRead != int64(len(data)) || job.FinishedAt == nil {
		t.Fatalf("job %+v", job)
	}
	if n := e.count(`SELECT count(*) FROM import_chunks`); n != 0 {
		t.Errorf("%d chunks left after the import", n)
	}
	if n := e.count(`SELECT count(*) FROM samples`) + e.count(`SELECT count(*) FROM category_samples`); n != 8 {
		t.Errorf("%d items stored, want 8", n)
	}
	// The same export uploaded again: nothing new.
	again := e.upload(data, 1000)
	if again.Status != jobs.StatusDone || again.Accepted != 0 || again.Duplicates != 8 {
		t.Fatalf("second job %+v", again)
	}
}

func TestUploadAndImportZip(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("apple_health_export/export.xml")
	xml := fixture(t, "healthkit-to-sqlite_zip_export.xml")
	w.Write(xml)
	w, _ = zw.Create("apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx")
	w.Write(fixture(t, "healthkit-to-sqlite_route_2019-06-11_3.00pm.gpx"))
	zw.Close()
	job := e.upload(buf.Bytes(), 333)
	if job.Status != jobs.StatusDone || job.RecordsRead != 3 || job.Accepted != 3 || job.Skipped != 2 ||
		job.BytesToRead != int64(len(xml)) || job.BytesTotal != int64(buf.Len()) {
		t.Fatalf("job %+v", job)
	}
	if job.Details == nil || !strings.Contains(*job.Details, `"ActivitySummary": 2`) {
		t.Errorf("details %v", job.Details)
	}
}

func TestUploadRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Start(ctx, e.user, nil, 0); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("size 0: %v", err)
	}
	job, err := e.svc.Start(ctx, e.user, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Append(ctx, e.user, job.ID, 3, []byte("abc")); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("gap: %v", err)
	}
	if _, err := e.svc.Append(ctx, e.user, job.ID, 0, []byte("0123456789AB")); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("past the size: %v", err)
	}
	if _, err := e.svc.Append(ctx, e.user, job.ID, 0, []byte("<Health")); err != nil {
		t.Fatal(err)
	}
	// A retry of the same chunk is acknowledged and writes nothing.
	j, err := e.svc.Append(ctx, e.user, job.ID, 0, []byte("<Health"))
	if err != nil || j.BytesUploaded != 7 {
		t.Errorf("retry: %+v %v", j, err)
	}
	if _, err := e.svc.Finish(ctx, e.user, job.ID); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("finish before the upload is complete: %v", err)
	}
	if _, err := e.svc.Append(ctx, e.user, job.ID, 7, []byte("Da>")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Finish(ctx, e.user, job.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.Wait()
	j2, _ := e.svc.Job(ctx, e.user, job.ID)
	if j2.Status != jobs.StatusFailed || j2.Error == nil || !strings.Contains(*j2.Error, "export.xml") {
		t.Errorf("a truncated document should fail the job: %+v", j2)
	}
	// Another user's job is not found.
	other, err := db.New(e.sqlDB, db.Options{}).EnsureUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if j, err := e.svc.Job(ctx, other.ID, job.ID); err != nil || j != nil {
		t.Errorf("bob reads alice's job: %v %v", j, err)
	}
	if _, err := e.svc.Append(ctx, other.ID, job.ID, 0, []byte("x")); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("bob appends to alice's job: %v", err)
	}
}
