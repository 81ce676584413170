package syncevents_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/devtools/dbtest"
	"healthsync/ingest"
	"healthsync/syncevents"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(context.Context, *sqlx.DB) error { return nil })
}

func setup(t *testing.T) (*syncevents.Hub, func(payload string)) {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hub, err := syncevents.Listen(ctx, dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	notify := func(payload string) {
		t.Helper()
		if _, err := d.Exec(`SELECT pg_notify($1, $2)`, ingest.SyncChannel, payload); err != nil {
			t.Fatal(err)
		}
	}
	return hub, notify
}

func notice(user int64, accepted int) string {
	return fmt.Sprintf(`{"u":%d,"d":"dev","a":%d,"t":["steps"],"at":"2026-11-25T10:00:00Z"}`, user, accepted)
}

func receive(t *testing.T, ch <-chan ingest.SyncNotice) ingest.SyncNotice {
	t.Helper()
	select {
	case n, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notice")
	}
	return ingest.SyncNotice{}
}

func quiet(t *testing.T, ch <-chan ingest.SyncNotice) {
	t.Helper()
	select {
	case n := <-ch:
		t.Fatalf("unexpected notice %+v", n)
	default:
	}
}

func TestNoticesGoToTheirUserOnly(t *testing.T) {
	hub, notify := setup(t)
	ctx := context.Background()
	one, two := hub.Subscribe(ctx, 1), hub.Subscribe(ctx, 2)
	alsoOne := hub.Subscribe(ctx, 1)

	notify(notice(1, 5))
	notify("not json") // skipped, and the hub keeps going
	notify(notice(2, 7))
	if n := receive(t, two); n.UserID != 2 || n.Accepted != 7 {
		t.Fatalf("user 2 got %+v", n)
	}
	// Notices are handled in order: user 2's arrived, so user 1's was handed out before it.
	for _, ch := range []<-chan ingest.SyncNotice{one, alsoOne} {
		if n := receive(t, ch); n.UserID != 1 || n.Accepted != 5 || n.DeviceID != "dev" || len(n.DataTypes) != 1 {
			t.Fatalf("user 1 got %+v", n)
		}
		quiet(t, ch)
	}
	quiet(t, two)
}

func TestSubscriptionsEnd(t *testing.T) {
	hub, notify := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := hub.Subscribe(ctx, 1)
	other := hub.Subscribe(context.Background(), 1)
	if hub.Subscribers() != 2 {
		t.Fatalf("%d subscribers", hub.Subscribers())
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("a cancelled subscription received a notice")
	}
	deadline := time.Now().Add(5 * time.Second)
	for hub.Subscribers() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if hub.Subscribers() != 1 {
		t.Fatalf("%d subscribers after a cancel", hub.Subscribers())
	}
	notify(notice(1, 1))
	receive(t, other)

	if err := hub.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-other:
		if ok {
			t.Fatal("notice after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a subscription open")
	}
}

// A subscriber that stops reading loses its own notices beyond the buffer; nobody else is held up.
func TestSlowSubscriberDoesNotBlockOthers(t *testing.T) {
	hub, notify := setup(t)
	ctx := context.Background()
	slow, fast := hub.Subscribe(ctx, 1), hub.Subscribe(ctx, 2)
	const sent = 100
	for i := 1; i <= sent; i++ {
		notify(notice(1, i))
	}
	notify(notice(2, 1))
	receive(t, fast) // handled after all of user 1's
	got := 0
	for len(slow) > 0 {
		n := <-slow
		got++
		if n.Accepted != got {
			t.Fatalf("notice %d out of order: %+v", got, n)
		}
	}
	if got == 0 || got >= sent {
		t.Fatalf("the slow subscriber kept %d of %d notices; want the buffer's worth", got, sent)
	}
}
