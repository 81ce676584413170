package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"healthsync/fhir"
	"healthsync/rights"
	"healthsync/server"
)

// serviceClock is the rights service's clock, moved by the tests past a link's or an export's lifetime.
type serviceClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *serviceClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *serviceClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	testLinkTTL   = 15 * time.Minute
	testExportTTL = 48 * time.Hour
)

// linkApp is the real handler with a rights service that signs links, on a clock the test moves.
func linkApp(t *testing.T) (*app, *serviceClock) {
	clk := &serviceClock{t: time.Now().UTC()}
	a := newApp(t, func(o *server.Options) {
		o.FHIR = fhir.NewService(o.Store, o.Catalog)
		o.Rights = rights.NewService(o.Store, rights.Options{Now: clk.now, ExportChunk: 4096, FHIR: o.FHIR,
			LinkKey: []byte("test-export-link-key-0123456789abcdef"), LinkTTL: testLinkTTL, ExportTTL: testExportTTL})
	})
	return a, clk
}

type exportState struct {
	ID, Status                string
	Bytes                     int64
	DownloadURL, DownloadLink *string
	DownloadLinkExpiresAt     *time.Time
	ExpiresAt                 *time.Time
}

const exportStateFields = `{ id status bytes downloadUrl downloadLink downloadLinkExpiresAt expiresAt }`

func exportState1(t *testing.T, a *app, tok, id string) exportState {
	t.Helper()
	var st struct{ DataExport exportState }
	a.do(tok, `query($id: ID!) { dataExport(id: $id) `+exportStateFields+` }`, map[string]any{"id": id}).decode(t, &st)
	return st.DataExport
}

// finishedExport uploads data for the user, exports it and returns the finished export's id.
func finishedExport(t *testing.T, a *app, tok, who string) string {
	t.Helper()
	rightsData(t, a, tok, who, who+"-1", day0.Add(10*time.Hour))
	var req struct{ RequestDataExport struct{ ID string } }
	a.do(tok, `mutation { requestDataExport { id } }`, nil).decode(t, &req)
	if n, err := a.opts.Rights.RunDueExports(context.Background()); err != nil || n != 1 {
		t.Fatalf("run exports: %d, %v", n, err)
	}
	return req.RequestDataExport.ID
}

// get sends a GET without a token.
func get(a *app, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// errorCode is the extensions.code of a JSON error body, "" when the body is not one.
func errorCode(rec *httptest.ResponseRecorder) string {
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.Errors) == 0 || body.Errors[0].Message == "" {
		return ""
	}
	return body.Errors[0].Extensions.Code
}

// dataExport hands out a signed link beside the token URL: it downloads the same zip without a token; changed in
// any part it is refused 403 LINK_INVALID, and past its lifetime (the service's clock moved) 410 LINK_EXPIRED.
func TestSignedExportLink(t *testing.T) {
	t.Parallel()
	a, clk := linkApp(t)
	fay, gus := a.token("link-fay"), a.token("link-gus")
	id := finishedExport(t, a, fay, "f")
	gusID := finishedExport(t, a, gus, "9")
	st := exportState1(t, a, fay, id)
	if st.Status != "DONE" || st.DownloadLink == nil || st.DownloadLinkExpiresAt == nil || st.ExpiresAt == nil {
		t.Fatalf("dataExport: %+v", st)
	}
	if d := st.DownloadLinkExpiresAt.Sub(clk.now()); d > testLinkTTL || d < testLinkTTL-2*time.Second {
		t.Fatalf("link valid for %s, want %s", d, testLinkTTL)
	}
	if st.ExpiresAt.Sub(clk.now().Add(testExportTTL)).Abs() > time.Millisecond {
		t.Fatalf("export expires at %s", st.ExpiresAt)
	}
	withToken := download(a, fay, id)
	rec := get(a, *st.DownloadLink)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" ||
		rec.Body.String() != withToken.Body.String() || int64(rec.Body.Len()) != st.Bytes {
		t.Fatalf("download by link: %d, %d bytes (with the token: %d bytes)", rec.Code, rec.Body.Len(), withToken.Body.Len())
	}

	u, err := url.Parse(*st.DownloadLink)
	if err != nil {
		t.Fatal(err)
	}
	gusExport := exportState1(t, a, gus, gusID)
	gu, _ := url.Parse(*gusExport.DownloadLink)
	tamper := map[string]func(q url.Values) (string, url.Values){
		"user": func(q url.Values) (string, url.Values) { q.Set("user", gu.Query().Get("user")); return u.Path, q },
		"expires": func(q url.Values) (string, url.Values) {
			q.Set("expires", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
			return u.Path, q
		},
		"signature": func(q url.Values) (string, url.Values) {
			s := []byte(q.Get("signature"))
			s[3] ^= 1
			q.Set("signature", string(s))
			return u.Path, q
		},
		"export id": func(q url.Values) (string, url.Values) { return gu.Path, q }, // fay's signature on gus's export
		"no user":   func(q url.Values) (string, url.Values) { q.Del("user"); return u.Path, q },
	}
	for name, change := range tamper {
		path, q := change(u.Query())
		if rec := get(a, path+"?"+q.Encode()); rec.Code != http.StatusForbidden || errorCode(rec) != "LINK_INVALID" {
			t.Errorf("link with another %s: %d %s", name, rec.Code, rec.Body.String())
		}
	}

	clk.advance(testLinkTTL + time.Second)
	if rec := get(a, *st.DownloadLink); rec.Code != http.StatusGone || errorCode(rec) != "LINK_EXPIRED" {
		t.Fatalf("expired link: %d %s", rec.Code, rec.Body.String())
	}
	// A fresh read hands out a fresh link; the token URL works all along.
	if fresh := exportState1(t, a, fay, id); fresh.DownloadLink == nil || get(a, *fresh.DownloadLink).Code != http.StatusOK {
		t.Fatalf("fresh link: %+v", fresh)
	}
	if rec := download(a, fay, id); rec.Code != http.StatusOK {
		t.Fatalf("token download: %d", rec.Code)
	}
}

// A finished export expires after the retention: its download answers 410 EXPORT_EXPIRED at once, dataExport
// says EXPIRED without links, and the background loop purges its zip (once, whichever process runs it); another
// user's export that has not expired keeps its file.
func TestExportExpiresAndIsPurged(t *testing.T) {
	t.Parallel()
	a, clk := linkApp(t)
	ctx := context.Background()
	hal, ida := a.token("expire-hal"), a.token("expire-ida")
	id := finishedExport(t, a, hal, "a")
	clk.advance(testExportTTL / 2)
	idaID := finishedExport(t, a, ida, "b")
	chunks := func(exportID string) int {
		var n int
		if err := a.opts.Store.DB().GetContext(ctx, &n, `SELECT count(*) FROM export_chunks WHERE export_id = $1`, exportID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if chunks(id) == 0 || chunks(idaID) == 0 {
		t.Fatal("the exports stored no pieces")
	}
	if n, err := a.opts.Rights.ExpireExports(ctx); err != nil || n != 0 {
		t.Fatalf("expired %d before their time, %v", n, err)
	}

	clk.advance(testExportTTL/2 + time.Minute) // hal's export is past 48 h, ida's is not
	if rec := download(a, hal, id); rec.Code != http.StatusGone || errorCode(rec) != "EXPORT_EXPIRED" {
		t.Fatalf("download of an expired export: %d %s", rec.Code, rec.Body.String())
	}
	if st := exportState1(t, a, hal, id); st.Status != "EXPIRED" || st.DownloadURL != nil || st.DownloadLink != nil {
		t.Fatalf("dataExport of an expired export: %+v", st)
	}
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := a.opts.Rights.ExpireExports(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1]+counts[2] != 1 || chunks(id) != 0 {
		t.Fatalf("expired %v, hal's pieces left %d", counts, chunks(id))
	}
	var status string
	if err := a.opts.Store.DB().GetContext(ctx, &status, `SELECT status FROM exports WHERE export_id = $1`, id); err != nil || status != "EXPIRED" {
		t.Fatalf("stored status %q, %v", status, err)
	}
	if chunks(idaID) == 0 || download(a, ida, idaID).Code != http.StatusOK {
		t.Fatal("ida's export, not expired, lost its file")
	}
	// A new export after the expiry is a fresh one.
	var again struct{ RequestDataExport struct{ ID, Status string } }
	a.do(hal, `mutation { requestDataExport { id status } }`, nil).decode(t, &again)
	if again.RequestDataExport.ID == id || again.RequestDataExport.Status != "QUEUED" {
		t.Fatalf("new export: %+v", again.RequestDataExport)
	}
}

// One open export per user: asking again for the same format while it is queued returns it; another format is
// EXPORT_PENDING; once it finished, a new request starts a new export.
func TestOneOpenExportPerUser(t *testing.T) {
	t.Parallel()
	a, _ := linkApp(t)
	jo := a.token("pending-jo")
	rightsData(t, a, jo, "c", "jo-1", day0.Add(10*time.Hour))
	var first, second struct{ RequestDataExport struct{ ID, Status string } }
	a.do(jo, `mutation { requestDataExport(format: NDJSON_ZIP) { id status } }`, nil).decode(t, &first)
	a.do(jo, `mutation { requestDataExport(format: NDJSON_ZIP) { id status } }`, nil).decode(t, &second)
	if first.RequestDataExport.ID == "" || second.RequestDataExport != first.RequestDataExport {
		t.Fatalf("second request while queued: %+v, first %+v", second.RequestDataExport, first.RequestDataExport)
	}
	if r := a.do(jo, `mutation { requestDataExport(format: FHIR_NDJSON) { id } }`, nil); r.code() != "EXPORT_PENDING" {
		t.Fatalf("another format while queued: %s", r.Raw)
	}
	if n, err := a.opts.Rights.RunDueExports(context.Background()); err != nil || n != 1 {
		t.Fatalf("run exports: %d, %v", n, err)
	}
	var third struct{ RequestDataExport struct{ ID, Format string } }
	a.do(jo, `mutation { requestDataExport(format: FHIR_NDJSON) { id format } }`, nil).decode(t, &third)
	if third.RequestDataExport.ID == first.RequestDataExport.ID || third.RequestDataExport.Format != "FHIR_NDJSON" {
		t.Fatalf("after the first finished: %+v", third.RequestDataExport)
	}
}
