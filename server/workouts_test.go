package server_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

var stravaSource = map[string]any{"name": "Strava", "bundleId": "com.strava.stravaride", "version": "412.0"}

func workoutID(n int) string { return fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", n) }

func workoutIn(n int, activity string, start, end time.Time, source map[string]any) map[string]any {
	return map[string]any{"id": workoutID(n), "activityType": activity, "start": start.Format(time.RFC3339Nano),
		"end": end.Format(time.RFC3339Nano), "source": source}
}

// upload sends one batch of workouts and heart-rate samples and checks that all of it was accepted.
func (a *app) upload(tok, key string, workouts []map[string]any, samples []map[string]any) {
	a.t.Helper()
	vars := ingestInput(key, samples...)
	vars["input"].(map[string]any)["workouts"] = workouts
	var res ingestResult
	a.do(tok, ingestMutation, vars).decode(a.t, &res)
	if want := len(workouts) + len(samples); res.IngestBatch.Accepted != want || len(res.IngestBatch.Rejected) != 0 {
		a.t.Fatalf("upload %s: %+v, want %d accepted", key, res.IngestBatch, want)
	}
}

const workoutsQuery = `query W($from: Time!, $to: Time!, $first: Int, $after: String) {
  workouts(from: $from, to: $to, first: $first, after: $after) {
    edges { cursor node { id activityType start end durationSeconds averageHeartRate maxHeartRate
      source { id name bundleId } alsoRecordedBy { id name bundleId } } }
    pageInfo { hasNextPage endCursor }
  }
}`

type workoutNode struct {
	ID               string   `json:"id"`
	ActivityType     string   `json:"activityType"`
	Start            string   `json:"start"`
	AverageHeartRate *float64 `json:"averageHeartRate"`
	MaxHeartRate     *float64 `json:"maxHeartRate"`
	Source           struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"source"`
	AlsoRecordedBy []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"alsoRecordedBy"`
}

type workoutPage struct {
	Workouts struct {
		Edges []struct {
			Cursor string      `json:"cursor"`
			Node   workoutNode `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"workouts"`
}

func (a *app) workouts(tok string, from, to time.Time, first int, after *string) workoutPage {
	a.t.Helper()
	vars := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "first": first}
	if after != nil {
		vars["after"] = *after
	}
	var p workoutPage
	a.do(tok, workoutsQuery, vars).decode(a.t, &p)
	return p
}

var wday = day0.AddDate(0, 0, -40) // workouts over 30 days from here stay in the past

func TestWorkoutsRecordedTwiceAreReturnedOnce(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	run := wday.Add(7 * time.Hour)
	ride := wday.Add(12 * time.Hour)
	// Strava uploads first, so that the watch winning is priority and not arrival order.
	a.upload(tok, "strava", []map[string]any{
		// 07:03–08:01 against the watch's 07:00–07:55: 52 min overlap ≥ 80% of the watch's 55 min.
		workoutIn(1, "running", run.Add(3*time.Minute), run.Add(61*time.Minute), stravaSource),
		// 12:30–13:30 against 12:00–13:00: 30 min overlap < 80% of 60 min.
		workoutIn(2, "cycling", ride.Add(30*time.Minute), ride.Add(90*time.Minute), stravaSource),
	}, nil)
	a.upload(tok, "watch", []map[string]any{
		workoutIn(3, "HKWorkoutActivityTypeRunning", run, run.Add(55*time.Minute), watchSource),
		workoutIn(4, "cycling", ride, ride.Add(60*time.Minute), watchSource),
	}, nil)

	p := a.workouts(tok, wday, wday.Add(24*time.Hour), 20, nil)
	got := p.Workouts.Edges
	if len(got) != 3 || p.Workouts.PageInfo.HasNextPage {
		t.Fatalf("want 3 workouts on one page (the run once, the ride twice), got %+v", p.Workouts)
	}
	// Newest first: Strava's ride at 12:30, the watch's ride at 12:00, the run at 07:00.
	wantIDs := []string{workoutID(2), workoutID(4), workoutID(3)}
	for i, e := range got {
		if e.Node.ID != wantIDs[i] {
			t.Fatalf("edge %d is %s, want %s", i, e.Node.ID, wantIDs[i])
		}
	}
	runNode := got[2].Node
	if runNode.Source.Name != "Apple Watch" || runNode.ActivityType != "running" || len(runNode.AlsoRecordedBy) != 1 ||
		runNode.AlsoRecordedBy[0].Name != "Strava" {
		t.Fatalf("the run must come from the watch with Strava in alsoRecordedBy: %+v", runNode)
	}
	for _, e := range got[:2] {
		if len(e.Node.AlsoRecordedBy) != 0 {
			t.Fatalf("rides overlapping 50%% are two workouts with no other recorder: %+v", e.Node)
		}
	}
	if got[0].Node.Source.Name != "Strava" || got[1].Node.Source.Name != "Apple Watch" {
		t.Fatalf("ride sources: %s, %s", got[0].Node.Source.Name, got[1].Node.Source.Name)
	}

	// The hidden recording stays hidden when the range holds only it: the run is the watch's, which starts
	// before `from` here.
	p = a.workouts(tok, run.Add(time.Minute), run.Add(time.Hour), 20, nil)
	if len(p.Workouts.Edges) != 0 {
		t.Fatalf("a duplicate must not surface when its primary starts outside the range: %+v", p.Workouts.Edges)
	}
}

func TestWorkoutsPaginationVisitsEachOnce(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	var ws []map[string]any
	want := map[string]bool{} // the id each session must be shown under
	for i := 0; i < 24; i++ {
		s := wday.Add(time.Duration(i) * 2 * time.Hour)
		watch, strava := i%3 != 0, i%3 == 0 || i%2 == 0
		if watch {
			ws = append(ws, workoutIn(100+i, "running", s, s.Add(40*time.Minute), watchSource))
			want[workoutID(100+i)] = true
		}
		if strava {
			ws = append(ws, workoutIn(200+i, "running", s.Add(time.Minute), s.Add(39*time.Minute), stravaSource))
			if !watch {
				want[workoutID(200+i)] = true
			}
		}
	}
	// A walk starting at the same instant as run 4 is another workout: the tie, which falls on the boundary of pages 2 and 3, is broken by id.
	tie := wday.Add(8 * time.Hour)
	ws = append(ws, workoutIn(300, "walking", tie, tie.Add(20*time.Minute), watchSource))
	want[workoutID(300)] = true
	if len(want) != 25 {
		t.Fatalf("fixture: %d distinct workouts, want 25", len(want))
	}
	a.upload(tok, "many", ws, nil)

	seen := map[string]int{}
	var after *string
	var sizes []int
	var lastStart time.Time
	lastID := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		p := a.workouts(tok, wday, wday.Add(72*time.Hour), 10, after)
		sizes = append(sizes, len(p.Workouts.Edges))
		for _, e := range p.Workouts.Edges {
			seen[e.Node.ID]++
			st, err := time.Parse(time.RFC3339Nano, e.Node.Start)
			if err != nil {
				t.Fatal(err)
			}
			if lastID != "" && (st.After(lastStart) || st.Equal(lastStart) && e.Node.ID > lastID) {
				t.Fatalf("not newest first: %s %s after %s %s", st, e.Node.ID, lastStart, lastID)
			}
			lastStart, lastID = st, e.Node.ID
		}
		if n := len(p.Workouts.Edges); n > 0 && *p.Workouts.PageInfo.EndCursor != p.Workouts.Edges[n-1].Cursor {
			t.Fatalf("endCursor %s is not the last edge's cursor", *p.Workouts.PageInfo.EndCursor)
		}
		if !p.Workouts.PageInfo.HasNextPage {
			break
		}
		after = p.Workouts.PageInfo.EndCursor
	}
	if fmt.Sprint(sizes) != "[10 10 5]" {
		t.Fatalf("page sizes %v, want [10 10 5]", sizes)
	}
	for id, n := range seen {
		if n != 1 || !want[id] {
			t.Errorf("workout %s seen %d times (expected on a page: %v)", id, n, want[id])
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("saw %d workouts, want %d", len(seen), len(want))
	}
}

func TestWorkoutHeartRate(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	s1 := wday.Add(7 * time.Hour)
	s2 := wday.Add(18 * time.Hour)
	s3 := wday.Add(21 * time.Hour)
	withMeta := workoutIn(2, "cycling", s2, s2.Add(30*time.Minute), watchSource)
	withMeta["metadata"] = map[string]any{"averageHeartRate": 133, "maxHeartRate": 171, "HKIndoorWorkout": true}
	a.upload(tok, "hr", []map[string]any{
		workoutIn(1, "running", s1, s1.Add(30*time.Minute), watchSource),
		withMeta,
		workoutIn(3, "yoga", s3, s3.Add(30*time.Minute), watchSource),
	}, []map[string]any{
		hrSample(uuid(1), s1.Add(-time.Second), 190), // before the run
		hrSample(uuid(2), s1, 100),
		hrSample(uuid(3), s1.Add(10*time.Minute), 120),
		hrSample(uuid(4), s1.Add(20*time.Minute), 140),
		hrSample(uuid(5), s1.Add(30*time.Minute-time.Second), 150),
		hrSample(uuid(6), s1.Add(30*time.Minute), 200), // at the end: outside [start, end)
		hrSample(uuid(7), s2.Add(5*time.Minute), 90),   // the ride's own statistics win over samples
	})

	p := a.workouts(tok, wday, wday.Add(24*time.Hour), 20, nil)
	byID := map[string]workoutNode{}
	for _, e := range p.Workouts.Edges {
		byID[e.Node.ID] = e.Node
	}
	check := func(id string, avg, max *float64) {
		t.Helper()
		n, ok := byID[id]
		if !ok {
			t.Fatalf("workout %s missing", id)
		}
		if !sameFloat(n.AverageHeartRate, avg) || !sameFloat(n.MaxHeartRate, max) {
			t.Errorf("%s heart rate avg %v max %v, want %v %v", id, show(n.AverageHeartRate), show(n.MaxHeartRate), show(avg), show(max))
		}
	}
	f := func(v float64) *float64 { return &v }
	check(workoutID(1), f((100+120+140+150)/4.0), f(150))
	check(workoutID(2), f(133), f(171))
	check(workoutID(3), nil, nil)
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestWorkoutsUserIsolation(t *testing.T) {
	a := newApp(t)
	alice, bob := a.token("alice"), a.token("bob")
	var ws []map[string]any
	for i := 0; i < 5; i++ {
		s := wday.Add(time.Duration(10+i) * time.Hour)
		ws = append(ws, workoutIn(i, "running", s, s.Add(30*time.Minute), watchSource))
	}
	a.upload(alice, "alice", ws, nil)
	if p := a.workouts(bob, wday, wday.Add(24*time.Hour), 20, nil); len(p.Workouts.Edges) != 0 {
		t.Fatalf("bob sees alice's workouts: %+v", p.Workouts.Edges)
	}
	// Bob's own workout, older than alice's cursor, is all that her cursor can show him.
	bs := wday.Add(8 * time.Hour)
	a.upload(bob, "bob", []map[string]any{workoutIn(50, "walking", bs, bs.Add(time.Hour), watchSource)}, nil)
	ap := a.workouts(alice, wday, wday.Add(24*time.Hour), 2, nil)
	if len(ap.Workouts.Edges) != 2 || !ap.Workouts.PageInfo.HasNextPage {
		t.Fatalf("alice's first page: %+v", ap.Workouts)
	}
	bp := a.workouts(bob, wday, wday.Add(24*time.Hour), 20, ap.Workouts.PageInfo.EndCursor)
	if len(bp.Workouts.Edges) != 1 || bp.Workouts.Edges[0].Node.ID != workoutID(50) {
		t.Fatalf("bob with alice's cursor: %+v", bp.Workouts.Edges)
	}
}

func TestWorkoutsRefuseBadArguments(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	vars := func(first any, after any) map[string]any {
		v := map[string]any{"from": wday.Format(time.RFC3339), "to": wday.Add(time.Hour).Format(time.RFC3339), "first": first}
		if after != nil {
			v["after"] = after
		}
		return v
	}
	for name, v := range map[string]map[string]any{
		"first 0":          vars(0, nil),
		"first 101":        vars(101, nil),
		"first negative":   vars(-5, nil),
		"after not base64": vars(10, "%%%"),
		"after not ours":   vars(10, "bm90LWEtY3Vyc29y"),
		"empty range":      {"from": wday.Format(time.RFC3339), "to": wday.Format(time.RFC3339)},
	} {
		if r := a.do(tok, workoutsQuery, v); r.code() != "BAD_USER_INPUT" {
			t.Errorf("%s: code %q, want BAD_USER_INPUT (%s)", name, r.code(), r.Raw)
		}
	}
	if r := a.do(a.token("alice", auth.ScopeIngest), workoutsQuery, vars(10, nil)); r.code() != "FORBIDDEN" {
		t.Errorf("without the read scope: code %q", r.code())
	}
}

// countingConnector wraps lib/pq's connector and counts the statements sent through its connections
// (BEGIN and COMMIT go through the driver's own transaction methods and are not counted).
type countingConnector struct {
	inner driver.Connector
	n     *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: c.n}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.inner.Driver() }

type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.n.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *countingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *countingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *countingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// newCountingApp is newApp over a database whose statements are counted.
func newCountingApp(t *testing.T) (*app, *atomic.Int64) {
	t.Helper()
	inner, err := pq.NewConnector(dbtest.NewDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int64)
	sqlDB := sql.OpenDB(countingConnector{inner: inner, n: n})
	t.Cleanup(func() { sqlDB.Close() })
	store := db.New(sqlx.NewDb(sqlDB, "postgres"), db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil),
		Catalog: cat, Verifier: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 4 << 20}))
	return &app{t: t, handler: h, signer: signer}, n
}

func TestWorkoutPageCostsConstantStatements(t *testing.T) {
	a, n := newCountingApp(t)
	tok := a.token("alice")
	var ws, hr []map[string]any
	for i := 0; i < 120; i++ {
		s := wday.Add(time.Duration(i) * 90 * time.Minute)
		ws = append(ws, workoutIn(i, "running", s, s.Add(45*time.Minute), watchSource))
		if i%2 == 0 { // half recorded twice
			ws = append(ws, workoutIn(1000+i, "running", s, s.Add(44*time.Minute), stravaSource))
		}
		for k := 0; k < 3; k++ {
			hr = append(hr, hrSample(uuid(10*i+k), s.Add(time.Duration(k)*10*time.Minute), 110+k))
		}
	}
	a.upload(tok, "bulk", ws, hr)

	count := func(first int) (int64, int) {
		a.workouts(tok, wday, wday.Add(30*24*time.Hour), first, nil) // warm: user lookup cached, pool filled
		before := n.Load()
		p := a.workouts(tok, wday, wday.Add(30*24*time.Hour), first, nil)
		return n.Load() - before, len(p.Workouts.Edges)
	}
	small, got10 := count(10)
	large, got100 := count(100)
	t.Logf("statements per workouts page: first=10 → %d, first=100 → %d", small, large)
	if got10 != 10 || got100 != 100 {
		t.Fatalf("page sizes %d and %d", got10, got100)
	}
	if large != small {
		t.Errorf("a page of 100 costs %d statements, a page of 10 costs %d: the cost must not grow with the page", large, small)
	}
	// set_config, sources, priority, page, heart rate.
	if large > 5 {
		t.Errorf("a page costs %d statements, want at most 5", large)
	}
	// The answer is still right at that size: every other run carries Strava, and ids never repeat.
	p := a.workouts(tok, wday, wday.Add(30*24*time.Hour), 100, nil)
	ids := make([]string, 0, 100)
	also := 0
	for _, e := range p.Workouts.Edges {
		ids = append(ids, e.Node.ID)
		also += len(e.Node.AlsoRecordedBy)
		if e.Node.AverageHeartRate == nil || *e.Node.AverageHeartRate != 111 || *e.Node.MaxHeartRate != 112 {
			t.Fatalf("%s heart rate %v/%v, want 111/112", e.Node.ID, show(e.Node.AverageHeartRate), show(e.Node.MaxHeartRate))
		}
	}
	sort.Strings(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("%s twice on one page", ids[i])
		}
	}
	if also != 50 {
		t.Fatalf("%d workouts with another recorder on the newest 100, want 50", also)
	}
}
