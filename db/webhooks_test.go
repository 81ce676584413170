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

// The sweeps' events of several users (EnqueueWebhooksOf) are the same rows, in the same order, whichever form
// writes them: the unnest form on one PostgreSQL, multi-row VALUES on Citus (split into chunks past
// maxValuesRows).
func TestEnqueueWebhooksOfFormsWriteTheSameEvents(t *testing.T) {
	dbtest.SkipOnCitus(t, "compares the unnest form with VALUES, and Citus cannot run unnest inserts under row-level security")
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	forms := []InsertForm{InsertUnnest, InsertValues}
	dumps := make([]string, len(forms))
	for f, form := range forms {
		d := dbtest.New(t)
		store := New(d, Options{InsertForm: form})
		var ids []int64
		for _, subject := range []string{"alice", "bob", "carol"} {
			u, err := store.EnsureUser(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		var users []int64
		var evs []WebhookEvent
		for i := range maxValuesRows + 7 {
			ev := WebhookEvent{Type: "sync.stale", Payload: json.RawMessage(`{"device":"d` + string(rune('a'+i%26)) + `"}`)}
			if i%3 == 0 {
				ev.Values = json.RawMessage(`{"value":` + string(rune('0'+i%10)) + `}`)
			}
			users, evs = append(users, ids[i%len(ids)]), append(evs, ev)
		}
		if err := store.InSystemTx(ctx, func(tx *SysTx) error { return tx.EnqueueWebhooksOf(ctx, users, evs, at) }); err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		// Users are numbered alike in both databases; the ids follow the order of the list.
		if err := d.GetContext(ctx, &dumps[f], `SELECT json_agg(json_build_array(user_id, type, payload, vals, created_at,
			fanned_out) ORDER BY event_id)::text FROM webhook_events`); err != nil {
			t.Fatal(err)
		}
	}
	if len(dumps[0]) < 1000 {
		t.Fatalf("unnest wrote too little to compare: %.200s", dumps[0])
	}
	if dumps[0] != dumps[1] {
		t.Errorf("the forms wrote different events:\nunnest %.600s\nvalues %.600s", dumps[0], dumps[1])
	}
}
