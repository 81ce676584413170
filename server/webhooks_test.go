package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/ingest"
	"healthsync/server"
	"healthsync/webhooks"
)

const (
	saveEndpoint = `mutation($in: WebhookEndpointInput!) { saveWebhookEndpoint(input: $in) {
		id name url eventTypes enabled includeValues secretCount } }`
	listDeliveries = `query($s: WebhookDeliveryStatus) { webhookDeliveries(status: $s) {
		messageId eventId endpointId eventType status attempts lastHttpStatus deliveredAt } }`
	redeliver = `mutation($ev: ID, $ep: ID) { redeliverWebhooks(eventId: $ev, endpointId: $ep) }`
)

// The admin API through the real handler: only an ADMIN token registers endpoints and sees deliveries; an upload
// made over GraphQL reaches a real receiver once the dispatcher runs, and is listed as DELIVERED.
func TestWebhookAdminAPI(t *testing.T) {
	t.Parallel()
	a := newApp(t, func(o *server.Options) {
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{MaxItems: 5000}, nil, ingest.WithWebhooks())
	})
	var mu sync.Mutex
	var bodies []string
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	t.Cleanup(rx.Close)
	secret, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	admin := a.token("ops", auth.ScopeAdmin)
	in := map[string]any{"in": map[string]any{"name": "analytics", "url": rx.URL, "secrets": []string{secret},
		"eventTypes": []string{"data.stored"}}}

	if r := a.do(a.token("alice"), saveEndpoint, in); r.code() != "FORBIDDEN" {
		t.Fatalf("a user token saved an endpoint: %s", r.Raw)
	}
	bad := map[string]any{"in": map[string]any{"name": "x", "url": rx.URL, "secrets": []string{"hunter2"}}}
	if r := a.do(admin, saveEndpoint, bad); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("a secret without whsec_: %s", r.Raw)
	}
	var saved struct {
		SaveWebhookEndpoint struct {
			ID          string
			Enabled     bool
			SecretCount int
		}
	}
	r := a.do(admin, saveEndpoint, in)
	r.decode(t, &saved)
	if !saved.SaveWebhookEndpoint.Enabled || saved.SaveWebhookEndpoint.SecretCount != 1 || strings.Contains(r.Raw, secret) {
		t.Fatalf("saved endpoint: %s", r.Raw)
	}

	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	a.do(a.token("alice"), ingestMutation, ingestInput("k1", hrSample("3F2504E0-4F89-41D3-9A0C-0305E82C3301", at, 61))).
		decode(t, &struct{}{})
	if _, err := webhooks.NewDispatcher(a.opts.Store, a.opts.Log, webhooks.DispatchOptions{}).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]string(nil), bodies...)
	mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], `"subject":"alice"`) {
		t.Fatalf("receiver got %q", got)
	}
	var list struct {
		WebhookDeliveries []struct {
			MessageID, EventID, EndpointID, EventType, Status string
			Attempts                                          int
			LastHTTPStatus                                    *int `json:"lastHttpStatus"`
		}
	}
	a.do(admin, listDeliveries, map[string]any{"s": "DELIVERED"}).decode(t, &list)
	if len(list.WebhookDeliveries) != 1 || list.WebhookDeliveries[0].EventType != "data.stored" ||
		list.WebhookDeliveries[0].Attempts != 1 || list.WebhookDeliveries[0].LastHTTPStatus == nil ||
		*list.WebhookDeliveries[0].LastHTTPStatus != 200 {
		t.Fatalf("deliveries: %+v", list)
	}
	if r := a.do(a.token("alice", auth.ScopeRead), listDeliveries, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("a read token listed deliveries: %s", r.Raw)
	}
	d := list.WebhookDeliveries[0]
	if r := a.do(admin, redeliver, map[string]any{"ev": d.EventID, "ep": d.EndpointID}); r.code() != "NOT_FOUND" {
		t.Fatalf("redelivering a delivered event: %s", r.Raw)
	}
	var none struct{ RedeliverWebhooks int }
	a.do(admin, redeliver, nil).decode(t, &none)
	if none.RedeliverWebhooks != 0 {
		t.Fatalf("redelivered %d with nothing dead", none.RedeliverWebhooks)
	}
}
