package oura

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"healthsync/cloud/providers"
)

var _ providers.Subscriber = (*Adapter)(nil)

// subscription is one of the app's webhook subscriptions as Oura lists them.
type subscription struct {
	ID             string `json:"id"`
	CallbackURL    string `json:"callback_url"`
	EventType      string `json:"event_type"`
	DataType       string `json:"data_type"`
	ExpirationTime string `json:"expiration_time"`
}

// webhookTypes are the data types Oura notifies about that the adapter maps (heart rate has no webhook: it is
// polled).
func webhookTypes() []string { return []string{DailyActivity, Sleep, Workout, DailySpO2} }

// renewWithin is how close to its expiry a subscription is renewed.
const renewWithin = 7 * 24 * time.Hour

// EnsureSubscriptions implements providers.Subscriber: one subscription per mapped data type and event
// (create, update, delete) for callbackURL. Oura answers a creation by calling the callback with the
// verification token (Config.WebhookSecret), which the server's challenge handler checks.
func (a *Adapter) EnsureSubscriptions(ctx context.Context, cfg providers.Config, client *http.Client, callbackURL string, now time.Time) (created, renewed int, err error) {
	if cfg.WebhookSecret == "" {
		return 0, 0, errors.New("oura webhooks need a verification token: set HEALTHSYNC_OURA_WEBHOOK_SECRET")
	}
	base := cfg.APIURL
	if base == "" {
		base = a.Endpoints().APIURL
	}
	base = strings.TrimRight(base, "/") + "/v2/webhook/subscription"
	var subs []subscription
	if err := appCall(ctx, client, cfg, http.MethodGet, base, nil, &subs); err != nil {
		return 0, 0, err
	}
	have := map[string]subscription{}
	for _, s := range subs {
		if s.CallbackURL == callbackURL {
			have[s.DataType+"|"+s.EventType] = s
		}
	}
	for _, dt := range webhookTypes() {
		for _, ev := range []string{"create", "update", "delete"} {
			s, ok := have[dt+"|"+ev]
			if !ok {
				body := map[string]string{"callback_url": callbackURL, "verification_token": cfg.WebhookSecret,
					"event_type": ev, "data_type": dt}
				if err := appCall(ctx, client, cfg, http.MethodPost, base, body, nil); err != nil {
					return created, renewed, fmt.Errorf("subscribe to %s %s: %w", ev, dt, err)
				}
				created++
				continue
			}
			exp, perr := time.Parse(time.RFC3339, s.ExpirationTime)
			if perr != nil || exp.Sub(now) < renewWithin {
				if err := appCall(ctx, client, cfg, http.MethodPut, base+"/renew/"+s.ID, nil, nil); err != nil {
					return created, renewed, fmt.Errorf("renew the %s %s subscription: %w", ev, dt, err)
				}
				renewed++
			}
		}
	}
	return created, renewed, nil
}

// appCall is a request with the app's credentials (x-client-id, x-client-secret), as the subscription API
// takes them.
func appCall(ctx context.Context, client *http.Client, cfg providers.Config, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("x-client-id", cfg.ClientID)
	req.Header.Set("x-client-secret", cfg.ClientSecret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("oura subscriptions: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("oura subscriptions: %s answered %d", method, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("oura subscriptions: decode: %w", err)
		}
	}
	return nil
}
