package resolvers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"healthsync/db"
	"healthsync/graph/model"
	"healthsync/importers/jobs"
)

func (r *Resolver) importService() (*jobs.Service, error) {
	if r.Imports == nil {
		return nil, errors.New("imports are not configured on this server")
	}
	return r.Imports, nil
}

func importError(err error) error {
	switch {
	case errors.Is(err, jobs.ErrInvalid):
		return badInput(strings.TrimPrefix(err.Error(), jobs.ErrInvalid.Error()+": "))
	case errors.Is(err, jobs.ErrNotFound):
		return badInput("no such import job")
	}
	return err
}

func parseJobID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, badInput("jobId is not an import job id")
	}
	return n, nil
}

func (r *Resolver) startAppleHealthImport(ctx context.Context, size int64, fileName *string) (*model.ImportJob, error) {
	svc, err := r.importService()
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	j, err := svc.Start(ctx, u.ID, fileName, size)
	if err != nil {
		return nil, importError(err)
	}
	return importJobModel(j), nil
}

func (r *Resolver) uploadImportChunk(ctx context.Context, jobID string, offset int64, data string) (*model.ImportJob, error) {
	svc, err := r.importService()
	if err != nil {
		return nil, err
	}
	id, err := parseJobID(jobID)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, badInput("data is not standard base64")
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	j, err := svc.Append(ctx, u.ID, id, offset, raw)
	if err != nil {
		return nil, importError(err)
	}
	return importJobModel(j), nil
}

func (r *Resolver) finishImportUpload(ctx context.Context, jobID string) (*model.ImportJob, error) {
	svc, err := r.importService()
	if err != nil {
		return nil, err
	}
	id, err := parseJobID(jobID)
	if err != nil {
		return nil, err
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	j, err := svc.Finish(ctx, u.ID, id)
	if err != nil {
		return nil, importError(err)
	}
	return importJobModel(j), nil
}

func (r *Resolver) importJob(ctx context.Context, jobID string) (*model.ImportJob, error) {
	svc, err := r.importService()
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(jobID, 10, 64)
	if err != nil {
		return nil, nil // not an id we hand out: there is no such job
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	j, err := svc.Job(ctx, u.ID, id)
	if err != nil || j == nil {
		return nil, err
	}
	return importJobModel(*j), nil
}

func importJobModel(j db.ImportJob) *model.ImportJob {
	m := &model.ImportJob{ID: strconv.FormatInt(j.ID, 10), Status: model.ImportStatus(j.Status), FileName: j.FileName,
		BytesTotal: j.BytesTotal, BytesUploaded: j.BytesUploaded, BytesDone: j.BytesDone, BytesToRead: j.BytesToRead,
		RecordsRead: j.RecordsRead, Accepted: j.Accepted, Duplicates: j.Duplicates, Updated: j.Updated,
		Rejected: j.Rejected, Unknown: j.Unknown, Skipped: j.Skipped, Error: j.Error,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, FinishedAt: j.FinishedAt}
	if j.Details != nil {
		var d map[string]any
		if json.Unmarshal([]byte(*j.Details), &d) == nil {
			m.Details = d
		}
	}
	return m
}
