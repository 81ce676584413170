// Package pgembed runs a private PostgreSQL server from the machine's own server binaries.
//
// It serves two callers: `healthsync serve` when no DATABASE_URL is configured, and tests that
// need a real database. The server listens only on a Unix socket (never TCP), keeps its cluster
// in a folder we choose, and writes its log to a file in that folder.
package pgembed

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// ErrNoBinaries means no PostgreSQL server binaries (postgres, initdb) were found.
var ErrNoBinaries = errors.New("pgembed: PostgreSQL server binaries (postgres, initdb) not found; " +
	"install the PostgreSQL server package (`apt-get install postgresql`), or set DATABASE_URL to use an existing server")

const (
	defaultPort = 5432
	// The kernel's sun_path holds 108 bytes including the trailing NUL.
	maxSocketPath = 107
	readyTimeout  = 30 * time.Second
	// How long we let processes of a killed server finish dying before calling them alive.
	orphanGrace = 5 * time.Second
	logFileName = "pgembed.log"
	// Past this size the log is rotated once at start, so a long-lived data dir does not grow forever.
	maxLogSize = 16 << 20
)

// Options configures Start.
type Options struct {
	// DataDir is the cluster folder; initdb runs when it holds no cluster yet (PG_VERSION missing).
	DataDir string
	// SocketDir is where the Unix socket goes. Default: DataDir when the socket path fits the
	// ~107-byte Unix socket limit, else a short private folder under os.TempDir(), removed by Stop.
	SocketDir string
	// Port only names the socket file (.s.PGSQL.<port>); the server never listens on TCP. Default 5432.
	Port int
	// BinDir overrides where postgres and initdb are looked up. Default: the folder of `postgres`
	// found on PATH (symlinks resolved), else the newest /usr/lib/postgresql/*/bin.
	BinDir string
	// Ephemeral trades crash safety for speed (fsync, synchronous_commit and full_page_writes off).
	// Meant for tests.
	Ephemeral bool
	// Settings are extra server settings passed as -c name=value (say max_connections).
	Settings map[string]string
	// Logger receives our own messages; nil means slog.Default(). The server's log goes to
	// <DataDir>/pgembed.log.
	Logger *slog.Logger
	// ClockShift moves the server's wall clock (now(), current_date, ...) this far from the machine's,
	// through libfaketime, which must then be installed (Debian: libfaketime). Tests only: it is how the
	// suite proves it does not depend on the day it runs (see scripts/with-time-shift).
	ClockShift time.Duration
}

// Server is a running PostgreSQL started by Start.
type Server struct {
	dataDir   string
	socketDir string
	ownSocket bool // socketDir is our private temp folder, removed by Stop
	port      int
	logPath   string
	logFile   *os.File
	logger    *slog.Logger
	proc      *os.Process
	exited    chan struct{} // closed when the postmaster has exited
	waitErr   error         // valid after exited is closed
	stopOnce  sync.Once
	stopErr   error
}

// Start launches PostgreSQL on opts.DataDir, creating the cluster first if needed, and returns
// once the server accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.DataDir == "" {
		return nil, errors.New("pgembed: Options.DataDir is required")
	}
	port := opts.Port
	if port == 0 {
		port = defaultPort
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("pgembed: port %d out of range", port)
	}

	binDir, err := findBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	shiftEnv, err := clockShiftEnv(opts.ClockShift)
	if err != nil {
		return nil, err
	}
	owner, err := serverOwner()
	if err != nil {
		return nil, err
	}

	dataDir, err := prepareDataDir(opts.DataDir, owner, logger)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, binDir, dataDir, owner, opts.Ephemeral, logger); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("pgembed: inspect data dir: %w", err)
	}
	if err := clearStaleLock(ctx, dataDir, logger); err != nil {
		return nil, err
	}

	s := &Server{dataDir: dataDir, port: port, logger: logger, exited: make(chan struct{})}
	if err := s.prepareSocketDir(opts.SocketDir, owner); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.cleanupFiles()
		}
	}()

	logStart, err := s.openLog()
	if err != nil {
		return nil, err
	}

	args := []string{
		"-D", dataDir,
		"-k", s.socketDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=",
	}
	if opts.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if opts.ClockShift != 0 && opts.Settings["deadlock_timeout"] == "" {
		// Under libfaketime a SIGALRM that lands while the backend is inside the library's clock_gettime reads
		// the unshifted clock, and PostgreSQL then fires every timeout due before it: with the clock set back,
		// a lock wait's deadlock check (1 s) cancelled statements as if their 30 s statement_timeout had passed.
		// With the check after the statement timeout, no alarm rings during a statement that has not timed out.
		args = append(args, "-c", "deadlock_timeout=1min")
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = dataDir
	cmd.Env = append(serverEnv(), shiftEnv...)
	cmd.Stdout = s.logFile
	cmd.Stderr = s.logFile
	cmd.SysProcAttr = serverProcAttr(owner)
	if err := s.launch(cmd); err != nil {
		return nil, fmt.Errorf("pgembed: start postgres: %w", err)
	}

	if err := s.waitReady(ctx); err != nil {
		s.kill()
		return nil, fmt.Errorf("%w\n--- %s (tail) ---\n%s", err, s.logPath, s.logTail(logStart))
	}
	ok = true
	logger.Info("embedded PostgreSQL ready",
		"data_dir", dataDir, "socket_dir", s.socketDir, "port", port, "pid", s.proc.Pid, "server_log", s.logPath)
	return s, nil
}

// DSN returns a lib/pq key=value connection string for dbname over the Unix socket.
func (s *Server) DSN(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		dsnQuote(s.socketDir), s.port, dsnQuote(dbname))
}

// LogFile is the path of the server's log file.
func (s *Server) LogFile() string { return s.logPath }

// EnsureDatabase creates the database name unless it already exists.
func (s *Server) EnsureDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgembed: ensure database %q: %w", name, err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("pgembed: ensure database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	// Someone else may have created it between our check and our CREATE; that is success too.
	if err != nil && pq.As(err, pqerror.DuplicateDatabase) == nil {
		return fmt.Errorf("pgembed: create database %q: %w", name, err)
	}
	return nil
}

// Stop asks the server for a fast shutdown and waits for it to exit. If ctx ends first the
// server is stopped immediately (SIGQUIT, then SIGKILL). Calling Stop again returns the first result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopErr = s.stop(ctx)
		s.cleanupFiles()
	})
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	select {
	case <-s.exited:
		return fmt.Errorf("pgembed: postgres had already exited: %v (see %s)", s.waitErr, s.logPath)
	default:
	}
	// SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
	if err := s.proc.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgembed: signal postgres: %w", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("pgembed: postgres exited uncleanly: %w (see %s)", s.waitErr, s.logPath)
		}
		s.logger.Info("embedded PostgreSQL stopped", "data_dir", s.dataDir)
		return nil
	case <-ctx.Done():
		s.kill()
		return fmt.Errorf("pgembed: fast shutdown did not finish, stopped immediately: %w", ctx.Err())
	}
}

// kill stops the server without a checkpoint: SIGQUIT lets the postmaster take its children
// down, SIGKILL is the last resort.
func (s *Server) kill() {
	_ = s.proc.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
		return
	case <-time.After(5 * time.Second):
	}
	_ = s.proc.Kill()
	<-s.exited
}

// launch starts cmd and reaps it from one goroutine pinned to its OS thread: Linux delivers the
// parent-death signal when the thread that forked the child exits, so that thread must outlive
// the child.
func (s *Server) launch(cmd *exec.Cmd) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the runtime then retires this thread when the goroutine ends,
		// which is only after the child is gone.
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		s.proc = cmd.Process
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return <-started
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := sql.Open("postgres", s.DSN("postgres")+" connect_timeout=2")
	if err != nil {
		return fmt.Errorf("pgembed: open readiness probe: %w", err)
	}
	defer db.Close()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		pingCtx, pingCancel := context.WithTimeout(ctx, 2*time.Second)
		lastErr = db.PingContext(pingCtx)
		pingCancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgembed: postgres exited during startup: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("pgembed: postgres not accepting connections on %s: %w (last error: %v)", s.socketDir, ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

func (s *Server) prepareSocketDir(dir string, owner *osUser) error {
	if dir == "" {
		sock := filepath.Join(s.dataDir, ".s.PGSQL."+strconv.Itoa(s.port))
		if len(sock) <= maxSocketPath {
			s.socketDir = s.dataDir
			return nil
		}
		tmp, err := os.MkdirTemp("", "pgembed-")
		if err != nil {
			return fmt.Errorf("pgembed: create socket dir: %w", err)
		}
		s.socketDir, s.ownSocket = tmp, true
		if err := owner.chown(tmp); err != nil {
			return err
		}
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("pgembed: socket dir: %w", err)
		}
		_, statErr := os.Stat(abs)
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return fmt.Errorf("pgembed: create socket dir: %w", err)
		}
		// Only a folder we made is ours to hand over; chowning an existing shared one (say /tmp)
		// would be a nasty surprise.
		if errors.Is(statErr, os.ErrNotExist) {
			if err := owner.chown(abs); err != nil {
				return err
			}
		}
		s.socketDir = abs
		if err := clearStaleSocketLock(s.socketDir, s.port, s.dataDir, s.logger); err != nil {
			return err
		}
	}
	if sock := filepath.Join(s.socketDir, ".s.PGSQL."+strconv.Itoa(s.port)); len(sock) > maxSocketPath {
		return fmt.Errorf("pgembed: socket path %s is longer than the %d-byte Unix socket limit; choose a shorter SocketDir", sock, maxSocketPath)
	}
	return ensureTraversable(filepath.Dir(s.socketDir), owner, s.logger)
}

// openLog opens the server log for appending and returns the offset where this run's output
// starts, so error messages can quote just this run.
func (s *Server) openLog() (int64, error) {
	s.logPath = filepath.Join(s.dataDir, logFileName)
	if fi, err := os.Stat(s.logPath); err == nil && fi.Size() > maxLogSize {
		_ = os.Rename(s.logPath, s.logPath+".1")
	}
	f, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("pgembed: open server log: %w", err)
	}
	s.logFile = f
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("pgembed: open server log: %w", err)
	}
	fmt.Fprintf(f, "--- pgembed: starting postgres at %s ---\n", time.Now().Format(time.RFC3339))
	return off, nil
}

// logTail returns the last lines the server wrote since offset from.
func (s *Server) logTail(from int64) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil || from > int64(len(b)) {
		return "(server log unavailable)"
	}
	return tail(b[from:], 30)
}

func (s *Server) cleanupFiles() {
	if s.logFile != nil {
		s.logFile.Close()
	}
	if s.ownSocket {
		if err := os.RemoveAll(s.socketDir); err != nil {
			s.logger.Warn("could not remove socket dir", "dir", s.socketDir, "err", err)
		}
	}
}

func prepareDataDir(dir string, owner *osUser, logger *slog.Logger) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("pgembed: create data dir: %w", err)
	}
	// Resolve symlinks so the path matches what the kernel reports as a server process's cwd.
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := owner.chown(real); err != nil {
		return "", err
	}
	if err := ensureTraversable(filepath.Dir(real), owner, logger); err != nil {
		return "", err
	}
	return real, nil
}

func initdb(ctx context.Context, binDir, dataDir string, owner *osUser, ephemeral bool, logger *slog.Logger) error {
	logger.Info("creating PostgreSQL cluster", "data_dir", dataDir, "bin_dir", binDir)
	args := []string{
		"-D", dataDir,
		"-U", "postgres",
		// trust is safe here: the server only listens on a socket in a 0700 folder.
		"--auth=trust",
		"-E", "UTF8",
		"--locale=C",
		"--no-instructions",
	}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = dataDir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = initdbProcAttr(owner)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgembed: initdb %s: %w\n%s", dataDir, err, tail(out.Bytes(), 30))
	}
	return nil
}

// serverEnv is our environment minus PG* variables, which would otherwise steer the server
// (PGDATA, PGPORT, ...) in ways Options does not show.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// dsnQuote quotes a value for a key=value connection string when it needs it.
func dsnQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\\'") {
		return v
	}
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

func tail(b []byte, lines int) string {
	s := strings.TrimRight(string(b), "\n")
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// The places Debian and other distributions put libfaketime.
var faketimeLibs = []string{
	"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
	"/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
	"/usr/lib/faketime/libfaketime.so.1",
	"/usr/local/lib/faketime/libfaketime.so.1",
}

// clockShiftEnv is the environment that makes postgres see its wall clock shifted by d. PostgreSQL reads
// the clock through libc, so libfaketime moves now() while the monotonic clock (timeouts, latches) stays
// true.
func clockShiftEnv(d time.Duration) ([]string, error) {
	if d == 0 {
		return nil, nil
	}
	for _, lib := range faketimeLibs {
		if _, err := os.Stat(lib); err == nil {
			return []string{
				"LD_PRELOAD=" + lib,
				fmt.Sprintf("FAKETIME=%+ds", int64(d/time.Second)),
				"FAKETIME_DONT_FAKE_MONOTONIC=1",
				"FAKETIME_DONT_RESET=1",
			}, nil
		}
	}
	return nil, fmt.Errorf("pgembed: a clock shift of %s needs libfaketime (apt-get install libfaketime); looked in %s",
		d, strings.Join(faketimeLibs, ", "))
}
