package cloudsync_test

import (
	"context"
	"net/http"
	"testing"

	"healthsync/ingest"
)

// The provider events reach the webhook outbox in the transactions that change the connection, once per change:
// connected, reauthorize_required when access is withdrawn (not again when it is withdrawn twice), disconnected
// (not again for a second disconnect).
func TestProviderEventsAreQueuedForWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.setDay(day(-1), 10)
	u := e.user("olga")
	e.connect(u)
	hook := e.server.URL + "/providers/other/webhook"
	for range 2 {
		if code := e.fake.webhook(hook, map[string]any{"user": "band-user-77", "revoked": true}, e.fake.secret); code != http.StatusNoContent {
			t.Fatalf("webhook answered %d", code)
		}
	}
	if _, err := e.svc.Disconnect(context.Background(), u, ingest.OtherProvider); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Disconnect(context.Background(), u, ingest.OtherProvider); err != nil {
		t.Fatal(err)
	}
	var types []string
	if err := e.d.Select(&types, `SELECT type || ' ' || (payload->>'provider') FROM webhook_events
		WHERE user_id = $1 AND type LIKE 'provider.%' ORDER BY event_id`, u); err != nil {
		t.Fatal(err)
	}
	want := []string{"provider.connected OTHER", "provider.reauthorize_required OTHER", "provider.disconnected OTHER"}
	if len(types) != len(want) {
		t.Fatalf("events %q, want %q", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events %q, want %q", types, want)
		}
	}
}
