package resolvers

import (
	"context"
	"errors"
	"sort"
	"strconv"

	"healthsync/auth"
	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/rights"
)

func (r *Resolver) requestErasure(ctx context.Context, eraseNow *bool, graceDays *int) (*model.Erasure, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	e, err := r.Rights.RequestErasure(ctx, u.ID, rights.ErasureRequest{Subject: p.Subject, TokenID: p.TokenID,
		EraseNow: eraseNow != nil && *eraseNow, GraceDays: graceDays})
	if err != nil {
		return nil, err
	}
	return erasureModel(&e), nil
}

func (r *Resolver) cancelErasure(ctx context.Context) (*model.Erasure, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	e, err := r.Rights.CancelErasure(ctx, u.ID)
	return erasureModel(e), err
}

func (r *Resolver) erasure(ctx context.Context) (*model.Erasure, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	e, err := r.Rights.Erasure(ctx, u.ID)
	return erasureModel(e), err
}

func erasureModel(e *db.Erasure) *model.Erasure {
	if e == nil {
		return nil
	}
	rows := e.Rows()
	tables := make([]string, 0, len(rows))
	for t := range rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	out := &model.Erasure{ID: strconv.FormatInt(e.ID, 10), Status: model.ErasureStatus(e.Status),
		RequestedAt: e.RequestedAt, RunsAfter: e.RunAfter, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt,
		RowsErased: make([]model.ErasedTable, 0, len(tables))}
	for _, t := range tables {
		out.RowsErased = append(out.RowsErased, model.ErasedTable{Table: t, Rows: rows[t]})
	}
	return out
}

func (r *Resolver) requestDataExport(ctx context.Context, format *model.ExportFormat) (*model.DataExport, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	f := model.ExportFormatNdjsonZip
	if format != nil {
		f = *format
	}
	e, err := r.Rights.RequestExport(ctx, u.ID, string(f))
	if errors.Is(err, rights.ErrPending) {
		return nil, &codedError{CodeExportPending, err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return r.exportModel(&e), nil
}

// CodeExportPending: an export of another format is still queued or running; one at a time per user.
const CodeExportPending = "EXPORT_PENDING"

func (r *Resolver) dataExport(ctx context.Context, id string) (*model.DataExport, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, nil // not an id we hand out: there is no such export
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	e, err := r.Rights.Export(ctx, u.ID, n)
	return r.exportModel(e), err
}

// ExportPath is where a finished export is downloaded, with the same bearer token.
func ExportPath(id int64) string { return "/exports/" + strconv.FormatInt(id, 10) }

func (r *Resolver) exportModel(e *db.Export) *model.DataExport {
	if e == nil {
		return nil
	}
	out := &model.DataExport{ID: strconv.FormatInt(e.ID, 10), Format: model.ExportFormat(e.Format),
		Status: model.ExportStatus(e.Status), RowsDone: e.RowsDone, RowsTotal: e.RowsTotal, Bytes: e.Bytes,
		CreatedAt: e.CreatedAt, FinishedAt: e.FinishedAt, Error: e.Error, ExpiresAt: r.Rights.ExpiresAt(*e)}
	if e.Status == db.ExportDone {
		u := ExportPath(e.ID)
		out.DownloadURL = &u
		if l := r.Rights.SignedLink(*e, u); l != nil {
			out.DownloadLink, out.DownloadLinkExpiresAt = &l.URL, &l.Expires
		}
	}
	return out
}
