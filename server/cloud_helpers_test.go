package server_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers"
	"healthsync/cloud/seal"
	"healthsync/ingest"
	"healthsync/server"
)

// cloudApp is the real handler behind a real HTTP listener (providers' fakes redirect browsers to it and send
// webhooks to it) with cloud providers configured, for end-to-end tests of one provider: connect through
// GraphQL, backfill, webhooks, disconnect, and the stored data read back through GraphQL next to Apple Health
// data of the same user.
type cloudApp struct {
	*app
	URL   string
	Cloud *cloudsync.Service
	mu    sync.Mutex
	Waits []time.Duration // what the API client would have slept (429 Retry-After, backoff)
}

func newCloudApp(t *testing.T, provs ...cloudsync.Provider) *cloudApp {
	t.Helper()
	c := &cloudApp{}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	key, _ := seal.NewKey()
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	c.app = newApp(t, func(o *server.Options) {
		o.Cloud = cloudsync.New(o.Store, o.Ingest, catalog.New(), box, provs, cloudsync.Options{PublicURL: srv.URL,
			APIBackoff: time.Millisecond, Logger: o.Log,
			Sleep: func(_ context.Context, d time.Duration) error {
				c.mu.Lock()
				defer c.mu.Unlock()
				c.Waits = append(c.Waits, d)
				return nil
			}})
		c.Cloud = o.Cloud
	})
	h = c.handler
	return c
}

// connect runs connectProvider for the token's user and the browser's part of the OAuth dance (the fake's
// authorize endpoint redirects straight back), and fails the test unless the callback answers 200.
func (c *cloudApp) connect(tok, provider string) {
	c.t.Helper()
	var out struct {
		ConnectProvider struct {
			AuthorizeURL string `json:"authorizeUrl"`
		} `json:"connectProvider"`
	}
	c.do(tok, `mutation($p: CloudProvider!) { connectProvider(provider: $p) { authorizeUrl expiresAt } }`,
		map[string]any{"p": provider}).decode(c.t, &out)
	// A browser: it keeps the cookie the connection link sets, which the callback requires.
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) *http.Response {
		c.t.Helper()
		resp, err := browser.Get(u)
		if err != nil {
			c.t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	link := out.ConnectProvider.AuthorizeURL
	if !strings.HasPrefix(link, c.URL+"/providers/") {
		c.t.Fatalf("connection link %q is not this server's", link)
	}
	start := get(link)
	if start.StatusCode != http.StatusFound {
		c.t.Fatalf("the connection link answered %d", start.StatusCode)
	}
	resp := get(start.Header.Get("Location")) // the provider's consent page sends the browser straight back
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, c.URL+"/providers/") {
		c.t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, loc)
	}
	if cb := get(loc); cb.StatusCode != http.StatusOK {
		c.t.Fatalf("callback answered %d", cb.StatusCode)
	}
}

// runJobs runs every due provider job (backfill chunks included) and returns how many runs there were.
func (c *cloudApp) runJobs() int {
	c.t.Helper()
	n, err := c.Cloud.RunDue(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// webhookURL is where the provider's fake sends notifications.
func (c *cloudApp) webhookURL(provider ingest.Provider) string {
	return c.URL + "/providers/" + strings.ToLower(string(provider)) + "/webhook"
}

// disconnect runs disconnectProvider and returns the connection's status.
func (c *cloudApp) disconnect(tok, provider string) string {
	c.t.Helper()
	var out struct {
		DisconnectProvider *struct {
			Status string `json:"status"`
		} `json:"disconnectProvider"`
	}
	c.do(tok, `mutation($p: CloudProvider!) { disconnectProvider(provider: $p) { status } }`,
		map[string]any{"p": provider}).decode(c.t, &out)
	if out.DisconnectProvider == nil {
		return ""
	}
	return out.DisconnectProvider.Status
}

// fakeDays are the three days before today a provider fake serves, for a user in Zurich. Providers write
// times with the offset of the moment, which the fakes keep fixed over their days: every time a test builds is in
// that offset (local) and series are read in it (tz), so a DST change inside the days shifts nothing compared.
type fakeDays struct {
	off   int            // seconds east of UTC
	local *time.Location // fixed at off
	tz    string         // the zone name series are read in (providers.OffsetZone)
	today time.Time
	dates []string // the days' local dates
}

func zurichDays(t *testing.T) fakeDays {
	t.Helper()
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zurich)
	_, off := time.Date(today.Year(), today.Month(), today.Day()-3, 12, 0, 0, 0, zurich).Zone()
	d := fakeDays{off: off, local: time.FixedZone("user", off), tz: *providers.OffsetZone(off), today: today}
	for i := range 3 {
		d.dates = append(d.dates, d.day(i).Format(time.DateOnly))
	}
	return d
}

// day is local midnight of the fake's i-th day (3 is today).
func (d fakeDays) day(i int) time.Time {
	return time.Date(d.today.Year(), d.today.Month(), d.today.Day()-3+i, 0, 0, 0, 0, d.local)
}

// times are the days' local midnights.
func (d fakeDays) times() []time.Time {
	return []time.Time{d.day(0), d.day(1), d.day(2)}
}

// expectBackfilled checks, after the backfill ran, that the fake's 429 was met and its Retry-After honoured,
// that the connection is CONNECTED under the provider's id of the user with no error, and that syncState shows
// every data type's backfill done.
func (c *cloudApp) expectBackfilled(tok string, a providers.Adapter, providerUserID string, count429 int) {
	c.t.Helper()
	if count429 != 1 || len(c.Waits) == 0 || c.Waits[0] != time.Second {
		c.t.Errorf("429s %d, waits %v: want the fake's 429 met and its Retry-After of 1s honoured", count429, c.Waits)
	}
	var conns struct {
		ProviderConnections []struct {
			Provider, Status, ProviderUserID, DeviceID string
			LastError                                  *string
		} `json:"providerConnections"`
	}
	c.do(tok, `{ providerConnections { provider status providerUserId deviceId lastError } }`, nil).decode(c.t, &conns)
	if len(conns.ProviderConnections) != 1 || conns.ProviderConnections[0].Status != "CONNECTED" ||
		conns.ProviderConnections[0].ProviderUserID != providerUserID || conns.ProviderConnections[0].LastError != nil {
		c.t.Fatalf("connections %+v", conns.ProviderConnections)
	}
	var sync struct {
		SyncState []struct {
			DataType string  `json:"dataType"`
			Cursor   *string `json:"cursor"`
		} `json:"syncState"`
	}
	name := strings.ToLower(string(a.Provider()))
	c.do(tok, `query($d: ID) { syncState(deviceId: $d) { dataType cursor } }`, map[string]any{"d": "cloud:" + name}).decode(c.t, &sync)
	done := map[string]bool{}
	for _, s := range sync.SyncState {
		if s.Cursor != nil && strings.HasSuffix(*s.Cursor, "(done)") {
			done[s.DataType] = true
		}
	}
	for _, dt := range a.DataTypes() {
		if !done[name+":"+dt] {
			c.t.Errorf("syncState has no finished backfill for %s:%s: %+v", name, dt, sync.SyncState)
		}
	}
}
