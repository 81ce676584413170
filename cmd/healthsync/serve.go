package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"healthsync/auth"
	"healthsync/config"
	"healthsync/ingest"
	"healthsync/metrics"
	"healthsync/server"
	"healthsync/syncevents"
	"healthsync/webhooks"
)

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.close()
	log.Info("database is up to date", "applied", st.applied)
	return nil
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is not set. Uploads are bursts of
// garbage (a 5,000-sample batch decodes into about 10 MB of JSON values): with GOGC alone the heap goal doubles
// whatever four concurrent batches hold, and the server's resident size reached 250-280 MB in the benchmark's
// replay and duplicate passes. Under the limit the collector runs earlier, only when the heap comes near it: at
// 220 MiB the peaks stayed at 200-231 MB for about the same CPU, while 200 MiB made the collector run so often
// that the server's CPU per item grew by a fifth to a half. It is soft: when the live data really is larger
// (bigger batches, more concurrent uploads), the runtime caps the collector's CPU share and lets the heap grow.
// Set GOMEMLIMIT (e.g. 1GiB, or off) to choose another.
const defaultMemoryLimit = 220 << 20

func setMemoryLimit(log *slog.Logger) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	log.Debug("Go soft memory limit", "bytes", defaultMemoryLimit, "override", "GOMEMLIMIT")
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	setMemoryLimit(log)
	secret, err := signingSecret(cfg, log)
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(auth.Config{HMACSecret: secret, PublicKeyFiles: cfg.JWTPublicKeys, JWKSFiles: cfg.JWTJWKS,
		Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	if err != nil {
		return fmt.Errorf("configure token verification: %w", err)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mets, err := metrics.New(reg, st.sql.DB)
	if err != nil {
		return err
	}
	hubCtx, cancelHub := context.WithTimeout(ctx, 30*time.Second)
	hub, err := syncevents.Listen(hubCtx, st.dsn, log)
	cancelHub()
	if err != nil {
		return err
	}
	defer hub.Close()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "healthsync_sync_event_subscribers",
		Help: "Open syncEvents subscriptions on this process."}, func() float64 { return float64(hub.Subscribers()) }))
	svc := ingest.NewService(st.Store, st.catalog, ingest.Limits{MaxItems: cfg.MaxBatchItems}, nil,
		ingest.WithObserver(mets), ingest.WithSyncNotify(), ingest.WithWebhooks())

	var devToken string
	if !cfg.Production() && secret != nil {
		signer, err := auth.NewHMACSigner(secret, cfg.JWTIssuer, cfg.JWTAudience)
		if err != nil {
			return err
		}
		if devToken, err = signer.Sign("dev", []auth.Scope{auth.ScopeIngest, auth.ScopeRead}, 7*24*time.Hour); err != nil {
			return err
		}
	}
	cloud, err := cloudService(ctx, cfg, st.Store, svc, st.catalog, mets, log)
	if err != nil {
		return err
	}
	opts := wire(st, svc, log)
	if err := loadWebhooks(ctx, cfg, opts.Webhooks, log); err != nil {
		return err
	}
	opts.Verifier, opts.MaxRequestBytes, opts.Development, opts.DevToken = verifier, cfg.MaxRequestBytes, !cfg.Production(), devToken
	opts.Production, opts.MutationsPerSecond, opts.MutationBurst = cfg.Production(), server.DefaultMutationsPerSecond, server.DefaultMutationBurst
	opts.Metrics, opts.Events, opts.Cloud = mets, hub, cloud
	linkKey, err := exportLinkKey(cfg, log)
	if err != nil {
		return err
	}
	opts.Rights = opts.Rights.WithGrace(cfg.ErasureGrace).WithExports(cfg.ExportTTL, linkKey, cfg.ExportLinkTTL)
	if cloud != nil { // provider grants are withdrawn at erasure where the provider offers it
		opts.Rights = opts.Rights.WithRevoker(cloud)
	}
	h := server.New(opts)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Every process works on cloud provider jobs (SKIP LOCKED keeps them from running one job twice). It starts
	// once the listener is up: keeping webhook subscriptions makes providers call this server back.
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	go cloud.Run(workCtx, 0)
	go opts.Rights.Run(workCtx, 0)
	go pruneKeys(workCtx, svc, cfg.IdempotencyRetention, log)
	// Every process announces types that turned STALE (sync.stale); SKIP LOCKED and the remembered announcement
	// keep two processes from announcing one transition twice.
	go opts.Devices.RunStaleSweep(workCtx, time.Minute, log)
	// Every process delivers webhooks too (SKIP LOCKED); stopWork ends it at shutdown.
	go webhooks.NewDispatcher(st.Store, log, webhooks.DispatchOptions{}).Run(workCtx, time.Second)

	log.Info("healthsync is serving", "addr", ln.Addr().String(), "algorithms", verifier.Algorithms())
	if devToken != "" {
		base := bannerBase(cfg, ln.Addr())
		fmt.Fprintf(stdout, "\nhealthsync is ready.\n  GraphiQL:  %s/\n  GraphQL:   %s/graphql\n"+
			"  Development token (user \"dev\", scopes ingest+read, valid 7 days); paste into GraphiQL's Headers tab:\n"+
			"  {\"Authorization\": \"Bearer %s\"}\n\n", base, base, devToken)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// pruneKeys deletes stored answers older than the retention, hourly. Every process runs it; the deletes are
// small rounds, so two processes at once only share the work.
func pruneKeys(ctx context.Context, svc *ingest.Service, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := svc.PruneKeys(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("prune idempotency keys", "err", err)
		case n > 0:
			log.Info("pruned stored answers of idempotency keys", "answers", n, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func portOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprintf(":%d", t.Port)
	}
	return ""
}
