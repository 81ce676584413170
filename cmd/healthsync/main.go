// Command healthsync runs the health-data backend.
//
//	healthsync [serve]   run the server (default)
//	healthsync migrate   apply pending database migrations and exit
//	healthsync token     mint a JWT with the configured HS256 secret
//	healthsync import    load an Apple Health export (healthsync import apple-export --user SUBJECT PATH)
//
// The benchmark is a command of its own, cmd/healthsync-bench (make bench), so this binary links none of it.
//
// Configuration comes from environment variables (see README.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"healthsync/auth"
	"healthsync/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthsync:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "token":
		return token(cfg, args, log, stdout)
	case "bench":
		return errors.New("the benchmark is its own command now: make bench, or go run ./cmd/healthsync-bench --help")
	case "import":
		return importCommand(ctx, cfg, args, log, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: healthsync [serve|migrate|token|import] …   (configuration: see README.md)")
		return nil
	}
	return fmt.Errorf("unknown command %q: use serve, migrate, token or import", cmd)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// signingSecret is the HS256 secret: the configured one, else (development only) one kept in the data folder.
func signingSecret(cfg config.Config, log *slog.Logger) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	if cfg.Production() || len(cfg.JWTPublicKeys) > 0 || len(cfg.JWTJWKS) > 0 {
		return nil, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	secret, created, err := auth.LoadOrCreateDevSecret(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("no HEALTHSYNC_JWT_SECRET or HEALTHSYNC_JWT_PUBLIC_KEYS set: created a development signing secret; set one of them for real use",
			"file", cfg.DataDir+"/"+auth.DevSecretFile)
	} else {
		log.Info("using the development signing secret from the data folder", "file", cfg.DataDir+"/"+auth.DevSecretFile)
	}
	return secret, nil
}

func token(cfg config.Config, args []string, log *slog.Logger, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	user := fs.String("user", "", "the token's subject (user id); required")
	scope := fs.String("scope", "ingest,read", "scopes, comma-separated: ingest, read, admin (webhook administration)")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token: --user is required")
	}
	scopes, err := auth.ParseScopes(*scope)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	secret, err := signingSecret(cfg, log)
	if err != nil {
		return err
	}
	if secret == nil {
		return errors.New("token: minting needs HEALTHSYNC_JWT_SECRET (tokens for public-key setups come from your identity provider)")
	}
	signer, err := auth.NewHMACSigner(secret, cfg.JWTIssuer, cfg.JWTAudience)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, err := signer.Sign(*user, scopes, *ttl)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
