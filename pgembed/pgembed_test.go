//go:build linux

package pgembed

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// fastDir returns a fresh folder, on RAM-backed /dev/shm when there is room: initdb and
// CREATE DATABASE create hundreds of files, several times faster there than on a disk.
func fastDir(t *testing.T) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && uint64(st.Bavail)*uint64(st.Bsize) >= 1<<30 {
		if dir, err := os.MkdirTemp("/dev/shm", "pgembed-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStartQueryStop(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A space in the path checks that DSN quotes the socket folder.
	dataDir := filepath.Join(t.TempDir(), "data dir")
	s := startServer(t, Options{DataDir: dataDir, Ephemeral: true, Port: 5433, Settings: map[string]string{"work_mem": "7MB"}})

	if s.socketDir != dataDir {
		t.Errorf("socket dir = %q, want the data dir %q (the path is short enough)", s.socketDir, dataDir)
	}
	if _, err := os.Stat(filepath.Join(dataDir, ".s.PGSQL.5433")); err != nil {
		t.Errorf("socket file for port 5433: %v", err)
	}

	db := open(t, s.DSN("postgres"))
	var user, listen, fsync, workMem string
	if err := db.QueryRowContext(ctx, `SELECT current_user, current_setting('listen_addresses'), current_setting('fsync'), current_setting('work_mem')`).Scan(&user, &listen, &fsync, &workMem); err != nil {
		t.Fatalf("query: %v", err)
	}
	if user != "postgres" {
		t.Errorf("current_user = %q, want postgres", user)
	}
	if listen != "" {
		t.Errorf("listen_addresses = %q, want empty (no TCP)", listen)
	}
	if workMem != "7MB" {
		t.Errorf("work_mem = %q, want 7MB from Options.Settings", workMem)
	}
	if fsync != "off" {
		t.Errorf("fsync = %q, want off for an ephemeral server", fsync)
	}

	for range 2 { // the second call must find the database and not fail
		if err := s.EnsureDatabase(ctx, "Health Sync"); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	app := open(t, s.DSN("Health Sync"))
	if _, err := app.ExecContext(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1)`); err != nil {
		t.Fatalf("write: %v", err)
	}
	var sum int
	if err := app.QueryRowContext(ctx, `SELECT sum(v) FROM t`).Scan(&sum); err != nil || sum != 42 {
		t.Fatalf("sum = %d, %v; want 42", sum, err)
	}
	app.Close()
	db.Close()

	pid := s.proc.Pid
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if isPostgres(pid) {
		t.Errorf("postmaster %d still alive after Stop", pid)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid after a clean stop: %v", err)
	}
	log, err := os.ReadFile(s.LogFile())
	if err != nil || !strings.Contains(string(log), "database system is shut down") {
		t.Errorf("server log %s lacks the shutdown line (err %v)", s.LogFile(), err)
	}
}

// A server killed with SIGKILL leaves postmaster.pid behind; the next Start must cope, and
// committed data must survive. The long path also forces the socket into a temp folder.
func TestRestartAfterKill(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := filepath.Join(fastDir(t), strings.Repeat("long-folder-name-", 6), "data")
	s1 := startServer(t, Options{DataDir: dataDir, Ephemeral: true})
	if s1.socketDir == dataDir || !strings.HasPrefix(s1.socketDir, os.TempDir()) {
		t.Fatalf("socket dir = %q, want a short folder under %s for a %d-byte data dir", s1.socketDir, os.TempDir(), len(dataDir))
	}
	db := open(t, s1.DSN("postgres"))
	// CHECKPOINT after the commit so the row is on disk even with the ephemeral settings.
	for _, q := range []string{`CREATE TABLE kept (v text)`, `INSERT INTO kept VALUES ('survives')`, `CHECKPOINT`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	if err := s1.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s1.exited
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err != nil {
		t.Fatalf("expected a stale postmaster.pid after SIGKILL: %v", err)
	}
	if err := s1.Stop(ctx); err == nil {
		t.Errorf("Stop of a killed server returned nil, want an error saying it had exited")
	}
	if _, err := os.Stat(s1.socketDir); !os.IsNotExist(err) {
		t.Errorf("private socket dir %s not removed by Stop: %v", s1.socketDir, err)
	}

	s2 := startServer(t, Options{DataDir: dataDir, Ephemeral: true})
	defer s2.Stop(ctx)
	var v string
	if err := open(t, s2.DSN("postgres")).QueryRowContext(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "survives" {
		t.Fatalf("after restart: v = %q, %v", v, err)
	}
}

// A lock whose pid now belongs to an unrelated live process (pid reuse) must not block Start;
// PostgreSQL alone would refuse it.
func TestStartWithReusedPIDInLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := fastDir(t)
	s1 := startServer(t, Options{DataDir: dataDir, Ephemeral: true})
	if err := s1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	fake := fmt.Sprintf("%d\n%s\n", sleeper.Process.Pid, dataDir)
	if err := os.WriteFile(filepath.Join(dataDir, "postmaster.pid"), []byte(fake), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, Options{DataDir: dataDir, Ephemeral: true})
	if err := s2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSecondServerOnSameDirFails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := fastDir(t)
	s1 := startServer(t, Options{DataDir: dataDir, Ephemeral: true})
	defer s1.Stop(ctx)

	start := time.Now()
	s2, err := Start(ctx, Options{DataDir: dataDir, Ephemeral: true, Logger: testLogger(t)})
	if err == nil {
		s2.Stop(ctx)
		t.Fatal("second Start on a live data dir succeeded")
	}
	if !strings.Contains(err.Error(), "already running") || !strings.Contains(err.Error(), strconv.Itoa(s1.proc.Pid)) {
		t.Errorf("error %q should say a server is already running and name pid %d", err, s1.proc.Pid)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v; a live postmaster should be reported at once", d)
	}
	// The first server must be untouched.
	if err := open(t, s1.DSN("postgres")).PingContext(ctx); err != nil {
		t.Errorf("first server broken after the refused second start: %v", err)
	}
}

func TestNoBinaries(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Options{DataDir: t.TempDir(), BinDir: t.TempDir(), Logger: testLogger(t)})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// The server must not outlive a parent that dies without calling Stop.
func TestServerDiesWithParent(t *testing.T) {
	if dir := os.Getenv("PGEMBED_HELPER_DATADIR"); dir != "" {
		s, err := Start(context.Background(), Options{DataDir: dir, Ephemeral: true})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("PID", s.proc.Pid)
		select {} // wait to be killed
	}
	t.Parallel()
	dataDir := fastDir(t)
	helper := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithParent$")
	helper.Env = append(os.Environ(), "PGEMBED_HELPER_DATADIR="+dataDir)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, err := fmt.Sscanf(sc.Text(), "PID %d", &pid); n == 1 && err == nil {
			break
		}
		t.Logf("helper: %s", sc.Text())
	}
	if pid == 0 {
		helper.Process.Kill()
		helper.Wait()
		t.Fatal("helper never reported a server pid")
	}
	helper.Process.Kill()
	helper.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for isPostgres(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d still alive 10s after its parent was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing may be left working on the data dir either.
	if left := serverProcessesIn(dataDir); len(left) > 0 {
		time.Sleep(time.Second)
		if left = serverProcessesIn(dataDir); len(left) > 0 {
			t.Errorf("orphaned server processes %v on %s", left, dataDir)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int // sign
	}{
		{"15", "9.6", 1}, {"9.6", "15", -1}, {"17", "15", 1}, {"15", "15", 0}, {"10", "9", 1},
	} {
		got := compareVersions(c.a, c.b)
		if (got > 0) != (c.want > 0) || (got < 0) != (c.want < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", c.a, c.b, got, c.want)
		}
	}
}

func TestDSNQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/x":  "/tmp/x",
		"a b":     "'a b'",
		"it's":    `'it\'s'`,
		"":        "''",
		`back\sl`: `'back\\sl'`,
	} {
		if got := dsnQuote(in); got != want {
			t.Errorf("dsnQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// When the server cannot start, the error must carry the server's own explanation.
func TestStartFailureShowsServerLog(t *testing.T) {
	t.Parallel()
	dataDir := fastDir(t)
	_, err := Start(t.Context(), Options{
		DataDir: dataDir, Ephemeral: true, Logger: testLogger(t),
		Settings: map[string]string{"shared_buffers": "lots"},
	})
	if err == nil {
		t.Fatal("Start with an invalid setting succeeded")
	}
	t.Logf("error as the caller sees it:\n%v", err)
	if !strings.Contains(err.Error(), "shared_buffers") || !strings.Contains(err.Error(), "exited during startup") {
		t.Errorf("error does not quote the server log about shared_buffers: %v", err)
	}
	if left := serverProcessesIn(dataDir); len(left) > 0 {
		t.Errorf("server processes %v left after a failed start", left)
	}
}
