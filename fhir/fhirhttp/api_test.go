package fhirhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"healthsync/fhir"
)

// rawBundle is a searchset with its entries left raw, for resources of any type.
type rawBundle struct {
	Total *int64 `json:"total"`
	Link  []struct {
		Relation, URL string
	} `json:"link"`
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   struct{ Mode string }
	} `json:"entry"`
}

func (b rawBundle) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// matches are the entries found (not the outcome entries), decoded into T.
func matches[T any](t testing.TB, b rawBundle) []T {
	t.Helper()
	var out []T
	for _, e := range b.Entry {
		if e.Search.Mode != "match" {
			continue
		}
		var v T
		if err := json.Unmarshal(e.Resource, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// bundleOf GETs target, checks a valid searchset came back and returns it.
func (f *fixture) bundleOf(tok, target string, header ...string) rawBundle {
	f.t.Helper()
	rec := f.get(tok, target, header...)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+json" {
		f.t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	f.valid("bundle of "+target, rec.Body.Bytes())
	var b rawBundle
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		f.t.Fatal(err)
	}
	return b
}

// all follows the next links of a search of any type and returns the raw resources found.
func (f *fixture) all(tok, target string) []json.RawMessage {
	f.t.Helper()
	var out []json.RawMessage
	for pages := 0; target != ""; pages++ {
		if pages > 100 {
			f.t.Fatal("more than 100 pages: the next links loop")
		}
		b := f.bundleOf(tok, target)
		out = append(out, matches[json.RawMessage](f.t, b)...)
		target = ""
		if next := b.link("next"); next != "" {
			u, _ := url.Parse(next)
			target = u.RequestURI()
		}
	}
	return out
}

// notFound checks target answers 404 with a valid OperationOutcome.
func (f *fixture) notFound(tok, target string) {
	f.t.Helper()
	rec := f.get(tok, target)
	if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/fhir+json" {
		f.t.Errorf("GET %s: %d, want 404: %s", target, rec.Code, rec.Body)
		return
	}
	f.valid("OperationOutcome", rec.Body.Bytes())
	if !strings.Contains(rec.Body.String(), `"resourceType":"OperationOutcome"`) {
		f.t.Errorf("GET %s: not an OperationOutcome: %s", target, rec.Body)
	}
}

func TestMetadataIsAValidCapabilityStatementOfWhatIsServed(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	rec := f.get("", "/fhir/metadata") // no token: clients read it to learn how to authenticate
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("metadata: %d %s", rec.Code, rec.Body)
	}
	f.valid("CapabilityStatement", rec.Body.Bytes())
	var cs fhir.CapabilityStatement
	if err := json.Unmarshal(rec.Body.Bytes(), &cs); err != nil {
		t.Fatal(err)
	}
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || cs.Kind != "instance" ||
		cs.Implementation == nil || cs.Implementation.URL != "http://example.com/fhir" ||
		!slices.Contains(cs.Format, "json") || !slices.Contains(cs.Format, "application/fhir+ndjson") || len(cs.Rest) != 1 ||
		cs.Rest[0].Security == nil || !strings.Contains(cs.Rest[0].Security.Description, "Bearer") {
		t.Fatalf("capability statement: %s", rec.Body)
	}
	var types []string
	// A value each listed parameter accepts: every parameter the statement lists must be one the search
	// applies (it stays in the self link and no outcome entry says it was ignored).
	sampleValue := map[string]string{"_id": "0123456789abcdef0123456789abcdef", "code": "8867-4", "category": "vital-signs",
		"date": "ge2020-01-01", "identifier": "x", "patient": "Patient/x", "subject": "Patient/x"}
	for _, r := range cs.Rest[0].Resource {
		types = append(types, r.Type)
		if len(r.Interaction) != 2 || r.Interaction[0].Code != "read" || r.Interaction[1].Code != "search-type" {
			t.Errorf("%s: interactions %+v", r.Type, r.Interaction)
		}
		for _, p := range r.SearchParam {
			v, ok := sampleValue[p.Name]
			if !ok {
				t.Errorf("%s: parameter %s has no sample value in the test", r.Type, p.Name)
				continue
			}
			target := "/fhir/" + r.Type + "?" + url.Values{p.Name: {v}}.Encode()
			b := f.bundleOf(f.token("alice"), target, "Prefer", "handling=strict")
			if self := b.link("self"); !strings.Contains(self, url.QueryEscape(p.Name)+"=") {
				t.Errorf("%s: the self link %s drops the listed parameter", target, self)
			}
		}
	}
	if !slices.Equal(types, []string{"Device", "Observation", "Patient"}) {
		t.Errorf("resources %v", types)
	}
}

func TestObservationReadByIDIsTheUsersOnly(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	alice, bob := f.token("alice"), f.token("bob")
	found := f.search(alice, "/fhir/Observation")
	if len(found) != aliceTotal {
		t.Fatalf("%d observations", len(found))
	}
	for _, o := range found {
		rec := f.get(alice, "/fhir/Observation/"+o.ID)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/fhir+json" {
			t.Fatalf("read %s: %d %s", o.ID, rec.Code, rec.Body)
		}
		f.valid("Observation", rec.Body.Bytes())
		want, _ := json.Marshal(o)
		if got := strings.TrimSpace(rec.Body.String()); got != string(want) {
			t.Errorf("read %s differs from the search's:\n%s\n%s", o.ID, got, want)
		}
		// Cross-user probe: bob's token never reads alice's observation.
		f.notFound(bob, "/fhir/Observation/"+o.ID)
	}
	// Bob uploaded three sample ids alice also uses: the same sample id gives each user a different id.
	bobs := f.search(bob, "/fhir/Observation")
	for _, b := range bobs {
		for _, a := range found {
			if a.ID == b.ID {
				t.Errorf("alice and bob share Observation id %s", a.ID)
			}
		}
		f.notFound(alice, "/fhir/Observation/"+b.ID)
	}
	// A diastolic sample is inside its panel, not an Observation of its own; a malformed id names nothing.
	f.notFound(alice, "/fhir/Observation/"+fhir.ResourceID("alice", 0, lid(3, 2), 0))
	f.notFound(alice, "/fhir/Observation/"+strings.ToUpper(found[0].ID))
	f.notFound(alice, "/fhir/Observation/not-an-id")
}

func TestObservationIdentifierAndIDSearch(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	alice, bob := f.token("alice"), f.token("bob")
	ident := func(o fhir.Observation) string { return o.Identifier[0].Value }
	for _, tc := range []struct {
		query string
		want  []string // identifier values found
	}{
		{"identifier=" + url.QueryEscape(fhir.SystemSampleID+"|"+lid(1, 3)), []string{lid(1, 3)}},
		{"identifier=" + lid(1, 3), []string{lid(1, 3)}},
		{"identifier=" + lid(1, 3) + "," + lid(2, 1), []string{lid(1, 3), lid(2, 1)}},
		{"identifier=" + lid(1, 3) + "&identifier=" + lid(2, 1), nil}, // and: no observation has both
		{"identifier=" + url.QueryEscape("urn:other|"+lid(1, 3)), nil},
		{"identifier=" + lid(3, 2), []string{lid(3, 1)}}, // the diastolic's id finds its panel
		{"identifier=" + lid(5, 1), []string{lid(5, 1)}}, // a workout
		{"identifier=" + lid(4, 2), []string{lid(4, 2)}}, // a sleep stage
		{"identifier=" + lid(1, 3) + "&code=55423-8", nil},
	} {
		got := f.search(alice, "/fhir/Observation?"+tc.query)
		var ids []string
		for _, o := range got {
			ids = append(ids, ident(o))
		}
		slices.Sort(ids)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, ids, tc.want)
		}
	}
	// Cross-user probe: bob finds none of alice's identifiers, and his own under an id alice also uses.
	if got := f.search(bob, "/fhir/Observation?identifier="+lid(1, 3)); len(got) != 0 {
		t.Errorf("bob finds alice's sample: %+v", got)
	}
	if got := f.search(bob, "/fhir/Observation?identifier="+lid(1, 10)); len(got) != 1 || got[0].ValueQuantity.Value != 150 {
		t.Errorf("bob's own sample under a shared id: %+v", got)
	}
	all := f.search(alice, "/fhir/Observation")
	q := "/fhir/Observation?_id=" + all[0].ID + "," + all[5].ID
	if got := f.search(alice, q); len(got) != 2 {
		t.Errorf("_id: %d found, want 2", len(got))
	}
	if got := f.search(bob, q); len(got) != 0 {
		t.Errorf("bob finds alice's ids: %+v", got)
	}
}

// lid is the id uuid gives as stored: ingest writes UUIDs in lower case.
func lid(prefix, n int) string { return strings.ToLower(uuid(prefix, n)) }

// heartRateAt is the start of alice's i-th heart rate in the seed (every 20 minutes from day0).
func heartRateAt(day0 time.Time, i int) time.Time {
	return day0.Add(time.Duration(i) * 20 * time.Minute)
}

func TestObservationSearchParameters(t *testing.T) {
	f := newFixture(t)
	day0 := f.seed("alice", "bob")
	alice := f.token("alice")
	sec := func(i int) string { return heartRateAt(day0, i).Format(time.RFC3339) }
	minute := heartRateAt(day0, 3).Format("2006-01-02T15:04Z07:00")
	for _, tc := range []struct {
		query string
		n     int
	}{
		// dates, on the heart rates
		{"code=8867-4&date=" + url.QueryEscape("ne"+sec(3)), 24},
		{"code=8867-4&date=" + url.QueryEscape("sa"+sec(3)), 21},
		{"code=8867-4&date=" + url.QueryEscape("gt"+sec(3)), 21},
		{"code=8867-4&date=" + url.QueryEscape("eb"+sec(3)), 3},
		{"code=8867-4&date=" + url.QueryEscape(sec(3)), 1},
		{"code=8867-4&date=" + url.QueryEscape(minute), 1},
		{"code=8867-4&date=" + url.QueryEscape("le"+sec(3)), 4},
		{"code=8867-4&date=" + url.QueryEscape("ge"+sec(1)) + "&date=" + url.QueryEscape("lt"+sec(5)) + "&date=" + url.QueryEscape("ge"+sec(2)), 3},
		{"code=8867-4&date=" + url.QueryEscape("ge"+sec(1)) + "&date=" + url.QueryEscape("ne"+sec(2)) + "&date=" + url.QueryEscape("le"+sec(4)), 3},
		{"code=8867-4&date=" + day0.Format("2006-01"), 25},
		{"code=8867-4&date=" + day0.Format("2006"), 25},
		{"code=8867-4&date=" + day0.AddDate(1, 0, 0).Format("2006"), 0},
		// steps run 10 minutes from the hour: eb the second step's start keeps only the first
		{"code=55423-8&date=" + url.QueryEscape("eb"+day0.Add(time.Hour).Format(time.RFC3339)), 1},
		{"code=55423-8&date=" + url.QueryEscape("eb"+day0.Add(5*time.Minute).Format(time.RFC3339)), 0},
		// codes and categories
		{"code=http://loinc.org|8867-4,http://loinc.org|55423-8", 30},
		{"code=8867-4", 25},
		{"code=|8867-4", 0},
		{"code=http://loinc.org|", 25 + 5 + 1 + 2},
		{"code=8867-4,55423-8&code=55423-8", 5},
		{"code=" + url.QueryEscape(fhir.SystemMetric+"|steps"), 5},
		{"category=vital-signs", 26},
		{"category=" + url.QueryEscape(fhir.SystemCategory+"|activity"), 5 + 3 + 2},
		{"category=activity,vital-signs", aliceTotal},
		{"category=laboratory", 0},
		{"category=vital-signs&code=55423-8", 0},
		{"category=urn:other|vital-signs", 0},
		// the patient is the token's
		{"patient=" + fhir.PatientID("alice"), aliceTotal},
		{"subject=" + url.QueryEscape("Patient/"+fhir.PatientID("alice")), aliceTotal},
		{"patient=" + fhir.PatientID("bob"), 0},
	} {
		if got := f.search(alice, "/fhir/Observation?"+tc.query); len(got) != tc.n {
			t.Errorf("%s: %d observations, want %d", tc.query, len(got), tc.n)
		}
	}
}

func TestObservationSortCountAndSummary(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	alice := f.token("alice")
	asc := f.search(alice, "/fhir/Observation?_sort=date&_count=7")
	desc := f.search(alice, "/fhir/Observation?_sort=-date&_count=7")
	if len(asc) != aliceTotal || len(desc) != aliceTotal {
		t.Fatalf("%d ascending, %d descending", len(asc), len(desc))
	}
	for i := range asc {
		if asc[i].ID != desc[len(desc)-1-i].ID {
			t.Fatalf("position %d: newest first is not the reverse of oldest first", i)
		}
	}
	// _count is bounded, and one page of one has a next link.
	if b := f.bundleOf(alice, "/fhir/Observation?_count=1"); len(b.Entry) != 1 || b.link("next") == "" {
		t.Errorf("_count=1: %d entries, next %q", len(b.Entry), b.link("next"))
	}
	if b := f.bundleOf(alice, "/fhir/Observation?_count=1000000"); len(b.Entry) != aliceTotal || b.link("next") != "" ||
		!strings.Contains(b.link("self"), "_count=1000000") {
		t.Errorf("_count over the bound: %d entries", len(b.Entry))
	}
	for _, tc := range []struct {
		tok, query string
		total      int64
	}{
		{alice, "_summary=count", aliceTotal},
		{alice, "_summary=count&code=8867-4&date=" + url.QueryEscape("ge"+time.Now().AddDate(-1, 0, 0).UTC().Format(time.RFC3339)), 25},
		{alice, "_summary=count&category=activity", 10},
		{alice, "_summary=count&identifier=" + lid(3, 2), 1},
		{alice, "_summary=count&_id=" + asc[0].ID, 1},
		{alice, "_summary=count&patient=" + fhir.PatientID("bob"), 0},
		{f.token("bob"), "_summary=count", 5},
	} {
		b := f.bundleOf(tc.tok, "/fhir/Observation?"+tc.query)
		if b.Total == nil || *b.Total != tc.total || len(b.Entry) != 0 {
			t.Errorf("%s: total %v, %d entries; want %d", tc.query, b.Total, len(b.Entry), tc.total)
		}
	}
}

func TestUnsupportedParametersAreIgnoredOrRefusedWhenStrict(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	alice := f.token("alice")
	for _, q := range []string{"code=8867-4&foo=bar", "code=8867-4&_sort=code", "code=8867-4&_summary=data", "code=8867-4&code:text=heart"} {
		b := f.bundleOf(alice, "/fhir/Observation?"+q)
		if got := matches[fhir.Observation](t, b); len(got) != 25 {
			t.Errorf("%s: %d found, want 25", q, len(got))
		}
		self, _ := url.Parse(b.link("self"))
		if v := self.Query(); len(v) != 1 || v.Get("code") != "8867-4" {
			t.Errorf("%s: the self link %s should carry only what was applied", q, self)
		}
		var outcomes int
		for _, e := range b.Entry {
			if e.Search.Mode == "outcome" && strings.Contains(string(e.Resource), "warning") {
				outcomes++
			}
		}
		if outcomes != 1 {
			t.Errorf("%s: %d outcome entries, want 1", q, outcomes)
		}
		rec := f.get(alice, "/fhir/Observation?"+q, "Prefer", "return=representation, handling=strict")
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "OperationOutcome") {
			t.Errorf("%s strict: %d %s", q, rec.Code, rec.Body)
		}
		f.valid("OperationOutcome", rec.Body.Bytes())
	}
	// The search is also served as POST _search with a form body.
	req := httptest.NewRequest(http.MethodPost, "/fhir/Observation/_search", strings.NewReader("code=8867-4&_count=100"))
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	var b rawBundle
	_ = json.Unmarshal(rec.Body.Bytes(), &b)
	if rec.Code != http.StatusOK || len(b.Entry) != 25 {
		t.Errorf("POST _search: %d, %d entries", rec.Code, len(b.Entry))
	}
	if rec := f.get(alice, "/fhir/Observation"); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	req = httptest.NewRequest(http.MethodDelete, "/fhir/Observation/abc", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	rec = httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", rec.Code)
	}
}

func TestPatientAndDevicesAreTheUsersAndReferenced(t *testing.T) {
	f := newFixture(t)
	f.seed("alice", "bob")
	alice, bob := f.token("alice"), f.token("bob")
	pid := fhir.PatientID("alice")

	pts := matches[fhir.Patient](t, f.bundleOf(alice, "/fhir/Patient"))
	if len(pts) != 1 || pts[0].ID != pid || pts[0].Identifier[0].Value != "alice" {
		t.Fatalf("patients %+v", pts)
	}
	rec := f.get(alice, "/fhir/Patient/"+pid)
	if rec.Code != http.StatusOK {
		t.Fatalf("read patient: %d %s", rec.Code, rec.Body)
	}
	f.valid("Patient", rec.Body.Bytes())
	for q, n := range map[string]int{"_id=" + pid: 1, "_id=" + fhir.PatientID("bob"): 0,
		"identifier=" + url.QueryEscape(fhir.SystemSubject+"|alice"): 1, "identifier=bob": 0} {
		if got := matches[fhir.Patient](t, f.bundleOf(alice, "/fhir/Patient?"+q)); len(got) != n {
			t.Errorf("Patient?%s: %d, want %d", q, len(got), n)
		}
	}
	if b := f.bundleOf(alice, "/fhir/Patient?_summary=count"); b.Total == nil || *b.Total != 1 {
		t.Errorf("Patient count %v", b.Total)
	}
	// Cross-user probe: bob reads no Patient of alice's, by id or by search.
	f.notFound(bob, "/fhir/Patient/"+pid)
	if got := matches[fhir.Patient](t, f.bundleOf(bob, "/fhir/Patient?_id="+pid)); len(got) != 0 {
		t.Errorf("bob finds alice's patient: %+v", got)
	}
	if got := matches[fhir.Patient](t, f.bundleOf(bob, "/fhir/Patient?identifier=alice")); len(got) != 0 {
		t.Errorf("bob finds alice's patient by identifier: %+v", got)
	}

	// Devices: alice's three sources (the watch's samples, its sleep without device fields, Strava), paged one
	// by one.
	var devs []fhir.Device
	for _, raw := range f.all(alice, "/fhir/Device?_count=1") {
		var d fhir.Device
		_ = json.Unmarshal(raw, &d)
		devs = append(devs, d)
	}
	if len(devs) != 3 {
		t.Fatalf("%d devices, want 3: %+v", len(devs), devs)
	}
	byID := map[string]fhir.Device{}
	for _, d := range devs {
		if _, dup := byID[d.ID]; dup {
			t.Errorf("device %s twice", d.ID)
		}
		byID[d.ID] = d
		if d.Patient == nil || d.Patient.Reference != "Patient/"+pid {
			t.Errorf("device %s: patient %+v", d.ID, d.Patient)
		}
		rec := f.get(alice, "/fhir/Device/"+d.ID)
		if rec.Code != http.StatusOK {
			t.Fatalf("read device: %d %s", rec.Code, rec.Body)
		}
		f.valid("Device", rec.Body.Bytes())
		f.notFound(bob, "/fhir/Device/"+d.ID) // cross-user probe
		for q, n := range map[string]int{"_id=" + d.ID: 1, "identifier=" + url.QueryEscape(escapeToken(d.Identifier[0].Value)): 1,
			"patient=" + pid: 3, "patient=" + fhir.PatientID("bob"): 0} {
			if got := matches[fhir.Device](t, f.bundleOf(alice, "/fhir/Device?"+q)); len(got) != n {
				t.Errorf("Device?%s: %d, want %d", q, len(got), n)
			}
		}
		if got := matches[fhir.Device](t, f.bundleOf(bob, "/fhir/Device?_id="+d.ID)); len(got) != 0 {
			t.Errorf("bob finds alice's device: %+v", got)
		}
	}
	if b := f.bundleOf(alice, "/fhir/Device?_summary=count"); b.Total == nil || *b.Total != 3 {
		t.Errorf("Device count %v", b.Total)
	}
	watch := false
	for _, d := range devs {
		watch = watch || (d.ModelNumber == "Watch6,7" && slices.ContainsFunc(d.DeviceName, func(n fhir.DeviceName) bool { return n.Type == "model-name" }))
	}
	if !watch {
		t.Errorf("no device describes the watch: %+v", devs)
	}
	// Every Observation names the Patient and a Device that resolve.
	for _, o := range f.search(alice, "/fhir/Observation") {
		if o.Subject.Reference != "Patient/"+pid {
			t.Errorf("observation %s: subject %+v", o.ID, o.Subject)
		}
		if o.Device == nil {
			t.Errorf("observation %s has no device", o.ID)
		} else if _, ok := byID[strings.TrimPrefix(o.Device.Reference, "Device/")]; !ok {
			t.Errorf("observation %s: device %s is not one of alice's", o.ID, o.Device.Reference)
		}
	}
	if bobs := f.all(bob, "/fhir/Device"); len(bobs) != 1 {
		t.Errorf("bob has %d devices, want 1", len(bobs))
	}
}

// escapeToken escapes a value for a FHIR token search: a backslash before each backslash, |, comma and $.
func escapeToken(v string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`).Replace(v)
}
