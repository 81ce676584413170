// Command healthsync-bench is the benchmark: ingest, retries, reads, memory and growth against raw COPY and
// naive SQL (see devtools/bench/README.md). It is a command of its own so that the server binary links none of
// the benchmark; it runs that binary (--server, bin/healthsync by default, which `make bench` builds) as
// `healthsync serve` in a child process, or wires the server in-process with --in-process.
//
//	healthsync-bench [--server bin/healthsync] [flags]
//
// DATABASE_URL, when set, is the PostgreSQL it runs on; otherwise it starts a private one in a temp folder.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"healthsync/config"
	"healthsync/devtools/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthsync-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	opts, err := bench.ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	opts.DatabaseURL, opts.Log = cfg.DatabaseURL, newLogger(cfg, stderr)
	if opts.InProcess {
		opts.ServerBin = ""
	} else {
		if opts.ServerBin, err = filepath.Abs(opts.ServerBin); err != nil {
			return fmt.Errorf("--server: %w", err)
		}
		if _, err := os.Stat(opts.ServerBin); err != nil {
			return fmt.Errorf("no server binary to run as `healthsync serve` (%w): build it with `make build`, "+
				"or pass --server PATH, or --in-process", err)
		}
	}
	_, err = bench.Run(ctx, opts, stdout)
	return err
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
