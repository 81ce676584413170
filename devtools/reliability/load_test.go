package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvLoadSeconds sets how long TestLoad runs (`make load` uses 60); unset, it runs a short smoke version.
const EnvLoadSeconds = "HEALTHSYNC_LOAD_SECONDS"

const dashboardQuery = `query Dashboard($from: Time!, $to: Time!) {
  me { id }
  sources { id name }
  devices { id lastSeen }
  syncState { dataType count status }
  heart: series(metric: "heart_rate", from: $from, to: $to, bucket: HOUR) { points { start value min max } }
  samples(metric: "heart_rate", from: $from, to: $to, limit: 20) { id value start }
}`

// 50 clients, each its own user, mix uploads (a 100-sample batch) and dashboard reads on loopback for a bounded
// time: no 5xx, every upload stored exactly, the server's peak memory bounded; p95 latencies are reported.
func TestLoad(t *testing.T) {
	t.Parallel()
	duration := 4 * time.Second
	if v := os.Getenv(EnvLoadSeconds); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number of seconds", EnvLoadSeconds, v)
		}
		duration = time.Duration(n) * time.Second
	}
	s := newServer(t)
	p := s.start()
	// 50 clients × 100,000 ids, one a second from base: all in the past.
	const clients, batchSize, idsPerClient = 50, 100, 100_000
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	deadline := time.Now().Add(duration)

	type stats struct {
		upload, read []time.Duration
		status5xx    int
		other        []string
		sent         map[int]bool
	}
	all := make([]stats, clients)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			st := &all[c]
			st.sent = map[int]bool{}
			tok := s.token(fmt.Sprintf("load-%d", c))
			vars, _ := json.Marshal(map[string]any{"query": dashboardQuery, "variables": map[string]any{
				"from": base.Format(time.RFC3339), "to": base.AddDate(0, 0, 30).Format(time.RFC3339)}})
			for i := 0; time.Now().Before(deadline) && i < 3*idsPerClient/batchSize; i++ {
				var body []byte
				upload := i%3 == 0 // one upload to two dashboard reads
				if upload {
					// Each client has its own id range; a tenth of the ids repeat an earlier batch (retries).
					from := (c*idsPerClient + (i/3)*batchSize) - (i/3%10)*batchSize/10
					ids := idRange(max(from, c*idsPerClient), batchSize)
					body = batchBody(fmt.Sprintf("load-%d-%d", c, i), ids)
					for _, n := range ids {
						st.sent[n] = true
					}
				} else {
					body = vars
				}
				start := time.Now()
				status, raw, err := post(client, s.url, tok, body)
				took := time.Since(start)
				switch {
				case err != nil:
					st.other = append(st.other, err.Error())
				case status >= 500:
					st.status5xx++
				case status != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)):
					st.other = append(st.other, fmt.Sprintf("%d %.200s", status, raw))
				case upload:
					st.upload = append(st.upload, took)
				default:
					st.read = append(st.read, took)
				}
			}
		}(c)
	}
	wg.Wait()
	peak := peakRSS(p.cmd.Process.Pid)

	var uploads, reads []time.Duration
	sent := map[int]bool{}
	fivexx := 0
	for _, st := range all {
		uploads = append(uploads, st.upload...)
		reads = append(reads, st.read...)
		fivexx += st.status5xx
		for _, o := range st.other {
			t.Errorf("unexpected answer: %s", o)
		}
		for n := range st.sent {
			sent[n] = true
		}
	}
	if fivexx > 0 {
		t.Errorf("%d answers were 5xx", fivexx)
	}
	if peak > 1<<30 {
		t.Errorf("server peak RSS %d MB, want under 1 GB", peak>>20)
	}
	lost, doubled := checkExact(t, s.dsn, sent)
	t.Logf("load: %d clients for %s: %d requests (%d uploads p50 %s p95 %s, %d dashboard reads p50 %s p95 %s), "+
		"5xx %d, server peak RSS %d MB; samples %d, lost %d, doubled %d",
		clients, duration, len(uploads)+len(reads), len(uploads), pct(uploads, 50), pct(uploads, 95),
		len(reads), pct(reads, 50), pct(reads, 95), fivexx, peak>>20, len(sent), lost, doubled)
}

func post(client *http.Client, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(100 * time.Microsecond)
}

// peakRSS reads the process's high-water resident set size (Linux); 0 elsewhere.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
