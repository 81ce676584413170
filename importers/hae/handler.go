package hae

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/ingest"
	"healthsync/server/httpjson"
)

// Handler serves POST /ingest/health-auto-export. It expects the bearer-token middleware in front of it (the
// same tokens as the GraphQL API, scope ingest) and a body-size limit.
type Handler struct {
	svc   *ingest.Service
	store *db.Store
	cat   *catalog.Catalog
	log   *slog.Logger
}

// NewHandler wires the receiver to the write path.
func NewHandler(svc *ingest.Service, store *db.Store, cat *catalog.Catalog, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, store: store, cat: cat, log: log}
}

// Response is the answer: the write path's counts over all batches of the request, and what was not mapped.
type Response struct {
	Accepted   int                `json:"accepted"`
	Duplicates int                `json:"duplicates"`
	Updated    int                `json:"updated"`
	Rejected   int                `json:"rejected"`
	Rejections []ingest.Rejection `json:"rejections"`
	Unknown    map[string]int     `json:"unknown"`
	Invalid    map[string]int     `json:"invalid"`
	Skipped    map[string]int     `json:"skipped"`
	// Refused are the first section items (symptoms, medications, ecg, heartRateNotifications) not handed to
	// the write path, each with its section, index there and code; Invalid counts all of them.
	Refused []Refusal `json:"refused"`
	Batches int       `json:"batches"`
}

const keepRejections = 20

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := auth.FromContext(ctx)
	if !ok {
		httpjson.Error(w, http.StatusUnauthorized, "UNAUTHENTICATED", auth.Refusal(ctx))
		return
	}
	if !p.Has(auth.ScopeIngest) {
		httpjson.Error(w, http.StatusForbidden, "FORBIDDEN", "the token lacks the ingest scope")
		return
	}
	// The body is read whole (as json.Decoder would buffer it anyway): a decoding error's offset is then
	// turned into the item and field it is about.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "the request body could not be read")
		return
	}
	payload, derr := Decode(body)
	if derr != nil {
		writeDecodeError(w, derr)
		return
	}
	u, err := h.store.EnsureUser(ctx, p.Subject)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	mapped := Map(payload, h.cat)
	res := Response{Rejections: []ingest.Rejection{}, Unknown: mapped.Unknown, Invalid: mapped.Invalid,
		Skipped: mapped.Skipped, Refused: mapped.Refused[:min(len(mapped.Refused), keepRejections)]}
	for _, b := range Batches(mapped, h.svc.Limits().MaxItems) {
		out, err := h.svc.Ingest(ctx, u.ID, b)
		if err != nil {
			if errors.Is(err, ingest.ErrInvalidBatch) || errors.Is(err, ingest.ErrBatchTooLarge) {
				httpjson.Error(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
				return
			}
			h.internal(w, r, err)
			return
		}
		res.Batches++
		if out.Replayed {
			// Answered before: for this request everything in it was already stored.
			res.Duplicates += out.Accepted + out.Duplicates + out.Updated
		} else {
			res.Accepted += out.Accepted
			res.Duplicates += out.Duplicates
			res.Updated += out.Updated
		}
		res.Rejected += len(out.Rejected)
		for _, rej := range out.Rejected {
			if len(res.Rejections) < keepRejections {
				res.Rejections = append(res.Rejections, rej)
			}
		}
	}
	h.log.InfoContext(ctx, "health auto export", "user", auth.LogID(p.Subject), "automation", r.Header.Get("automation-name"),
		"accepted", res.Accepted, "duplicates", res.Duplicates, "rejected", res.Rejected, "batches", res.Batches)
	httpjson.Write(w, http.StatusOK, res)
}

// unavailableRetryAfter is how long the app is told to wait when the database cannot be reached.
const unavailableRetryAfter = "2"

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if db.IsUnavailable(err) {
		// An outage, not a bug: the app retries the same payload, whose batches are keyed by their content.
		h.log.WarnContext(r.Context(), "health auto export: database unavailable", "err", err)
		w.Header().Set("Retry-After", unavailableRetryAfter)
		httpjson.Error(w, http.StatusServiceUnavailable, "UNAVAILABLE",
			"the database is unreachable for now; send the same payload again in "+unavailableRetryAfter+" seconds")
		return
	}
	h.log.ErrorContext(r.Context(), "health auto export", "err", err)
	httpjson.Error(w, http.StatusInternalServerError, "INTERNAL", "internal error")
}

// Batches splits the mapped items into ingest batches of at most max items. A batch's idempotency key is a hash
// of its content: the app resends whole periods, and an identical batch is then answered from the stored result.
func Batches(m *Mapped, max int) []ingest.Batch {
	if max <= 0 {
		max = 5000
	}
	var out []ingest.Batch
	cur := ingest.Batch{}
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		cur.Provider = ingest.AppleHealth
		cur.Device = ingest.Device{ID: DeviceID}
		cur.ContentIDs = true
		sum, err := cur.Fingerprint()
		if err != nil { // only metadata JSON cannot encode, which a JSON payload cannot carry: no replay then
			sum = []byte(rand.Text())
		}
		cur.IdempotencyKey = "health-auto-export:" + hex.EncodeToString(sum[:16])
		out = append(out, cur)
		cur, n = ingest.Batch{}, 0
	}
	for _, s := range m.Samples {
		cur.Samples = append(cur.Samples, s)
		if n++; n == max {
			flush()
		}
	}
	for _, c := range m.Categories {
		cur.Categories = append(cur.Categories, c)
		if n++; n == max {
			flush()
		}
	}
	for _, wo := range m.Workouts {
		cur.Workouts = append(cur.Workouts, wo)
		if n++; n == max {
			flush()
		}
	}
	for _, s := range m.StatesOfMind {
		cur.StatesOfMind = append(cur.StatesOfMind, s)
		if n++; n == max {
			flush()
		}
	}
	for _, d := range m.MedicationDoses {
		cur.MedicationDoses = append(cur.MedicationDoses, d)
		if n++; n == max {
			flush()
		}
	}
	for _, e := range m.ECGs {
		// The write path counts an ECG as one item per thousand voltages.
		if w := 1 + len(e.VoltagesUV)/1000; n+w > max {
			flush()
		}
		cur.ECGs = append(cur.ECGs, e)
		if n += 1 + len(e.VoltagesUV)/1000; n >= max {
			flush()
		}
	}
	flush()
	return out
}

// writeDecodeError answers 400 with where the body went wrong in extensions, for programs to point at it.
func writeDecodeError(w http.ResponseWriter, e *DecodeError) {
	ext := map[string]any{"code": e.Code}
	if e.Path != "" {
		ext["path"] = e.Path
	}
	if e.Expected != "" {
		ext["expected"], ext["got"] = e.Expected, e.Got
	}
	if e.Line > 0 {
		ext["line"], ext["column"] = e.Line, e.Column
	}
	httpjson.ErrorWith(w, http.StatusBadRequest, e.Message, ext)
}
