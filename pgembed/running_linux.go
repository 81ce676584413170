package pgembed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Running finds a server that another process (say `healthsync serve`) started on dataDir and that still runs
// there, and returns a DSN for dbname on it. A second process cannot start its own server on a cluster that one
// already holds, but it can connect beside it: the cluster trusts local connections of the postgres user.
// ok is false when no live server holds dataDir.
func Running(dataDir, dbname string) (dsn string, ok bool, err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", false, fmt.Errorf("pgembed: data dir %s: %w", dataDir, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, "postmaster.pid"))
	if os.IsNotExist(err) {
		return "", false, nil
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real // the server's cwd, which isServerIn compares, has its symlinks resolved
	}
	if err != nil {
		return "", false, fmt.Errorf("pgembed: read the lock file of %s: %w", abs, err)
	}
	pid := lockPID(b)
	if pid <= 0 || !isServerIn(pid, abs) {
		return "", false, nil // a stale lock: the next Start clears it
	}
	// postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shared memory key, status.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[7]) != "ready" {
		return "", false, fmt.Errorf("pgembed: the server on %s (pid %d) is starting or stopping; try again in a moment", abs, pid)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return "", false, fmt.Errorf("pgembed: the lock file of %s names no port: %q", abs, lines[3])
	}
	socketDir := strings.TrimSpace(lines[4])
	if socketDir == "" {
		return "", false, fmt.Errorf("pgembed: the server on %s (pid %d) has no Unix socket", abs, pid)
	}
	s := &Server{socketDir: socketDir, port: port}
	return s.DSN(dbname), true, nil
}
