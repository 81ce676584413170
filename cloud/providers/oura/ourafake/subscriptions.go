package ourafake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Subscription is one webhook subscription the fake holds.
type Subscription struct {
	ID          string
	CallbackURL string
	EventType   string
	DataType    string
	Expires     time.Time
	Renewals    int
}

// subscriptionLife is how long a subscription lives before it must be renewed.
const subscriptionLife = 90 * 24 * time.Hour

// Subscriptions lists the subscriptions the fake holds.
func (f *Fake) Subscriptions() []Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Subscription(nil), f.subs...)
}

// ExpireSubscriptions moves every subscription's expiry to at (to make renewal due).
func (f *Fake) ExpireSubscriptions(at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.subs {
		f.subs[i].Expires = at
	}
}

// app checks the app credentials the subscription API takes in headers.
func (f *Fake) app(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-client-id") != f.o.ClientID || r.Header.Get("x-client-secret") != f.o.ClientSecret {
			http.Error(w, `{"detail":"invalid client"}`, http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

type subscriptionJSON struct {
	ID             string `json:"id"`
	CallbackURL    string `json:"callback_url"`
	EventType      string `json:"event_type"`
	DataType       string `json:"data_type"`
	ExpirationTime string `json:"expiration_time"`
}

func (s Subscription) json() subscriptionJSON {
	return subscriptionJSON{ID: s.ID, CallbackURL: s.CallbackURL, EventType: s.EventType, DataType: s.DataType,
		ExpirationTime: s.Expires.UTC().Format(time.RFC3339)}
}

func (f *Fake) listSubscriptions(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	out := make([]subscriptionJSON, 0, len(f.subs))
	for _, s := range f.subs {
		out = append(out, s.json())
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// createSubscription verifies the callback first, as Oura does: a GET with the verification token and a
// challenge that the callback must echo. Only a verified callback gets a subscription.
func (f *Fake) createSubscription(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CallbackURL       string `json:"callback_url"`
		VerificationToken string `json:"verification_token"`
		EventType         string `json:"event_type"`
		DataType          string `json:"data_type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.CallbackURL == "" || in.EventType == "" || in.DataType == "" {
		http.Error(w, `{"detail":"callback_url, verification_token, event_type and data_type are required"}`, http.StatusUnprocessableEntity)
		return
	}
	if in.VerificationToken != f.o.VerificationToken {
		http.Error(w, `{"detail":"verification token differs from the app's"}`, http.StatusBadRequest)
		return
	}
	challenge, resp, err := f.SendChallenge(r.Context(), in.CallbackURL)
	if err != nil {
		http.Error(w, `{"detail":"callback unreachable"}`, http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct {
		Challenge string `json:"challenge"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &answer) != nil || answer.Challenge != challenge {
		http.Error(w, `{"detail":"callback did not answer the challenge"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	s := Subscription{ID: fmt.Sprintf("sub-%d", len(f.subs)+1), CallbackURL: in.CallbackURL, EventType: in.EventType,
		DataType: in.DataType, Expires: time.Now().Add(subscriptionLife)}
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(s.json())
}

func (f *Fake) renewSubscription(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.subs {
		if f.subs[i].ID == r.PathValue("id") {
			f.subs[i].Expires = time.Now().Add(subscriptionLife)
			f.subs[i].Renewals++
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(f.subs[i].json())
			return
		}
	}
	http.NotFound(w, r)
}
