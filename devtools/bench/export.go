package bench

import (
	"context"
	"strconv"
	"time"
)

// What other measuring tools (devtools/outside) reuse of the benchmark: the server run as a child process, the
// timed pass and the /proc meters. Thin wrappers, so the benchmark's own code keeps its names.

// Server is `healthsync serve` run as a child process (see StartServer).
type Server struct{ p *serverProc }

// StartServer starts bin as `serve` on a free loopback port against dsn, with a fresh HS256 secret (Secret) to
// sign tokens with, its log and data in dir, batches of up to maxItems (at least 20,000), and env added to its
// environment; it returns once /readyz answers.
func StartServer(ctx context.Context, bin, dir, dsn string, maxItems int, env []string) (*Server, error) {
	p, err := startServerProc(ctx, bin, dir, dsn, maxItems, env)
	if err != nil {
		return nil, err
	}
	return &Server{p: p}, nil
}

// URL is the server's GraphQL endpoint.
func (s *Server) URL() string { return s.p.url }

// Secret is the HS256 secret the server verifies tokens with.
func (s *Server) Secret() []byte { return s.p.secret }

// PID is the server's process id.
func (s *Server) PID() int { return s.p.PID() }

// LogTail is the end of the server's log, for error messages.
func (s *Server) LogTail() string { return s.p.Tail() }

// Stop sends SIGTERM and waits (SIGKILL after 30 s).
func (s *Server) Stop() { s.p.Stop() }

// Timed runs n units of work on workers goroutines and returns the phase: wall time over all, latency per unit.
// work returns the unit's item count and its own latency.
func Timed(ctx context.Context, n, workers int, work func(context.Context, int) (int, time.Duration, error)) (Phase, error) {
	return timed(ctx, n, workers, work)
}

// ProcessCPUSeconds is the user + system CPU time of process pid; 0 when /proc does not tell.
func ProcessCPUSeconds(pid int) float64 { return cpuSeconds(strconv.Itoa(pid), false) }

// TreeCPUSeconds is the CPU time of root and its descendants, live and reaped (PostgreSQL: the postmaster and
// its backends); 0 when /proc does not tell.
func TreeCPUSeconds(root int) float64 { return treeCPUSeconds(root) }

// ResetPeakRSS restarts process pid's peak resident size (VmHWM) from its current size; false when the kernel
// did not take it (then PeakRSSMB is the peak since the process started).
func ResetPeakRSS(pid int) bool { return resetPeakRSS(strconv.Itoa(pid)) }

// PeakRSSMB is process pid's peak resident size in MB; 0 when /proc does not tell.
func PeakRSSMB(pid int) float64 {
	return round(float64(procStatusKB(strconv.Itoa(pid), "VmHWM"))/1024, 1)
}

// PerCPU is items per CPU second (Go + PostgreSQL) of a pass; 0 when the CPU was not measured.
func PerCPU(p Phase) float64 { return perCPU(p) }
