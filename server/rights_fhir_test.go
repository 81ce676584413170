package server_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"healthsync/fhir"
	"healthsync/rights"
	"healthsync/server"
)

// A FHIR_NDJSON export adds Observation.ndjson beside the raw tables: one Observation a line for each of the
// user's stored records, none of another user's, counted in the manifest.
func TestExportFHIRHoldsOneObservationPerSample(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(o *server.Options) {
		o.FHIR = fhir.NewService(o.Store, o.Catalog)
		o.Rights = rights.NewService(o.Store, rights.Options{ExportChunk: 4096, FHIR: o.FHIR})
	})
	ctx := context.Background()
	dan, eve := a.token("fhirx-dan"), a.token("fhirx-eve")
	at := day0.Add(10 * time.Hour)
	rightsData(t, a, dan, "d", "dan-1", at)
	rightsData(t, a, eve, "e", "eve-1", at)

	var req struct{ RequestDataExport struct{ ID, Format string } }
	a.do(dan, `mutation { requestDataExport(format: FHIR_NDJSON) { id format } }`, nil).decode(t, &req)
	if req.RequestDataExport.Format != "FHIR_NDJSON" {
		t.Fatalf("requested: %+v", req.RequestDataExport)
	}
	if n, err := a.opts.Rights.RunDueExports(ctx); err != nil || n != 1 {
		t.Fatalf("run exports: %d, %v", n, err)
	}
	rec := download(a, dan, req.RequestDataExport.ID)
	if rec.Code != http.StatusOK {
		t.Fatalf("download: %d %s", rec.Code, rec.Body.String())
	}
	body := rec.Body.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Counts map[string]int64
		Files  []string
	}
	var obs []map[string]any
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		switch f.Name {
		case "manifest.json":
			if err := json.Unmarshal(raw, &man); err != nil {
				t.Fatal(err)
			}
		case "Observation.ndjson":
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var o map[string]any
				if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
					t.Fatalf("Observation line: %v", err)
				}
				obs = append(obs, o)
			}
		}
	}
	// fhir maps samples, category samples and workouts each to an Observation.
	stored := man.Counts["samples"] + man.Counts["category_samples"] + man.Counts["workouts"]
	if man.Counts["samples"] != 2 || int64(len(obs)) != man.Counts["Observation"] || int64(len(obs)) != stored {
		t.Fatalf("%d observations, manifest %+v", len(obs), man)
	}
	for _, o := range obs {
		ids, _ := o["identifier"].([]any)
		if o["resourceType"] != "Observation" || len(ids) == 0 {
			t.Errorf("not an Observation with an identifier: %v", o)
		}
		if s, _ := json.Marshal(o); bytes.Contains(s, []byte("eeeeeeee")) {
			t.Errorf("eve's data in dan's export: %s", s)
		}
	}
	var ready int
	if err := a.opts.Store.DB().GetContext(ctx, &ready, `SELECT count(*) FROM webhook_events e JOIN users u ON u.id = e.user_id
		WHERE u.subject = 'fhirx-dan' AND e.type = 'export.ready'`); err != nil || ready != 1 {
		t.Fatalf("export.ready events: %d, %v", ready, err)
	}
}
