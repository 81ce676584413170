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
	"strings"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"

	"healthsync/fhir"
	"healthsync/rights"
	"healthsync/server"
)

// A FHIR_NDJSON export adds Patient.ndjson, Device.ndjson and Observation.ndjson beside the raw tables: the
// user's Patient, a Device per source and one Observation a line for each of the user's stored records, none of
// another user's, counted in the manifest, every line valid R4 and every reference resolving in the export.
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
	r4, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{} // Type/id of every Patient and Device exported
	lines := map[string]int64{}
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
		case "Patient.ndjson", "Device.ndjson", "Observation.ndjson":
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(nil, 1<<20)
			n := 0
			for sc.Scan() {
				n++
				if _, err := r4.Unmarshal(sc.Bytes()); err != nil {
					t.Errorf("%s line %d is not valid R4: %v\n%s", f.Name, n, err, sc.Bytes())
				}
				var o map[string]any
				if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
					t.Fatalf("%s line: %v", f.Name, err)
				}
				if o["resourceType"] == "Observation" {
					obs = append(obs, o)
				} else {
					ids[fmt.Sprint(o["resourceType"], "/", o["id"])] = true
				}
			}
			lines[strings.TrimSuffix(f.Name, ".ndjson")] = int64(n)
		}
	}
	// fhir maps samples, category samples and workouts each to an Observation.
	stored := man.Counts["samples"] + man.Counts["category_samples"] + man.Counts["workouts"]
	if man.Counts["samples"] != 2 || int64(len(obs)) != man.Counts["Observation"] || int64(len(obs)) != stored {
		t.Fatalf("%d observations, manifest %+v", len(obs), man)
	}
	for _, typ := range []string{"Patient", "Device", "Observation"} {
		if lines[typ] != man.Counts[typ] {
			t.Errorf("%s.ndjson: %d lines, manifest says %d", typ, lines[typ], man.Counts[typ])
		}
	}
	if man.Counts["Patient"] != 1 || man.Counts["Device"] < 1 || len(ids) != int(1+man.Counts["Device"]) {
		t.Fatalf("patients and devices: %v, manifest %+v", ids, man)
	}
	for _, o := range obs {
		idents, _ := o["identifier"].([]any)
		if o["resourceType"] != "Observation" || len(idents) == 0 {
			t.Errorf("not an Observation with an identifier: %v", o)
		}
		subject, _ := o["subject"].(map[string]any)
		device, _ := o["device"].(map[string]any)
		if !ids[fmt.Sprint(subject["reference"])] || !ids[fmt.Sprint(device["reference"])] {
			t.Errorf("observation's subject or device is not in the export: %v", o)
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
