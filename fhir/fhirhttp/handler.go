// Package fhirhttp serves the FHIR export over HTTP: GET /fhir/Observation as a searchset Bundle
// (application/fhir+json) or, for bulk reads, streamed NDJSON; errors are OperationOutcomes.
package fhirhttp

import (
	"bufio"
	"encoding/json"
	"iter"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"healthsync/auth"
	"healthsync/db"
	"healthsync/fhir"
)

// Content types of FHIR's JSON and bulk NDJSON.
const (
	ContentJSON   = "application/fhir+json"
	ContentNDJSON = "application/fhir+ndjson"
)

// Handler answers /fhir/ requests for the token's user.
type Handler struct {
	svc   *fhir.Service
	users *db.Store
	log   *slog.Logger
	now   func() time.Time
}

// NewHandler builds the handler; users maps a token's subject to the stored user.
func NewHandler(svc *fhir.Service, users *db.Store, log *slog.Logger) *Handler {
	return &Handler{svc: svc, users: users, log: log, now: time.Now}
}

// Routes are the handler's routes behind v's bearer-token middleware.
func (h *Handler) Routes(v *auth.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/Observation", h.observations)
	mux.HandleFunc("/fhir/", func(w http.ResponseWriter, r *http.Request) {
		outcome(w, http.StatusNotFound, "not-supported", "NOT_FOUND",
			"only GET /fhir/Observation is served (search with code, date, _count; _format=ndjson for bulk)")
	})
	return v.Middleware(mux)
}

func outcome(w http.ResponseWriter, status int, issueType, code, msg string) {
	w.Header().Set("Content-Type", ContentJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(fhir.Outcome(issueType, code, msg))
}

func (h *Handler) observations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := auth.FromContext(ctx)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="healthsync"`)
		outcome(w, http.StatusUnauthorized, "login", "UNAUTHENTICATED", auth.Refusal(ctx))
		return
	}
	if !p.Has(auth.ScopeRead) {
		outcome(w, http.StatusForbidden, "forbidden", "FORBIDDEN", "the token lacks the read scope")
		return
	}
	q, err := h.svc.ParseSearch(r.URL.Query())
	if err != nil {
		outcome(w, http.StatusBadRequest, "invalid", "BAD_USER_INPUT", err.Error())
		return
	}
	u, err := h.users.EnsureUser(ctx, p.Subject)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	start := h.now()
	if wantsNDJSON(r) {
		// The first page is read before the status goes out, so a search that cannot run at all is still
		// answered with an OperationOutcome; after that a failure can only cut the stream short (and is
		// logged), and a bulk client counts the lines against what it expected.
		next, stop := iter.Pull2(h.svc.All(ctx, u.ID, p.Subject, q))
		defer stop()
		first, err, more := next()
		if more && err != nil {
			h.internal(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ContentNDJSON)
		w.WriteHeader(http.StatusOK)
		rest := func(yield func(fhir.Observation, error) bool) {
			for o, err, ok := first, error(nil), more; ok; o, err, ok = next() {
				if !yield(o, err) {
					return
				}
			}
		}
		bw := bufio.NewWriterSize(flushing{w}, 64<<10)
		n, err := fhir.WriteNDJSON(ctx, bw, rest)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			h.log.WarnContext(ctx, "fhir ndjson cut short", "user", auth.LogID(p.Subject), "written", n, "err", err)
			return
		}
		h.log.InfoContext(ctx, "fhir ndjson", "user", auth.LogID(p.Subject), "observations", n,
			"duration_ms", h.now().Sub(start).Milliseconds())
		return
	}
	page, err := h.svc.Page(ctx, u.ID, p.Subject, q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	base := baseURL(r)
	next := ""
	if page.Next != nil {
		v := r.URL.Query()
		v.Set("_cursor", fhir.EncodeCursor(*page.Next))
		next = base + "/Observation?" + v.Encode()
	}
	self := base + "/Observation"
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	w.Header().Set("Content-Type", ContentJSON)
	_ = json.NewEncoder(w).Encode(fhir.SearchBundle(page, base, self, next, h.now()))
	h.log.InfoContext(ctx, "fhir search", "user", auth.LogID(p.Subject), "observations", len(page.Observations),
		"more", page.Next != nil, "duration_ms", h.now().Sub(start).Milliseconds())
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if db.IsTimeout(err) || r.Context().Err() != nil {
		outcome(w, http.StatusServiceUnavailable, "transient", "UNAVAILABLE", "the search took too long; narrow it with date or code")
		return
	}
	h.log.ErrorContext(r.Context(), "fhir search failed", "err", err)
	outcome(w, http.StatusInternalServerError, "exception", "INTERNAL", "the server could not answer the search; try again later")
}

// wantsNDJSON: _format=ndjson (or its media type), or an Accept naming fhir+ndjson.
func wantsNDJSON(r *http.Request) bool {
	switch f := r.URL.Query().Get("_format"); f {
	case "ndjson", ContentNDJSON, "application/ndjson":
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && (mt == ContentNDJSON || mt == "application/ndjson") {
			return true
		}
	}
	return false
}

// baseURL is the FHIR base (scheme, host, /fhir) the request came in on, for fullUrl and links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: "/fhir"}).String()
}

// flushing pushes each buffer-full of NDJSON to the client as it is written, so a bulk read streams instead
// of piling up in the server.
type flushing struct{ w http.ResponseWriter }

func (f flushing) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err == nil {
		_ = http.NewResponseController(f.w).Flush()
	}
	return n, err
}
