package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"healthsync/web"
)

func mux(devToken string) http.Handler {
	m := http.NewServeMux()
	m.Handle("GET "+web.AssetPrefix, web.Assets())
	m.Handle("GET /dashboard", web.Dashboard("/graphql"))
	m.Handle("GET /{$}", web.GraphiQL("/graphql", devToken))
	return m
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

var (
	configRe = regexp.MustCompile(`(?s)<script id="healthsync-config" type="application/json">(.*?)</script>`)
	refRe    = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
)

// pageConfig returns the JSON configuration of a page and checks that everything the page loads comes from
// the binary (no CDN) and is actually served.
func pageConfig(t *testing.T, h http.Handler, path string) map[string]string {
	t.Helper()
	rec := get(t, h, path)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("GET %s: CSP %q", path, csp)
	}
	body := rec.Body.String()
	refs := refRe.FindAllStringSubmatch(body, -1)
	if len(refs) < 2 {
		t.Fatalf("GET %s: expected a script and a stylesheet, got %q", path, body)
	}
	for _, ref := range refs {
		u := ref[1]
		if strings.HasPrefix(u, "data:") {
			continue // inline, no request
		}
		if !strings.HasPrefix(u, web.AssetPrefix) {
			t.Errorf("GET %s loads %q, not from the binary", path, u)
			continue
		}
		a := get(t, h, u)
		if a.Code != http.StatusOK || a.Body.Len() < 100 {
			t.Errorf("asset %s: %d, %d bytes", u, a.Code, a.Body.Len())
		}
		want := map[bool]string{true: "text/javascript", false: "text/css"}[strings.HasSuffix(u, ".js")]
		if ct := a.Header().Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("asset %s: Content-Type %q, want %s", u, ct, want)
		}
	}
	m := configRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no configuration element in %q", path, body)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("GET %s: configuration %q: %v", path, m[1], err)
	}
	return cfg
}

func TestGraphiQLPageCarriesTheDevTokenAsData(t *testing.T) {
	// A token with characters that would end the script element if they were not escaped.
	tok := `eyJ.abc</script><script>alert(1)</script>`
	cfg := pageConfig(t, mux(tok), "/")
	if cfg["devToken"] != tok || cfg["endpoint"] != "/graphql" {
		t.Fatalf("config %v", cfg)
	}
	rec := get(t, mux(tok), "/")
	if strings.Count(rec.Body.String(), "<script") != 2 {
		t.Fatalf("the token broke out of its element: %s", rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a page with a token must not be cached", cc)
	}
}

func TestDashboardPageHasNoToken(t *testing.T) {
	cfg := pageConfig(t, mux("secret-dev-token"), "/dashboard")
	if cfg["endpoint"] != "/graphql" || cfg["devToken"] != "" {
		t.Fatalf("config %v", cfg)
	}
	if strings.Contains(get(t, mux("secret-dev-token"), "/dashboard").Body.String(), "secret-dev-token") {
		t.Fatal("the dashboard page carries the development token")
	}
}

func TestGraphiQLBundleHasTheExamples(t *testing.T) {
	rec := get(t, mux(""), web.AssetPrefix+"graphiql.js")
	body, _ := io.ReadAll(rec.Body)
	for _, op := range []string{"mutation IngestBatch", "query DailySteps", "query SyncState"} {
		if !strings.Contains(string(body), op) {
			t.Errorf("graphiql.js lacks the saved operation %q", op)
		}
	}
	if get(t, mux(""), web.AssetPrefix+"nope.js").Code != http.StatusNotFound {
		t.Error("an unknown asset is not 404")
	}
}

func TestAssetsAreGzippedWhenAccepted(t *testing.T) {
	h := mux("")
	plain := get(t, h, web.AssetPrefix+"graphiql.js")
	if plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("gzip without Accept-Encoding: %v", plain.Header())
	}
	for _, accept := range []string{"gzip", "br, gzip;q=0.8, deflate", "GZIP"} {
		req := httptest.NewRequest(http.MethodGet, web.AssetPrefix+"graphiql.js", nil)
		req.Header.Set("Accept-Encoding", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
			t.Fatalf("Accept-Encoding %q: headers %v", accept, rec.Header())
		}
		if rec.Body.Len() >= plain.Body.Len()/2 {
			t.Errorf("gzipped %d bytes of %d", rec.Body.Len(), plain.Body.Len())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
			t.Fatalf("gzipped body does not decompress to the file (%v)", err)
		}
	}
	req := httptest.NewRequest(http.MethodGet, web.AssetPrefix+"graphiql.js", nil)
	req.Header.Set("Accept-Encoding", "gzip;q=0")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}
}
