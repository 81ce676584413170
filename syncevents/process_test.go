package syncevents_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"healthsync/auth"
	"healthsync/devtools/dbtest"
)

var processSecret = []byte("0123456789abcdef0123456789abcdef-syncevents")

// startProcess runs `healthsync serve` against dsn and returns its base URL once it serves.
func startProcess(t *testing.T, bin, dsn string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "HEALTHSYNC_ADDR=127.0.0.1:0", "HEALTHSYNC_DATA_DIR="+t.TempDir(),
		"HEALTHSYNC_ENV=production", "HEALTHSYNC_JWT_SECRET="+string(processSecret), "HEALTHSYNC_LOG_FORMAT=json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "healthsync is serving" {
				addr <- rec.Addr
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-done:
		t.Fatal("healthsync exited before serving")
	case <-time.After(60 * time.Second):
		t.Fatal("healthsync did not start")
	}
	return ""
}

func gauge(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var v float64
		if _, err := fmt.Sscanf(sc.Text(), name+" %g", &v); err == nil {
			return v
		}
	}
	t.Fatalf("%s not in /metrics", name)
	return 0
}

// Two `healthsync serve` processes on one database: an upload to A reaches a subscriber connected to B.
func TestSyncEventsBetweenTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "healthsync")
	build := exec.Command("go", "build", "-o", bin, "healthsync/cmd/healthsync")
	build.Env = append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := dbtest.NewDSN(t)
	a := startProcess(t, bin, dsn) // migrates the empty database first
	b := startProcess(t, bin, dsn)
	signer, err := auth.NewHMACSigner(processSecret, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Sign("carol", []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	write := func(v any) {
		msg, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (m struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}) {
		for {
			_, raw, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if json.Unmarshal(raw, &m); m.Type != "ping" && m.Type != "pong" {
				return m
			}
		}
	}
	write(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + tok}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("init: %s %s", m.Type, m.Payload)
	}
	write(map[string]any{"id": "s", "type": "subscribe", "payload": map[string]string{
		"query": "subscription { syncEvents { deviceId accepted dataTypes } }"}})
	for deadline := time.Now().Add(10 * time.Second); gauge(t, b, "healthsync_sync_event_subscribers") != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the subscription never registered on B")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// An hour ago by the server's clock: never in its future, on any day.
	start := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($i: IngestBatchInput!) { ingestBatch(input: $i) { accepted } }`,
		"variables": map[string]any{"i": map[string]any{"idempotencyKey": "p1", "provider": "APPLE_HEALTH",
			"device": map[string]any{"id": "iphone-9"},
			"samples": []map[string]any{{"id": "AAAAAAAA-0000-4000-8000-000000000001", "type": "HKQuantityTypeIdentifierStepCount",
				"value": 120, "unit": "count", "start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
				"source": map[string]any{"name": "iPhone"}}}}},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(answer), `"accepted":1`) {
		t.Fatalf("upload to A: %s", answer)
	}

	m := read()
	var got struct {
		Data struct {
			SyncEvents struct {
				DeviceID  string   `json:"deviceId"`
				Accepted  int      `json:"accepted"`
				DataTypes []string `json:"dataTypes"`
			} `json:"syncEvents"`
		} `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &got); m.Type != "next" || err != nil {
		t.Fatalf("event: %s %s", m.Type, m.Payload)
	}
	if ev := got.Data.SyncEvents; ev.DeviceID != "iphone-9" || ev.Accepted != 1 || len(ev.DataTypes) != 1 || ev.DataTypes[0] != "steps" {
		t.Fatalf("event %+v", ev)
	}
}
