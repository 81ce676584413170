package cloudsync

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"healthsync/cloud/providers"
	"healthsync/db"
	"healthsync/ingest"
)

// maxWebhookBody bounds a webhook request: Garmin pushes a day of summaries inline.
const maxWebhookBody = 16 << 20

// Handler serves the provider-facing endpoints, mounted at /providers/:
//
//	GET  /providers/{provider}/start     a connection link (connectProvider's authorizeUrl): on to the provider
//	GET  /providers/{provider}/callback  the OAuth redirect back from the provider's consent page
//	POST /providers/{provider}/webhook   the provider's notifications (signature checked by the adapter)
//	GET  /providers/{provider}/webhook   the subscription challenge of providers that have one
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /providers/{provider}/start", s.serveStart)
	mux.HandleFunc("GET /providers/{provider}/callback", s.serveCallback)
	mux.HandleFunc("POST /providers/{provider}/webhook", s.serveWebhook)
	mux.HandleFunc("GET /providers/{provider}/webhook", s.serveChallenge)
	return mux
}

func providerOf(r *http.Request) ingest.Provider {
	return ingest.Provider(strings.ToUpper(r.PathValue("provider")))
}

// browserCookie holds the key that binds an authorization to the browser that opened the link.
const browserCookie = "healthsync_oauth"

func (s *Service) serveStart(w http.ResponseWriter, r *http.Request) {
	name := providerOf(r)
	redirect, key, expires, err := s.Start(r.Context(), name, r.URL.Query().Get("ticket"))
	if err != nil {
		s.finish(w, r, name, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:  browserCookie,
		Value: key,
		// Only this provider's callback receives it; Lax lets the provider's redirect back carry it.
		Path:     "/providers/" + strings.ToLower(string(name)) + "/",
		Expires:  expires,
		MaxAge:   max(1, int(time.Until(expires).Seconds())),
		HttpOnly: true,
		Secure:   strings.HasPrefix(s.o.PublicURL, "https://"),
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, redirect, http.StatusFound)
}

func (s *Service) serveCallback(w http.ResponseWriter, r *http.Request) {
	name := providerOf(r)
	q := r.URL.Query()
	var err error
	if e := q.Get("error"); e != "" {
		err = fmt.Errorf("%w: %s", ErrDenied, e)
	} else {
		var key string
		if c, cerr := r.Cookie(browserCookie); cerr == nil {
			key = c.Value
		}
		_, err = s.Callback(r.Context(), name, q.Get("state"), q.Get("code"), key)
	}
	s.finish(w, r, name, err)
}

// finish answers the end of the browser's part: a page for the user, or a redirect to AfterConnectURL with
// the outcome.
func (s *Service) finish(w http.ResponseWriter, r *http.Request, name ingest.Provider, err error) {
	status, title, detail := "connected", "Connected", fmt.Sprintf("%s is connected. Its data of the last %d days is being fetched; you can close this window.", displayName(name), s.o.BackfillDays)
	code := http.StatusOK
	switch {
	case err == nil:
	case errors.Is(err, ErrUnknownProvider), errors.Is(err, ErrNotConfigured):
		status, title, detail, code = "unavailable", "Not available", "This server is not set up to connect to that provider.", http.StatusNotFound
	case errors.Is(err, ErrBadState), errors.Is(err, ErrLinkSpent):
		status, title, detail, code = "expired", "Link expired", "This connection link is invalid, was already opened, or has expired. Start connecting again from the app.", http.StatusBadRequest
	case errors.Is(err, ErrOtherBrowser):
		status, title, detail, code = "other_browser", "Not connected", "This connection was finished in another browser than the one that opened the link, so nothing was connected. Start connecting again from the app and finish in the same browser.", http.StatusBadRequest
	case errors.Is(err, ErrDenied):
		status, title, detail, code = "denied", "Not connected", "Access was not granted, so nothing was connected.", http.StatusOK
	default:
		s.o.Logger.Error("cloud provider connection", "provider", name, "err", err)
		status, title, detail, code = "error", "Not connected", fmt.Sprintf("%s could not be reached to finish connecting. Try again in a few minutes.", displayName(name)), http.StatusBadGateway
	}
	if s.o.AfterConnectURL != "" {
		u, perr := url.Parse(s.o.AfterConnectURL)
		if perr == nil {
			v := u.Query()
			v.Set("provider", string(name))
			v.Set("status", status)
			u.RawQuery = v.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><p>%s</p>",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(detail))
}

func displayName(p ingest.Provider) string {
	s := strings.ToLower(string(p))
	if s == "" {
		return "The provider"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Service) serveChallenge(w http.ResponseWriter, r *http.Request) {
	p, err := s.provider(providerOf(r))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ch, ok := p.Adapter.(providers.Challenger)
	if !ok {
		http.Error(w, "this provider sends no subscription challenge", http.StatusMethodNotAllowed)
		return
	}
	answer, ok := ch.Challenge(p.Config, r.URL.Query())
	if !ok {
		http.Error(w, "verification token does not match", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(answer)
}

// serveWebhook acknowledges a notification only once what it says is stored: pushed data is written, deletions
// are applied, and records to fetch are queued as jobs, all in PostgreSQL before the 200. Anything that fails
// answers 500, so the provider sends the notification again (storing is idempotent).
func (s *Service) serveWebhook(w http.ResponseWriter, r *http.Request) {
	name := providerOf(r)
	p, err := s.provider(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	events, err := p.Adapter.Webhook(p.Config, providers.WebhookRequest{Header: r.Header, Query: r.URL.Query(),
		Body: body, Now: s.o.Now()})
	if err != nil {
		s.o.Observer.ObserveWebhook(string(name), "refused")
		s.o.Logger.Warn("cloud provider webhook refused", "provider", name, "err", err)
		http.Error(w, "webhook refused: signature or payload invalid", http.StatusUnauthorized)
		return
	}
	if err := s.HandleEvents(r.Context(), name, events); err != nil {
		s.o.Observer.ObserveWebhook(string(name), "failed")
		s.o.Logger.Error("cloud provider webhook", "provider", name, "err", err)
		http.Error(w, "could not store the notification; send it again", http.StatusInternalServerError)
		return
	}
	s.o.Observer.ObserveWebhook(string(name), "stored")
	w.WriteHeader(http.StatusNoContent)
}

// HandleEvents applies verified webhook events: each goes to every user connected under the provider's user id.
func (s *Service) HandleEvents(ctx context.Context, name ingest.Provider, events []providers.Event) error {
	now := s.o.Now().UTC()
	users := map[string][]db.Connection{}
	for _, ev := range events {
		conns, ok := users[ev.ProviderUserID]
		if !ok {
			if err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
				var err error
				conns, err = tx.ConnectionsByProviderUser(ctx, string(name), ev.ProviderUserID)
				return err
			}); err != nil {
				return err
			}
			users[ev.ProviderUserID] = conns
			if len(conns) == 0 {
				// Nobody here (any more): acknowledged, so the provider stops sending it.
				s.o.Logger.Info("cloud provider webhook for an unknown user ignored", "provider", name)
			}
		}
		for _, c := range conns {
			if err := s.applyEvent(ctx, c, ev, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) applyEvent(ctx context.Context, c db.Connection, ev providers.Event, now time.Time) error {
	name := ingest.Provider(c.Provider)
	switch {
	case ev.Revoked:
		s.o.Logger.Info("cloud provider access withdrawn by the user", "provider", name)
		return s.store.InUserTx(ctx, c.UserID, func(tx *db.Tx) error {
			if err := announceReauthorize(ctx, tx, c.Provider, now); err != nil {
				return err
			}
			return tx.RevokeConnection(ctx, c.Provider, "access was withdrawn at "+displayName(name)+"; connect again to resume", now)
		})
	case len(ev.Records) > 0:
		r, err := s.storeRecords(ctx, c.UserID, name, ev.Records)
		if err != nil {
			return err
		}
		types := map[string]bool{}
		for _, rec := range ev.Records {
			types[rec.DataType] = true
		}
		for dt := range types {
			cur := "pushed " + now.Format(time.RFC3339)
			if err := s.progress(ctx, c.UserID, name, dt, &cur, r); err != nil {
				return err
			}
		}
		return nil
	case ev.Deleted && ev.RecordID != "":
		_, err := s.deleteRecord(ctx, c.UserID, name, ev.DataType, ev.RecordID)
		return err
	case ev.RecordID != "":
		id := ev.RecordID
		return s.store.InUserTx(ctx, c.UserID, func(tx *db.Tx) error {
			return tx.EnqueueJobs(ctx, []db.ProviderJob{{Provider: c.Provider, Kind: db.JobFetchRecord,
				DataType: ev.DataType, RecordID: &id, RunAt: now}}, now)
		})
	case !ev.From.IsZero() && ev.From.Before(ev.To):
		f, t := ev.From.UTC(), ev.To.UTC()
		days := int((t.Sub(f) + 24*time.Hour - 1) / (24 * time.Hour))
		return s.store.InUserTx(ctx, c.UserID, func(tx *db.Tx) error {
			return tx.EnqueueJobs(ctx, []db.ProviderJob{{Provider: c.Provider, Kind: db.JobBackfill,
				DataType: ev.DataType, WindowFrom: &f, WindowTo: &t, WindowTotalDays: days, RunAt: now}}, now)
		})
	}
	return nil
}
