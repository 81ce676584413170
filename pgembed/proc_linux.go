package pgembed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func serverProcAttr(owner *osUser) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Credential: owner.credential(),
		// Own process group: a Ctrl-C on our terminal reaches us, and we shut the server down
		// in order, instead of both racing.
		Setpgid: true,
		// If we die abruptly, the postmaster gets an immediate-shutdown request and takes its
		// children down with it; the next start replays WAL.
		Pdeathsig: syscall.SIGQUIT,
	}
}

func initdbProcAttr(owner *osUser) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: owner.credential()}
}

// clearStaleLock makes sure no server of an earlier run still works on dataDir, then removes
// the lock files such a run may have left. PostgreSQL would judge a leftover postmaster.pid
// itself, but it refuses to start whenever the recorded pid now belongs to any live process,
// which pid reuse in containers makes common.
func clearStaleLock(ctx context.Context, dataDir string, logger *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgembed: read %s: %w", pidFile, err)
	}
	pid := lockPID(b)
	if pid > 0 && isServerIn(pid, dataDir) {
		return fmt.Errorf("pgembed: a PostgreSQL server (pid %d) is already running on %s, probably from an earlier run; "+
			"stop it (kill -INT %d) or use another data dir", pid, dataDir, pid)
	}
	// The postmaster is gone. Its children notice within moments and exit; two sets of
	// processes on one cluster would corrupt it, so wait for them rather than start beside them.
	deadline := time.Now().Add(orphanGrace)
	for {
		left := serverProcessesIn(dataDir)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgembed: processes of an earlier PostgreSQL server (pids %v) are still running on %s; kill them first", left, dataDir)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgembed: waiting for old server processes on %s: %w", dataDir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stale := []string{pidFile}
	locks, _ := filepath.Glob(filepath.Join(dataDir, ".s.PGSQL.*.lock"))
	stale = append(stale, locks...)
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("pgembed: remove stale lock: %w", err)
		}
	}
	logger.Info("removed stale lock files of a server that is no longer running", "data_dir", dataDir, "old_pid", pid)
	return nil
}

// clearStaleSocketLock removes the socket lock in a caller-chosen socket dir when the pid in
// it is dead or is no PostgreSQL process; a live server's lock is left for postgres to report.
func clearStaleSocketLock(socketDir string, port int, dataDir string, logger *slog.Logger) error {
	lock := filepath.Join(socketDir, ".s.PGSQL."+strconv.Itoa(port)+".lock")
	b, err := os.ReadFile(lock)
	if err != nil {
		return nil // absent or unreadable: postgres decides
	}
	pid := lockPID(b)
	if pid > 0 && isPostgres(pid) {
		return nil
	}
	if err := os.Remove(lock); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("pgembed: remove stale socket lock: %w", err)
	}
	logger.Info("removed stale socket lock", "file", lock, "old_pid", pid)
	return nil
}

// lockPID reads the pid on the first line of a PostgreSQL lock file (negative for a
// single-user backend).
func lockPID(b []byte) int {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(strings.TrimSpace(string(line)))
	if err != nil {
		return 0
	}
	if pid < 0 {
		pid = -pid
	}
	return pid
}

// isPostgres reports whether pid is a live (not zombie) process of a postgres binary. Backends
// rewrite their command line for ps, but comm keeps the executable's name.
func isPostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	name := strings.TrimSpace(string(comm))
	if name != "postgres" && name != "postmaster" {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return true
}

// isServerIn reports whether pid is a postgres process working in dataDir: every server
// process runs with the data dir as its working directory.
func isServerIn(pid int, dataDir string) bool {
	if !isPostgres(pid) {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	return err == nil && cwd == dataDir
}

func serverProcessesIn(dataDir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if isServerIn(pid, dataDir) {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}
