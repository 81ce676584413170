package whoop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"healthsync/cloud/providers"
)

const testSecret = "whoop-client-secret"

// signed builds a webhook request the way WHOOP's docs describe the signature, independently of Webhook.
func signed(body []byte, secret string, at, now time.Time) providers.WebhookRequest {
	stamp := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stamp + string(body)))
	h := http.Header{}
	h.Set("X-WHOOP-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set("X-WHOOP-Signature-Timestamp", stamp)
	return providers.WebhookRequest{Header: h, Body: body, Now: now}
}

func TestWebhook(t *testing.T) {
	cfg := providers.Config{ClientID: "id", ClientSecret: testSecret}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sleepBody, err := os.ReadFile(filepath.Join("testdata", "webhook_sleep_updated.json"))
	if err != nil {
		t.Fatal(err)
	}

	events, err := New().Webhook(cfg, signed(sleepBody, testSecret, now.Add(-30*time.Second), now))
	if err != nil {
		t.Fatalf("signed webhook refused: %v", err)
	}
	// The recovery keyed by the same sleep is refetched too: the sleep times its samples.
	want := []providers.Event{
		{ProviderUserID: "10129", DataType: "sleep", RecordID: "ecfc6a15-4661-442f-a9a4-f160dd7afae8"},
		{ProviderUserID: "10129", DataType: "recovery", RecordID: "ecfc6a15-4661-442f-a9a4-f160dd7afae8"},
	}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events %+v, want %+v", events, want)
	}

	for _, c := range []struct {
		name string
		body string
		want providers.Event
	}{
		{"workout deleted", `{"user_id":10129,"id":"b2a9c6f4-0d1e-4f3a-8c7b-5e6d4a3b2c10","type":"workout.deleted","trace_id":"t"}`,
			providers.Event{ProviderUserID: "10129", DataType: "workout", RecordID: "b2a9c6f4-0d1e-4f3a-8c7b-5e6d4a3b2c10", Deleted: true}},
		{"recovery by sleep", `{"user_id":10129,"id":"ecfc6a15-4661-442f-a9a4-f160dd7afae8","type":"recovery.updated","trace_id":"t"}`,
			providers.Event{ProviderUserID: "10129", DataType: "recovery", RecordID: "ecfc6a15-4661-442f-a9a4-f160dd7afae8"}},
		{"sleep deleted takes its recovery", `{"user_id":10129,"id":"ecfc6a15-4661-442f-a9a4-f160dd7afae8","type":"sleep.deleted","trace_id":"t"}`,
			providers.Event{ProviderUserID: "10129", DataType: "sleep", RecordID: "ecfc6a15-4661-442f-a9a4-f160dd7afae8", Deleted: true}},
		{"v1 integer id", `{"user_id":10129,"id":93845,"type":"recovery.updated","trace_id":"t"}`,
			providers.Event{ProviderUserID: "10129", DataType: "recovery", RecordID: "93845"}},
	} {
		events, err := New().Webhook(cfg, signed([]byte(c.body), testSecret, now, now))
		n := 1
		if c.want.DataType == "sleep" {
			n = 2
		}
		if err != nil || len(events) != n || !reflect.DeepEqual(events[0], c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, events, err, c.want)
		}
		if n == 2 && (events[1].DataType != "recovery" || events[1].RecordID != c.want.RecordID || events[1].Deleted != c.want.Deleted) {
			t.Errorf("%s: recovery event %+v", c.name, events[1])
		}
	}

	// Unknown event kinds are acknowledged without work, so WHOOP does not retry them.
	events, err = New().Webhook(cfg, signed([]byte(`{"user_id":10129,"id":"x","type":"cycle.updated"}`), testSecret, now, now))
	if err != nil || events == nil || len(events) != 0 {
		t.Errorf("unknown type: %+v, %v; want no events and no error", events, err)
	}

	// Four minutes either way is clock skew; six is a replay (or a clock to fix).
	for _, skew := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		if _, err := New().Webhook(cfg, signed(sleepBody, testSecret, now.Add(skew), now)); err != nil {
			t.Errorf("timestamp %v from now refused: %v", skew, err)
		}
	}

	refused := []struct {
		name string
		req  providers.WebhookRequest
		want error
	}{
		{"wrong secret", signed(sleepBody, "another-secret", now, now), ErrSignature},
		{"stale", signed(sleepBody, testSecret, now.Add(-6*time.Minute), now), ErrSignature},
		{"future", signed(sleepBody, testSecret, now.Add(6*time.Minute), now), ErrSignature},
		{"body changed", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Body = append([]byte(nil), r.Body...)
			r.Body[len(r.Body)-3] ^= 1
			return r
		}(), ErrSignature},
		{"timestamp changed", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Header.Set("X-WHOOP-Signature-Timestamp", strconv.FormatInt(now.UnixMilli()+1, 10))
			return r
		}(), ErrSignature},
		{"signature not base64", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Header.Set("X-WHOOP-Signature", "%%%")
			return r
		}(), ErrSignature},
		{"no signature", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Header.Del("X-WHOOP-Signature")
			return r
		}(), ErrMalformed},
		{"no timestamp", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Header.Del("X-WHOOP-Signature-Timestamp")
			return r
		}(), ErrMalformed},
		{"timestamp not a number", func() providers.WebhookRequest {
			r := signed(sleepBody, testSecret, now, now)
			r.Header.Set("X-WHOOP-Signature-Timestamp", "yesterday")
			return r
		}(), ErrMalformed},
		{"signed garbage", signed([]byte(`{"user_id":`), testSecret, now, now), ErrMalformed},
		{"signed without id", signed([]byte(`{"user_id":10129,"type":"sleep.updated"}`), testSecret, now, now), ErrMalformed},
		{"signed with a user that is not a number", signed([]byte(`{"user_id":"bob","id":"x","type":"sleep.updated"}`), testSecret, now, now), ErrMalformed},
	}
	for _, c := range refused {
		events, err := New().Webhook(cfg, c.req)
		if !errors.Is(err, c.want) || events != nil {
			t.Errorf("%s: %+v, %v; want %v", c.name, events, err, c.want)
		}
	}

	if _, err := New().Webhook(providers.Config{}, signed(sleepBody, "", now, now)); err == nil {
		t.Error("a connection without a client secret accepted a webhook signed with the empty key")
	}
}
