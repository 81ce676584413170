// Command outside is the outside client (`make bench-outside`): a process of its own that uploads heart-rate and
// step samples to `healthsync serve` as phones do (each batch's JSON body built once, like an outbox, then sent
// and re-sent as stored bytes, several batches in flight), and compares the rate with a server-side COPY of the
// same rows into a twin of the table, and with PostGraphile 5 driven the same way. See README.md.
//
//	go run ./devtools/outside [--server bin/healthsync] [--samples 200000] [--batch-size 5000] [--concurrency 4]
//
// DATABASE_URL (and --postgraphile-url), when set, are the databases it runs on; otherwise it starts a private
// PostgreSQL in a temp folder.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "outside:", err)
		os.Exit(1)
	}
}

func cli(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := DefaultOptions()
	fs := flag.NewFlagSet("outside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Samples, "samples", o.Samples, "heart-rate and step samples uploaded, over all phones")
	fs.IntVar(&o.Users, "users", o.Users, "phones (users), each with its own token")
	fs.IntVar(&o.BatchSize, "batch-size", o.BatchSize, "samples per upload")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "uploads in flight (and server-side COPY parts)")
	fs.IntVar(&o.WarmupBatches, "warmup", o.WarmupBatches, "warm-up batches per server (a user of their own, not counted)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "generator seed")
	fs.StringVar(&o.ServerBin, "server", o.ServerBin, "the healthsync binary, run as `serve` (make build writes bin/healthsync)")
	fs.StringVar(&o.PostGraphileDir, "postgraphile", o.PostGraphileDir, "PostGraphile's folder with node_modules (\"\" skips it)")
	fs.StringVar(&o.PostGraphileURL, "postgraphile-url", "", "PostGraphile's database when DATABASE_URL is set")
	fs.StringVar(&o.Node, "node", o.Node, "the node binary")
	fs.StringVar(&o.PGMemory, "pg-memory", o.PGMemory, "the private PostgreSQL's memory: default (shared_buffers 128MB), sized (6GB) or a shared_buffers size such as 1GB")
	out := fs.String("out", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.DatabaseURL = os.Getenv("DATABASE_URL")
	o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	if _, err := os.Stat(o.ServerBin); err != nil {
		return fmt.Errorf("no server binary (%w): build it with `make build` or pass --server", err)
	}
	rep, err := Run(ctx, o, stdout)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*out, append(b, '\n'), 0o644)
	}
	return nil
}
