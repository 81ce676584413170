package server_test

import (
	"encoding/base64"
	"os"
	"testing"
	"time"

	"healthsync/auth"
)

const importJobFields = `id status fileName bytesTotal bytesUploaded bytesDone bytesToRead recordsRead accepted duplicates
	updated rejected unknown skipped details error finishedAt`

type importJob struct {
	ID            string         `json:"id"`
	Status        string         `json:"status"`
	FileName      *string        `json:"fileName"`
	BytesTotal    int64          `json:"bytesTotal"`
	BytesUploaded int64          `json:"bytesUploaded"`
	BytesDone     int64          `json:"bytesDone"`
	BytesToRead   int64          `json:"bytesToRead"`
	RecordsRead   int64          `json:"recordsRead"`
	Accepted      int64          `json:"accepted"`
	Duplicates    int64          `json:"duplicates"`
	Rejected      int64          `json:"rejected"`
	Unknown       int64          `json:"unknown"`
	Skipped       int64          `json:"skipped"`
	Details       map[string]any `json:"details"`
	Error         *string        `json:"error"`
	FinishedAt    *string        `json:"finishedAt"`
}

func TestAppleHealthImportThroughGraphQL(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice", auth.ScopeIngest, auth.ScopeRead)
	data, err := os.ReadFile("../importers/appleexport/testdata/healthkit-to-sqlite_export.xml")
	if err != nil {
		t.Fatal(err)
	}
	var started struct{ StartAppleHealthImport importJob }
	a.do(tok, `mutation($size: Int64!) { startAppleHealthImport(size: $size, fileName: "export.xml") { `+importJobFields+` } }`,
		map[string]any{"size": len(data)}).decode(t, &started)
	job := started.StartAppleHealthImport
	if job.Status != "UPLOADING" || job.BytesTotal != int64(len(data)) || job.FileName == nil || *job.FileName != "export.xml" {
		t.Fatalf("started %+v", job)
	}
	const upload = `mutation($id: ID!, $offset: Int64!, $data: String!) { uploadImportChunk(jobId: $id, offset: $offset, data: $data) { bytesUploaded status } }`
	half := len(data) / 2
	for _, part := range [][2]int{{0, half}, {0, half}, {half, len(data)}} { // the second is a retry
		var up struct{ UploadImportChunk importJob }
		a.do(tok, upload, map[string]any{"id": job.ID, "offset": part[0], "data": base64.StdEncoding.EncodeToString(data[part[0]:part[1]])}).decode(t, &up)
		if up.UploadImportChunk.BytesUploaded != int64(part[1]) {
			t.Fatalf("after chunk %v: %+v", part, up.UploadImportChunk)
		}
	}
	// A gap is refused.
	if r := a.do(tok, upload, map[string]any{"id": job.ID, "offset": len(data) + 5, "data": "AAAA"}); r.code() != "BAD_USER_INPUT" {
		t.Errorf("chunk after the end: %s", r.Raw)
	}
	var fin struct{ FinishImportUpload importJob }
	a.do(tok, `mutation($id: ID!) { finishImportUpload(jobId: $id) { status } }`, map[string]any{"id": job.ID}).decode(t, &fin)
	if fin.FinishImportUpload.Status != "QUEUED" {
		t.Errorf("finish: %+v", fin.FinishImportUpload)
	}
	var got struct{ ImportJob *importJob }
	deadline := time.Now().Add(20 * time.Second)
	for {
		a.do(tok, `query($id: ID!) { importJob(id: $id) { `+importJobFields+` } }`, map[string]any{"id": job.ID}).decode(t, &got)
		if got.ImportJob != nil && (got.ImportJob.Status == "DONE" || got.ImportJob.Status == "FAILED") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	j := got.ImportJob
	if j == nil || j.Status != "DONE" || j.RecordsRead != 3 || j.Accepted != 3 || j.Skipped != 2 || j.BytesDone != int64(len(data)) ||
		j.FinishedAt == nil || j.Details["skippedElements"].(map[string]any)["ActivitySummary"] != 2.0 {
		t.Fatalf("job %+v", j)
	}
	// The data is there, in canonical units.
	var hr struct {
		Samples []struct{ Value float64 }
	}
	a.do(tok, `{ samples(metric: "heart_rate", from: "2018-09-10T00:00:00Z", to: "2018-09-11T00:00:00Z") { value } }`, nil).decode(t, &hr)
	if len(hr.Samples) != 1 || hr.Samples[0].Value != 72 {
		t.Errorf("heart rate %+v", hr.Samples)
	}
	// Another user does not see the job; a read-only token cannot start one.
	a.do(a.token("bob"), `query($id: ID!) { importJob(id: $id) { id } }`, map[string]any{"id": job.ID}).decode(t, &got)
	if got.ImportJob != nil {
		t.Errorf("bob sees %+v", got.ImportJob)
	}
	if r := a.do(a.token("carol", auth.ScopeRead), `mutation { startAppleHealthImport(size: 10) { id } }`, nil); r.code() != "FORBIDDEN" {
		t.Errorf("read-only start: %s", r.Raw)
	}
}
