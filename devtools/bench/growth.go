package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"healthsync/devtools/bench/gen"
)

// Growth runs in a second database on the same server, so that "empty" really is empty.
const growthDB = "healthsync_growth"

const (
	probeIndex   = 2_000_000 // probe users: fresh phones uploading at each level
	prefillIndex = 3_000_000 // prefill users: rows of other people already in the table
	prefillUser  = 1_000_000_000
)

// growth measures the ingest rate of ProbeBatches fresh batches on an empty samples table and again after COPY
// has filled it to each of GrowthRows with other users' generated rows.
func (r *runner) growth(ctx context.Context) error {
	if len(r.o.GrowthRows) == 0 {
		r.rep.Notes = append(r.rep.Notes, "growth skipped (--growth none)")
		return nil
	}
	dsn, err := r.db.another(ctx, growthDB)
	if err != nil {
		r.rep.Notes = append(r.rep.Notes, "growth skipped: "+err.Error())
		return nil
	}
	a, err := startApp(ctx, r.appConfig(dsn), r.log)
	if err != nil {
		return err
	}
	defer a.close()
	levels := append([]int64{0}, r.o.GrowthRows...)
	slices.Sort(levels)
	levels = slices.Compact(levels)
	reader, rg, readerID, err := r.growthReader(ctx, a)
	if err != nil {
		return fmt.Errorf("growth read user: %w", err)
	}
	readTok, err := a.token(reader.Subject)
	if err != nil {
		return err
	}
	queries := r.readQueries(a, reader, rg, readerID)
	emptyReads := map[string]Dist{}
	prefilled := 0
	var empty float64
	for i, level := range levels {
		var stored int64
		if err := a.sql.GetContext(ctx, &stored, `SELECT count(*) FROM samples`); err != nil {
			return err
		}
		var prefill time.Duration
		if level > stored {
			r.log.Info("bench: growth prefill by SQL", "from", stored, "to", level)
			t := time.Now()
			perUser := int64(r.o.GrowthDays * PrefillPerDay)
			users := int((level - stored + perUser - 1) / perUser)
			// One user per transaction, two at a time: the machine's cores, and no transaction holding millions of
			// rows' worth of locks and WAL.
			if err := parallel(ctx, users, 2, func(ctx context.Context, i int) error {
				_, err := PrefillSQL(ctx, a.sql, fmt.Sprintf("prefill-%d-", prefilled+i), 1, r.o.GrowthDays, time.Now())
				return err
			}); err != nil {
				return fmt.Errorf("prefill: %w", err)
			}
			prefilled += users
			// Statistics and a checkpoint now, so that neither lands inside the measured probe.
			if _, err := a.sql.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
				return err
			}
			if _, err := a.sql.ExecContext(ctx, `CHECKPOINT`); err != nil {
				r.log.Warn("bench: checkpoint after prefill", "err", err)
			}
			prefill = time.Since(t)
			if err := a.sql.GetContext(ctx, &stored, `SELECT count(*) FROM samples`); err != nil {
				return err
			}
		}
		g := gen.New(gen.Config{Seed: r.o.Seed, Days: r.o.ProbeBatches*r.o.BatchSize/600 + 2})
		u := g.User(probeIndex + i)
		if _, err := a.token(u.Subject); err != nil {
			return err
		}
		var bodyBytes atomic.Int64
		jobs, err := r.writeBodies(g, u, fmt.Sprintf("probe%d", i), r.o.ProbeBatches+1, &bodyBytes)
		if err != nil {
			return err
		}
		// The first batch, untimed, brings the user, device, sources and plans into their steady state: a phone
		// that has synced before.
		warm, err := os.ReadFile(jobs[0].path)
		if err != nil {
			return err
		}
		if ans, err := a.ingest(ctx, a.tokens[u.Subject], warm); err != nil {
			return fmt.Errorf("growth warm-up: %w", err)
		} else if err := expect(ans, false, jobs[0].items, 0); err != nil {
			return fmt.Errorf("growth warm-up: %w", err)
		}
		jobs = jobs[1:]
		p, err := r.upload(ctx, a, fmt.Sprintf("growth_%d", level), jobs, nil, func(j job, ans Answer) error { return expect(ans, false, j.items, 0) })
		if err != nil {
			return err
		}
		if level == 0 {
			empty = p.PerSecond
		}
		var size int64
		if err := a.sql.GetContext(ctx, &size, `SELECT pg_database_size(current_database())`); err != nil {
			return err
		}
		lv := Level{Rows: stored, Phase: p, VsEmpty: ratio(p.PerSecond, empty), PrefillSecs: round(prefill.Seconds(), 1), DiskMB: size >> 20}
		for _, q := range queries {
			d, err := r.timeRead(ctx, a, readTok, q)
			if err != nil {
				return fmt.Errorf("growth read at %d rows: %w", stored, err)
			}
			if level == 0 {
				emptyReads[q.name] = d
			}
			e := emptyReads[q.name]
			lv.Reads = append(lv.Reads, GrowthRead{Name: q.name, API: d, P50VsEmpty: ratio(d.P50, e.P50), P95VsEmpty: ratio(d.P95, e.P95)})
		}
		r.rep.Growth = append(r.rep.Growth, lv)
		// Each level's figures in the log as soon as they are known: a run to 100M takes long on a shared machine,
		// and one stopped before its end would otherwise leave nothing.
		args := []any{"rows", stored, "items_per_s", p.PerSecond, "vs_empty", lv.VsEmpty, "go_cpu_s", p.GoCPU,
			"pg_cpu_s", p.PostgresCPU, "prefill_s", lv.PrefillSecs, "database_mb", lv.DiskMB}
		for _, rd := range lv.Reads {
			args = append(args, rd.Name, fmt.Sprintf("p50 %.2f ms ×%.2f", rd.API.P50, rd.P50VsEmpty))
		}
		r.log.Info("bench: growth level done", args...)
	}
	r.rep.Notes = append(r.rep.Notes, "growth: at each level a fresh user uploads one untimed batch, then the timed ones through "+
		"--concurrency workers; prefill rows are other users' (--growth-days each) written by PostgreSQL itself "+
		"(PrefillSQL: generate_series into users, devices, sources, samples and sample_hourly); the reads are the read set's "+
		"API calls for a user loaded through the ingest service before the empty level, --read-reps each, after a VACUUM ANALYZE")
	return nil
}

// growthReader loads the read user into the growth database through a's ingest service (untimed), as readUser
// does for the main database.
func (r *runner) growthReader(ctx context.Context, a *app) (*gen.User, *gen.Generator, int64, error) {
	g := gen.New(gen.Config{Seed: r.o.Seed, Days: days(r.o.ReadYears)})
	u := g.User(readerIndex)
	dbUser, err := a.store.EnsureUser(ctx, u.Subject)
	if err != nil {
		return nil, nil, 0, err
	}
	refs := g.Plan(u, r.o.BatchSize)
	err = parallel(ctx, len(refs), 2, func(ctx context.Context, i int) error {
		b := g.Batch(u, refs[i])
		res, err := a.svc.Ingest(ctx, dbUser.ID, IngestBatch(b, refs[i].Key(r.o.Seed)))
		if err != nil {
			return err
		}
		if res.Accepted != refs[i].Items || len(res.Rejected) > 0 {
			return fmt.Errorf("growth read user batch %d: accepted %d of %d", i, res.Accepted, refs[i].Items)
		}
		return nil
	})
	return u, g, dbUser.ID, err
}

// timeRead times q's API call on a: two untimed rounds, then --read-reps timed ones.
func (r *runner) timeRead(ctx context.Context, a *app, tok string, q readQuery) (Dist, error) {
	body, err := json.Marshal(map[string]any{"query": q.query, "variables": q.vars})
	if err != nil {
		return Dist{}, err
	}
	var ts []time.Duration
	for i := range r.o.ReadReps + 2 {
		if q.before != nil {
			if err := q.before(ctx); err != nil {
				return Dist{}, err
			}
		}
		var data json.RawMessage
		t := time.Now()
		err := a.post(ctx, tok, body, &data)
		d := time.Since(t)
		if err != nil {
			return Dist{}, fmt.Errorf("%s: %w", q.name, err)
		}
		if n, err := q.size(data); err != nil || n == 0 {
			return Dist{}, fmt.Errorf("%s: empty or bad answer (%v)", q.name, err)
		}
		if i >= 2 {
			ts = append(ts, d)
		}
	}
	return distOf(ts), nil
}
