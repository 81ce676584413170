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
	"slices"
	"strings"
	"sync/atomic"
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
	yearTok, err := signer.Sign("bob", []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Catalog: cat, Verifier: verifier, Log: quiet, Events: hub,
		Ingest:      ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil, ingest.WithSyncNotify()),
		Development: true, DevToken: tok}))
	srv := httptest.NewServer(withFailingProxy(h))
	defer srv.Close()

	zone, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zone)
	seed(t, srv.URL, tok, today)
	seedYear(t, srv.URL, yearTok, today)
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
	day := func(daysAgo int) string { return today.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	env := append(os.Environ(), "BASE_URL="+srv.URL, "CHROMIUM="+chromium, "SCREENSHOTS="+shots, "TOKEN="+tok,
		"YEAR_TOKEN="+yearTok, "FROM="+day(13), "TO="+day(0), "TZ_NAME=Europe/Zurich",
		"MONTH_FROM="+day(29), "YEAR_FROM="+day(364), "EMPTY_FROM="+day(3*365+20), "EMPTY_TO="+day(3*365))
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
	t.Logf("screenshots in %s", shots)
	for _, m := range got.Timings {
		t.Logf("time to first chart, %s, %s (%d days, %d charts): median %.0f ms of %v ms from the page's start; %v ms from the first request; the two requests took %v ms",
			m.Viewport, m.Range, m.Days, m.Charts, m.MedianMs, m.RunsMs, m.LoadToChartMs, m.RequestsMs)
	}
	ny, _ := time.LoadLocation("America/New_York")
	check(t, got, shots, expect{
		nightStartNY:   at(today, 2, 22, 40).In(ny).Format("15:04"),
		workoutStartNY: at(today, 2, 7, 0).In(ny).Format("15:04"),
	})
}

// withFailingProxy stands for a reverse proxy in front of the server: POST /__test/upstream?down=1 makes it
// answer /graphql with 502 Bad Gateway as nginx does when the server is gone, down=0 lets requests through again.
// hold=1 keeps every GraphQL POST waiting until hold=0, so the page can be read while a load is in flight without
// racing a fast server.
func withFailingProxy(h http.Handler) http.Handler {
	var down atomic.Bool
	var held atomic.Pointer[chan struct{}]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__test/upstream" {
			q := r.URL.Query()
			if v := q.Get("down"); v != "" {
				down.Store(v == "1")
			}
			switch q.Get("hold") {
			case "1":
				gate := make(chan struct{})
				held.Store(&gate)
			case "0":
				if gate := held.Swap(nil); gate != nil {
					close(*gate)
				}
			}
			return
		}
		if gate := held.Load(); gate != nil && r.URL.Path == "/graphql" && r.Method == http.MethodPost {
			select {
			case <-*gate:
			case <-r.Context().Done():
				return
			}
		}
		if down.Load() && r.URL.Path == "/graphql" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><body><center><h1>502 Bad Gateway</h1></center></body></html>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// at is a local time daysAgo days before today, in today's zone.
func at(today time.Time, daysAgo, hour, minute int) time.Time {
	d := today.AddDate(0, 0, -daysAgo)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, today.Location())
}

type expect struct {
	nightStartNY, workoutStartNY string // the newest night's and workout's start as shown in America/New_York
}

type tileFacts struct {
	Value string `json:"value"`
	Note  string `json:"note"`
}

// page is what run.mjs reads off the dashboard after a load.
type page struct {
	State         string               `json:"state"`
	Banner        string               `json:"banner"`
	Caption       string               `json:"caption"`
	CaptionKind   string               `json:"captionKind"`
	ContentClass  string               `json:"contentClass"`
	URL           string               `json:"url"`
	Canvases      int                  `json:"canvases"`
	Charts        []string             `json:"charts"`
	ChartLabels   []string             `json:"chartLabels"`
	Titles        []string             `json:"titles"`
	StepsPoints   int                  `json:"stepsPoints"`
	HeartPoints   int                  `json:"heartPoints"`
	Empties       []string             `json:"empties"`
	Nights        int                  `json:"nights"`
	Naps          int                  `json:"naps"`
	StageSegments int                  `json:"stageSegments"`
	NightTimes    []string             `json:"nightTimes"`
	Workouts      int                  `json:"workouts"`
	WorkoutWhen   []string             `json:"workoutWhen"`
	SyncRows      int                  `json:"syncRows"`
	StaleRows     []string             `json:"staleRows"`
	StaleHint     string               `json:"staleHint"`
	Devices       []string             `json:"devices"`
	Tiles         map[string]tileFacts `json:"tiles"`
	TileBoxes     [][2]int             `json:"tileBoxes"`
	Pressed       []string             `json:"pressed"`
	Text          string               `json:"text"`
	PaintedPixels []int                `json:"paintedPixels"`
	SmallestFont  float64              `json:"smallestFont"`
}

type fit struct {
	ScrollWidth int `json:"scrollWidth"`
	InnerWidth  int `json:"innerWidth"`
}

type report struct {
	GraphiQL struct {
		Response   string `json:"response"`
		Headers    string `json:"headers"`
		Tabs       int    `json:"tabs"`
		Sent       string `json:"sent"`
		Saved      string `json:"saved"`
		Reloaded   string `json:"headersAfterReload"`
		Tabs2      int    `json:"tabsAfterReload"`
		Stored     bool   `json:"tokenInLocalStorage"`
		DailySteps string `json:"dailyStepsVariables"`
	} `json:"graphiql"`
	Dashboard struct {
		page
		Fit            fit      `json:"fit"`
		Readout        []string `json:"readout"`
		SourcesPoints  int      `json:"sourcesPoints"`
		SourceSeries   []string `json:"sourceSeries"`
		SourcesPressed string   `json:"sourcesPressed"`
		SourcesURL     string   `json:"sourcesURL"`
		Tables         []struct {
			ID       string `json:"id"`
			Rows     int    `json:"rows"`
			Canvases int    `json:"canvases"`
		} `json:"tables"`
		Live        string `json:"live"`
		LiveDevices int    `json:"liveDevices"`
		AfterReload struct {
			Token    bool   `json:"token"`
			State    string `json:"state"`
			From, To string
			TZ       string `json:"tz"`
		} `json:"afterReload"`
	} `json:"dashboard"`
	Phone struct {
		page
		Fit                   fit      `json:"fit"`
		TablesFit             fit      `json:"tablesFit"`
		GraphiQLFit           fit      `json:"graphiqlFit"`
		GraphiQLResponseWidth int      `json:"graphiqlResponseWidth"`
		Readout               []string `json:"readout"`
	} `json:"phone"`
	Zone struct {
		page
		Unknown  page `json:"unknown"`
		Reversed page `json:"reversed"`
	} `json:"zone"`
	BadToken page `json:"badToken"`
	Empty    struct {
		page
		Jumped page `json:"jumped"`
	} `json:"empty"`
	ServerError struct {
		page
		Recovered page `json:"recovered"`
	} `json:"serverError"`
	// Loading is the page read while a load is held in flight, and its state once the answer arrived.
	Loading struct {
		State        string `json:"state"`
		LoadDisabled bool   `json:"loadDisabled"`
		ContentClass string `json:"contentClass"`
		AriaBusy     string `json:"ariaBusy"`
		CaptionKind  string `json:"captionKind"`
		Caption      string `json:"caption"`
		Opacity      string `json:"opacity"`
		After        string `json:"after"`
	} `json:"loading"`
	Year    map[string]page `json:"year"`
	Timings []struct {
		Viewport      string    `json:"viewport"`
		Range         string    `json:"range"`
		Days          int       `json:"days"`
		MedianMs      float64   `json:"medianMs"`
		RunsMs        []float64 `json:"runsMs"`
		LoadToChartMs []float64 `json:"loadToChartMs"`
		RequestsMs    []string  `json:"requestsMs"`
		Charts        int       `json:"charts"`
	} `json:"timings"`
	Axe []struct {
		Where   string   `json:"where"`
		ID      string   `json:"id"`
		Impact  string   `json:"impact"`
		Help    string   `json:"help"`
		Targets []string `json:"targets"`
	} `json:"axe"`
	Overflow      []json.RawMessage `json:"overflow"`
	ConsoleErrors []string          `json:"consoleErrors"`
	Foreign       []string          `json:"foreignRequests"`
}

// internalNames must never reach a person: catalog keys, model identifiers, install ids.
var internalNames = []string{"active_energy_burned", "blood_pressure_systolic", "body_mass", "hrv_sdnn", "heart_rate",
	"iPhone15,2", "Watch6,7", "iphone-1", "pixel-8", "apple-export", "UNAUTHENTICATED", "HKQuantity"}

func check(t *testing.T, r report, shots string, want expect) {
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
	checkDailyStepsRange(t, g.DailySteps)

	d := r.Dashboard
	if d.State != "loaded" {
		t.Fatalf("dashboard state %q, banner %q", d.State, d.Banner)
	}
	checkLoaded(t, "desktop", d.page, 10)
	if d.Fit.ScrollWidth > d.Fit.InnerWidth {
		t.Errorf("desktop: the page is %d px wide in a %d px window", d.Fit.ScrollWidth, d.Fit.InnerWidth)
	}
	if len(d.Readout) != 2 || d.Readout[0] == "" || d.Readout[1] == d.Readout[0] || !strings.Contains(d.Readout[1], "steps") {
		t.Errorf("clicking a day of the steps chart: readout %q, want that day's steps in text", d.Readout)
	}
	// By source: the watch and the phone on 10 days, the Health Connect app on 3.
	if d.SourcesPoints != 23 || len(d.SourceSeries) != 3 || d.SourcesPressed != "true" || !strings.Contains(d.SourcesURL, "view=sources") {
		t.Errorf("per-source view: %d bars, series %v, aria-pressed %q, URL %q; want 23 bars of 3 sources, pressed, in the URL",
			d.SourcesPoints, d.SourceSeries, d.SourcesPressed, d.SourcesURL)
	}
	if !slices.Contains(d.SourceSeries, "Apple Watch Series 7") {
		t.Errorf("per-source series %q: want the watch named by its model", d.SourceSeries)
	}
	tables := map[string]int{}
	for _, tb := range d.Tables {
		if tb.Canvases != 0 {
			t.Errorf("table view: %s still draws %d canvases", tb.ID, tb.Canvases)
		}
		tables[tb.ID] = tb.Rows
	}
	if tables["card-steps"] != 10 || tables["card-heart_rate"] != 10 || tables["card-body_mass"] != 3 || tables["card-blood_pressure"] != 2 {
		t.Errorf("table view rows per chart: %v; want steps 10, heart rate 10, weight 3, blood pressure 2", tables)
	}
	// An upload from a third device while the page is open shows up through syncEvents, well before a poll would.
	if d.LiveDevices != 3 || !strings.HasPrefix(d.Live, "live") {
		t.Errorf("live update: %d devices after an upload from a new one, badge %q; want 3 and live", d.LiveDevices, d.Live)
	}
	if a := d.AfterReload; !a.Token || a.State != "loaded" || a.TZ != "Europe/Zurich" || a.From == "" || a.To == "" {
		t.Errorf("after a reload: %+v; want the token (session storage) and the range and zone (URL) kept", a)
	}

	p := r.Phone
	checkLoaded(t, "phone", p.page, 11) // and the live upload of today
	for name, f := range map[string]fit{"dashboard": p.Fit, "dashboard tables": p.TablesFit, "GraphiQL": p.GraphiQLFit} {
		if f.InnerWidth != 390 || f.ScrollWidth > f.InnerWidth {
			t.Errorf("phone, %s: the page is %d px wide on a %d px screen", name, f.ScrollWidth, f.InnerWidth)
		}
	}
	if p.GraphiQLResponseWidth < 280 {
		t.Errorf("phone: GraphiQL's result pane is %d px wide", p.GraphiQLResponseWidth)
	}
	// Tiles two by two: the second beside the first, the third under it.
	if b := p.TileBoxes; len(b) != 4 || b[0][1] != b[1][1] || b[1][0] <= b[0][0] || b[2][1] <= b[0][1] || b[2][0] != b[0][0] {
		t.Errorf("phone tiles at %v, want 2 x 2", p.TileBoxes)
	}
	if len(p.Readout) != 2 || p.Readout[1] == p.Readout[0] || !strings.Contains(p.Readout[1], "bpm") {
		t.Errorf("tapping the heart rate chart on a phone: readout %q", p.Readout)
	}

	z := r.Zone
	if z.State != "loaded" || !strings.Contains(z.Caption, "Times in America/New_York") || !strings.Contains(z.URL, "tz=America%2FNew_York") {
		t.Errorf("zone change: state %q, caption %q, URL %q", z.State, z.Caption, z.URL)
	}
	if len(z.NightTimes) == 0 || !strings.HasPrefix(z.NightTimes[0], want.nightStartNY) {
		t.Errorf("zone change: the newest night shows %q, want it to start at %s New York time", z.NightTimes, want.nightStartNY)
	}
	if len(z.WorkoutWhen) == 0 || !strings.Contains(z.WorkoutWhen[0], want.workoutStartNY) {
		t.Errorf("zone change: the newest workout shows %q, want %s New York time", z.WorkoutWhen, want.workoutStartNY)
	}
	if u := z.Unknown; u.State != "error" || !strings.Contains(u.Banner, "not a time zone") || u.Canvases != 0 || u.CaptionKind != "none" {
		t.Errorf("unknown zone: state %q, banner %q, %d canvases, caption %q; want an error and no data", u.State, u.Banner, u.Canvases, u.Caption)
	}

	if u := z.Reversed; u.State != "error" || !strings.Contains(u.Banner, "From must not be after To") || u.Canvases != 0 || u.Nights != 0 {
		t.Errorf("From after To: state %q, banner %q, %d canvases, %d nights; want an error and no data", u.State, u.Banner, u.Canvases, u.Nights)
	}

	e := r.Empty
	if e.State != "loaded" || e.Canvases != 0 || e.Tiles["steps"].Value != "–" || e.Tiles["workouts"].Value != "–" {
		t.Errorf("empty range: state %q, %d canvases, tiles %v", e.State, e.Canvases, e.Tiles)
	}
	if !anyContains(e.Empties, "Your steps data runs from") || !anyContains(e.Empties, "newest sleep data") {
		t.Errorf("empty range: the cards say %q; want them to say where the data is", e.Empties)
	}

	if j := e.Jumped; j.State != "loaded" || j.StepsPoints < 10 {
		t.Errorf("the empty steps card's button to where the data is: state %q, %d days of steps", j.State, j.StepsPoints)
	}

	s := r.ServerError
	if s.State != "error" || !strings.Contains(s.Banner, "HTTP 502") || !strings.Contains(s.ContentClass, "stale") ||
		s.CaptionKind != "stale" || !strings.Contains(s.Caption, "Out of date") {
		t.Errorf("502 from the proxy: state %q, banner %q, content %q, caption %q; want the old data marked out of date",
			s.State, s.Banner, s.ContentClass, s.Caption)
	}
	if rc := s.Recovered; rc.State != "loaded" || strings.Contains(rc.ContentClass, "stale") || rc.Banner != "" {
		t.Errorf("after the proxy is back: state %q, content %q, banner %q", rc.State, rc.ContentClass, rc.Banner)
	}

	// While a load is in flight the previous answer is dimmed and captioned as loading, and Load cannot be pressed.
	if l := r.Loading; l.State != "loading" || !l.LoadDisabled || !strings.Contains(l.ContentClass, "loading") ||
		l.AriaBusy != "true" || l.CaptionKind != "loading" || !strings.Contains(l.Caption, "Loading") || l.Opacity == "" || l.Opacity == "1" ||
		l.After != "loaded" {
		t.Errorf("a load in flight: %+v; want state loading, Load disabled, the cards dimmed and busy, a loading caption, then loaded", l)
	}

	b := r.BadToken
	if b.State != "error" || !strings.Contains(b.Banner, "token was not accepted") || !strings.Contains(b.Banner, "healthsync token") ||
		b.Canvases != 0 || b.Tiles["steps"].Value != "–" || b.Workouts != 0 {
		t.Errorf("bad token: state %q, banner %q, %d canvases, steps tile %v; want a message saying what to do and no data",
			b.State, b.Banner, b.Canvases, b.Tiles["steps"])
	}
	for _, bad := range internalNames {
		if strings.Contains(b.Banner, bad) {
			t.Errorf("bad token banner shows %q: %q", bad, b.Banner)
		}
	}

	for vp, y := range r.Year {
		if y.State != "loaded" || y.StepsPoints < 360 || y.HeartPoints < 360 {
			t.Errorf("a year on the %s: state %q, %d days of steps, %d of heart rate", vp, y.State, y.StepsPoints, y.HeartPoints)
		}
		// bob has no resting heart rate samples but a watch worn day and night: the tile shows an estimate.
		// Every night bottoms out at 58 bpm (the hourly readings cycle through 58-64 while asleep).
		if y.Tiles["resting"].Value != "58 bpm" || !strings.Contains(y.Tiles["resting"].Note, "estimated") {
			t.Errorf("a year on the %s: resting heart rate tile %v, want an estimate", vp, y.Tiles["resting"])
		}
	}
	if len(r.Year) != 2 || len(r.Timings) != 4 {
		t.Errorf("measured %d timings, %d year pages; want 30 days and a year on both screens", len(r.Timings), len(r.Year))
	}

	for _, v := range r.Axe {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe-core, %s: %s (%s): %s at %v", v.Where, v.ID, v.Impact, v.Help, v.Targets)
		}
	}
	for _, o := range r.Overflow {
		t.Errorf("wider than the screen: %s", o)
	}
	if len(r.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", r.ConsoleErrors)
	}
	if len(r.Foreign) > 0 {
		t.Errorf("requests that left the server (a CDN?): %q", r.Foreign)
	}
	for _, f := range []string{"graphiql.png", "graphiql-phone.png", "dashboard.png", "dashboard-phone.png", "dashboard-by-source.png",
		"dashboard-new-york.png", "dashboard-empty.png", "dashboard-502.png", "dashboard-bad-token.png", "dashboard-tables.png"} {
		if st, err := os.Stat(filepath.Join(shots, f)); err != nil || st.Size() < 10000 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
}

// checkLoaded judges alice's fourteen days as a screen shows them.
func checkLoaded(t *testing.T, screen string, d page, stepDays int) {
	t.Helper()
	if d.State != "loaded" {
		t.Fatalf("%s: dashboard state %q, banner %q", screen, d.State, d.Banner)
	}
	if !strings.Contains(d.Caption, "Times in Europe/Zurich") || d.CaptionKind != "data" {
		t.Errorf("%s: caption %q, want the range and the zone named", screen, d.Caption)
	}
	// 10 days of steps and heart rate were seeded: every one must be a point.
	if d.StepsPoints != stepDays || d.HeartPoints != 10 {
		t.Errorf("%s: points: steps %d, heart %d, want %d and 10", screen, d.StepsPoints, d.HeartPoints, stepDays)
	}
	// A chart for every metric with data, blood pressure as one.
	wantCharts := []string{"chart-steps", "chart-heart_rate", "chart-active_energy_burned", "chart-body_mass", "chart-blood_pressure", "chart-hrv_sdnn"}
	for _, c := range wantCharts {
		if !slices.Contains(d.Charts, c) {
			t.Errorf("%s: charts %v lack %s", screen, d.Charts, c)
		}
	}
	if len(d.Charts) != len(wantCharts) {
		t.Errorf("%s: charts %v, want %v", screen, d.Charts, wantCharts)
	}
	for _, title := range []string{"Active energy", "Weight", "Blood pressure", "Heart rate variability (SDNN)"} {
		if !slices.Contains(d.Titles, title) {
			t.Errorf("%s: chart titles %q lack %q", screen, d.Titles, title)
		}
	}
	if d.Canvases < len(wantCharts) {
		t.Errorf("%s: %d chart canvases", screen, d.Canvases)
	}
	for i, p := range d.PaintedPixels {
		if p < 200 {
			t.Errorf("%s: chart %d painted only %d coloured pixels", screen, i, p)
		}
	}
	if len(d.ChartLabels) < len(wantCharts) || !strings.Contains(d.ChartLabels[0], fmt.Sprintf("%d days with data", stepDays)) {
		t.Errorf("%s: text alternatives of the charts: %q", screen, d.ChartLabels)
	}
	if d.Nights != 7 || d.Naps != 1 || d.StageSegments < 6*7 {
		t.Errorf("%s: sleep: %d sessions, %d naps, %d stage segments; want 7, 1, ≥42", screen, d.Nights, d.Naps, d.StageSegments)
	}
	if d.Workouts != 3 {
		t.Errorf("%s: %d workouts, want 3", screen, d.Workouts)
	}
	if len(d.Devices) < 2 || !slices.Contains(d.Devices, "iPhone 14 Pro") || !slices.Contains(d.Devices, "Pixel 8") {
		t.Errorf("%s: sync panel devices %q, want iPhone 14 Pro and Pixel 8", screen, d.Devices)
	}
	if len(d.StaleRows) != 1 || d.StaleRows[0] != "hrv_sdnn" || !strings.Contains(d.StaleHint, "Health permissions") {
		t.Errorf("%s: sync panel: stale %v, hint %q", screen, d.StaleRows, d.StaleHint)
	}
	// alice's watch records heart rate six times a day: too little to estimate a resting rate, and the tile says so.
	if r := d.Tiles["resting"]; r.Value != "–" || !strings.Contains(r.Note, "no resting samples") {
		t.Errorf("%s: resting heart rate tile %v, want it empty with the reason", screen, r)
	}
	if w := d.Tiles["workouts"]; w.Value != "3" {
		t.Errorf("%s: workouts tile %v", screen, w)
	}
	for _, bad := range internalNames {
		if strings.Contains(d.Text, bad) {
			t.Errorf("%s: the page shows the internal name %q", screen, bad)
		}
	}
	if d.SmallestFont < 13 {
		t.Errorf("%s: text as small as %.1f px", screen, d.SmallestFont)
	}
	if !slices.Contains(d.Pressed, "Merged=true") || !slices.Contains(d.Pressed, "By source=false") || !slices.Contains(d.Pressed, "Charts=true") {
		t.Errorf("%s: toggles %q, want aria-pressed on each button", screen, d.Pressed)
	}
}

// checkDailyStepsRange: GraphiQL's saved daily-steps operation asks for whole local days (midnight to midnight).
func checkDailyStepsRange(t *testing.T, variables string) {
	t.Helper()
	var v struct {
		From     time.Time `json:"from"`
		To       time.Time `json:"to"`
		TimeZone string    `json:"timeZone"`
	}
	if err := json.Unmarshal([]byte(variables), &v); err != nil {
		t.Errorf("GraphiQL DailySteps variables %q: %v", variables, err)
		return
	}
	loc, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		t.Errorf("GraphiQL DailySteps time zone %q: %v", v.TimeZone, err)
		return
	}
	for _, x := range []time.Time{v.From, v.To} {
		if l := x.In(loc); l.Hour() != 0 || l.Minute() != 0 {
			t.Errorf("GraphiQL DailySteps range %s – %s: %s is not a local midnight in %s", v.From, v.To, x, v.TimeZone)
		}
	}
	if days := v.To.Sub(v.From).Hours() / 24; days < 13.9 || days > 14.1 {
		t.Errorf("GraphiQL DailySteps range spans %.2f days, want 14", days)
	}
}

func anyContains(xs []string, sub string) bool {
	return slices.ContainsFunc(xs, func(x string) bool { return strings.Contains(x, sub) })
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
	// What an Apple Health export brings besides: weight, blood pressure and active energy, each needs a chart.
	for i, day := range []int{2, 5, 8} {
		samples = append(samples, quantity("HKQuantityTypeIdentifierBodyMass", "kg", 71.5+0.4*float64(i), at(day, 7, 30), at(day, 7, 30), phone))
	}
	for i, day := range []int{3, 6} {
		samples = append(samples,
			quantity("HKQuantityTypeIdentifierBloodPressureSystolic", "mmHg", float64(121+4*i), at(day, 8, 0), at(day, 8, 0), phone),
			quantity("HKQuantityTypeIdentifierBloodPressureDiastolic", "mmHg", float64(79+2*i), at(day, 8, 0), at(day, 8, 0), phone))
	}
	for day := 1; day <= 10; day++ {
		samples = append(samples, quantity("HKQuantityTypeIdentifierActiveEnergyBurned", "kcal", float64(380+20*day), at(day, 9, 0), at(day, 20, 0), watch))
	}
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

// seedYear uploads a year of one user's data as a watch worn day and night records it: steps four times a day,
// heart rate every hour (no resting heart rate samples, so the dashboard estimates one), active energy daily,
// weight and blood pressure weekly. It is what the time to the first chart is measured on.
func seedYear(t *testing.T, base, tok string, today time.Time) {
	t.Helper()
	watch := map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.9F00", "productType": "Watch7,2"}
	phone := map[string]any{"name": "iPhone", "bundleId": "com.apple.health.9F01", "productType": "iPhone16,1"}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	n := 0
	var batch []map[string]any
	flush := func() {
		if len(batch) == 0 {
			return
		}
		upload(t, base, tok, map[string]any{"idempotencyKey": fmt.Sprintf("browser-year-%d", n), "provider": "APPLE_HEALTH",
			"device":  map[string]any{"id": "bob-iphone", "model": "iPhone16,1", "timeZone": "Europe/Zurich"},
			"samples": batch}, len(batch))
		batch = nil
	}
	add := func(typ, unit string, v float64, start, end time.Time, src map[string]any) {
		n++
		batch = append(batch, map[string]any{"id": fmt.Sprintf("BBBBBBBB-0000-4000-8000-%012d", n), "type": typ, "value": v,
			"unit": unit, "start": ts(start), "end": ts(end), "source": src})
		if len(batch) == 5000 {
			flush()
		}
	}
	for day := 1; day <= 365; day++ {
		for i, h := range []int{8, 12, 17, 20} {
			add("HKQuantityTypeIdentifierStepCount", "count", float64(1500+(day*37+i*500)%2500), at(today, day, h, 0), at(today, day, h+1, 0), watch)
		}
		for h := 0; h < 24; h++ {
			bpm := 58 + float64((day+h)%7)
			if h >= 8 && h < 22 {
				bpm += 20 + float64(h%5)*4
			}
			add("HKQuantityTypeIdentifierHeartRate", "count/min", bpm, at(today, day, h, 20), at(today, day, h, 20), watch)
		}
		add("HKQuantityTypeIdentifierActiveEnergyBurned", "kcal", float64(300+day%200), at(today, day, 9, 0), at(today, day, 21, 0), watch)
		if day%7 == 0 {
			add("HKQuantityTypeIdentifierBodyMass", "kg", 80-float64(day)/100, at(today, day, 7, 0), at(today, day, 7, 0), phone)
			add("HKQuantityTypeIdentifierBloodPressureSystolic", "mmHg", float64(118+day%9), at(today, day, 7, 5), at(today, day, 7, 5), phone)
			add("HKQuantityTypeIdentifierBloodPressureDiastolic", "mmHg", float64(76+day%5), at(today, day, 7, 5), at(today, day, 7, 5), phone)
		}
	}
	flush()
}

func runNode(node string, env []string, stdout, stderr *bytes.Buffer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
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
