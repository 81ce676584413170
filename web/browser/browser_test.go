package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
	"healthsync/syncevents"
)

// envRun turns the test on; without it the package starts no database and every test skips.
const envRun = "HEALTHSYNC_BROWSER_TEST"

func TestMain(m *testing.M) {
	if os.Getenv(envRun) == "" {
		os.Exit(m.Run())
	}
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// prerequisites returns the browser and node paths, or skips with what is missing and how to get it.
func prerequisites(t *testing.T) (chromium, node string) {
	t.Helper()
	if os.Getenv(envRun) == "" {
		t.Skipf("browser test off: set %s=1 (make browser-test installs chromium and the npm packages, then runs it)", envRun)
	}
	chromium = os.Getenv("HEALTHSYNC_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no Chromium at %s: apt-get install chromium (or set HEALTHSYNC_CHROMIUM); make browser-test does it", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the browser is driven by playwright-core from web/")
	}
	if _, err := os.Stat("../node_modules/playwright-core/package.json"); err != nil {
		t.Skip("web/node_modules has no playwright-core: run `npm ci` in web/ (make browser-test does)")
	}
	return chromium, node
}

var testSecret = []byte("browser-test-secret-0123456789abcdef-0123")

func TestGraphiQLAndDashboardInChromium(t *testing.T) {
	chromium, node := prerequisites(t)
	dsn := dbtest.NewDSN(t)
	sqlDB, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := syncevents.Listen(context.Background(), dsn, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	store := db.New(sqlDB, db.Options{})
	cat := catalog.New()
	verifier, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Sign("alice", []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Catalog: cat, Verifier: verifier, Log: quiet, Events: hub,
		Ingest:      ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil, ingest.WithSyncNotify()),
		Development: true, DevToken: tok}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	zone, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zone)
	seed(t, srv.URL, tok, today)
	// One type goes quiet while its device keeps uploading: what a revoked Health permission looks like.
	if _, err := sqlDB.Exec(`UPDATE sync_state SET last_data_at = last_data_at - interval '5 days' WHERE data_type = 'hrv_sdnn'`); err != nil {
		t.Fatal(err)
	}

	shots := os.Getenv("HEALTHSYNC_SCREENSHOTS")
	if shots == "" {
		shots, _ = filepath.Abs("../testdata/screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "BASE_URL="+srv.URL, "CHROMIUM="+chromium, "SCREENSHOTS="+shots, "TOKEN="+tok,
		"FROM="+today.AddDate(0, 0, -13).Format(time.DateOnly), "TO="+today.Format(time.DateOnly), "TZ_NAME=Europe/Zurich")
	var stdout, stderr bytes.Buffer
	// A browser that crashes (a signal, not a failed check) gets one more run: the run is repeatable (the live
	// upload replays its idempotency key), and a crash says nothing about the pages under test.
	for attempt := 1; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		err := runNode(node, env, &stdout, &stderr)
		if err == nil {
			break
		}
		if attempt < 2 && browserCrashed(stderr.String()) {
			t.Logf("Chromium crashed, running again: %v\n%s", err, lastLines(stderr.String(), 10))
			continue
		}
		t.Fatalf("run.mjs: %v\nstderr: %s\nstdout: %s", err, stderr.String(), stdout.String())
	}
	var got report
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("run.mjs printed no report: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("screenshots in %s; report %+v", shots, got)
	check(t, got, shots)
}

type report struct {
	GraphiQL struct {
		Response string `json:"response"`
		Headers  string `json:"headers"`
		Tabs     int    `json:"tabs"`
		Sent     string `json:"sent"`
		Saved    string `json:"saved"`
		Reloaded string `json:"headersAfterReload"`
		Tabs2    int    `json:"tabsAfterReload"`
		Stored   bool   `json:"tokenInLocalStorage"`
	} `json:"graphiql"`
	Dashboard struct {
		State          string   `json:"state"`
		Banner         string   `json:"banner"`
		Canvases       int      `json:"canvases"`
		StepsPoints    int      `json:"stepsPoints"`
		SourcesPoints  int      `json:"sourcesPoints"`
		SourceSeries   []string `json:"sourceSeries"`
		HeartPoints    int      `json:"heartPoints"`
		Nights         int      `json:"nights"`
		Naps           int      `json:"naps"`
		StageSegments  int      `json:"stageSegments"`
		Workouts       int      `json:"workouts"`
		SyncRows       int      `json:"syncRows"`
		StaleRows      []string `json:"staleRows"`
		StaleHint      string   `json:"staleHint"`
		Devices        int      `json:"devices"`
		PaintedPixels  []int    `json:"paintedPixels"`
		AfterReloadTok bool     `json:"afterReloadToken"`
		Live           string   `json:"live"`
		LiveDevices    int      `json:"liveDevices"`
	} `json:"dashboard"`
	ConsoleErrors []string `json:"consoleErrors"`
	Foreign       []string `json:"foreignRequests"`
}

func check(t *testing.T, r report, shots string) {
	t.Helper()
	g := r.GraphiQL
	if !strings.Contains(g.Headers, "Bearer ") {
		t.Errorf("GraphiQL header editor: %q, want the development token", g.Headers)
	}
	// Headers are not persisted, so a restarted server's new development token is what the next visit shows.
	if g.Stored {
		t.Error("GraphiQL wrote the token to local storage")
	}
	// GraphiQL restores the tabs from local storage and opens an empty one beside them; the header editor must
	// still hold the token of this server, not a stale one.
	if g.Reloaded != g.Headers || g.Tabs2 < 3 {
		t.Errorf("GraphiQL after a reload: %d tabs, headers %q; want the 3 tabs and %q", g.Tabs2, g.Reloaded, g.Headers)
	}
	if g.Tabs != 3 {
		t.Errorf("GraphiQL opened %d tabs, want the 3 saved operations", g.Tabs)
	}
	if !strings.Contains(g.Response, `"id": "alice"`) || !strings.Contains(g.Response, "Apple Watch") {
		t.Errorf("GraphiQL query answer to %q: %s", g.Sent, g.Response)
	}
	if !strings.Contains(g.Saved, `"dataType": "hrv_sdnn"`) || !strings.Contains(g.Saved, `"STALE"`) {
		t.Errorf("GraphiQL saved SyncState operation answered: %s", g.Saved)
	}
	d := r.Dashboard
	if d.State != "loaded" {
		t.Fatalf("dashboard state %q, banner %q", d.State, d.Banner)
	}
	// 10 days of steps and heart rate were seeded: every one must be a point.
	if d.StepsPoints != 10 || d.HeartPoints != 10 {
		t.Errorf("points: steps %d, heart %d, want 10 each", d.StepsPoints, d.HeartPoints)
	}
	// By source: the watch and the phone on 10 days, the Health Connect app on 3.
	if d.SourcesPoints != 23 || len(d.SourceSeries) != 3 {
		t.Errorf("per-source view: %d bars, series %v; want 23 bars of 3 sources", d.SourcesPoints, d.SourceSeries)
	}
	if d.Canvases < 2 {
		t.Errorf("%d chart canvases", d.Canvases)
	}
	for i, p := range d.PaintedPixels {
		if p < 500 {
			t.Errorf("chart %d painted only %d coloured pixels", i, p)
		}
	}
	if d.Nights != 7 || d.Naps != 1 || d.StageSegments < 6*7 {
		t.Errorf("sleep: %d sessions, %d naps, %d stage segments; want 7, 1, ≥42", d.Nights, d.Naps, d.StageSegments)
	}
	if d.Workouts != 3 {
		t.Errorf("%d workouts, want 3", d.Workouts)
	}
	if d.Devices != 2 || len(d.StaleRows) != 1 || d.StaleRows[0] != "hrv_sdnn" || !strings.Contains(d.StaleHint, "Health permissions") {
		t.Errorf("sync panel: %d devices, stale %v, hint %q", d.Devices, d.StaleRows, d.StaleHint)
	}
	// An upload from a third device while the page is open shows up through syncEvents, well before a poll would.
	if d.LiveDevices != 3 || !strings.HasPrefix(d.Live, "live") {
		t.Errorf("live update: %d devices after an upload from a new one, badge %q; want 3 and live", d.LiveDevices, d.Live)
	}
	if !d.AfterReloadTok {
		t.Error("the token did not survive a reload of the tab (session storage)")
	}
	if len(r.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", r.ConsoleErrors)
	}
	if len(r.Foreign) > 0 {
		t.Errorf("requests that left the server (a CDN?): %q", r.Foreign)
	}
	for _, f := range []string{"graphiql.png", "dashboard.png", "dashboard-by-source.png"} {
		if st, err := os.Stat(filepath.Join(shots, f)); err != nil || st.Size() < 10000 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
}

// seed uploads ten days of a user's data from two devices through the public API, as the apps would.
func seed(t *testing.T, base, tok string, today time.Time) {
	t.Helper()
	watch := map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.8A1B", "productType": "Watch6,7"}
	phone := map[string]any{"name": "iPhone", "bundleId": "com.apple.health.71C2", "productType": "iPhone15,2"}
	fit := map[string]any{"name": "Fit", "bundleId": "com.google.android.apps.fitness"}
	at := func(daysAgo, hour, minute int) time.Time {
		d := today.AddDate(0, 0, -daysAgo)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, today.Location())
	}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	n := 0
	id := func() string { n++; return fmt.Sprintf("CCCCCCCC-0000-4000-8000-%012d", n) }
	quantity := func(typ, unit string, v float64, start, end time.Time, src map[string]any) map[string]any {
		return map[string]any{"id": id(), "type": typ, "value": v, "unit": unit, "start": ts(start), "end": ts(end), "source": src}
	}
	var samples, cats, workouts []map[string]any
	for day := 1; day <= 10; day++ {
		for i, h := range []int{8, 12, 18} {
			v := float64(1200 + 150*day + 400*i)
			samples = append(samples,
				quantity("HKQuantityTypeIdentifierStepCount", "count", v, at(day, h, 0), at(day, h+1, 0), watch),
				// The phone counts the same walks (overlap: merged once) plus an evening stroll of its own.
				quantity("HKQuantityTypeIdentifierStepCount", "count", v*0.9, at(day, h, 5), at(day, h+1, 0), phone))
		}
		samples = append(samples, quantity("HKQuantityTypeIdentifierStepCount", "count", float64(800+60*day), at(day, 21, 0), at(day, 21, 30), phone))
		for i, h := range []int{3, 7, 10, 13, 17, 22} {
			bpm := []float64{52, 64, 88, 131, 97, 70}[i] + float64(day%4)
			samples = append(samples, quantity("HKQuantityTypeIdentifierHeartRate", "count/min", bpm, at(day, h, 15), at(day, h, 15), watch))
		}
	}
	samples = append(samples, quantity("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", "ms", 48, at(6, 4, 0), at(6, 4, 0), watch))
	for day := 1; day <= 6; day++ {
		sl := func(value string, h0, m0, h1, m1 int) map[string]any {
			start, end := at(day, h0, m0), at(day, h1, m1)
			if h0 >= 20 {
				start = at(day+1, h0, m0)
			}
			if h1 >= 20 {
				end = at(day+1, h1, m1)
			}
			return map[string]any{"id": id(), "type": "HKCategoryTypeIdentifierSleepAnalysis",
				"value": "HKCategoryValueSleepAnalysis" + value, "start": ts(start), "end": ts(end), "source": watch}
		}
		late := day % 3 * 10
		cats = append(cats,
			sl("InBed", 22, 40, 6, 55),
			sl("AsleepCore", 22, 50+late/2, 0, 30), sl("AsleepDeep", 0, 30, 1, 35), sl("AsleepCore", 1, 35, 3, 0),
			sl("AsleepREM", 3, 0, 3, 50), sl("Awake", 3, 50, 4, 0+late), sl("AsleepCore", 4, 0+late, 5, 20),
			sl("AsleepDeep", 5, 20, 5, 45), sl("AsleepREM", 5, 45, 6, 40))
	}
	cats = append(cats, map[string]any{"id": id(), "type": "HKCategoryTypeIdentifierSleepAnalysis",
		"value": "HKCategoryValueSleepAnalysisAsleepCore", "start": ts(at(2, 14, 10)), "end": ts(at(2, 14, 50)), "source": watch})
	for i, w := range []struct {
		typ      string
		day, h   int
		min      int
		kcal, km float64
	}{{"HKWorkoutActivityTypeRunning", 2, 7, 42, 410, 8.2}, {"HKWorkoutActivityTypeCycling", 4, 17, 75, 620, 24.5},
		{"HKWorkoutActivityTypeWalking", 7, 12, 35, 140, 2.9}} {
		workouts = append(workouts, map[string]any{"id": fmt.Sprintf("DDDDDDDD-0000-4000-8000-%012d", i),
			"activityType": w.typ, "start": ts(at(w.day, w.h, 0)), "end": ts(at(w.day, w.h, w.min)),
			"energy":   map[string]any{"value": w.kcal, "unit": "kcal"},
			"distance": map[string]any{"value": w.km, "unit": "km"}, "source": watch})
	}
	cursor := func(typ string) map[string]any {
		return map[string]any{"type": typ, "cursor": "anchor-" + typ, "newestSampleEnd": ts(at(1, 22, 15))}
	}
	upload(t, base, tok, map[string]any{"idempotencyKey": "browser-seed-iphone", "provider": "APPLE_HEALTH",
		"device":  map[string]any{"id": "iphone-1", "model": "iPhone15,2", "osVersion": "26.1", "appVersion": "1.4.0", "timeZone": "Europe/Zurich"},
		"samples": samples, "categorySamples": cats, "workouts": workouts,
		"cursors": []map[string]any{cursor("HKQuantityTypeIdentifierStepCount"), cursor("HKQuantityTypeIdentifierHeartRate")}},
		len(samples)+len(cats)+len(workouts))
	var hc []map[string]any
	for day := 1; day <= 3; day++ {
		hc = append(hc, map[string]any{"id": fmt.Sprintf("hc-steps-%d", day), "type": "Steps", "value": 2500 + 300*day,
			"unit": "count", "start": ts(at(day, 15, 0)), "end": ts(at(day, 16, 0)), "source": fit})
	}
	upload(t, base, tok, map[string]any{"idempotencyKey": "browser-seed-pixel", "provider": "HEALTH_CONNECT",
		"device":  map[string]any{"id": "pixel-8", "model": "Pixel 8", "osVersion": "Android 16", "timeZone": "Europe/Zurich"},
		"samples": hc}, len(hc))
}

func upload(t *testing.T, base, tok string, input map[string]any, want int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": `mutation($input: IngestBatchInput!) {
		ingestBatch(input: $input) { accepted rejected { index code message } } }`, "variables": map[string]any{"input": input}})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			IngestBatch struct {
				Accepted int               `json:"accepted"`
				Rejected []json.RawMessage `json:"rejected"`
			} `json:"ingestBatch"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("seed %v: %v %s", input["idempotencyKey"], err, out.Errors)
	}
	if got := out.Data.IngestBatch; got.Accepted != want || len(got.Rejected) > 0 {
		t.Fatalf("seed %v: accepted %d of %d, rejected %s", input["idempotencyKey"], got.Accepted, want, got.Rejected)
	}
}

func runNode(node string, env []string, stdout, stderr *bytes.Buffer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "run.mjs")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// browserCrashed tells a Chromium that died of a signal from a check that failed.
func browserCrashed(stderr string) bool {
	return strings.Contains(stderr, "signal=SIG") || strings.Contains(stderr, "Target crashed") ||
		strings.Contains(stderr, "Browser closed")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
