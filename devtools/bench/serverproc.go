package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serverProc is `healthsync serve` run as a child process, so that its memory and CPU are measured apart from
// the benchmark's client, generator and baselines.
type serverProc struct {
	*Child
	url    string
	secret []byte
}

// startServerProc starts bin as `serve` on a free loopback port against dsn, with an HS256 secret the benchmark
// signs its tokens with, and waits until it answers /readyz. env adds to (and overrides) the environment.
func startServerProc(ctx context.Context, bin, dir, dsn string, maxItems int, env []string) (*serverProc, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	hexSecret := hex.EncodeToString(secret)
	addr, err := FreeLoopbackAddr()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	logf := filepath.Join(dir, "serve-"+strconv.Itoa(os.Getpid())+"-"+strings.ReplaceAll(addr, ":", "_")+".log")
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+dsn,
		"HEALTHSYNC_ADDR="+addr,
		"HEALTHSYNC_DATA_DIR="+filepath.Join(dir, "serve-data"),
		"HEALTHSYNC_JWT_SECRET="+hexSecret,
		"HEALTHSYNC_STATEMENT_TIMEOUT="+statementTimeout.String(),
		"HEALTHSYNC_MAX_BATCH_ITEMS="+strconv.Itoa(max(20000, maxItems)),
		"HEALTHSYNC_LOG_FORMAT=text",
	)
	cmd.Env = append(cmd.Env, env...)
	// serve finishes its requests in flight on SIGTERM: 30 s for that.
	child, err := StartChild(cmd, logf, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("bench: start %s serve: %w", bin, err)
	}
	p := &serverProc{Child: child, url: "http://" + addr + "/graphql", secret: []byte(hexSecret)}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-p.Exited():
			return nil, fmt.Errorf("bench: the server exited while starting (%v): %s", err, p.Tail())
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, errors.New("bench: the server did not get ready in 2 minutes: " + p.Tail())
		}
	}
}
