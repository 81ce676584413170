// Package fhirhttp serves the FHIR R4 read API over HTTP: the CapabilityStatement, Observation, Patient and
// Device reads and searches as searchset Bundles (application/fhir+json) or, for bulk reads of Observations,
// streamed NDJSON; errors are OperationOutcomes.
package fhirhttp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
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
	svc     *fhir.Service
	users   *db.Store
	log     *slog.Logger
	now     func() time.Time
	started time.Time
}

// NewHandler builds the handler; users maps a token's subject to the stored user.
func NewHandler(svc *fhir.Service, users *db.Store, log *slog.Logger) *Handler {
	return &Handler{svc: svc, users: users, log: log, now: time.Now, started: time.Now().UTC().Truncate(time.Second)}
}

// Routes are the handler's routes behind v's bearer-token middleware. /fhir/metadata answers without a
// token: clients read it to learn how to authenticate.
func (h *Handler) Routes(v *auth.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/metadata", h.metadata)
	for _, typ := range []string{fhir.TypeObservation, fhir.TypePatient, fhir.TypeDevice} {
		mux.Handle("GET /fhir/"+typ, h.authed(h.search(typ)))
		mux.Handle("POST /fhir/"+typ+"/_search", h.authed(h.search(typ)))
		mux.Handle("GET /fhir/"+typ+"/{id}", h.authed(h.read(typ)))
	}
	mux.HandleFunc("/fhir/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			outcome(w, http.StatusMethodNotAllowed, "not-supported", "METHOD_NOT_ALLOWED",
				"this FHIR server is read-only: GET (and POST .../_search) only")
			return
		}
		outcome(w, http.StatusNotFound, "not-supported", "NOT_FOUND",
			"served: GET /fhir/metadata, /fhir/Observation, /fhir/Patient and /fhir/Device (search, and read by id)")
	})
	return v.Middleware(mux)
}

func outcome(w http.ResponseWriter, status int, issueType, code, msg string) {
	w.Header().Set("Content-Type", ContentJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(fhir.Outcome(issueType, code, msg))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", ContentJSON)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, fhir.Capability(baseURL(r), h.started))
}

// userHandler is a handler of a request whose token has the read scope, with its stored user.
type userHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User)

func (h *Handler) authed(next userHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		u, err := h.users.EnsureUser(ctx, p.Subject)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		next(w, r, p, u)
	})
}

// read answers GET /fhir/<typ>/{id}: the resource when it is the token's user's, else 404. Another user's
// id is answered exactly like an id that never existed.
func (h *Handler) read(typ string) userHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User) {
		ctx, id := r.Context(), r.PathValue("id")
		var res any
		switch typ {
		case fhir.TypeObservation:
			if o, err := h.svc.Read(ctx, u.ID, p.Subject, id); err != nil {
				h.internal(w, r, err)
				return
			} else if o != nil {
				res = o
			}
		case fhir.TypePatient:
			if pt := h.svc.Patient(p.Subject); pt.ID == id {
				res = pt
			}
		case fhir.TypeDevice:
			if d, err := h.svc.Device(ctx, u.ID, p.Subject, id); err != nil {
				h.internal(w, r, err)
				return
			} else if d != nil {
				res = d
			}
		}
		if res == nil {
			outcome(w, http.StatusNotFound, "not-found", "NOT_FOUND", typ+"/"+id+" is not among this user's resources")
			return
		}
		writeJSON(w, res)
	}
}

// strict: the client asked (Prefer: handling=strict) to be refused rather than have parameters ignored.
func strict(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			if k, val, _ := strings.Cut(strings.TrimSpace(part), "="); k == "handling" && strings.Trim(val, `"`) == "strict" {
				return true
			}
		}
	}
	return false
}

func (h *Handler) search(typ string) userHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User) {
		params := r.URL.Query()
		if r.Method == http.MethodPost {
			// POST _search: the parameters in a form body, with those of the URL.
			if err := r.ParseForm(); err != nil {
				outcome(w, http.StatusBadRequest, "invalid", "BAD_USER_INPUT", "the _search body must be application/x-www-form-urlencoded")
				return
			}
			params = r.Form
		}
		q, err := h.svc.ParseSearch(typ, params)
		if err != nil {
			outcome(w, http.StatusBadRequest, "invalid", "BAD_USER_INPUT", err.Error())
			return
		}
		if len(q.Ignored) > 0 && strict(r) {
			outcome(w, http.StatusBadRequest, "not-supported", "BAD_USER_INPUT", fmt.Sprintf(
				"parameters not supported on %s: %s (Prefer: handling=strict); see GET /fhir/metadata", typ, strings.Join(q.Ignored, ", ")))
			return
		}
		switch typ {
		case fhir.TypeObservation:
			h.observations(w, r, p, u, q)
		case fhir.TypePatient:
			h.patients(w, r, p, q)
		case fhir.TypeDevice:
			h.devices(w, r, p, u, q)
		}
	}
}

// links are a search's self link (the parameters it used) and, when there is a following page, its next link.
func links(r *http.Request, q fhir.Search, cursor string) (self, next string) {
	base := baseURL(r) + "/" + q.Type
	self = base
	if len(q.Applied) > 0 {
		self += "?" + q.Applied.Encode()
	}
	if cursor != "" {
		v := maps.Clone(q.Applied)
		v.Set("_cursor", cursor) // replaces this page's own cursor
		next = base + "?" + v.Encode()
	}
	return self, next
}

// finish adds a warning entry naming the ignored parameters and writes the Bundle.
func (h *Handler) finish(w http.ResponseWriter, b fhir.Bundle, q fhir.Search) {
	if len(q.Ignored) > 0 {
		b.Entry = append(b.Entry, fhir.BundleEntry{Resource: fhir.Warning("not-supported",
			"ignored parameters (not supported): "+strings.Join(q.Ignored, ", ")), Search: &fhir.BundleSearch{Mode: "outcome"}})
	}
	writeJSON(w, b)
}

func (h *Handler) patients(w http.ResponseWriter, r *http.Request, p auth.Principal, q fhir.Search) {
	self, _ := links(r, q, "")
	pts := h.svc.Patients(p.Subject, q)
	if q.Summary {
		h.finish(w, fhir.CountBundle(int64(len(pts)), self, h.now()), q)
		return
	}
	var entries []fhir.BundleEntry
	for i := range pts {
		entries = append(entries, fhir.Match(baseURL(r), fhir.TypePatient, pts[i].ID, &pts[i]))
	}
	h.finish(w, fhir.NewBundle(entries, self, "", h.now()), q)
}

func (h *Handler) devices(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User, q fhir.Search) {
	ctx := r.Context()
	if q.Summary {
		q.Count = math.MaxInt
	}
	devs, next, err := h.svc.DevicePage(ctx, u.ID, p.Subject, q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	cursor := ""
	if next != 0 {
		cursor = strconv.FormatInt(next, 36)
	}
	self, nextURL := links(r, q, cursor)
	if q.Summary {
		h.finish(w, fhir.CountBundle(int64(len(devs)), self, h.now()), q)
		return
	}
	var entries []fhir.BundleEntry
	for i := range devs {
		entries = append(entries, fhir.Match(baseURL(r), fhir.TypeDevice, devs[i].ID, &devs[i]))
	}
	h.finish(w, fhir.NewBundle(entries, self, nextURL, h.now()), q)
}

func (h *Handler) observations(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User, q fhir.Search) {
	ctx := r.Context()
	start := h.now()
	if q.Summary {
		n, err := h.svc.Count(ctx, u.ID, p.Subject, q)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		self, _ := links(r, q, "")
		h.finish(w, fhir.CountBundle(n, self, h.now()), q)
		return
	}
	if wantsNDJSON(r) {
		h.ndjson(w, r, p, u, q)
		return
	}
	page, err := h.svc.Page(ctx, u.ID, p.Subject, q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	cursor := ""
	if page.Next != nil {
		cursor = fhir.EncodeCursor(*page.Next)
	}
	self, next := links(r, q, cursor)
	h.finish(w, fhir.SearchBundle(page, baseURL(r), self, next, h.now()), q)
	h.log.InfoContext(ctx, "fhir search", "user", auth.LogID(p.Subject), "observations", len(page.Observations),
		"more", page.Next != nil, "duration_ms", h.now().Sub(start).Milliseconds())
}

func (h *Handler) ndjson(w http.ResponseWriter, r *http.Request, p auth.Principal, u db.User, q fhir.Search) {
	ctx := r.Context()
	start := h.now()
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
