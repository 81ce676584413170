package garmin

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"healthsync/cloud/providers"
)

// ErrSignature refuses a push whose secret does not match; ErrMalformed one whose body cannot be read.
var (
	ErrSignature = errors.New("garmin push: signature")
	ErrMalformed = errors.New("garmin push: malformed")
)

// healthExport is the permission the Health API's summaries need.
const healthExport = "HEALTH_EXPORT"

// Webhook reads a push notification. Garmin signs nothing, so the push URL configured in the developer
// portal carries a secret (query parameter "secret", compared in constant time with Config.WebhookSecret),
// and every summary must name its userId: the caller accepts only users it has a connection for. The data
// is inline, so each Event carries its Records. Summary types the adapter does not map (stressDetails,
// skinTemp, ...) are skipped rather than refused, since refusing makes Garmin retry them for days.
func (Adapter) Webhook(cfg providers.Config, req providers.WebhookRequest) ([]providers.Event, error) {
	got := req.Query.Get("secret")
	if cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(cfg.WebhookSecret)) != 1 {
		return nil, ErrSignature
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.Body, &body); err != nil || body == nil {
		return nil, ErrMalformed
	}
	var events []providers.Event
	for _, dataType := range (Adapter{}).DataTypes() {
		for _, key := range pushKeysOf(dataType) {
			raw, ok := body[key]
			if !ok {
				continue
			}
			evs, err := pushEvents(dataType, raw)
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		}
	}
	gone, err := withdrawn(body)
	if err != nil {
		return nil, err
	}
	for _, u := range gone {
		events = append(events, providers.Event{ProviderUserID: u, DataType: Deregistrations, Deleted: true, Revoked: true})
	}
	return events, nil
}

// pushEvents maps one summary array and groups its records by user, in the order users first appear.
func pushEvents(dataType string, raw json.RawMessage) ([]providers.Event, error) {
	var owners []struct {
		UserID string `json:"userId"`
	}
	if err := json.Unmarshal(raw, &owners); err != nil {
		return nil, ErrMalformed
	}
	recs, err := decoder(dataType)(func(out any) error { return strictUnmarshal(raw, out) })
	if err != nil || len(recs) != len(owners) {
		return nil, ErrMalformed
	}
	var events []providers.Event
	at := map[string]int{}
	for i, o := range owners {
		if o.UserID == "" {
			return nil, fmt.Errorf("%w: a %s summary has no userId", ErrMalformed, dataType)
		}
		j, ok := at[o.UserID]
		if !ok {
			j = len(events)
			at[o.UserID] = j
			events = append(events, providers.Event{ProviderUserID: o.UserID, DataType: dataType})
		}
		events[j].Records = append(events[j].Records, recs[i]...)
	}
	for i := range events {
		events[i].Records = latest(events[i].Records)
	}
	return events, nil
}

// strictUnmarshal decodes numbers as the documented types and refuses trailing data.
func strictUnmarshal(raw []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(out); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// withdrawn lists users who deregistered, or whose permission change took HEALTH_EXPORT away. A permission
// change that keeps HEALTH_EXPORT needs nothing: the summaries it allows keep coming.
func withdrawn(body map[string]json.RawMessage) ([]string, error) {
	var users []string
	if raw, ok := body["deregistrations"]; ok {
		var ds []deregistration
		if err := json.Unmarshal(raw, &ds); err != nil {
			return nil, ErrMalformed
		}
		for _, d := range ds {
			if d.UserID == "" {
				return nil, fmt.Errorf("%w: a deregistration has no userId", ErrMalformed)
			}
			users = append(users, d.UserID)
		}
	}
	if raw, ok := body["userPermissionsChange"]; ok {
		var ps []permissionsChange
		if err := json.Unmarshal(raw, &ps); err != nil {
			return nil, ErrMalformed
		}
		for _, p := range ps {
			if p.UserID == "" {
				return nil, fmt.Errorf("%w: a permission change has no userId", ErrMalformed)
			}
			if !slices.Contains(p.Permissions, healthExport) {
				users = append(users, p.UserID)
			}
		}
	}
	slices.Sort(users)
	return slices.Compact(users), nil
}
