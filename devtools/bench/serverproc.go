package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is `healthsync serve` run as a child process, so that its memory and CPU are measured apart from
// the benchmark's client, generator and baselines.
type serverProc struct {
	cmd    *exec.Cmd
	url    string
	secret []byte
	logf   string
	done   chan error
}

// startServerProc starts bin as `serve` on a free loopback port against dsn, with an HS256 secret the benchmark
// signs its tokens with, and waits until it answers /readyz. env adds to (and overrides) the environment.
func startServerProc(ctx context.Context, bin, dir, dsn string, maxItems int, env []string) (*serverProc, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	hexSecret := hex.EncodeToString(secret)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: find a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logf := filepath.Join(dir, "serve-"+strconv.Itoa(os.Getpid())+"-"+strings.ReplaceAll(addr, ":", "_")+".log")
	out, err := os.Create(logf)
	if err != nil {
		return nil, fmt.Errorf("bench: server log: %w", err)
	}
	defer out.Close()
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
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a Ctrl-C of the benchmark reaches it through us, in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s serve: %w", bin, err)
	}
	p := &serverProc{cmd: cmd, url: "http://" + addr + "/graphql", secret: []byte(hexSecret), logf: logf, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("bench: the server exited while starting (%v): %s", err, p.tail())
		case <-ctx.Done():
			p.stop()
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
			p.stop()
			return nil, errors.New("bench: the server did not get ready in 2 minutes: " + p.tail())
		}
	}
}

func (p *serverProc) pid() int { return p.cmd.Process.Pid }

// tail is the end of the server's log, for error messages.
func (p *serverProc) tail() string {
	b, _ := os.ReadFile(p.logf)
	if i := len(b) - 2000; i > 0 {
		b = b[i:]
	}
	return string(bytes.TrimSpace(b))
}

// stop sends SIGTERM (serve finishes requests in flight and exits) and kills it after 30 s.
func (p *serverProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
