package reliability

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"healthsync/devtools/dbtest"
)

// PostgreSQL is stopped and started again while clients upload: the server reports not-ready meanwhile, recovers
// by itself (no restart of healthsync), and the retrying clients finish with exactly the set they sent.
func TestPostgresRestartUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := dbtest.NewOwnServer(t) // of this test's own, since it gets restarted
	s := newServerOn(t, pg.DSN())
	s.start()
	url := func() string { return s.url }

	const clients, batches, size = 4, 10, 300
	uctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var acked, retries atomic.Int64
	ackedBatches := make([][]int, clients*batches)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tok := s.token(fmt.Sprintf("user-%d", c))
			client := &http.Client{Timeout: 30 * time.Second}
			for b := 0; b < batches; b++ {
				ids := idRange((c*batches+b)*size, size)
				a, attempts, err := upload(uctx, client, url, tok, batchBody(fmt.Sprintf("c%d-b%d", c, b), ids))
				if err != nil {
					errs <- fmt.Errorf("client %d batch %d: %w", c, b, err)
					return
				}
				if a.Accepted != size || len(a.Rejected) > 0 {
					errs <- fmt.Errorf("client %d batch %d answered %+v", c, b, a)
					return
				}
				retries.Add(int64(attempts - 1))
				ackedBatches[c*batches+b] = ids
				acked.Add(1)
			}
		}(c)
	}

	for acked.Load() < clients*batches/3 {
		time.Sleep(5 * time.Millisecond)
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	if err := pg.Stop(sctx); err != nil {
		t.Errorf("stop PostgreSQL: %v", err)
	}
	scancel()
	ackedWhileDown := acked.Load()
	// The server says it is not ready while the database is away.
	notReady := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			t.Fatalf("readyz while PostgreSQL is down: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			notReady = true
			break
		}
	}
	if !notReady {
		t.Error("/readyz never reported the database missing")
	}
	time.Sleep(500 * time.Millisecond)
	if err := pg.Start(ctx); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	// Recovery needs nothing from us: readyz turns 200 again and the clients finish.
	ready := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = true
				break
			}
		}
	}
	if !ready {
		t.Fatal("the server did not become ready again after PostgreSQL came back")
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case <-s.cur.done:
		t.Fatalf("the server exited: %v", s.cur.err)
	default:
	}
	sent := map[int]bool{}
	for i, ids := range ackedBatches {
		if ids == nil {
			t.Errorf("batch %d was never acknowledged", i)
		}
		for _, n := range ids {
			sent[n] = true
		}
	}
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("PostgreSQL restart survived (%d of %d batches acknowledged before the stop, readyz 503 while down, 200 after); "+
		"%d retries; samples %d, lost %d, doubled %d", ackedWhileDown, clients*batches, retries.Load(), len(sent), lost, doubled)
}
