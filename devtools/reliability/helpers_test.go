package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/db"
	"healthsync/devtools/dbtest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

var secret = []byte("reliability-test-secret-0123456789abcdef")

// buildBinary compiles healthsync into a fresh folder of the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "healthsync")
	cmd := exec.Command("go", "build", "-o", bin, "healthsync/cmd/healthsync")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one run of the server.
type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	err  error // the exit status, once done is closed
	log  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server runs the binary against one database; restarts keep the address so retrying clients find it again.
type server struct {
	t    *testing.T
	bin  string
	dsn  string
	data string
	addr string // host:port; "127.0.0.1:0" before the first start
	url  string
	cur  *proc
}

func newServer(t *testing.T) *server {
	t.Helper()
	return newServerOn(t, dbtest.NewDSN(t))
}

// newServerOn is newServer against a database the test provides.
func newServerOn(t *testing.T, dsn string) *server {
	t.Helper()
	s := &server{t: t, bin: buildBinary(t), dsn: dsn, data: t.TempDir(), addr: "127.0.0.1:0"}
	t.Cleanup(func() {
		if s.cur != nil {
			s.cur.cmd.Process.Kill()
			<-s.cur.done
		}
	})
	return s
}

// start runs the server and waits until /readyz answers.
func (s *server) start() *proc {
	s.t.Helper()
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.dsn, "HEALTHSYNC_ADDR="+s.addr, "HEALTHSYNC_DATA_DIR="+s.data,
		"HEALTHSYNC_ENV=production", "HEALTHSYNC_JWT_SECRET="+string(secret), "HEALTHSYNC_LOG_FORMAT=json",
		"HEALTHSYNC_SHUTDOWN_TIMEOUT=20s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: &syncBuffer{}}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "healthsync is serving" {
				addrc <- rec.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	s.cur = p
	select {
	case p.addr = <-addrc:
	case <-p.done:
		s.t.Fatalf("server exited before serving: %v\n%s", p.err, p.log.String())
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not start:\n%s", p.log.String())
	}
	s.addr = p.addr
	s.url = "http://" + p.addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not ready: %v\n%s", err, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends sig and waits for the process to end.
func (s *server) stop(sig syscall.Signal) error {
	s.t.Helper()
	p := s.cur
	if err := p.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not exit after %v:\n%s", sig, p.log.String())
	}
	s.cur = nil
	return p.err
}

func (s *server) token(user string) string {
	s.t.Helper()
	signer, err := auth.NewHMACSigner(secret, "", "")
	if err != nil {
		s.t.Fatal(err)
	}
	tok, err := signer.Sign(user, []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

const ingestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { index code message } }
}`

type ingestAnswer struct {
	Replayed   bool `json:"replayed"`
	Accepted   int  `json:"accepted"`
	Duplicates int  `json:"duplicates"`
	Updated    int  `json:"updated"`
	Rejected   []struct {
		Index   int    `json:"index"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"rejected"`
}

// sample is what a test sends and expects back: an id and a heart rate.
type sample struct {
	id  string
	bpm float64
}

func sampleID(n int) string { return fmt.Sprintf("5A3D1E00-0000-4000-8000-%012d", n) }

// bpmOf gives every id its own value, so a stored row shows whether it came from the right upload.
func bpmOf(n int) float64 { return float64(40 + n%150) }

// base is the time of id 0, a UTC midnight 180 days before the server's clock; id n is n seconds later, so
// ten million ids stay in the past on any day.
var base = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -180)

// batchBody is the JSON of one upload.
func batchBody(key string, ids []int) []byte {
	samples := make([]map[string]any, len(ids))
	for i, n := range ids {
		at := base.Add(time.Duration(n) * time.Second).Format(time.RFC3339)
		samples[i] = map[string]any{"id": sampleID(n), "type": "HKQuantityTypeIdentifierHeartRate", "value": bpmOf(n),
			"unit": "count/min", "start": at, "end": at, "source": map[string]any{"name": "Apple Watch", "productType": "Watch6,7"}}
	}
	b, _ := json.Marshal(map[string]any{"query": ingestMutation, "variables": map[string]any{"input": map[string]any{
		"idempotencyKey": key, "provider": "APPLE_HEALTH",
		"device":  map[string]any{"id": "phone-1", "model": "iPhone15,2", "timeZone": "UTC"},
		"samples": samples}}})
	return b
}

// errRetry marks answers a phone retries: no answer, a 5xx, or a GraphQL error that is not the client's fault.
var errRetry = errors.New("retry")

// postOnce sends one upload and reads the answer.
func postOnce(ctx context.Context, client *http.Client, url, token string, body []byte) (ingestAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return ingestAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return ingestAnswer{}, fmt.Errorf("%w: %v", errRetry, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return ingestAnswer{}, fmt.Errorf("%w: read: %v", errRetry, err)
	}
	var out struct {
		Data struct {
			IngestBatch *ingestAnswer `json:"ingestBatch"`
		} `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return ingestAnswer{}, fmt.Errorf("%w: status %d: %s", errRetry, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return ingestAnswer{}, fmt.Errorf("status %d, not JSON: %s", resp.StatusCode, raw)
	}
	if len(out.Errors) > 0 {
		code, _ := out.Errors[0].Extensions["code"].(string)
		if code == "TIMEOUT" || code == "INTERNAL" {
			return ingestAnswer{}, fmt.Errorf("%w: %s %s", errRetry, code, out.Errors[0].Message)
		}
		return ingestAnswer{}, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	if out.Data.IngestBatch == nil {
		return ingestAnswer{}, fmt.Errorf("status %d, no result: %s", resp.StatusCode, raw)
	}
	return *out.Data.IngestBatch, nil
}

// upload retries one batch until it is acknowledged, like a phone on a bad network; attempts counts the tries.
func upload(ctx context.Context, client *http.Client, url func() string, token string, body []byte) (ingestAnswer, int, error) {
	delay := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		a, err := postOnce(ctx, client, url(), token, body)
		if err == nil {
			return a, attempt, nil
		}
		if !errors.Is(err, errRetry) || ctx.Err() != nil {
			return a, attempt, err
		}
		select {
		case <-ctx.Done():
			return a, attempt, ctx.Err()
		case <-time.After(delay):
		}
		delay = time.Duration(math.Min(float64(delay)*1.5, float64(300*time.Millisecond)))
	}
}

// stored reads every heart-rate sample of the database, the hourly aggregate's count of them, and the number of
// rows per id (more than one would be a double).
func stored(t *testing.T, dsn string) (rows map[string]float64, total int, hourly int) {
	t.Helper()
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var rs []struct {
		ID    string  `db:"sample_id"`
		Value float64 `db:"value"`
	}
	if err := d.Select(&rs, `SELECT sample_id, value FROM samples WHERE metric = 'heart_rate'`); err != nil {
		t.Fatal(err)
	}
	rows = map[string]float64{}
	for _, r := range rs {
		rows[strings.ToUpper(r.ID)] = r.Value
	}
	if err := d.Get(&hourly, `SELECT coalesce(sum(n), 0) FROM sample_hourly WHERE metric = 'heart_rate'`); err != nil {
		t.Fatal(err)
	}
	return rows, len(rs), hourly
}

// checkExact compares the stored samples with the ids sent: same ids, same values, each once, and the hourly
// aggregate counting each once. It returns how many were lost and how many doubled.
func checkExact(t *testing.T, dsn string, sent map[int]bool) (lost, doubled int) {
	t.Helper()
	rows, total, hourly := stored(t, dsn)
	var missing, wrong, extra []string
	for n := range sent {
		v, ok := rows[sampleID(n)]
		switch {
		case !ok:
			missing = append(missing, sampleID(n))
		case v != bpmOf(n):
			wrong = append(wrong, fmt.Sprintf("%s=%v want %v", sampleID(n), v, bpmOf(n)))
		}
	}
	for id := range rows {
		var n int
		if _, err := fmt.Sscanf(id, "5A3D1E00-0000-4000-8000-%012d", &n); err != nil || !sent[n] {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	doubled = total - len(rows) + max(0, hourly-total)
	if len(missing) > 0 || len(wrong) > 0 || len(extra) > 0 || total != len(sent) || hourly != len(sent) {
		t.Errorf("stored set differs from the sent set: %d sent, %d rows (%d distinct), hourly aggregate counts %d; "+
			"missing %d %.5q, wrong values %.5q, not sent %.5q", len(sent), total, len(rows), hourly, len(missing), missing, wrong, extra)
	}
	return len(missing), doubled
}

func idRange(from, n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = from + i
	}
	return ids
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// waitBusy waits until at least want client sessions of the test database are inside a transaction or a
// statement, and returns how many there were.
func waitBusy(t *testing.T, dsn string, want int, timeout time.Duration) int {
	t.Helper()
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
			  AND state IN ('active', 'idle in transaction')`); err != nil {
			t.Fatal(err)
		}
		if n >= want {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d sessions busy after %s, want %d", n, timeout, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
