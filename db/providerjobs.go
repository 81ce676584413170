package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ProviderJob is one unit of cloud provider work: a backfill window, a recurring poll, or a record a webhook named.
type ProviderJob struct {
	UserID          int64      `db:"user_id"`
	JobID           int64      `db:"job_id"`
	Provider        string     `db:"provider"`
	Kind            string     `db:"kind"`
	DataType        string     `db:"data_type"`
	WindowFrom      *time.Time `db:"window_from"`
	WindowTo        *time.Time `db:"window_to"`
	WindowTotalDays int        `db:"window_total_days"`
	RecordID        *string    `db:"record_id"`
	Status          string     `db:"status"`
	Attempts        int        `db:"attempts"`
	RunAt           time.Time  `db:"run_at"`
	LastError       *string    `db:"last_error"`
}

// Job kinds.
const (
	JobBackfill    = "BACKFILL"
	JobPoll        = "POLL"
	JobFetchRecord = "FETCH_RECORD"
)

const jobCols = `user_id, job_id, provider, kind, data_type, window_from, window_to, window_total_days, record_id,
	status, attempts, run_at, last_error`

// EnqueueJobs adds jobs for the user. A POLL job is added only when the user has no pending POLL job for the
// same provider and data type, so reconnecting or a retried callback never doubles the polling.
func (t *Tx) EnqueueJobs(ctx context.Context, jobs []ProviderJob, at time.Time) error {
	// The check and the insert are two statements: as one INSERT … SELECT … WHERE NOT EXISTS, Citus pulls the
	// row to the coordinator and copies it into the shard, which row-level security refuses. Under READ COMMITTED
	// the single statement did not exclude a concurrent twin either.
	for _, j := range jobs {
		if j.Kind == JobPoll {
			var pending bool
			if err := t.tx.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM provider_jobs
				WHERE user_id = $1 AND provider = $2 AND kind = 'POLL' AND data_type = $3
				  AND status IN ('QUEUED', 'RUNNING'))`, t.userID, j.Provider, j.DataType); err != nil {
				return fmt.Errorf("enqueue job: look for a pending poll: %w", err)
			}
			if pending {
				continue
			}
		}
		_, err := t.tx.ExecContext(ctx, `
			INSERT INTO provider_jobs (user_id, provider, kind, data_type, window_from, window_to,
				window_total_days, record_id, status, run_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'QUEUED', $9, $10, $10)`,
			t.userID, j.Provider, j.Kind, j.DataType, j.WindowFrom, j.WindowTo, j.WindowTotalDays, j.RecordID,
			j.RunAt, at)
		if err != nil {
			return fmt.Errorf("enqueue job: %w", err)
		}
	}
	return nil
}

// Jobs lists the user's jobs for a provider, newest first (for status and tests).
func (t *Tx) Jobs(ctx context.Context, provider string) ([]ProviderJob, error) {
	var js []ProviderJob
	if err := t.tx.SelectContext(ctx, &js, `SELECT `+jobCols+` FROM provider_jobs
		WHERE user_id = $1 AND provider = $2 ORDER BY job_id DESC`, t.userID, provider); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return js, nil
}

// jobDue is when a provider job is due ($3 = now): queued for now or earlier, or RUNNING with its lease run out
// (its worker died).
const jobDue = `((status = 'QUEUED' AND run_at <= $3) OR (status = 'RUNNING' AND leased_until < $3))`

// ClaimJob takes the next due job of any user and leases it (claims.go: candidates without locks, then one
// locked by its user), so several processes claim at once without waiting on each other or taking the same job.
// It returns nil when nothing is due.
func (t *SysTx) ClaimJob(ctx context.Context, now time.Time, lease time.Duration) (*ProviderJob, error) {
	var j *ProviderJob
	_, err := t.claimFirst(ctx, "job", `SELECT user_id, job_id AS id FROM provider_jobs
		WHERE `+strings.ReplaceAll(jobDue, "$3", "$1")+` ORDER BY run_at, job_id LIMIT $2`,
		[]any{now, claimCandidates}, func(k claimKey) (bool, error) {
			ok, err := t.lockDue(ctx, `SELECT 1 FROM provider_jobs WHERE user_id = $1 AND job_id = $2 AND `+jobDue+`
				FOR UPDATE SKIP LOCKED`, k, now)
			if err != nil || !ok {
				return false, err
			}
			j = new(ProviderJob)
			return true, t.tx.GetContext(ctx, j, `
				UPDATE provider_jobs SET status = 'RUNNING', attempts = attempts + 1, leased_until = $4, updated_at = $3
				WHERE user_id = $1 AND job_id = $2 RETURNING `+jobCols, k.UserID, k.ID, now, now.Add(lease))
		})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// JobOutcome is how a run of a job ended.
type JobOutcome struct {
	Status     string // QUEUED (more to do, or a retry), DONE, FAILED
	RunAt      time.Time
	WindowFrom *time.Time // BACKFILL/POLL: the rest of the window
	WindowTo   *time.Time
	Error      *string
	// ResetAttempts starts the retry count afresh (a chunk succeeded).
	ResetAttempts bool
}

// FinishJob records a run's outcome, unless the job was cancelled meanwhile (a disconnect).
func (t *Tx) FinishJob(ctx context.Context, jobID int64, o JobOutcome, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE provider_jobs SET status = $3, run_at = $4,
		window_from = coalesce($5, window_from), window_to = coalesce($6, window_to), last_error = $7,
		attempts = CASE WHEN $8 THEN 0 ELSE attempts END, leased_until = NULL, updated_at = $9
		WHERE user_id = $1 AND job_id = $2 AND status = 'RUNNING'`,
		t.userID, jobID, o.Status, o.RunAt, o.WindowFrom, o.WindowTo, o.Error, o.ResetAttempts, at)
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	return nil
}

// PruneJobs deletes jobs that ended (DONE, FAILED, CANCELLED) before the given time and reports how many.
func (t *SysTx) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM provider_jobs
		WHERE status IN ('DONE', 'FAILED', 'CANCELLED') AND updated_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
