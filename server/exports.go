package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"healthsync/auth"
	"healthsync/db"
	"healthsync/rights"
	"healthsync/server/httpjson"
)

// exportDownload serves GET /exports/{id}: a finished export's zip, to the user it belongs to only (another
// user's id answers 404 like an id that does not exist), streamed piece by piece. The user is the bearer
// token's, or the one a signed link (user, expires, signature from dataExport's downloadLink) was made for.
func exportDownload(store *db.Store, svc *rights.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if r.URL.Query().Has("signature") {
			userID, lerr := svc.VerifyLink(id, r.URL.Query())
			switch {
			case err != nil:
				httpjson.Error(w, http.StatusForbidden, "LINK_INVALID", rights.ErrLinkInvalid.Error())
			case errors.Is(lerr, rights.ErrLinkInvalid):
				httpjson.Error(w, http.StatusForbidden, "LINK_INVALID", lerr.Error())
			case errors.Is(lerr, rights.ErrLinkExpired):
				httpjson.Error(w, http.StatusGone, "LINK_EXPIRED", lerr.Error())
			default:
				sendExport(w, r, svc, log, userID, id)
			}
			return
		}
		p, ok := auth.FromContext(ctx)
		if !ok {
			msg := "a valid bearer token (or the signed downloadLink of dataExport) is required"
			if err := auth.ErrorFromContext(ctx); err != nil {
				msg = err.Error()
			}
			httpjson.Error(w, http.StatusUnauthorized, "UNAUTHENTICATED", msg)
			return
		}
		if !p.Has(auth.ScopeRead) {
			httpjson.Error(w, http.StatusForbidden, "FORBIDDEN", "the token lacks the read scope")
			return
		}
		if err != nil {
			httpjson.Error(w, http.StatusNotFound, "NOT_FOUND", "there is no such export")
			return
		}
		u, err := store.EnsureUser(ctx, p.Subject)
		if err != nil {
			log.ErrorContext(ctx, "export download: user", "err", err)
			httpjson.Error(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the database is unavailable; retry")
			return
		}
		sendExport(w, r, svc, log, u.ID, id)
	})
}

func sendExport(w http.ResponseWriter, r *http.Request, svc *rights.Service, log *slog.Logger, userID, id int64) {
	ctx := r.Context()
	started := false
	err := svc.WriteExport(ctx, userID, id, func(e db.Export) {
		started = true
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", strconv.FormatInt(e.Bytes, 10))
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="healthsync-export-%d.zip"`, e.ID))
		w.Header().Set("Cache-Control", "no-store")
	}, w)
	switch {
	case err == nil:
	case started: // the headers are out: all that is left is to cut the body short
		log.WarnContext(ctx, "export download interrupted", "export", id, "err", err)
	case errors.Is(err, rights.ErrNotFound):
		httpjson.Error(w, http.StatusNotFound, "NOT_FOUND", "there is no such export")
	case errors.Is(err, rights.ErrExpired):
		httpjson.Error(w, http.StatusGone, "EXPORT_EXPIRED", err.Error())
	case errors.Is(err, rights.ErrNotReady):
		httpjson.Error(w, http.StatusConflict, "EXPORT_NOT_READY", err.Error()+"; poll dataExport until status is DONE")
	default:
		log.ErrorContext(ctx, "export download", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "INTERNAL", "internal error; it has been logged")
	}
}
