package reliability

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The figures the tests report (go test -v shows them): faults survived, samples lost and doubled.

// rawUpload writes an upload on a bare TCP connection: only the first cutAt bytes of the request when cutAt >= 0,
// else all of it; then it closes the connection without reading the answer.
func rawUpload(t *testing.T, addr, token string, body []byte, cutAt int) {
	t.Helper()
	rawUploadThen(t, addr, token, body, cutAt, func() {})
}

// rawUploadThen is rawUpload that runs before() ahead of closing the connection.
func rawUploadThen(t *testing.T, addr, token string, body []byte, cutAt int, before func()) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		addr, token, len(body))
	full := append([]byte(req), body...)
	if cutAt >= 0 {
		full = full[:cutAt]
	}
	if _, err := conn.Write(full); err != nil {
		t.Fatal(err)
	}
	before()
}

// Uploads whose connection is cut – while the body is still on its way, right after it was sent (the batch
// may be anywhere between parse and commit), or after the commit but before the answer was read – and are then
// retried: the stored set equals the sent set, by id and value, each once.
func TestConnectionCutThenRetried(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.start()
	tok := s.token("alice")
	client := &http.Client{Timeout: 30 * time.Second}
	url := func() string { return s.url }
	ctx := context.Background()
	sent := map[int]bool{}
	faults := 0

	cases := []struct {
		name    string
		cut     func(body []byte, want int) // the cut attempt
		replays bool                        // the retry must find the first attempt committed
	}{
		{name: "cut mid-body", cut: func(body []byte, _ int) { rawUpload(t, s.addr, tok, body, 300+len(body)/2) }},
		{name: "cut mid-headers", cut: func(body []byte, _ int) { rawUpload(t, s.addr, tok, body, 40) }},
		{name: "cut right after the body", cut: func(body []byte, _ int) { rawUpload(t, s.addr, tok, body, -1) }},
		{name: "cut after the commit, before the answer is read", replays: true, cut: func(body []byte, want int) {
			rawUploadThen(t, s.addr, tok, body, -1, func() {
				// Keep the connection until the commit the client will never hear about is visible.
				deadline := time.Now().Add(20 * time.Second)
				for {
					if rows, _, _ := stored(t, s.dsn); len(rows) == want {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("the upload was never committed")
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}},
	}
	for i, c := range cases {
		ids := idRange(i*1000, 800)
		key := fmt.Sprintf("cut-%d", i)
		body := batchBody(key, ids)
		c.cut(body, len(sent)+len(ids))
		faults++
		a, _, err := upload(ctx, client, url, tok, body)
		if err != nil {
			t.Fatalf("%s: retry: %v", c.name, err)
		}
		if c.replays && (!a.Replayed || a.Accepted != len(ids)) {
			t.Errorf("%s: the retry of a committed batch answered %+v, want the stored answer (replayed, %d accepted)", c.name, a, len(ids))
		}
		if a.Accepted != len(ids) || len(a.Rejected) > 0 {
			t.Errorf("%s: retry answered %+v, want all %d accepted", c.name, a, len(ids))
		}
		for _, n := range ids {
			sent[n] = true
		}
	}
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("connection cuts survived: %d; samples sent %d, lost %d, doubled %d", faults, len(sent), lost, doubled)
}

// A stream of batches from several clients while the server is killed with SIGKILL twice and restarted: every
// client retries until it has an answer. No sample is lost or doubled and every acknowledged batch is stored.
func TestSIGKILLDuringStream(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.start()
	const clients, batches, size = 4, 12, 400
	var mu sync.Mutex
	url := func() string { mu.Lock(); defer mu.Unlock(); return s.url }
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var acked atomic.Int64
	ackedBatches := make([][]int, clients*batches)
	errs := make(chan error, clients)
	retries := atomic.Int64{}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tok := s.token(fmt.Sprintf("user-%d", c%2)) // two users, two clients each
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: c%2 == 0}}
			for b := 0; b < batches; b++ {
				ids := idRange((c*batches+b)*size, size)
				body := batchBody(fmt.Sprintf("c%d-b%d", c, b), ids)
				a, attempts, err := upload(ctx, client, url, tok, body)
				if err != nil {
					errs <- fmt.Errorf("client %d batch %d: %w", c, b, err)
					return
				}
				if a.Accepted+a.Duplicates != size || len(a.Rejected) > 0 {
					errs <- fmt.Errorf("client %d batch %d answered %+v", c, b, a)
					return
				}
				retries.Add(int64(attempts - 1))
				ackedBatches[c*batches+b] = ids
				acked.Add(1)
			}
		}(c)
	}

	kills := 0
	for _, at := range []int64{clients * batches / 4, clients * batches / 2} {
		for acked.Load() < at {
			time.Sleep(5 * time.Millisecond)
		}
		if err := s.stop(syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("SIGKILL: exit %v", err)
		}
		kills++
		time.Sleep(200 * time.Millisecond) // clients hit a closed port meanwhile
		s.start()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
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
	// Users are told apart by user_id; ids do not overlap across clients, so one set check covers both.
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("SIGKILLs survived: %d; batches acknowledged %d of %d after %d retries; samples %d, lost %d, doubled %d",
		kills, acked.Load(), clients*batches, retries.Load(), len(sent), lost, doubled)
}

// SIGTERM while batches are being processed: every batch already received is committed and answered before the
// process exits with status 0.
func TestSIGTERMFinishesInFlightBatches(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.start()
	tok := s.token("alice")
	const inflight, size = 6, 4000
	type result struct {
		ids []int
		a   ingestAnswer
		err error
		at  time.Time
	}
	results := make(chan result, inflight)
	// Bodies are sent by hand so the test knows each one has fully reached the server before the signal.
	sentAll := make(chan struct{}, inflight)
	for i := 0; i < inflight; i++ {
		go func(i int) {
			ids := idRange(i*size, size)
			body := batchBody(fmt.Sprintf("term-%d", i), ids)
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				results <- result{ids: ids, err: err}
				sentAll <- struct{}{}
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", tok, len(body))
			_, err = conn.Write(body)
			sentAll <- struct{}{}
			if err != nil {
				results <- result{ids: ids, err: err}
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				results <- result{ids: ids, err: err, at: time.Now()}
				return
			}
			defer resp.Body.Close()
			var out struct {
				Data struct {
					IngestBatch ingestAnswer `json:"ingestBatch"`
				} `json:"data"`
			}
			err = jsonDecode(resp, &out)
			results <- result{ids: ids, a: out.Data.IngestBatch, err: err, at: time.Now()}
		}(i)
	}
	for i := 0; i < inflight; i++ {
		<-sentAll
	}
	// A request still in the kernel's accept queue is not in flight yet (closing the listener resets it, and the
	// client retries); signal once the server demonstrably works on batches: their transactions are open.
	busy := waitBusy(t, s.dsn, 3, 20*time.Second)
	signalled := time.Now()
	exit := make(chan error, 1)
	go func() { exit <- s.stop(syscall.SIGTERM) }()

	sent := map[int]bool{}
	answeredAfter := 0
	var unanswered []result
	for i := 0; i < inflight; i++ {
		r := <-results
		for _, n := range r.ids {
			sent[n] = true
		}
		if r.err != nil {
			unanswered = append(unanswered, r)
			continue
		}
		if r.a.Accepted != size || len(r.a.Rejected) > 0 {
			t.Errorf("in-flight batch answered %+v", r.a)
		}
		if r.at.After(signalled) {
			answeredAfter++
		}
	}
	if err := <-exit; err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if answeredAfter < busy {
		t.Errorf("%d batches had open transactions when SIGTERM arrived, only %d were answered after it", busy, answeredAfter)
	}
	// Batches the server never started (still queued when the listener closed) left nothing behind, and their
	// retry after a restart stores them whole.
	rows, _, _ := stored(t, s.dsn)
	for _, r := range unanswered {
		for _, n := range r.ids {
			if _, ok := rows[sampleID(n)]; ok {
				t.Errorf("an unanswered batch (%v) is partly stored", r.err)
				break
			}
		}
	}
	if len(unanswered) > 0 {
		s.start()
		client := &http.Client{Timeout: 30 * time.Second}
		for i, r := range unanswered {
			if _, _, err := upload(context.Background(), client, func() string { return s.url }, tok,
				batchBody(fmt.Sprintf("term-retry-%d", i), r.ids)); err != nil {
				t.Errorf("retry after restart: %v", err)
			}
		}
	}
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("SIGTERM with %d batches sent, %d in open transactions at the signal, %d answered after it, %d never started "+
		"(retried after restart): exit clean; samples %d, lost %d, doubled %d",
		inflight, busy, answeredAfter, len(unanswered), len(sent), lost, doubled)
}

// Eight clients of one user upload overlapping batches (shared ids) at once: no deadlock, no error, each id
// accepted exactly once across all answers, and the stored count exact.
func TestEightClientsOverlappingIDs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.start()
	tok := s.token("alice")
	const clients, batches, size, pool = 8, 8, 500, 3000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := func() string { return s.url }

	var accepted, duplicates, items, retries atomic.Int64
	var mu sync.Mutex
	sent := map[int]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, clients*batches)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for b := 0; b < batches; b++ {
				// Client c's batch b: a window of the pool that overlaps its neighbours' windows, ids shuffled so
				// concurrent transactions lock rows in different orders.
				ids := make([]int, size)
				for i := range ids {
					ids[i] = (c*211 + b*347 + i*7) % pool
				}
				seen := map[int]bool{}
				uniq := ids[:0]
				for _, n := range ids {
					if !seen[n] {
						seen[n] = true
						uniq = append(uniq, n)
					}
				}
				body := batchBody(fmt.Sprintf("c%d-b%d", c, b), uniq)
				a, attempts, err := upload(ctx, client, url, tok, body)
				if err != nil || attempts > 1 {
					errs <- fmt.Errorf("client %d batch %d: attempts %d, %v", c, b, attempts, err)
				}
				if a.Accepted+a.Duplicates != len(uniq) || a.Updated != 0 || len(a.Rejected) > 0 {
					errs <- fmt.Errorf("client %d batch %d answered %+v for %d ids", c, b, a, len(uniq))
				}
				accepted.Add(int64(a.Accepted))
				duplicates.Add(int64(a.Duplicates))
				items.Add(int64(len(uniq)))
				retries.Add(int64(attempts - 1))
				mu.Lock()
				for _, n := range uniq {
					sent[n] = true
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if int(accepted.Load()) != len(sent) {
		t.Errorf("answers accepted %d samples in all, want each of the %d distinct ids exactly once", accepted.Load(), len(sent))
	}
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("8 concurrent clients: %d items in %d batches, %d distinct ids, accepted %d, duplicates %d, retries %d; lost %d, doubled %d",
		items.Load(), clients*batches, len(sent), accepted.Load(), duplicates.Load(), retries.Load(), lost, doubled)
}
