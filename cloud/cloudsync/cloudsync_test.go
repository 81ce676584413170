package cloudsync_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers"
	"healthsync/cloud/seal"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

type env struct {
	t      *testing.T
	d      *sqlx.DB
	store  *db.Store
	svc    *cloudsync.Service
	fake   *bandFake
	server *httptest.Server
	waits  []time.Duration
	mu     sync.Mutex
}

func newEnv(t *testing.T, tweak func(*cloudsync.Options)) *env {
	t.Helper()
	return newEnvLimited(t, tweak, 0)
}

func newEnvLimited(t *testing.T, tweak func(*cloudsync.Options), maxItems int) *env {
	t.Helper()
	d := dbtest.New(t)
	e := &env{t: t, d: d, store: db.New(d, db.Options{}), fake: newBandFake(t)}
	cat := catalog.New()
	ing := ingest.NewService(e.store, cat, ingest.Limits{MaxItems: maxItems}, nil)
	key, _ := seal.NewKey()
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.server = httptest.NewServer(mux)
	t.Cleanup(e.server.Close)
	o := cloudsync.Options{PublicURL: e.server.URL, BackfillDays: 30, ChunkDays: 3, APIBackoff: time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.waits = append(e.waits, d)
			return nil
		}}
	if tweak != nil {
		tweak(&o)
	}
	e.svc = cloudsync.New(e.store, ing, cat, box, []cloudsync.Provider{{Adapter: bandAdapter{}, Config: e.fake.config()}}, o)
	mux.Handle("/providers/", e.svc.Handler())
	return e
}

func (e *env) user(subject string) int64 {
	u, err := e.store.EnsureUser(context.Background(), subject)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// connect runs the browser's part of the OAuth dance and returns the callback's answer.
func (e *env) connect(userID int64) *http.Response {
	e.t.Helper()
	return newBrowser(e.t).open(e.link(userID).AuthorizeURL, 3)
}

// link runs connectProvider's part: the user's connection link.
func (e *env) link(userID int64) cloudsync.Authorization {
	e.t.Helper()
	a, err := e.svc.Connect(context.Background(), userID, ingest.OtherProvider)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// browser is a user's browser: it keeps cookies and follows redirects one at a time.
type browser struct {
	t testing.TB
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get makes one request and returns the answer (body closed), redirect or not.
func (b *browser) get(u string) *http.Response {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// open gets u and follows its redirects, expecting exactly hops requests in all, and returns the last answer
// (body closed).
func (b *browser) open(u string, hops int) *http.Response {
	b.t.Helper()
	for i := 1; ; i++ {
		resp := b.get(u)
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			if i != hops {
				b.t.Fatalf("%d requests to reach %s (%d), want %d", i, u, resp.StatusCode, hops)
			}
			return resp
		}
		if i == hops {
			b.t.Fatalf("still redirected (%d to %s) after %d requests", resp.StatusCode, loc, hops)
		}
		u = loc
	}
}

// start opens a connection link in a browser and returns the provider's authorization URL (not followed).
func (b *browser) start(link string) *url.URL {
	b.t.Helper()
	resp := b.get(link)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("the connection link answered %d", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// runWorker runs the worker loop (jobs and its hourly pruning, which runs at once) until it first goes idle:
// the test then sees what one pruning round did, however slow the database (Citus on a loaded machine took more
// than the 300 ms a fixed window gave it).
func (e *env) runWorker() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound, not a timing
	defer cancel()
	e.svc.RunUntilIdle(ctx)
}

func (e *env) runDue() int {
	e.t.Helper()
	n, err := e.svc.RunDue(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) int(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func day(offset int) string {
	return time.Now().UTC().AddDate(0, 0, offset).Format("2006-01-02")
}

type countingObserver struct {
	mu     sync.Mutex
	counts map[string]int
}

func (o *countingObserver) ObserveJob(p, kind, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts["job "+kind+" "+outcome]++
}

func (o *countingObserver) ObserveWebhook(p, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts["webhook "+outcome]++
}

func TestConnectBackfillCorrectDeleteDisconnect(t *testing.T) {
	t.Parallel()
	obs := &countingObserver{counts: map[string]int{}}
	e := newEnv(t, func(o *cloudsync.Options) { o.Observer = obs })
	for i := 1; i <= 5; i++ {
		e.fake.setDay(day(-i), 100*i, 200, 300) // 3 intervals a day
	}
	e.fake.setDay(day(-40), 999) // outside the 30-day backfill
	u := e.user("alice")

	if resp := e.connect(u); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback answered %d", resp.StatusCode)
	}
	var sealed []byte
	if err := e.d.Get(&sealed, `SELECT token_sealed FROM provider_connections WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("access-")) || bytes.Contains(sealed, []byte("refresh-")) {
		t.Fatal("the token is stored in the clear")
	}
	if got := e.int(`SELECT count(*) FROM provider_connections WHERE user_id = $1 AND provider_user_id = 'band-user-77' AND status = 'CONNECTED'`, u); got != 1 {
		t.Fatalf("connections = %d", got)
	}

	// Backfill: 30 days in chunks of 3 = 10 runs of one job; the first request met a 429 and was retried.
	if n := e.runDue(); n != 10 {
		t.Fatalf("ran %d job runs, want 10 (30 days in 3-day chunks)", n)
	}
	if len(e.waits) == 0 || e.waits[0] != time.Second {
		t.Fatalf("429 waits = %v, want the Retry-After of 1 s first", e.waits)
	}
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1 AND metric = 'steps'`, u); got != 15 {
		t.Fatalf("samples = %d, want 15 (5 days × 3 intervals)", got)
	}
	if got := e.int(`SELECT count(*) FROM daily_totals WHERE user_id = $1 AND metric = 'steps'`, u); got != 5 {
		t.Fatalf("daily totals = %d, want 5", got)
	}
	var cursor string
	if err := e.d.Get(&cursor, `SELECT cursor FROM sync_state WHERE user_id = $1 AND device_id = 'cloud:other' AND data_type = 'other:steps'`, u); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cursor, "30/30 days (done)") {
		t.Fatalf("progress cursor = %q", cursor)
	}
	if n := e.runDue(); n != 0 {
		t.Fatalf("%d jobs ran after the backfill; the poll is due in an hour", n)
	}

	// The same records fetched again (a poll, a retried job) write nothing.
	before := e.int(`SELECT count(*) FROM samples WHERE user_id = $1`, u)
	e.d.MustExec(`UPDATE provider_jobs SET run_at = now() WHERE user_id = $1 AND kind = 'POLL'`, u)
	if n := e.runDue(); n != 1 {
		t.Fatalf("poll runs = %d", n)
	}
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1`, u); got != before {
		t.Fatalf("a poll of unchanged records changed the samples: %d → %d", before, got)
	}

	// A correction: day -2 now has two intervals with other values. The webhook names the record; the job
	// fetches it; every item of the old version goes, including the interval the correction dropped.
	e.fake.setDay(day(-2), 50, 60)
	hook := e.server.URL + "/providers/other/webhook"
	if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "id": "day-" + day(-2)}, "wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("badly signed webhook answered %d", code)
	}
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE kind = 'FETCH_RECORD'`); got != 0 {
		t.Fatal("a badly signed webhook queued work")
	}
	if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "id": "day-" + day(-2)}, e.fake.secret); code != http.StatusNoContent {
		t.Fatalf("webhook answered %d", code)
	}
	if n := e.runDue(); n != 1 {
		t.Fatalf("webhook job runs = %d", n)
	}
	d2 := day(-2)
	if got := e.int(`SELECT coalesce(sum(value), 0)::int FROM samples WHERE user_id = $1 AND metric = 'steps' AND start_time::date = $2`, u, d2); got != 110 {
		t.Fatalf("corrected day sums to %d, want 110", got)
	}
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1 AND start_time::date = $2`, u, d2); got != 2 {
		t.Fatalf("corrected day has %d samples, want 2", got)
	}
	if got := e.int(`SELECT value::int FROM daily_totals WHERE user_id = $1 AND day = $2`, u, d2); got != 110 {
		t.Fatalf("corrected daily total = %d", got)
	}
	if got := e.int(`SELECT round(sum(prorated))::int FROM sample_hourly WHERE user_id = $1 AND metric = 'steps' AND hour::date = $2`, u, d2); got != 110 {
		t.Fatalf("hourly aggregate of the corrected day = %d, want 110", got)
	}

	// A deletion removes the record's items and its total.
	d3 := day(-3)
	if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "id": "day-" + d3, "deleted": true}, e.fake.secret); code != http.StatusNoContent {
		t.Fatalf("delete webhook answered %d", code)
	}
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1 AND start_time::date = $2`, u, d3); got != 0 {
		t.Fatalf("deleted record left %d samples", got)
	}
	if got := e.int(`SELECT count(*) FROM daily_totals WHERE user_id = $1 AND day = $2`, u, d3); got != 0 {
		t.Fatal("deleted record left its daily total")
	}

	// Disconnect: token forgotten, jobs cancelled, data kept.
	c, err := e.svc.Disconnect(context.Background(), u, ingest.OtherProvider)
	if err != nil || c == nil || c.Status != db.ConnDisconnected || c.TokenSealed != nil {
		t.Fatalf("disconnect = %+v, %v", c, err)
	}
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE user_id = $1 AND status IN ('QUEUED', 'RUNNING')`, u); got != 0 {
		t.Fatalf("%d jobs still pending after disconnect", got)
	}
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1`, u); got == 0 {
		t.Fatal("disconnect deleted the data")
	}
	// A webhook for the disconnected user is acknowledged and ignored.
	if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "id": "day-" + day(-1)}, e.fake.secret); code != http.StatusNoContent {
		t.Fatalf("webhook after disconnect answered %d", code)
	}
	if n := e.runDue(); n != 0 {
		t.Fatalf("%d jobs ran after disconnect", n)
	}
	want := map[string]int{"job BACKFILL ok": 10, "job POLL ok": 1, "job FETCH_RECORD ok": 1, "webhook refused": 1, "webhook stored": 3}
	for k, n := range want {
		if obs.counts[k] != n {
			t.Errorf("observer %q = %d, want %d (all: %v)", k, obs.counts[k], n, obs.counts)
		}
	}
}

func TestTokensAreRefreshedBeforeExpiryAndKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.oa.SetExpiresIn(60) // within RefreshAhead (5 min): every job refreshes first
	e.fake.setDay(day(-1), 10)
	u := e.user("bob")
	if resp := e.connect(u); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback answered %d", resp.StatusCode)
	}
	var first []byte
	_ = e.d.Get(&first, `SELECT token_sealed FROM provider_connections WHERE user_id = $1`, u)
	e.runDue()
	if e.fake.oa.Refreshes() == 0 {
		t.Fatal("no refresh although the token expires within a minute")
	}
	var now []byte
	_ = e.d.Get(&now, `SELECT token_sealed FROM provider_connections WHERE user_id = $1`, u)
	if bytes.Equal(first, now) {
		t.Fatal("the refreshed token was not stored")
	}
	// The fake rotates refresh tokens: a second round only works with the stored, rotated one.
	e.d.MustExec(`UPDATE provider_jobs SET run_at = now() WHERE user_id = $1 AND kind = 'POLL'`, u)
	e.runDue()
	var status string
	_ = e.d.Get(&status, `SELECT status FROM provider_connections WHERE user_id = $1`, u)
	if status != "CONNECTED" || e.fake.oa.Refreshes() < 2 {
		t.Fatalf("after a second refresh: status %s, refreshes %d", status, e.fake.oa.Refreshes())
	}
}

func TestRefusedTokenAsksTheUserToConnectAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.setDay(day(-1), 10)
	u := e.user("carol")
	e.connect(u)
	e.fake.mu.Lock()
	e.fake.oa.RevokeAll() // the provider revoked every token
	e.fake.mu.Unlock()
	e.runDue()
	var status string
	_ = e.d.Get(&status, `SELECT status FROM provider_connections WHERE user_id = $1`, u)
	if status != db.ConnReauthorize {
		t.Fatalf("status = %s, want REAUTHORIZE", status)
	}
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE user_id = $1 AND status = 'FAILED'`, u); got != 1 {
		t.Fatalf("failed jobs = %d", got)
	}
}

func TestStateIsBoundToUserProviderAndTime(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	e := newEnv(t, func(o *cloudsync.Options) { o.Now = func() time.Time { return clock() } })
	u := e.user("dave")
	a := e.link(u)
	if u, _ := url.Parse(a.AuthorizeURL); u.Path != "/providers/other/start" || u.Query().Get("ticket") == "" {
		t.Fatalf("connection link = %s", a.AuthorizeURL)
	}
	ticket, _ := url.Parse(a.AuthorizeURL)
	ctx := context.Background()
	redirect, key, _, err := e.svc.Start(ctx, ingest.OtherProvider, ticket.Query().Get("ticket"))
	if err != nil {
		t.Fatal(err)
	}
	au, _ := url.Parse(redirect)
	st := au.Query().Get("state")
	if au.Query().Get("redirect_uri") != e.server.URL+"/providers/other/callback" {
		t.Fatalf("redirect_uri = %s", au.Query().Get("redirect_uri"))
	}
	tampered := []byte(st)
	tampered[len(tampered)/2] ^= 1
	for name, s := range map[string]string{"tampered": string(tampered), "empty": "", "garbage": "abc",
		"the ticket instead": ticket.Query().Get("ticket")} {
		if _, err := e.svc.Callback(ctx, ingest.OtherProvider, s, "code-1", key); err == nil || !strings.Contains(err.Error(), "state") {
			t.Errorf("%s state: %v", name, err)
		}
	}
	if _, err := e.svc.Callback(ctx, ingest.OtherProvider, st, "code-1", "another browser's key"); err != cloudsync.ErrOtherBrowser {
		t.Errorf("callback with another browser's key: %v", err)
	}
	if _, err := e.svc.Callback(ctx, ingest.OtherProvider, st, "code-1", ""); err != cloudsync.ErrOtherBrowser {
		t.Errorf("callback without the browser's key: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if _, err := e.svc.Callback(ctx, ingest.OtherProvider, st, "code-1", key); err != cloudsync.ErrBadState {
		t.Errorf("expired state: %v", err)
	}
	// Through HTTP: a bad state is a 400 page, not a connection.
	resp, err := http.Get(e.server.URL + "/providers/other/callback?state=x&code=y")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback with a bad state answered %d", resp.StatusCode)
	}
	if got := e.int(`SELECT count(*) FROM provider_connections`); got != 0 {
		t.Fatal("a bad state stored a connection")
	}
}

// Several workers (processes) claim from one table: every job runs exactly once.
func TestJobsRunOnceAcrossWorkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for i := 1; i <= 29; i++ { // the window is today and the 29 days before
		e.fake.setDay(day(-i), i)
	}
	var users []int64
	for i := 0; i < 4; i++ {
		u := e.user("worker-user-" + string(rune('a'+i)))
		e.connect(u)
		users = append(users, u)
	}
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.fake.mu.Lock()
	total, dup := 0, 0
	for _, n := range e.fake.fetches {
		total += n
		if n > len(users) {
			dup++
		}
	}
	e.fake.mu.Unlock()
	if total != 10*len(users) {
		t.Fatalf("%d window fetches, want %d (10 chunks × %d users)", total, 10*len(users), len(users))
	}
	if dup != 0 {
		t.Fatalf("%d windows fetched more often than once per user", dup)
	}
	for _, u := range users {
		if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1`, u); got != 29 {
			t.Fatalf("user %d has %d samples, want 29", u, got)
		}
	}
}

// Row-level security: one user's transaction sees nothing of another's connection, jobs or totals.
func TestConnectionsAreScopedToTheirUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.setDay(day(-1), 10)
	a, b := e.user("erin"), e.user("frank")
	e.connect(a)
	e.runDue()
	ctx := context.Background()
	err := e.store.InUserTx(ctx, b, func(tx *db.Tx) error {
		cs, err := tx.Connections(ctx)
		if err != nil {
			return err
		}
		if len(cs) != 0 {
			t.Errorf("user b sees %d connections", len(cs))
		}
		jobs, err := tx.Jobs(ctx, string(ingest.OtherProvider))
		if err != nil {
			return err
		}
		if len(jobs) != 0 {
			t.Errorf("user b sees %d jobs", len(jobs))
		}
		ts, err := tx.DailyTotals(ctx, "steps", time.Now().AddDate(0, 0, -10), time.Now())
		if err != nil {
			return err
		}
		if len(ts) != 0 {
			t.Errorf("user b sees %d daily totals", len(ts))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.svc.Connections(ctx, a)
	if err != nil || len(cs) != 1 {
		t.Fatalf("user a's connections: %v, %v", cs, err)
	}
	var _ providers.Adapter = bandAdapter{}
}

// A fetch larger than one batch may hold is stored in several batches, records whole.
func TestLargeFetchesAreSplitIntoBatches(t *testing.T) {
	t.Parallel()
	e := newEnvLimited(t, nil, 100)
	steps := make([]int, 60)
	for i := range steps {
		steps[i] = i + 1
	}
	for i := 1; i <= 3; i++ { // 3 days in one 3-day chunk: 180 samples, with a batch limit of 100 items
		e.fake.setDay(day(-i), steps...)
	}
	u := e.user("gina")
	e.connect(u)
	e.runDue()
	if got := e.int(`SELECT count(*) FROM samples WHERE user_id = $1`, u); got != 180 {
		t.Fatalf("samples = %d, want 180", got)
	}
	var failed int
	_ = e.d.Get(&failed, `SELECT count(*) FROM provider_jobs WHERE status = 'FAILED' OR last_error IS NOT NULL`)
	if failed != 0 {
		t.Fatalf("%d jobs failed or carry an error", failed)
	}
}

// The worker loop deletes jobs that ended more than a week ago and keeps the rest.
func TestWorkerPrunesEndedJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	u := e.user("hana")
	e.d.MustExec(`INSERT INTO provider_jobs (user_id, provider, kind, data_type, status, run_at, created_at, updated_at)
		VALUES ($1, 'OTHER', 'FETCH_RECORD', 'steps', 'DONE', now(), now() - interval '9 days', now() - interval '8 days'),
		       ($1, 'OTHER', 'FETCH_RECORD', 'steps', 'DONE', now(), now(), now()),
		       ($1, 'OTHER', 'POLL', 'steps', 'QUEUED', now() + interval '1 hour', now() - interval '30 days', now() - interval '30 days')`, u)
	e.runWorker()
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE user_id = $1`, u); got != 2 {
		t.Fatalf("%d jobs left, want 2 (the recent DONE and the pending POLL)", got)
	}
}

// A user who withdraws access at the provider: the connection asks to be connected again, the token is
// forgotten and nothing more is fetched.
func TestWithdrawnAccessStopsTheConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.setDay(day(-1), 10)
	u := e.user("ivan")
	e.connect(u)
	hook := e.server.URL + "/providers/other/webhook"
	if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "revoked": true}, e.fake.secret); code != http.StatusNoContent {
		t.Fatalf("webhook answered %d", code)
	}
	var c struct {
		Status string  `db:"status"`
		Sealed []byte  `db:"token_sealed"`
		Err    *string `db:"last_error"`
	}
	if err := e.d.Get(&c, `SELECT status, token_sealed, last_error FROM provider_connections WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	if c.Status != db.ConnReauthorize || c.Sealed != nil || c.Err == nil || !strings.Contains(*c.Err, "withdrawn") {
		t.Fatalf("connection after withdrawal: %s, token kept %v, error %v", c.Status, c.Sealed != nil, c.Err)
	}
	if n := e.runDue(); n != 0 {
		t.Fatalf("%d jobs ran after access was withdrawn", n)
	}
}

// A data type the user did not grant (403) fails its own job at once; the connection stays connected.
func TestUngrantedDataTypeFailsAloneWithoutRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.forbid = true
	e.fake.n429 = 1 // no 429 first
	u := e.user("jo")
	e.connect(u)
	if n := e.runDue(); n != 1 {
		t.Fatalf("job runs = %d, want 1 (no retry of a refusal)", n)
	}
	var c struct {
		Status string  `db:"status"`
		Err    *string `db:"last_error"`
	}
	if err := e.d.Get(&c, `SELECT status, last_error FROM provider_connections WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	if c.Status != db.ConnConnected || c.Err == nil || !strings.Contains(*c.Err, "not granted") {
		t.Fatalf("connection: %s, %v", c.Status, c.Err)
	}
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE user_id = $1 AND status = 'FAILED'`, u); got != 1 {
		t.Fatalf("failed jobs = %d", got)
	}
}

// A reloaded callback page sends the spent code again: the user is told they are connected, not that it failed.
func TestReloadedCallbackStillSaysConnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	u := e.user("kim")
	a := e.link(u)
	b := newBrowser(t)
	au := b.start(a.AuthorizeURL)
	resp := b.get(au.String()) // the fake's consent page sends the browser straight back
	for i := 0; i < 2; i++ {
		cb := b.open(resp.Header.Get("Location"), 1)
		if cb.StatusCode != http.StatusOK {
			t.Fatalf("callback %d answered %d", i+1, cb.StatusCode)
		}
	}
	// A spent code for a user who is not connected by it is still an error.
	e2 := newEnv(t, nil)
	u2 := e2.user("lee")
	a2 := e2.link(u2)
	ticket, _ := url.Parse(a2.AuthorizeURL)
	redirect, key, _, err := e2.svc.Start(context.Background(), ingest.OtherProvider, ticket.Query().Get("ticket"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := url.Parse(redirect)
	if _, err := e2.svc.Callback(context.Background(), ingest.OtherProvider, st.Query().Get("state"), "code-never-issued", key); err == nil {
		t.Fatal("an unknown code connected the user")
	}
}

// Jobs of one connection running at once (several processes) refresh its token one at a time: with a provider
// that rotates refresh tokens, a second refresh with the spent token would lock the user out.
func TestConcurrentJobsShareOneRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.oa.SetExpiresIn(60) // inside RefreshAhead: every session refreshes before its first request
	for i := 1; i <= 6; i++ {
		e.fake.setDay(day(-i), i)
	}
	u := e.user("max")
	e.connect(u)
	e.runDue() // the backfill
	hook := e.server.URL + "/providers/other/webhook"
	for i := 1; i <= 6; i++ {
		if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "id": "day-" + day(-i)}, e.fake.secret); code != http.StatusNoContent {
			t.Fatalf("webhook answered %d", code)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var status string
	_ = e.d.Get(&status, `SELECT status FROM provider_connections WHERE user_id = $1`, u)
	if status != db.ConnConnected {
		t.Fatalf("status = %s after concurrent refreshes, want CONNECTED", status)
	}
	if got := e.int(`SELECT count(*) FROM provider_jobs WHERE user_id = $1 AND (status = 'FAILED' OR last_error IS NOT NULL)`, u); got != 0 {
		t.Fatalf("%d jobs failed", got)
	}
}

// A connection link opens once, and only the browser that opened it can finish: another browser that gets the
// link, or the provider's redirect back, connects nothing.
func TestConnectionLinkOpensOnceInOneBrowser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	u := e.user("noor")
	a := e.link(u)
	mine, theirs := newBrowser(t), newBrowser(t)
	au := mine.start(a.AuthorizeURL)
	if again := theirs.get(a.AuthorizeURL); again.StatusCode != http.StatusBadRequest {
		t.Fatalf("the link opened a second time answered %d, want 400", again.StatusCode)
	}
	back := mine.get(au.String()).Header.Get("Location") // the provider's redirect back, with state and code
	if !strings.HasPrefix(back, e.server.URL+"/providers/other/callback?") {
		t.Fatalf("the provider sent the browser to %q", back)
	}
	if cb := theirs.get(back); cb.StatusCode != http.StatusBadRequest {
		t.Fatalf("the callback in another browser answered %d, want 400", cb.StatusCode)
	}
	if got := e.int(`SELECT count(*) FROM provider_connections WHERE user_id = $1`, u); got != 0 {
		t.Fatalf("another browser's callback stored %d connections", got)
	}
	if cb := mine.get(back); cb.StatusCode != http.StatusOK {
		t.Fatalf("the callback in the browser that opened the link answered %d", cb.StatusCode)
	}
	if got := e.int(`SELECT count(*) FROM provider_connections WHERE user_id = $1 AND status = 'CONNECTED'`, u); got != 1 {
		t.Fatalf("%d connections after the right browser's callback, want 1", got)
	}
	if got := e.int(`SELECT count(*) FROM oauth_tickets WHERE user_id = $1`, u); got != 0 {
		t.Fatalf("%d tickets left after the link was opened", got)
	}
}

// Links never opened are pruned once expired; an expired one does not open.
func TestExpiredConnectionLinksArePruned(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, func(o *cloudsync.Options) { o.Now = clock })
	u := e.user("omar")
	old := e.link(u)
	mu.Lock()
	now = now.Add(16 * time.Minute)
	mu.Unlock()
	e.link(u)
	if resp := newBrowser(t).get(old.AuthorizeURL); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an expired link answered %d, want 400", resp.StatusCode)
	}
	e.runWorker()
	if got := e.int(`SELECT count(*) FROM oauth_tickets WHERE user_id = $1`, u); got != 1 {
		t.Fatalf("%d tickets left, want 1 (the unexpired one)", got)
	}
}

// The tombstones a correction leaves for its earlier revision's items are pruned after a week; a device's own
// deletions stay, as do recent cloud tombstones.
func TestCorrectionTombstonesArePrunedAfterAWeek(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.setDay(day(-1), 100, 200, 300)
	e.fake.setDay(day(-2), 10, 20)
	u := e.user("pia")
	e.connect(u)
	e.runDue()
	for _, d := range []string{day(-1), day(-2)} {
		e.fake.setDay(d, 7)
		if code := e.fake.webhook(e.server.URL+"/providers/other/webhook", map[string]any{"user": "band-user-77", "id": "day-" + d}, e.fake.secret); code != http.StatusNoContent {
			t.Fatalf("webhook answered %d", code)
		}
	}
	e.runDue()
	if got := e.int(`SELECT count(*) FROM deletions WHERE user_id = $1 AND item_id LIKE 'other:%'`, u); got != 5 {
		t.Fatalf("%d tombstones after two corrections, want 5 (3 + 2 replaced items)", got)
	}
	// Day -1's tombstones are old now; a device deletion of the same age stays.
	e.d.MustExec(`UPDATE deletions SET deleted_at = now() - interval '8 days' WHERE user_id = $1 AND item_id LIKE 'other:%' AND item_id LIKE '%day-' || $2 || '%'`, u, day(-1))
	e.d.MustExec(`INSERT INTO deletions (user_id, item_id, deleted_at) VALUES ($1, '5E1B0C2A-0000-4000-8000-000000000001', now() - interval '30 days')`, u)
	e.runWorker()
	if got := e.int(`SELECT count(*) FROM deletions WHERE user_id = $1 AND item_id LIKE 'other:%'`, u); got != 2 {
		t.Fatalf("%d cloud tombstones left, want 2 (the recent correction's)", got)
	}
	if got := e.int(`SELECT count(*) FROM deletions WHERE user_id = $1 AND item_id NOT LIKE 'other:%'`, u); got != 1 {
		t.Fatalf("%d device tombstones left, want 1", got)
	}
}

// Tombstones are aged by the clock that dated them (the database's): a server whose own clock runs ahead does
// not prune a fresh correction's tombstones, which would let a late retry bring the replaced items back.
func TestTombstoneAgeIsTheDatabasesNotTheServers(t *testing.T) {
	t.Parallel()
	var ahead atomic.Int64
	e := newEnv(t, func(o *cloudsync.Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	e.fake.setDay(day(-1), 100, 200, 300)
	u := e.user("quinn")
	e.connect(u)
	e.runDue()
	e.fake.setDay(day(-1), 7)
	if code := e.fake.webhook(e.server.URL+"/providers/other/webhook", map[string]any{"user": "band-user-77", "id": "day-" + day(-1)}, e.fake.secret); code != http.StatusNoContent {
		t.Fatalf("webhook answered %d", code)
	}
	e.runDue()
	if got := e.int(`SELECT count(*) FROM deletions WHERE user_id = $1 AND item_id LIKE 'other:%'`, u); got != 3 {
		t.Fatalf("%d tombstones after the correction, want 3", got)
	}
	ahead.Store(int64(8 * 24 * time.Hour))
	e.runWorker()
	if got := e.int(`SELECT count(*) FROM deletions WHERE user_id = $1 AND item_id LIKE 'other:%'`, u); got != 3 {
		t.Fatalf("%d tombstones left after a prune by a clock 8 days ahead, want 3 (they are minutes old)", got)
	}
}
