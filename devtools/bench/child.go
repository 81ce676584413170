package bench

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Child is a server the benchmarks run as a child process (healthsync serve, PostGraphile's node): its output
// goes to a log file, it has its own process group (a Ctrl-C of the benchmark reaches it through us, in order),
// and it is stopped with SIGTERM and a grace period.
type Child struct {
	cmd   *exec.Cmd
	logf  string
	grace time.Duration
	done  chan error
}

// StartChild starts cmd with its output in the file logf; Stop waits grace for it to exit before killing it.
func StartChild(cmd *exec.Cmd, logf string, grace time.Duration) (*Child, error) {
	out, err := os.Create(logf)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{cmd: cmd, logf: logf, grace: grace, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}

// Exited delivers the process's exit (once).
func (c *Child) Exited() <-chan error { return c.done }

// PID is the process id.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Tail is the end of the log, for error messages.
func (c *Child) Tail() string {
	b, _ := os.ReadFile(c.logf)
	if i := len(b) - 2000; i > 0 {
		b = b[i:]
	}
	return string(bytes.TrimSpace(b))
}

// Stop sends SIGTERM (a server finishes its requests in flight and exits) and kills it after the grace period.
func (c *Child) Stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(c.grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// FreeLoopbackAddr is a loopback host:port nothing listens on now.
func FreeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
