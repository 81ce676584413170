package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ImportJob is a background import of an uploaded export, with its progress.
type ImportJob struct {
	ID            int64      `db:"job_id"`
	Kind          string     `db:"kind"`
	FileName      *string    `db:"file_name"`
	Status        string     `db:"status"`
	BytesTotal    int64      `db:"bytes_total"`
	BytesUploaded int64      `db:"bytes_uploaded"`
	BytesDone     int64      `db:"bytes_done"`
	BytesToRead   int64      `db:"bytes_to_read"`
	RecordsRead   int64      `db:"records_read"`
	Accepted      int64      `db:"accepted"`
	Duplicates    int64      `db:"duplicates"`
	Updated       int64      `db:"updated"`
	Rejected      int64      `db:"rejected"`
	Unknown       int64      `db:"unknown"`
	Skipped       int64      `db:"skipped"`
	Details       *string    `db:"details"`
	Error         *string    `db:"error"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
	FinishedAt    *time.Time `db:"finished_at"`
}

// ImportProgress is what a running import reports.
type ImportProgress struct {
	BytesDone, BytesToRead                                                 int64
	RecordsRead, Accepted, Duplicates, Updated, Rejected, Unknown, Skipped int64
	Details                                                                *string // JSON
}

const importJobColumns = `job_id, kind, file_name, status, bytes_total, bytes_uploaded, bytes_done, bytes_to_read,
	records_read, accepted, duplicates, updated, rejected, unknown, skipped, details::text AS details, error,
	created_at, updated_at, finished_at`

// CreateImportJob starts a job waiting for its upload.
func (t *Tx) CreateImportJob(ctx context.Context, kind string, fileName *string, total int64, at time.Time) (ImportJob, error) {
	var j ImportJob
	err := t.tx.GetContext(ctx, &j, `
		INSERT INTO import_jobs (user_id, kind, file_name, status, bytes_total, created_at, updated_at)
		VALUES ($1, $2, $3, 'UPLOADING', $4, $5, $5)
		RETURNING `+importJobColumns, t.userID, kind, fileName, total, at)
	if err != nil {
		return ImportJob{}, fmt.Errorf("create import job: %w", err)
	}
	return j, nil
}

// ImportJob reads one job; nil when the user has no such job.
func (t *Tx) ImportJob(ctx context.Context, id int64, forUpdate bool) (*ImportJob, error) {
	q := `SELECT ` + importJobColumns + ` FROM import_jobs WHERE user_id = $1 AND job_id = $2`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	var j ImportJob
	err := t.tx.GetContext(ctx, &j, q, t.userID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read import job: %w", err)
	}
	return &j, nil
}

// AddImportChunk stores the bytes at offset and advances the upload.
func (t *Tx) AddImportChunk(ctx context.Context, id, offset int64, data []byte, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO import_chunks (user_id, job_id, offset_bytes, data) VALUES ($1, $2, $3, $4)`,
		t.userID, id, offset, data); err != nil {
		return fmt.Errorf("store import chunk: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE import_jobs SET bytes_uploaded = $3, updated_at = $4 WHERE user_id = $1 AND job_id = $2`,
		t.userID, id, offset+int64(len(data)), at); err != nil {
		return fmt.Errorf("advance import upload: %w", err)
	}
	return nil
}

// ImportChunkAt returns the stored chunk that holds byte offset, and where it starts.
func (t *Tx) ImportChunkAt(ctx context.Context, id, offset int64) (start int64, data []byte, err error) {
	var row struct {
		Start int64  `db:"offset_bytes"`
		Data  []byte `db:"data"`
	}
	err = t.tx.GetContext(ctx, &row, `SELECT offset_bytes, data FROM import_chunks
		WHERE user_id = $1 AND job_id = $2 AND offset_bytes <= $3 ORDER BY offset_bytes DESC LIMIT 1`, t.userID, id, offset)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read import chunk: %w", err)
	}
	return row.Start, row.Data, nil
}

// SetImportJobStatus moves a job to status; errMsg is kept for FAILED, finished marks DONE and FAILED.
func (t *Tx) SetImportJobStatus(ctx context.Context, id int64, status string, errMsg *string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE import_jobs SET status = $3::text, error = $4::text, updated_at = $5::timestamptz,
		finished_at = CASE WHEN $3::text IN ('DONE', 'FAILED') THEN $5::timestamptz END
		WHERE user_id = $1 AND job_id = $2`, t.userID, id, status, errMsg, at)
	if err != nil {
		return fmt.Errorf("set import job status: %w", err)
	}
	return nil
}

// UpdateImportProgress records a running job's counts.
func (t *Tx) UpdateImportProgress(ctx context.Context, id int64, p ImportProgress, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE import_jobs SET bytes_done = $3, bytes_to_read = $4, records_read = $5,
		accepted = $6, duplicates = $7, updated = $8, rejected = $9, unknown = $10, skipped = $11,
		details = coalesce($12::jsonb, details), updated_at = $13
		WHERE user_id = $1 AND job_id = $2`, t.userID, id, p.BytesDone, p.BytesToRead, p.RecordsRead, p.Accepted,
		p.Duplicates, p.Updated, p.Rejected, p.Unknown, p.Skipped, p.Details, at)
	if err != nil {
		return fmt.Errorf("update import progress: %w", err)
	}
	return nil
}

// DeleteImportChunks drops a job's uploaded bytes once they are no longer needed.
func (t *Tx) DeleteImportChunks(ctx context.Context, id int64) error {
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM import_chunks WHERE user_id = $1 AND job_id = $2`, t.userID, id); err != nil {
		return fmt.Errorf("delete import chunks: %w", err)
	}
	return nil
}
