package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/webhooks"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// testNow is read once from the machine's clock (never a fixed date), the base of every clock here.
var testNow = time.Now().UTC().Truncate(time.Minute)

// clock is the dispatcher's clock, moved forward by the tests to reach retries without waiting for them.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one verified message at the receiver.
type received struct {
	id      string
	typ     string
	subject string
	data    map[string]json.RawMessage
	body    string
}

// receiver is a real HTTP server that verifies every message with its own Standard Webhooks check (written
// here from the specification, not the server's signer) and answers 503 while down.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	key    []byte // the one secret this receiver knows
	down   atomic.Bool
	mu     sync.Mutex
	got    []received
	seen   map[string]int
	failed atomic.Int64 // requests answered 503
	badSig atomic.Int64
}

func newReceiver(t *testing.T, secret string) *receiver {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, key: key, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.down.Load() {
		r.failed.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	ok := false
	for _, part := range strings.Fields(req.Header.Get("webhook-signature")) {
		version, sig, _ := strings.Cut(part, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok || id == "" || ts == "" {
		r.badSig.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env struct {
		Type string                     `json:"type"`
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		r.t.Errorf("receiver: body is not JSON: %v", err)
	}
	var subject string
	_ = json.Unmarshal(env.Data["subject"], &subject)
	r.mu.Lock()
	r.seen[id]++
	r.got = append(r.got, received{id: id, typ: env.Type, subject: subject, data: env.Data, body: string(body)})
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.seen {
		n += c - 1
	}
	return n
}

type env struct {
	t     *testing.T
	sql   *sqlx.DB
	store *db.Store
	svc   *ingest.Service
	admin *webhooks.Service
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.New(t)
	store := db.New(d, db.Options{})
	c := &clock{t: testNow}
	return &env{t: t, sql: d, store: store, clock: c,
		svc: ingest.NewService(store, catalog.New(), ingest.Limits{}, func() time.Time { return testNow },
			ingest.WithWebhooks()),
		admin: webhooks.NewService(store, c.now)}
}

func (e *env) dispatcher() *webhooks.Dispatcher {
	return webhooks.NewDispatcher(e.store, nil, webhooks.DispatchOptions{Now: e.clock.now,
		Client: &http.Client{Timeout: 5 * time.Second}, Jitter: func() float64 { return 0.5 }})
}

func (e *env) endpoint(name, url string, ep webhooks.Endpoint) {
	e.t.Helper()
	ep.Name, ep.URL, ep.Enabled = name, url, true
	if _, err := e.admin.SaveEndpoint(context.Background(), ep); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) user(subject string) int64 {
	e.t.Helper()
	u, err := e.store.EnsureUser(context.Background(), subject)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func (e *env) ingest(userID int64, b ingest.Batch) ingest.Result {
	e.t.Helper()
	res, err := e.svc.Ingest(context.Background(), userID, b)
	if err != nil {
		e.t.Fatalf("ingest %s: %v", b.IdempotencyKey, err)
	}
	return res
}

func secret(t *testing.T) string {
	s, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func steps(key string, n int, start time.Time) ingest.Batch {
	src := ingest.Source{Name: "Phone", BundleID: ptr("com.apple.health.1")}
	samples := make([]ingest.QuantitySample, n)
	for i := range samples {
		at := start.Add(time.Duration(i) * time.Minute)
		samples[i] = ingest.QuantitySample{ID: sampleID(key, i), Type: "HKQuantityTypeIdentifierStepCount",
			Value: ingest.Float(float64(1000 + i)), Unit: "count", Start: at, End: at.Add(time.Minute), Source: src}
	}
	return ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth,
		Device: ingest.Device{ID: "phone-1", TimeZone: ptr("Europe/Zurich")}, Samples: samples}
}

// sampleID is a UUID of the i-th sample of the batch key.
func sampleID(key string, i int) string {
	return fmt.Sprintf("%08X-0000-4000-8000-%012X", crc32.ChecksumIEEE([]byte(key)), i)
}

func ptr[T any](v T) *T { return &v }

func (e *env) drain(d *webhooks.Dispatcher) webhooks.Stats {
	e.t.Helper()
	st, err := d.Drain(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// The receiver is down for the first hours: every event is still delivered once, each user's in the order of
// their uploads, signed so that an independent check accepts it; a replayed upload sends nothing.
func TestReceiverDownThenUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sec := secret(t)
	rx := newReceiver(t, sec)
	e.endpoint("analytics", rx.srv.URL, webhooks.Endpoint{Secrets: []string{sec}})
	users := map[string]int64{"alice": e.user("alice"), "bob": e.user("bob")}
	const perUser = 5
	start := testNow.Add(-6 * time.Hour)
	for i := 0; i < perUser; i++ {
		for name, id := range users {
			res := e.ingest(id, steps(fmt.Sprintf("%s-%d", name, i), 3+i, start.Add(time.Duration(i)*10*time.Minute)))
			if res.Accepted != 3+i {
				t.Fatalf("batch %s-%d stored %d, want %d: %+v", name, i, res.Accepted, 3+i, res)
			}
		}
	}
	// A replay of an upload and an upload of nothing new write no event.
	if res := e.ingest(users["alice"], steps("alice-0", 3, start)); !res.Replayed {
		t.Fatal("the second upload of alice-0 is not a replay")
	}
	again := steps("alice-0", 3, start)
	again.IdempotencyKey = "alice-again"
	if res := e.ingest(users["alice"], again); res.Accepted != 0 || res.Duplicates != 3 {
		t.Fatalf("re-uploading stored items under a new key: %+v", res)
	}
	// A deletion announces data.deleted.
	del := steps("alice-del", 0, start)
	del.Deletions = []string{sampleID("alice-0", 0)}
	if res := e.ingest(users["alice"], del); res.Deleted != 1 {
		t.Fatalf("deletion removed %d", res.Deleted)
	}
	wantEvents := 2*perUser + 1

	rx.down.Store(true)
	d1, d2 := e.dispatcher(), e.dispatcher()
	var total webhooks.Stats
	for hour := 0; hour < 6; hour++ { // six hours of outage, retried as the backoff allows
		st := e.drain(d1)
		total.Retried += st.Retried
		total.Sent += st.Sent
		e.clock.advance(time.Hour)
	}
	if total.Sent != 0 || len(rx.messages()) != 0 {
		t.Fatalf("delivered while the receiver was down: %+v", total)
	}
	// Only the head of each user's queue is tried while it fails: the others wait behind it.
	if total.Retried < 2 || rx.failed.Load() != int64(total.Retried) {
		t.Fatalf("retried %d, receiver refused %d", total.Retried, rx.failed.Load())
	}

	rx.down.Store(false)
	e.clock.advance(7 * time.Hour) // past the longest backoff so far
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, d := range []*webhooks.Dispatcher{d1, d2} { // two processes share the work
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				st, err := d.Drain(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total.Sent += st.Sent
				total.Retried += st.Retried
				total.Dead += st.Dead
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	msgs := rx.messages()
	t.Logf("receiver-down test: events %d, sent %d, retried %d, dead-lettered %d, duplicates at the receiver %d, bad signatures %d",
		wantEvents, total.Sent, total.Retried, total.Dead, rx.duplicates(), rx.badSig.Load())
	if len(msgs) != wantEvents || total.Sent != wantEvents || rx.duplicates() != 0 || total.Dead != 0 || rx.badSig.Load() != 0 {
		t.Fatalf("got %d messages (%d sent, %d duplicates, %d dead, %d bad signatures), want %d each once",
			len(msgs), total.Sent, rx.duplicates(), total.Dead, rx.badSig.Load(), wantEvents)
	}
	// In order per user: the message ids grow, and alice's deletion comes after her uploads.
	last := map[string]int64{}
	perType := map[string]int{}
	for _, m := range msgs {
		var n int64
		if _, err := fmt.Sscanf(m.id, "evt_%d", &n); err != nil {
			t.Fatalf("message id %q", m.id)
		}
		if n <= last[m.subject] {
			t.Fatalf("%s's message %s came after %d", m.subject, m.id, last[m.subject])
		}
		last[m.subject] = n
		perType[m.subject+" "+m.typ]++
		if strings.Contains(m.body, "1000") || m.data["values"] != nil {
			t.Fatalf("a message carries health values: %s", m.body)
		}
	}
	if perType["alice data.stored"] != perUser || perType["bob data.stored"] != perUser || perType["alice data.deleted"] != 1 {
		t.Fatalf("messages per user and type: %v", perType)
	}
	var first received
	for _, m := range msgs {
		if m.subject == "bob" && m.typ == webhooks.DataStored {
			first = m
			break
		}
	}
	var stored webhooks.Stored
	if err := json.Unmarshal(mustJSON(t, first.data), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Device != "phone-1" || stored.Accepted != 3 || stored.Kinds["samples"].Types["steps"] != 3 ||
		stored.From == nil || !stored.From.Equal(start) || !stored.To.Equal(start.Add(3*time.Minute)) {
		t.Fatalf("bob's first data.stored: %s", first.body)
	}
	// Everything delivered: another round sends nothing.
	if st := e.drain(d1); st != (webhooks.Stats{}) {
		t.Fatalf("a round after delivery did %+v", st)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A receiver that never comes back gets each event for three days; then it is dead-lettered, listed as DEAD,
// and an administrator's redelivery sends it once the receiver is back.
func TestDeadLetterAndRedeliver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sec := secret(t)
	rx := newReceiver(t, sec)
	e.endpoint("flaky", rx.srv.URL, webhooks.Endpoint{Secrets: []string{sec}, EventTypes: []string{webhooks.DataStored}})
	alice := e.user("alice")
	e.ingest(alice, steps("a1", 2, testNow.Add(-time.Hour)))
	e.ingest(alice, steps("a2", 2, testNow.Add(-time.Hour)))
	rx.down.Store(true)
	d := e.dispatcher()
	var total webhooks.Stats
	began := e.clock.now()
	for e.clock.now().Sub(began) < 4*24*time.Hour {
		st := e.drain(d)
		total.Retried += st.Retried
		total.Dead += st.Dead
		e.clock.advance(30 * time.Minute)
	}
	if total.Dead != 2 {
		t.Fatalf("dead-lettered %d, want both events (retried %d)", total.Dead, total.Retried)
	}
	dead, err := e.admin.Deliveries(context.Background(), db.DeliveryDead, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || dead[0].UpdatedAt.Sub(dead[0].RetrySince) < 72*time.Hour {
		t.Fatalf("dead deliveries: %+v", dead)
	}
	t.Logf("dead-letter test: attempts before dead-lettering %d and %d, retried %d", dead[0].Attempts, dead[1].Attempts, total.Retried)
	if _, err := e.admin.Redeliver(context.Background(), dead[0].EventID+1000, dead[0].EndpointID); err != webhooks.ErrNotFound {
		t.Fatalf("redelivering an unknown event: %v", err)
	}
	rx.down.Store(false)
	n, err := e.admin.Redeliver(context.Background(), 0, 0)
	if err != nil || n != 2 {
		t.Fatalf("redeliver all: %d, %v", n, err)
	}
	if st := e.drain(d); st.Sent != 2 || len(rx.messages()) != 2 || rx.duplicates() != 0 {
		t.Fatalf("after redelivery: %+v, received %d", st, len(rx.messages()))
	}
}

// While a secret is rotated the endpoint has two; a receiver that knows either accepts the message. Values go
// only to an endpoint that includes them, and an endpoint gets only the types it asked for.
func TestRotationValuesAndTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oldSec, newSec := secret(t), secret(t)
	onOld, onNew := newReceiver(t, oldSec), newReceiver(t, newSec)
	e.endpoint("old-side", onOld.srv.URL, webhooks.Endpoint{Secrets: []string{newSec, oldSec}})
	e.endpoint("new-side", onNew.srv.URL, webhooks.Endpoint{Secrets: []string{newSec, oldSec}, IncludeValues: true,
		EventTypes: []string{webhooks.ProviderConnected}})
	alice := e.user("alice")
	err := e.store.InUserTx(context.Background(), alice, func(tx *db.Tx) error {
		return webhooks.Enqueue(context.Background(), tx, testNow,
			webhooks.Event{Type: webhooks.ProviderConnected, Data: webhooks.Provider{Provider: "OURA"},
				Values: map[string]float64{"resting_hr": 51}},
			webhooks.Event{Type: webhooks.DataDeleted, Data: webhooks.Deleted{Device: "x", Deleted: 1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	// An event enqueued in a transaction that rolls back is never sent.
	_ = e.store.InUserTx(context.Background(), alice, func(tx *db.Tx) error {
		if err := webhooks.Enqueue(context.Background(), tx, testNow, webhooks.Event{Type: webhooks.DataDeleted,
			Data: webhooks.Deleted{Device: "rolled-back"}}); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	})
	e.drain(e.dispatcher())
	old, nw := onOld.messages(), onNew.messages()
	if len(old) != 2 || len(nw) != 1 || onOld.badSig.Load()+onNew.badSig.Load() != 0 {
		t.Fatalf("old-side got %d, new-side got %d (bad signatures %d/%d)", len(old), len(nw),
			onOld.badSig.Load(), onNew.badSig.Load())
	}
	if old[0].data["values"] != nil || string(nw[0].data["values"]) != `{"resting_hr":51}` || nw[0].subject != "alice" {
		t.Fatalf("values: old-side %s, new-side %s", old[0].body, nw[0].body)
	}
}

func TestEndpointValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, ep := range []webhooks.Endpoint{
		{Name: "a", URL: "ftp://x", Secrets: []string{secret(t)}},
		{Name: "b", URL: "https://x.example", Secrets: []string{"plain"}},
		{Name: "c", URL: "https://x.example"},
		{Name: "d", URL: "https://x.example", Secrets: []string{secret(t)}, EventTypes: []string{"data.nope"}},
	} {
		if _, err := e.admin.SaveEndpoint(context.Background(), ep); err == nil {
			t.Errorf("endpoint %q was accepted", ep.Name)
		}
	}
	n, err := e.admin.LoadConfig(context.Background(), []byte(`[{"name":"cfg","url":"https://hooks.example/x","secrets":["`+secret(t)+`"]}]`))
	if err != nil || n != 1 {
		t.Fatalf("load config: %d, %v", n, err)
	}
	eps, err := e.admin.Endpoints(context.Background())
	if err != nil || len(eps) != 1 || !eps[0].Enabled || eps[0].Name != "cfg" {
		t.Fatalf("endpoints: %+v, %v", eps, err)
	}
}

// An endpoint that includes values gets data.stored's per-type summary of the stored quantities; the others do
// not (TestReceiverDownThenUp checks that no value reaches them).
func TestStoredValuesOnlyWhereIncluded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sec := secret(t)
	with, without := newReceiver(t, sec), newReceiver(t, sec)
	e.endpoint("with", with.srv.URL, webhooks.Endpoint{Secrets: []string{sec}, IncludeValues: true})
	e.endpoint("without", without.srv.URL, webhooks.Endpoint{Secrets: []string{sec}})
	e.ingest(e.user("alice"), steps("v1", 3, testNow.Add(-time.Hour))) // 1000, 1001, 1002 steps
	e.drain(e.dispatcher())
	w, wo := with.messages(), without.messages()
	if len(w) != 1 || len(wo) != 1 || wo[0].data["values"] != nil {
		t.Fatalf("with values: %d messages, without: %d (%s)", len(w), len(wo), wo)
	}
	var vals map[string]webhooks.Summary
	if err := json.Unmarshal(w[0].data["values"], &vals); err != nil {
		t.Fatal(err)
	}
	if got := vals["steps"]; got != (webhooks.Summary{Count: 3, Sum: 3003, Min: 1000, Max: 1002}) {
		t.Fatalf("values: %s", w[0].body)
	}
}
