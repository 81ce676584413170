package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"healthsync/catalog"
	"healthsync/devices"
	"healthsync/ingest"
	"healthsync/rights"
	"healthsync/webhooks"
)

// clockedIngest is an ingest service on the test's movable clock: a device's uploads then happen days apart.
func (e *env) clockedIngest() *ingest.Service {
	return ingest.NewService(e.store, catalog.New(), ingest.Limits{}, e.clock.now, ingest.WithWebhooks())
}

// heart is a batch of n heart rate samples of the device, from start, one a minute.
func heart(key, device string, n int, start time.Time) ingest.Batch {
	src := ingest.Source{Name: "Watch", BundleID: ptr("com.apple.health.2")}
	samples := make([]ingest.QuantitySample, n)
	for i := range samples {
		at := start.Add(time.Duration(i) * time.Minute)
		samples[i] = ingest.QuantitySample{ID: sampleID(key, i), Type: "HKQuantityTypeIdentifierHeartRate",
			Value: ingest.Float(float64(60 + i)), Unit: "count/min", Start: at, End: at, Source: src}
	}
	return ingest.Batch{IdempotencyKey: key, Provider: ingest.AppleHealth, Device: ingest.Device{ID: device}, Samples: samples}
}

func mustIngest(t *testing.T, svc *ingest.Service, userID int64, b ingest.Batch) {
	t.Helper()
	res, err := svc.Ingest(context.Background(), userID, b)
	if err != nil || res.Accepted != len(b.Samples) {
		t.Fatalf("ingest %s: %+v, %v", b.IdempotencyKey, res, err)
	}
}

func sweep(t *testing.T, d *devices.Service, now time.Time) int {
	t.Helper()
	n, err := d.AnnounceStale(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// statusOf is what the syncState query answers for one type of one device.
func statusOf(t *testing.T, d *devices.Service, userID int64, device, typ string) string {
	t.Helper()
	states, err := d.SyncStates(context.Background(), userID, devices.SyncRequest{DeviceID: &device})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.DataType == typ {
			return s.Status
		}
	}
	t.Fatalf("no sync state for %s %s", device, typ)
	return ""
}

// A type that goes silent while its device keeps uploading is announced once when the syncState query starts to
// call it STALE (not before, not again), and again only after new data of the type re-armed it and it went
// silent once more. The event names the subject, device, type and times, never a value.
func TestSyncStaleAnnouncedOnceAndReArmed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sec := secret(t)
	rx := newReceiver(t, sec)
	e.endpoint("stale", rx.srv.URL, webhooks.Endpoint{Secrets: []string{sec}, EventTypes: []string{webhooks.SyncStale}})
	svc, dev := e.clockedIngest(), devices.NewService(e.store)
	alice := e.user("alice")
	t0 := e.clock.now()
	steps0 := steps("s0", 3, t0.Add(-time.Hour))
	mustIngest(t, svc, alice, steps0)
	mustIngest(t, svc, alice, heart("h0", "phone-1", 2, t0.Add(-time.Hour)))

	// 71 hours on, the phone uploads heart rate only: steps are silent, not yet stale.
	e.clock.advance(71 * time.Hour)
	mustIngest(t, svc, alice, heart("h1", "phone-1", 2, e.clock.now().Add(-time.Minute)))
	if n := sweep(t, dev, e.clock.now()); n != 0 || statusOf(t, dev, alice, "phone-1", "steps") != "ACTIVE" {
		t.Fatalf("announced %d before the threshold", n)
	}
	// Past 72 hours of silence while the phone uploads: STALE, announced once.
	e.clock.advance(2 * time.Hour)
	mustIngest(t, svc, alice, heart("h2", "phone-1", 2, e.clock.now().Add(-time.Minute)))
	lastUpload := e.clock.now()
	if s := statusOf(t, dev, alice, "phone-1", "steps"); s != "STALE" {
		t.Fatalf("syncState says %s", s)
	}
	if n := sweep(t, dev, e.clock.now()); n != 1 {
		t.Fatalf("first sweep announced %d, want 1 (steps)", n)
	}
	e.clock.advance(time.Hour)
	mustIngest(t, svc, alice, heart("h3", "phone-1", 2, e.clock.now().Add(-time.Minute)))
	if n := sweep(t, dev, e.clock.now()); n != 0 {
		t.Fatalf("the same silence announced again: %d", n)
	}
	e.drain(e.dispatcher())
	msgs := rx.messages()
	if len(msgs) != 1 || msgs[0].typ != webhooks.SyncStale || msgs[0].subject != "alice" {
		t.Fatalf("messages: %+v", msgs)
	}
	var got webhooks.Stale
	if err := json.Unmarshal(mustJSON(t, msgs[0].data), &got); err != nil {
		t.Fatal(err)
	}
	wantEnd := steps0.Samples[2].End
	if got.Device != "phone-1" || got.Type != "steps" || got.LastSampleEnd == nil || !got.LastSampleEnd.Equal(wantEnd) ||
		!got.LastDataAt.Equal(t0) || !got.LastUploadAt.Equal(lastUpload) || got.StaleAfterHours != 72 {
		t.Fatalf("sync.stale data: %s", msgs[0].body)
	}
	for _, k := range []string{"value", "values", "count", "sum"} {
		if msgs[0].data[k] != nil {
			t.Fatalf("sync.stale carries %q: %s", k, msgs[0].body)
		}
	}

	// New steps re-arm it: ACTIVE, nothing to announce; 73 silent hours later, announced a second time.
	mustIngest(t, svc, alice, steps("s1", 2, e.clock.now().Add(-30*time.Minute)))
	if n := sweep(t, dev, e.clock.now()); n != 0 || statusOf(t, dev, alice, "phone-1", "steps") != "ACTIVE" {
		t.Fatalf("after new steps: announced %d", n)
	}
	e.clock.advance(73 * time.Hour)
	mustIngest(t, svc, alice, heart("h4", "phone-1", 2, e.clock.now().Add(-time.Minute)))
	if n := sweep(t, dev, e.clock.now()); n != 1 {
		t.Fatalf("after the second silence: announced %d, want 1", n)
	}
	e.drain(e.dispatcher())
	if msgs := rx.messages(); len(msgs) != 2 || rx.duplicates() != 0 {
		t.Fatalf("after re-arming: %d messages, %d duplicates", len(msgs), rx.duplicates())
	}
}

// Sweepers in several processes at once announce each transition once: rows are claimed with SKIP LOCKED and
// the announcement is recorded in the transaction that writes the event.
func TestSyncStaleSweepersRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc, dev := e.clockedIngest(), devices.NewService(e.store)
	const users, devs = 6, 3
	t0 := e.clock.now()
	ids := make([]int64, users)
	for u := range ids {
		ids[u] = e.user(fmt.Sprintf("racer-%d", u))
		for d := 0; d < devs; d++ {
			b := steps(fmt.Sprintf("s-%d-%d", u, d), 2, t0.Add(-time.Hour))
			b.Device.ID = fmt.Sprintf("phone-%d", d)
			mustIngest(t, svc, ids[u], b)
		}
	}
	e.clock.advance(80 * time.Hour)
	for u, id := range ids {
		for d := 0; d < devs; d++ {
			mustIngest(t, svc, id, heart(fmt.Sprintf("h-%d-%d", u, d), fmt.Sprintf("phone-%d", d), 1, e.clock.now().Add(-time.Minute)))
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				n, err := dev.AnnounceStale(context.Background(), e.clock.now())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var events, distinct int
	if err := e.sql.QueryRow(`SELECT count(*), count(DISTINCT (user_id, payload->>'device', payload->>'type'))
		FROM webhook_events WHERE type = 'sync.stale'`).Scan(&events, &distinct); err != nil {
		t.Fatal(err)
	}
	if want := users * devs; total != want || events != want || distinct != want {
		t.Fatalf("sweepers reported %d, outbox holds %d events for %d transitions; want %d each once", total, events, distinct, want)
	}
}

// erasure.done is written with the erasure's end: it carries the rows erased per table, and the user's events
// still queued (data that no longer exists) are dropped undelivered, so nothing of the erased data reaches a
// receiver after it. Another user's events are untouched.
func TestErasureDoneAfterErasure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sec := secret(t)
	rx := newReceiver(t, sec)
	e.endpoint("all", rx.srv.URL, webhooks.Endpoint{Secrets: []string{sec}})
	svc := e.clockedIngest()
	alice, bob := e.user("alice"), e.user("bob")
	start := e.clock.now().Add(-3 * time.Hour)
	mustIngest(t, svc, alice, steps("a0", 3, start))
	e.drain(e.dispatcher()) // alice's first upload is delivered before the erasure
	mustIngest(t, svc, alice, steps("a1", 4, start.Add(time.Hour)))
	mustIngest(t, svc, alice, heart("a2", "phone-1", 2, start.Add(2*time.Hour)))
	mustIngest(t, svc, bob, steps("b0", 2, start))
	rx.down.Store(true) // alice's later uploads are still queued (being retried) when the erasure runs
	e.drain(e.dispatcher())
	rx.down.Store(false)

	r := rights.NewService(e.store, rights.Options{Now: e.clock.now})
	if _, err := r.RequestErasure(context.Background(), alice, rights.ErasureRequest{Subject: "alice", EraseNow: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDueErasures(context.Background()); err != nil || n != 1 {
		t.Fatalf("run erasures: %d, %v", n, err)
	}
	e.clock.advance(24 * time.Hour) // past every backoff
	e.drain(e.dispatcher())

	msgs := rx.messages()
	var aliceTypes []string
	var done *received
	for i, m := range msgs {
		if m.subject == "alice" {
			aliceTypes = append(aliceTypes, m.typ)
			if m.typ == webhooks.ErasureDone {
				done = &msgs[i]
			}
		}
	}
	if fmt.Sprint(aliceTypes) != fmt.Sprint([]string{webhooks.DataStored, webhooks.ErasureDone}) {
		t.Fatalf("alice's messages in order: %v (want her first upload, then erasure.done only)", aliceTypes)
	}
	var got webhooks.Erased
	if err := json.Unmarshal(mustJSON(t, done.data), &got); err != nil {
		t.Fatal(err)
	}
	// The walk deleted her 9 samples, and her 4 events (3 uploads, of which 1 delivered, and nothing else).
	if got.ErasureID == 0 || got.FinishedAt.IsZero() || got.StartedAt == nil || got.Rows["samples"] != 9 ||
		got.Rows["webhook_events"] != 3 || got.Rows["sync_state"] != 2 {
		t.Fatalf("erasure.done data: %s", done.body)
	}
	bobs := 0
	for _, m := range msgs {
		if m.subject == "bob" {
			bobs++
		}
	}
	if bobs != 1 || rx.duplicates() != 0 || rx.badSig.Load() != 0 {
		t.Fatalf("bob's messages %d, duplicates %d, bad signatures %d", bobs, rx.duplicates(), rx.badSig.Load())
	}
	var left int
	if err := e.sql.QueryRow(`SELECT count(*) FROM webhook_events WHERE user_id = $1 AND type <> 'erasure.done'`, alice).Scan(&left); err != nil || left != 0 {
		t.Fatalf("alice's events left in the outbox: %d, %v", left, err)
	}
}
