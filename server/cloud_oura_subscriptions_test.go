package server_test

import (
	"context"
	"testing"
	"time"

	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/oura/ourafake"
)

// The server keeps Oura's webhook subscriptions: one per mapped data type and event, each verified by Oura's
// challenge against this server; a second pass creates nothing, and subscriptions near their expiry are renewed.
func TestCloudOuraWebhookSubscriptionsAreKept(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{})
	c := newCloudApp(t, cloudsync.Provider{Adapter: oura.New(), Config: f.Config()})
	ctx := context.Background()
	if err := c.Cloud.EnsureSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	subs := f.Subscriptions()
	if len(subs) != 12 {
		t.Fatalf("%d subscriptions, want 12 (4 data types × create, update, delete)", len(subs))
	}
	seen := map[string]bool{}
	for _, s := range subs {
		if s.CallbackURL != c.webhookURL("OURA") {
			t.Errorf("subscription %s calls back %s", s.ID, s.CallbackURL)
		}
		seen[s.DataType+" "+s.EventType] = true
	}
	for _, dt := range []string{"daily_activity", "sleep", "workout", "daily_spo2"} {
		for _, ev := range []string{"create", "update", "delete"} {
			if !seen[dt+" "+ev] {
				t.Errorf("no %s subscription for %s", ev, dt)
			}
		}
	}
	if err := c.Cloud.EnsureSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Subscriptions()); n != 12 {
		t.Fatalf("a second pass left %d subscriptions, want 12", n)
	}
	f.ExpireSubscriptions(time.Now().Add(48 * time.Hour))
	if err := c.Cloud.EnsureSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Subscriptions() {
		if s.Renewals != 1 || time.Until(s.Expires) < 30*24*time.Hour {
			t.Errorf("subscription %s: %d renewals, expires %s", s.ID, s.Renewals, s.Expires)
		}
	}
}
