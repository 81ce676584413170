package whoop

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"healthsync/cloud/providers"
)

// Webhook errors: the handler answers 401 to both and says no more.
var (
	ErrSignature = errors.New("whoop webhook: bad signature")
	ErrMalformed = errors.New("whoop webhook: malformed request")
)

// Header names WHOOP signs webhooks with.
const (
	HeaderSignature = "X-WHOOP-Signature"
	HeaderTimestamp = "X-WHOOP-Signature-Timestamp"
)

// webhookTolerance is how far a webhook's timestamp may be from now: a captured request replayed later is
// refused, a sender clock a little off is not.
const webhookTolerance = 5 * time.Minute

// webhookJSON is WHOOP's event body. id is a UUID string for sleeps and workouts under the v2 webhook model
// (the default) and for recoveries the UUID of the sleep they belong to; the legacy v1 model sends integers
// (a recovery's then is its cycle's). Both are read.
type webhookJSON struct {
	UserID  json.Number     `json:"user_id"`
	ID      json.RawMessage `json:"id"`
	Type    string          `json:"type"`
	TraceID string          `json:"trace_id"`
}

// Webhook implements providers.Adapter. WHOOP signs base64(HMAC-SHA256(client secret, timestamp header + raw
// body)) into X-WHOOP-Signature, the timestamp being milliseconds since the epoch
// (developer.whoop.com/docs/developing/webhooks).
func (Adapter) Webhook(cfg providers.Config, req providers.WebhookRequest) ([]providers.Event, error) {
	sig := strings.TrimSpace(req.Header.Get(HeaderSignature))
	ts := strings.TrimSpace(req.Header.Get(HeaderTimestamp))
	if sig == "" || ts == "" || cfg.ClientSecret == "" {
		return nil, ErrMalformed
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, ErrMalformed
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(cfg.ClientSecret))
	mac.Write([]byte(ts))
	mac.Write(req.Body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil, ErrSignature
	}
	// The time is checked after the signature, so an unsigned request learns nothing about the clock.
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	if d := now.Sub(time.UnixMilli(ms)); d > webhookTolerance || d < -webhookTolerance {
		return nil, ErrSignature
	}

	var body webhookJSON
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, ErrMalformed
	}
	user := body.UserID.String()
	if _, err := strconv.ParseInt(user, 10, 64); err != nil {
		return nil, ErrMalformed
	}
	id, ok := recordID(body.ID)
	if !ok {
		return nil, ErrMalformed
	}
	kind, action, _ := strings.Cut(body.Type, ".")
	switch kind {
	case TypeSleep, TypeWorkout, TypeRecovery:
	default:
		// An event type this adapter does not know yet is acknowledged and ignored: refusing it would only
		// make WHOOP retry it.
		return []providers.Event{}, nil
	}
	switch action {
	case "updated", "deleted":
	default:
		return []providers.Event{}, nil
	}
	deleted := action == "deleted"
	events := []providers.Event{{ProviderUserID: user, DataType: kind, RecordID: id, Deleted: deleted}}
	if kind == TypeSleep {
		// The recovery record shares its sleep's id and is timed by it: a rescored sleep moves the recovery's
		// samples, and WHOOP deletes a recovery with its sleep. Saying so here keeps both right whichever
		// webhook model (v1 names recoveries by cycle) the app is set to.
		events = append(events, providers.Event{ProviderUserID: user, DataType: TypeRecovery, RecordID: id, Deleted: deleted})
	}
	return events, nil
}

// recordID reads a webhook's id, a JSON string (v2) or integer (v1).
func recordID(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || strings.TrimSpace(s) == "" {
			return "", false
		}
		return s, true
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}
