package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
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
	fill := &prefiller{g: gen.New(gen.Config{Seed: r.o.Seed + 1, Days: 365}), size: r.o.BatchSize}
	var empty float64
	for i, level := range levels {
		var stored int64
		if err := a.sql.GetContext(ctx, &stored, `SELECT count(*) FROM samples`); err != nil {
			return err
		}
		var prefill time.Duration
		if level > stored {
			r.log.Info("bench: growth prefill by COPY", "from", stored, "to", level)
			t := time.Now()
			if err := fill.fill(ctx, r, a, level-stored); err != nil {
				return fmt.Errorf("prefill: %w", err)
			}
			// Statistics and a checkpoint now, so that neither lands inside the measured probe.
			if _, err := a.sql.ExecContext(ctx, `ANALYZE samples`); err != nil {
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
		r.rep.Growth = append(r.rep.Growth, Level{Rows: stored, Phase: p, VsEmpty: ratio(p.PerSecond, empty), PrefillSecs: round(prefill.Seconds(), 1)})
	}
	r.rep.Notes = append(r.rep.Notes, "growth: at each level a fresh user uploads one untimed batch, then the timed ones through "+
		"--concurrency workers; prefill rows are other users' samples written by COPY straight into samples "+
		"(sample_hourly is not prefilled)")
	return nil
}

// prefiller hands out batches of prefill users' rows until enough are scheduled.
type prefiller struct {
	g    *gen.Generator
	size int

	mu    sync.Mutex
	user  int
	refs  []gen.Ref
	next  int
	users map[int]*gen.User
}

func (p *prefiller) take() (*gen.User, gen.Ref) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users == nil {
		p.users = map[int]*gen.User{}
	}
	if p.next >= len(p.refs) {
		p.user++
		u := p.g.User(prefillIndex + p.user)
		p.users[p.user] = u
		p.refs, p.next = p.g.Plan(u, p.size), 0
	}
	ref := p.refs[p.next]
	p.next++
	return p.users[p.user], ref
}

func (p *prefiller) fill(ctx context.Context, r *runner, a *app, need int64) error {
	var scheduled atomic.Int64
	srcID := func(u *gen.User) func(*gen.Source) int64 {
		return func(s *gen.Source) int64 {
			switch s {
			case u.Watch:
				return 1
			case u.Phone:
				return 2
			}
			return 3
		}
	}
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range r.o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				u, ref := p.take()
				n := int64(ref.Samples)
				left := need - (scheduled.Add(n) - n)
				if left <= 0 {
					return
				}
				rows, err := Rows(a.cat, p.g.Batch(u, ref), prefillUser+int64(u.Index), srcID(u))
				if err == nil {
					err = CopyRows(ctx, a.sql, "samples", rows[:min(left, int64(len(rows)))])
				}
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
