package db

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lib/pq"

	"healthsync/devtools/dbtest"
)

// The outbox keeps users apart like every user table, and the endpoints (with their signing secrets) are out of
// every user transaction's reach: only the system scope sees or changes them.
func TestWebhookTablesScope(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	store := New(d, Options{})
	at := time.Now().UTC()
	var ids []int64
	for _, subject := range []string{"alice", "bob"} {
		u, err := store.EnsureUser(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
		if err := store.InUserTx(ctx, u.ID, func(tx *Tx) error {
			return tx.EnqueueWebhooks(ctx, []WebhookEvent{{Type: "data.deleted", Payload: json.RawMessage(`{"deleted":1}`)}}, at)
		}); err != nil {
			t.Fatal(err)
		}
	}
	err := store.InSystemTx(ctx, func(tx *SysTx) error {
		if _, err := tx.SaveWebhookEndpoint(ctx, WebhookEndpoint{Name: "e", URL: "https://x.example",
			Secrets: pq.StringArray{"whsec_x"}, Enabled: true}, at); err != nil {
			return err
		}
		n, err := tx.FanOutWebhookEvents(ctx, at, 10)
		if err == nil && n != 2 {
			t.Errorf("fanned out %d events, want 2", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.InUserTx(ctx, ids[0], func(tx *Tx) error {
		for tb, want := range map[string]int{"webhook_events": 1, "webhook_deliveries": 1, "webhook_endpoints": 0} {
			var n int
			if err := tx.tx.Get(&n, `SELECT count(*) FROM `+tb); err != nil {
				return err
			}
			if n != want {
				t.Errorf("alice's transaction sees %d rows of %s, want %d", n, tb, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.InUserTx(ctx, ids[0], func(tx *Tx) error {
		_, err := tx.tx.Exec(`INSERT INTO webhook_endpoints (name, url, secrets, event_types, created_at, updated_at)
			VALUES ('mine', 'https://evil.example', '{}', '{}', $1, $1)`, at)
		return err
	})
	if err == nil {
		t.Fatal("a user transaction registered an endpoint")
	}
}
