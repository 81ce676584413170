package openwearables

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/ingest"
	"healthsync/server/httpjson"
)

// Handler serves the routes the Open Wearables SDKs call under their base URL (host + /api/v1).
type Handler struct {
	svc   *ingest.Service
	store *db.Store
	cat   *catalog.Catalog
	log   *slog.Logger
}

// NewHandler wires the routes to the write path.
func NewHandler(svc *ingest.Service, store *db.Store, cat *catalog.Catalog, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, store: store, cat: cat, log: log}
}

// Routes is the handler for /api/v1/: the sync upload (and its pre-0.4 iOS route), the SDK's diagnostic logs,
// its sign-out notice and its token refresh. v authenticates healthsync's own tokens; the caller puts a
// body-size limit in front.
func (h *Handler) Routes(v *auth.Verifier) http.Handler {
	mux := http.NewServeMux()
	authed := func(f http.HandlerFunc) http.Handler { return bareBearer(v.Middleware(f)) }
	mux.Handle("POST /api/v1/sdk/users/{user_id}/sync", authed(h.sync))
	mux.Handle("POST /api/v1/sdk/users/{user_id}/sync/apple", authed(h.syncApple))
	mux.Handle("POST /api/v1/sdk/users/{user_id}/logs", authed(h.logs))
	mux.Handle("DELETE /api/v1/users/{user_id}/connections/{provider}", authed(h.disconnect))
	mux.HandleFunc("POST /api/v1/token/refresh", h.refresh)
	return mux
}

// bareBearer reads an Authorization header without a scheme as a bearer token: the iOS SDK sends the access
// token exactly as the app handed it over, while the Android SDK adds "Bearer ".
func bareBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vs := r.Header.Values("Authorization"); len(vs) == 1 {
			if v := strings.TrimSpace(vs[0]); v != "" && !strings.Contains(v, " ") {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+v)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Response is the answer to a stored upload. status_code, response and user_id are the shape of their backend's
// answer; the counts and per-item rejections are healthsync's.
type Response struct {
	StatusCode int         `json:"status_code"`
	Response   string      `json:"response"`
	UserID     string      `json:"user_id"`
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Updated    int         `json:"updated"`
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections"`
	Batches    int         `json:"batches"`
}

// keepRejections bounds the answer; the count covers all of them.
const keepRejections = 100

// unavailableRetryAfter is how long the SDK is told to wait when the database cannot be reached.
const unavailableRetryAfter = "5"

// principal authenticates the request and checks the path's user against the token's subject. It answers the
// refusal itself and reports false then.
func (h *Handler) principal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	ctx := r.Context()
	p, ok := auth.FromContext(ctx)
	if !ok {
		if r.Header.Get("Authorization") == "" && r.Header.Get("X-Open-Wearables-API-Key") != "" {
			httpjson.Error(w, http.StatusUnauthorized, "API_KEY_UNSUPPORTED",
				"healthsync does not take Open Wearables API keys: sign the SDK in with a healthsync access token minted by your backend")
			return p, false
		}
		msg := "a valid healthsync access token is required (Authorization: Bearer <token>)"
		if err := auth.ErrorFromContext(ctx); err != nil {
			msg = err.Error()
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="healthsync"`)
		httpjson.Error(w, http.StatusUnauthorized, "UNAUTHENTICATED", msg)
		return p, false
	}
	if r.PathValue("user_id") != p.Subject {
		httpjson.Error(w, http.StatusForbidden, "USER_MISMATCH", "the user in the path is not the token's user: use the token's subject as the SDK's userId")
		return p, false
	}
	if !p.Has(auth.ScopeIngest) {
		httpjson.Error(w, http.StatusForbidden, "FORBIDDEN", "the token lacks the ingest scope")
		return p, false
	}
	return p, true
}

// sync takes the current body (iOS SDK 0.4+, Android, React Native), which names its provider.
func (h *Handler) sync(w http.ResponseWriter, r *http.Request) {
	h.upload(w, r, "", Decode)
}

// syncApple takes what the iOS SDK before 0.4.0 (and the Flutter plugin 0.0.7, which pins iOS 0.2.x) posts to
// the route that named the provider: the 0.2.x body or the current one (legacy.go).
func (h *Handler) syncApple(w http.ResponseWriter, r *http.Request) {
	h.upload(w, r, "apple", DecodeApple)
}

// upload is both sync routes: authenticate, decode with decode, map, and store through the write path, one
// batch per chunk of the limit. route is the provider the path names, or "" when it names none.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, route string, decode func([]byte) (*Request, *DecodeError)) {
	p, ok := h.principal(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
		return
	}
	req, derr := decode(body)
	if derr != nil {
		httpjson.Error(w, http.StatusBadRequest, derr.Code, derr.Message)
		return
	}
	if route != "" && !strings.EqualFold(strings.TrimSpace(req.Provider), route) {
		httpjson.Error(w, http.StatusBadRequest, "PROVIDER_MISMATCH", fmt.Sprintf(
			"the body's provider %q is not this route's %q: post %s data to /api/v1/sdk/users/{user_id}/sync",
			clip(req.Provider), route, clip(req.Provider)))
		return
	}
	mapped, err := Map(req, h.cat)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "UNSUPPORTED_PROVIDER", err.Error())
		return
	}
	u, err := h.store.EnsureUser(ctx, p.Subject)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	res := Response{StatusCode: http.StatusOK, Response: "stored", UserID: p.Subject, Rejections: []Rejection{}}
	keep := func(rej Rejection) {
		res.Rejected++
		if len(res.Rejections) < keepRejections {
			res.Rejections = append(res.Rejections, rej)
		}
	}
	for _, rej := range mapped.Rejected {
		keep(rej)
	}
	for _, b := range Batches(mapped, h.svc.Limits().MaxItems) {
		out, err := h.svc.Ingest(ctx, u.ID, b.Batch)
		if err != nil {
			if errors.Is(err, ingest.ErrInvalidBatch) || errors.Is(err, ingest.ErrBatchTooLarge) {
				httpjson.Error(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
				return
			}
			h.internal(w, r, err)
			return
		}
		res.Batches++
		if out.Replayed { // answered before: everything in it is already stored
			res.Duplicates += out.Accepted + out.Duplicates + out.Updated
		} else {
			res.Accepted += out.Accepted
			res.Duplicates += out.Duplicates
			res.Updated += out.Updated
		}
		for _, rej := range out.Rejected {
			keep(b.Origin(rej))
		}
	}
	h.log.InfoContext(ctx, "open wearables sync", "user", auth.LogID(p.Subject), "provider", req.Provider,
		"sdk", sdkVersion(r, req), "request_id", clip(r.Header.Get("X-Request-Id")), "route", r.Pattern, "accepted", res.Accepted, "duplicates", res.Duplicates, "rejected", res.Rejected,
		"batches", res.Batches)
	httpjson.Write(w, http.StatusOK, res)
}

// sdkVersion names the SDK for the log: the iOS SDK 0.15 sends X-Open-Wearables-SDK-Version (its body's
// sdkVersion lagged behind the release in 0.3.x), older bodies name it in sdkVersion, the 0.2.x body not at all.
func sdkVersion(r *http.Request, req *Request) string {
	if v := strings.TrimSpace(r.Header.Get("X-Open-Wearables-SDK-Version")); v != "" {
		return clip(strings.TrimSpace(r.Header.Get("X-Open-Wearables-SDK-Platform")) + " " + v)
	}
	if req.legacy {
		return "ios<0.3"
	}
	return clip(req.SDKVersion.S)
}

// logRequest is the SDK's diagnostic log body; only its size is read.
type logRequest struct {
	SDKVersion Text              `json:"sdkVersion"`
	Provider   Text              `json:"provider"`
	Events     []json.RawMessage `json:"events"`
}

// logs accepts the SDKs' sync diagnostics (Android 0.10+, iOS 0.13+: sync start, per-type end, device state);
// both only log the answer's status. healthsync keeps its own sync state from the uploads, so the events are
// only counted in the log, never stored.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request) {
	p, ok := h.principal(w, r)
	if !ok {
		return
	}
	var body logRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "BAD_REQUEST", "the body is not an SDK log request: send {sdkVersion, provider, events: [...]}")
		return
	}
	h.log.InfoContext(r.Context(), "open wearables sdk log", "user", auth.LogID(p.Subject), "provider", body.Provider.S,
		"sdk", body.SDKVersion.S, "events", len(body.Events))
	httpjson.Write(w, http.StatusAccepted, map[string]any{"status_code": http.StatusAccepted, "response": "log events accepted",
		"user_id": p.Subject})
}

// disconnect answers the sign-out notice of the iOS SDK 0.15 (DELETE /api/v1/users/{user_id}/connections/apple,
// best effort, its answer only logged). Their backend marks the connection disconnected; healthsync keeps no
// connection for phone uploads, so nothing changes: the data and sync state stay until the user erases them.
func (h *Handler) disconnect(w http.ResponseWriter, r *http.Request) {
	p, ok := h.principal(w, r)
	if !ok {
		return
	}
	if _, known := providers[strings.ToLower(r.PathValue("provider"))]; !known {
		httpjson.Error(w, http.StatusNotFound, "NOT_FOUND", "no such connection: the SDKs' providers are apple, samsung and google")
		return
	}
	h.log.InfoContext(r.Context(), "open wearables disconnect", "user", auth.LogID(p.Subject), "provider", r.PathValue("provider"))
	w.WriteHeader(http.StatusNoContent)
}

// refresh answers the SDK's token refresh (POST {"refresh_token"}, no Authorization), which every SDK calls on a
// 401 before retrying the upload once. healthsync issues no refresh tokens, and minting is the app backend's
// job. 401 is the answer every SDK version reads as a refused refresh token (iOS 0.13+ and Android: 401–403;
// iOS 0.2.x: any non-2xx) and reports to the app (onAuthError), which fetches a new access token from its
// backend and hands it over (updateTokens). A 5xx would instead be read as a network error and retried
// silently, leaving the app unaware.
func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	httpjson.Error(w, http.StatusUnauthorized, "REFRESH_UNSUPPORTED",
		"healthsync does not refresh tokens: have your backend mint a new healthsync access token and sign the SDK in with it")
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if db.IsUnavailable(err) {
		// An outage: their SDKs keep the chunk and retry on 5xx, and the retried body replays by its key.
		h.log.WarnContext(r.Context(), "open wearables sync: database unavailable", "err", err)
		w.Header().Set("Retry-After", unavailableRetryAfter)
		httpjson.Error(w, http.StatusServiceUnavailable, "UNAVAILABLE",
			"the database is unreachable for now; the SDK keeps the data and sends it again")
		return
	}
	h.log.ErrorContext(r.Context(), "open wearables sync", "err", err)
	httpjson.Error(w, http.StatusInternalServerError, "INTERNAL", "internal error")
}
