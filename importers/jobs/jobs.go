// Package jobs runs whole-export imports in the background: an app uploads an Apple Health export in chunks
// (each a GraphQL request under the body limit), then the import streams it from storage through the same
// importer as the command line, reporting progress on the job as it goes.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"healthsync/db"
	"healthsync/importers/appleexport"
)

// Job statuses.
const (
	StatusUploading = "UPLOADING"
	StatusQueued    = "QUEUED"
	StatusRunning   = "RUNNING"
	StatusDone      = "DONE"
	StatusFailed    = "FAILED"
)

// KindAppleExport is the only kind of import so far.
const KindAppleExport = "apple-export"

// Limits.
const (
	// MaxChunkBytes bounds one uploaded chunk (base64 makes it a third larger in the request).
	MaxChunkBytes = 16 << 20
	// MaxExportBytes bounds a whole export; real ones reach a few GB.
	MaxExportBytes = 16 << 30
)

var (
	// ErrNotFound means the user has no such job.
	ErrNotFound = errors.New("no such import job")
	// ErrInvalid is a request that cannot apply to the job as it is (wrong offset, wrong status, bad size).
	ErrInvalid = errors.New("invalid import request")
)

// Service creates jobs, takes their chunks and runs them.
type Service struct {
	store    *db.Store
	importer *appleexport.Importer
	log      *slog.Logger
	now      func() time.Time
	base     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewService wires the job runner. Jobs run detached from the request that starts them; Close stops them.
func NewService(store *db.Store, importer *appleexport.Importer, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	base, cancel := context.WithCancel(context.Background())
	return &Service{store: store, importer: importer, log: log, now: time.Now, base: base, cancel: cancel}
}

// Close cancels running imports and waits for them to stop. An interrupted job is FAILED and can be started again
// with Finish: imports are idempotent, so a rerun stores only what the first run had not.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Wait blocks until no import is running (tests use it).
func (s *Service) Wait() { s.wg.Wait() }

// Start opens a job for an upload of size bytes.
func (s *Service) Start(ctx context.Context, userID int64, fileName *string, size int64) (db.ImportJob, error) {
	if size <= 0 || size > MaxExportBytes {
		return db.ImportJob{}, fmt.Errorf("%w: size must be between 1 byte and %d bytes", ErrInvalid, int64(MaxExportBytes))
	}
	if fileName != nil && len(*fileName) > 255 {
		return db.ImportJob{}, fmt.Errorf("%w: fileName is longer than 255 bytes", ErrInvalid)
	}
	var job db.ImportJob
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		job, err = tx.CreateImportJob(ctx, KindAppleExport, fileName, size, s.now())
		return err
	})
	return job, err
}

// Append stores the chunk at offset. Chunks come in order; a chunk that was already stored (a retry after a lost
// answer) is acknowledged without writing, so uploads resume from the job's bytesUploaded.
func (s *Service) Append(ctx context.Context, userID, jobID, offset int64, data []byte) (db.ImportJob, error) {
	var job db.ImportJob
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		j, err := tx.ImportJob(ctx, jobID, true)
		if err != nil {
			return err
		}
		if j == nil {
			return ErrNotFound
		}
		end := offset + int64(len(data))
		switch {
		case j.Status != StatusUploading && end <= j.BytesUploaded:
			job = *j // a late retry after the upload completed
			return nil
		case j.Status != StatusUploading:
			return fmt.Errorf("%w: the job is %s, no longer taking chunks", ErrInvalid, j.Status)
		case len(data) == 0 || len(data) > MaxChunkBytes:
			return fmt.Errorf("%w: a chunk holds 1 to %d bytes", ErrInvalid, MaxChunkBytes)
		case end <= j.BytesUploaded:
			job = *j
			return nil
		case offset != j.BytesUploaded:
			return fmt.Errorf("%w: the next chunk starts at offset %d, not %d", ErrInvalid, j.BytesUploaded, offset)
		case end > j.BytesTotal:
			return fmt.Errorf("%w: the chunk ends at %d, past the announced size %d", ErrInvalid, end, j.BytesTotal)
		}
		if err := tx.AddImportChunk(ctx, jobID, offset, data, s.now()); err != nil {
			return err
		}
		j, err = tx.ImportJob(ctx, jobID, false)
		if err != nil {
			return err
		}
		job = *j
		return nil
	})
	return job, err
}

// Finish queues a fully uploaded job and starts it in the background. A FAILED job starts again.
func (s *Service) Finish(ctx context.Context, userID, jobID int64) (db.ImportJob, error) {
	var job db.ImportJob
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		j, err := tx.ImportJob(ctx, jobID, true)
		if err != nil {
			return err
		}
		if j == nil {
			return ErrNotFound
		}
		switch {
		case (j.Status == StatusQueued || j.Status == StatusRunning) && !interrupted(*j, s.now()):
			job = *j
			return nil
		case j.Status == StatusDone:
			job = *j
			return nil
		case j.BytesUploaded != j.BytesTotal:
			return fmt.Errorf("%w: %d of %d bytes uploaded", ErrInvalid, j.BytesUploaded, j.BytesTotal)
		}
		if err := tx.SetImportJobStatus(ctx, jobID, StatusQueued, nil, s.now()); err != nil {
			return err
		}
		j, err = tx.ImportJob(ctx, jobID, false)
		if err != nil {
			return err
		}
		job = *j
		return nil
	})
	if err != nil || job.Status != StatusQueued {
		return job, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(s.base, userID, job)
	}()
	return job, nil
}

// Job reads one of the user's jobs. A job that stopped reporting while queued or running (its server stopped) is
// shown as FAILED; Finish starts it again.
func (s *Service) Job(ctx context.Context, userID, jobID int64) (*db.ImportJob, error) {
	var job *db.ImportJob
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		job, err = tx.ImportJob(ctx, jobID, false)
		return err
	})
	if job != nil && interrupted(*job, s.now()) {
		msg := "interrupted: the import stopped reporting (the server restarted?); finish the upload again to resume"
		job.Status, job.Error = StatusFailed, &msg
	}
	return job, err
}

// staleAfter is how long a running job may stay silent: it reports at least after every batch, which takes well
// under a minute.
const staleAfter = 5 * time.Minute

func interrupted(j db.ImportJob, now time.Time) bool {
	return (j.Status == StatusQueued || j.Status == StatusRunning) && now.Sub(j.UpdatedAt) > staleAfter
}

func (s *Service) setStatus(ctx context.Context, userID, jobID int64, status string, msg *string) error {
	return s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		return tx.SetImportJobStatus(ctx, jobID, status, msg, s.now())
	})
}

// run imports the uploaded bytes, reporting progress at most once a second, and drops the bytes when done.
func (s *Service) run(ctx context.Context, userID int64, job db.ImportJob) {
	log := s.log.With("import_job", job.ID, "user_id", userID)
	if err := s.setStatus(ctx, userID, job.ID, StatusRunning, nil); err != nil {
		log.Error("import job: mark running", "err", err)
		return
	}
	var last time.Time
	progress := func(sum appleexport.Summary) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		if err := s.saveProgress(ctx, userID, job.ID, sum); err != nil {
			log.Warn("import job: progress", "err", err)
		}
	}
	sum, err := s.importChunks(ctx, userID, job, progress)
	// The final counts are written even when the context is done, so a stopped job says how far it got.
	final := context.WithoutCancel(ctx)
	if perr := s.saveProgress(final, userID, job.ID, sum); perr != nil {
		log.Error("import job: final progress", "err", perr)
	}
	if err != nil {
		msg := err.Error()
		log.Warn("import job failed", "err", err, "records", sum.Records)
		if serr := s.setStatus(final, userID, job.ID, StatusFailed, &msg); serr != nil {
			log.Error("import job: mark failed", "err", serr)
		}
		return
	}
	err = s.store.InUserTx(final, userID, func(tx *db.Tx) error {
		if err := tx.DeleteImportChunks(final, job.ID); err != nil {
			return err
		}
		return tx.SetImportJobStatus(final, job.ID, StatusDone, nil, s.now())
	})
	if err != nil {
		log.Error("import job: mark done", "err", err)
		return
	}
	log.Info("import job done", "records", sum.Records, "accepted", sum.Accepted, "duplicates", sum.Duplicates,
		"rejected", sum.Rejected, "unknown", sum.Unknown, "elapsed", sum.Elapsed.Round(time.Millisecond))
}

func (s *Service) importChunks(ctx context.Context, userID int64, job db.ImportJob, progress func(appleexport.Summary)) (appleexport.Summary, error) {
	src := &chunkReader{ctx: ctx, store: s.store, userID: userID, jobID: job.ID, size: job.BytesTotal}
	return s.importer.ImportFile(ctx, userID, src, job.BytesTotal, progress)
}

func (s *Service) saveProgress(ctx context.Context, userID, jobID int64, sum appleexport.Summary) error {
	details, err := json.Marshal(map[string]any{"unknownTypes": sum.UnknownTypes, "rejectedByCode": sum.RejectedByCode,
		"skippedElements": sum.SkippedElements, "firstRejections": sum.FirstRejections, "batches": sum.Batches})
	if err != nil {
		return fmt.Errorf("encode import details: %w", err)
	}
	d := string(details)
	p := db.ImportProgress{BytesDone: sum.BytesDone, BytesToRead: sum.BytesTotal, RecordsRead: sum.Records,
		Accepted: sum.Accepted, Duplicates: sum.Duplicates, Updated: sum.Updated, Rejected: sum.Rejected,
		Unknown: sum.Unknown, Skipped: sum.Skipped, Details: &d}
	return s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		return tx.UpdateImportProgress(ctx, jobID, p, s.now())
	})
}

// chunkReader reads the stored upload as one file, holding one chunk in memory at a time.
type chunkReader struct {
	ctx    context.Context
	store  *db.Store
	userID int64
	jobID  int64
	size   int64

	start int64
	data  []byte
}

func (c *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= c.size {
			return n, io.EOF
		}
		if pos < c.start || pos >= c.start+int64(len(c.data)) {
			if err := c.load(pos); err != nil {
				return n, err
			}
		}
		n += copy(p[n:], c.data[pos-c.start:])
	}
	return n, nil
}

func (c *chunkReader) load(pos int64) error {
	var start int64
	var data []byte
	err := c.store.InUserTx(c.ctx, c.userID, func(tx *db.Tx) error {
		var err error
		start, data, err = tx.ImportChunkAt(c.ctx, c.jobID, pos)
		return err
	})
	if err != nil {
		return err
	}
	if data == nil || pos >= start+int64(len(data)) {
		return fmt.Errorf("the upload has no bytes at offset %d", pos)
	}
	c.start, c.data = start, data
	return nil
}
