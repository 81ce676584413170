package oura

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"healthsync/cloud/providers"
)

// ErrSignature refuses a webhook that is unsigned, badly signed or too old; ErrMalformed one whose signed body
// is not an Oura notification. Neither says more: a caller probing the endpoint learns nothing.
var (
	ErrSignature = errors.New("oura webhook: signature")
	ErrMalformed = errors.New("oura webhook: malformed")
)

// webhookTolerance is how far x-oura-timestamp may be from now: a captured notification cannot be replayed
// later, and a sender's clock may be a little off either way.
const webhookTolerance = 5 * time.Minute

// maxChallenge bounds the challenge echoed back: the GET is unauthenticated until the token matches, and
// the answer should not be a reflector for arbitrary amounts of data.
const maxChallenge = 512

// Webhook verifies an Oura notification and returns the record it announces.
//
// Oura signs each POST with x-oura-signature: the hex HMAC-SHA256, keyed with the application's client
// secret, of the x-oura-timestamp header value followed by the body. That is the form Oura's webhook guide
// and every integration we read use; the guide's sample prints the digest in upper case and the timestamp
// as Unix seconds. The hex is compared as bytes (either case passes), and a timestamp in milliseconds is
// read as such, since secondary guides disagree and both name one instant. The raw body is what is verified:
// Oura's sample re-serialises the parsed JSON instead, which gives the same bytes only if Oura sends compact
// JSON in key order (assumed, not verified against the live service).
func (a *Adapter) Webhook(cfg providers.Config, req providers.WebhookRequest) ([]providers.Event, error) {
	if cfg.ClientSecret == "" {
		return nil, ErrSignature
	}
	sig := strings.TrimSpace(req.Header.Get("x-oura-signature"))
	ts := strings.TrimSpace(req.Header.Get("x-oura-timestamp"))
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size || ts == "" {
		return nil, ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(cfg.ClientSecret))
	mac.Write([]byte(ts))
	mac.Write(req.Body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil, ErrSignature
	}
	at, ok := unixTime(ts)
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !ok || now.Sub(at).Abs() > webhookTolerance {
		return nil, ErrSignature
	}

	var b webhookBody
	if err := json.Unmarshal(req.Body, &b); err != nil || b.UserID == "" || b.DataType == "" || b.ObjectID == "" {
		return nil, ErrMalformed
	}
	switch b.EventType {
	case "create", "update", "delete":
	default:
		return nil, ErrMalformed
	}
	switch b.DataType {
	case DailyActivity, Sleep, Workout, DailySpO2:
	default:
		// A data type the adapter does not map (a subscription made for another purpose): accepted, and
		// nothing to do.
		return nil, nil
	}
	return []providers.Event{{
		ProviderUserID: b.UserID,
		DataType:       b.DataType,
		RecordID:       b.ObjectID,
		Deleted:        b.EventType == "delete",
	}}, nil
}

// unixTime reads a Unix timestamp in seconds, or in milliseconds when it is too large to be seconds of this
// era.
func unixTime(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n >= 1e12 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// Challenge answers Oura's subscription check: a GET with the verification_token the subscription was made
// with (Config.WebhookSecret) and a challenge to echo as {"challenge": ...}.
func (a *Adapter) Challenge(cfg providers.Config, query url.Values) ([]byte, bool) {
	token, challenge := query.Get("verification_token"), query.Get("challenge")
	if cfg.WebhookSecret == "" || challenge == "" || len(challenge) > maxChallenge ||
		subtle.ConstantTimeCompare([]byte(token), []byte(cfg.WebhookSecret)) != 1 {
		return nil, false
	}
	answer, err := json.Marshal(map[string]string{"challenge": challenge})
	if err != nil {
		return nil, false
	}
	return answer, true
}
