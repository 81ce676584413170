package oura_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"healthsync/cloud/providers"
	"healthsync/cloud/providers/oura"
	"healthsync/cloud/providers/oura/ourafake"
)

func TestWebhookSignature(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{UserID: "u-7"})
	cfg := f.Config()
	a := oura.New()
	now := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	hook := ourafake.Webhook{EventType: "update", DataType: "sleep", ObjectID: "slp-1"}
	req := func(body []byte, h http.Header, at time.Time) providers.WebhookRequest {
		return providers.WebhookRequest{Header: h, Body: body, Now: at, Query: url.Values{}}
	}

	body, h := f.SignWebhook(hook, now, cfg.ClientSecret)
	evs, err := a.Webhook(cfg, req(body, h, now.Add(4*time.Minute)))
	want := []providers.Event{{ProviderUserID: "u-7", DataType: "sleep", RecordID: "slp-1"}}
	if err != nil || !reflect.DeepEqual(evs, want) {
		t.Fatalf("signed webhook = %+v, %v; want %+v", evs, err, want)
	}

	del := hook
	del.EventType = "delete"
	body, h = f.SignWebhook(del, now, cfg.ClientSecret)
	evs, err = a.Webhook(cfg, req(body, h, now))
	if err != nil || len(evs) != 1 || !evs[0].Deleted || evs[0].RecordID != "slp-1" {
		t.Errorf("delete = %+v, %v", evs, err)
	}

	// Lower-case hex is the same signature.
	body, h = f.SignWebhook(hook, now, cfg.ClientSecret)
	h.Set("x-oura-signature", lower(h.Get("x-oura-signature")))
	if _, err := a.Webhook(cfg, req(body, h, now)); err != nil {
		t.Errorf("lower-case signature refused: %v", err)
	}

	refused := map[string]func() providers.WebhookRequest{
		"wrong secret": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, "not-the-secret")
			return req(b, h, now)
		},
		"stale": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now.Add(-6*time.Minute), cfg.ClientSecret)
			return req(b, h, now)
		},
		"from the future": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now.Add(6*time.Minute), cfg.ClientSecret)
			return req(b, h, now)
		},
		"body changed": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, cfg.ClientSecret)
			b[len(b)-2] ^= 1
			return req(b, h, now)
		},
		"timestamp changed": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, cfg.ClientSecret)
			h.Set("x-oura-timestamp", strconv.FormatInt(now.Unix()+1, 10))
			return req(b, h, now)
		},
		"no signature": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, cfg.ClientSecret)
			h.Del("x-oura-signature")
			return req(b, h, now)
		},
		"no timestamp": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, cfg.ClientSecret)
			h.Del("x-oura-timestamp")
			return req(b, h, now)
		},
		"not hex": func() providers.WebhookRequest {
			b, h := f.SignWebhook(hook, now, cfg.ClientSecret)
			h.Set("x-oura-signature", "zz"+h.Get("x-oura-signature")[2:])
			return req(b, h, now)
		},
	}
	for name, mk := range refused {
		if evs, err := a.Webhook(cfg, mk()); !errors.Is(err, oura.ErrSignature) || evs != nil {
			t.Errorf("%s: %+v, %v; want ErrSignature", name, evs, err)
		}
	}

	// No client secret configured: nothing can be verified, so everything is refused.
	body, h = f.SignWebhook(hook, now, "")
	if _, err := a.Webhook(providers.Config{}, req(body, h, now)); !errors.Is(err, oura.ErrSignature) {
		t.Errorf("empty secret: %v", err)
	}
}

func TestWebhookBody(t *testing.T) {
	cfg := providers.Config{ClientSecret: "s3cret"}
	now := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	sign := func(body string, at time.Time, ms bool) providers.WebhookRequest {
		ts := strconv.FormatInt(at.Unix(), 10)
		if ms {
			ts = strconv.FormatInt(at.UnixMilli(), 10)
		}
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write([]byte(ts + body))
		h := http.Header{}
		h.Set("X-Oura-Timestamp", ts)
		h.Set("X-Oura-Signature", hex.EncodeToString(mac.Sum(nil)))
		return providers.WebhookRequest{Header: h, Body: []byte(body), Now: now}
	}
	a := oura.New()
	ok := `{"event_type":"create","data_type":"daily_activity","object_id":"act-1","user_id":"u","event_time":"2026-11-25T12:59:00+00:00"}`
	// A timestamp in milliseconds names the same instant.
	if evs, err := a.Webhook(cfg, sign(ok, now, true)); err != nil || len(evs) != 1 || evs[0].DataType != "daily_activity" {
		t.Errorf("milliseconds: %+v, %v", evs, err)
	}
	// Signed but not a notification.
	for _, body := range []string{`not json`, `{"event_type":"create","data_type":"sleep","user_id":"u"}`,
		`{"event_type":"rename","data_type":"sleep","object_id":"x","user_id":"u"}`,
		`{"event_type":"create","data_type":"sleep","object_id":"x"}`} {
		if _, err := a.Webhook(cfg, sign(body, now, false)); !errors.Is(err, oura.ErrMalformed) {
			t.Errorf("%s: %v; want ErrMalformed", body, err)
		}
	}
	// A data type the adapter does not map is accepted with nothing to do.
	tag := `{"event_type":"create","data_type":"tag","object_id":"t-1","user_id":"u","event_time":"2026-11-25T12:59:00+00:00"}`
	if evs, err := a.Webhook(cfg, sign(tag, now, false)); err != nil || len(evs) != 0 {
		t.Errorf("tag: %+v, %v", evs, err)
	}
}

func TestChallenge(t *testing.T) {
	a := oura.New()
	cfg := providers.Config{WebhookSecret: "verify-me"}
	q := url.Values{"verification_token": {"verify-me"}, "challenge": {"abc123"}}
	answer, ok := a.Challenge(cfg, q)
	var got map[string]string
	if !ok || json.Unmarshal(answer, &got) != nil || !reflect.DeepEqual(got, map[string]string{"challenge": "abc123"}) {
		t.Errorf("challenge = %s, %v", answer, ok)
	}
	for name, c := range map[string]struct {
		cfg providers.Config
		q   url.Values
	}{
		"wrong token":     {cfg, url.Values{"verification_token": {"verify-you"}, "challenge": {"abc"}}},
		"no token":        {cfg, url.Values{"challenge": {"abc"}}},
		"no challenge":    {cfg, url.Values{"verification_token": {"verify-me"}}},
		"nothing set up":  {providers.Config{}, url.Values{"verification_token": {""}, "challenge": {"abc"}}},
		"huge challenge":  {cfg, url.Values{"verification_token": {"verify-me"}, "challenge": {string(make([]byte, 4096))}}},
		"token is prefix": {cfg, url.Values{"verification_token": {"verify"}, "challenge": {"abc"}}},
	} {
		if answer, ok := a.Challenge(c.cfg, c.q); ok || answer != nil {
			t.Errorf("%s: answered %q", name, answer)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
