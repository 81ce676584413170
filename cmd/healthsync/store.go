package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/catalog"
	"healthsync/config"
	"healthsync/db"
	"healthsync/pgembed"
)

// store is what every subcommand works on: the database (DATABASE_URL, or the private PostgreSQL), migrated,
// and the catalog the write and read paths share.
type store struct {
	*db.Store
	sql     *sqlx.DB
	dsn     string // for connections of their own (the sync events' LISTEN)
	catalog *catalog.Catalog
	applied int // migrations this start applied
	close   func()
}

// openStore connects (or starts the private PostgreSQL when no DATABASE_URL is configured) and migrates.
// close releases the connections and stops the private server.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store, error) {
	dsn := cfg.DatabaseURL
	stop := func() {}
	if dsn == "" {
		log.Info("no DATABASE_URL: starting a private PostgreSQL", "dir", cfg.PostgresDir())
		pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.PostgresDir(), Logger: log})
		if err != nil {
			return nil, err
		}
		stop = func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := pg.Stop(sctx); err != nil {
				log.Error("stopping the private PostgreSQL", "err", err)
			}
		}
		if err := pg.EnsureDatabase(ctx, "healthsync"); err != nil {
			stop()
			return nil, err
		}
		dsn = pg.DSN("healthsync")
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		stop()
		return nil, err
	}
	closeAll := func() { d.Close(); stop() }
	n, err := db.Migrate(ctx, d, log)
	if err != nil {
		closeAll()
		return nil, err
	}
	citus, err := db.DetectCitus(ctx, d)
	if err != nil {
		closeAll()
		return nil, err
	}
	opts := db.Options{StatementTimeout: cfg.StatementTimeout, Citus: citus}
	if citus {
		// Citus plans INSERT … SELECT unnest as a copy into the shard, which row-level security refuses.
		opts.InsertForm = db.InsertValues
		log.Info("citus extension found: user settings propagate to the workers, batches are inserted as VALUES")
	}
	return &store{Store: db.New(d, opts), sql: d, dsn: dsn,
		catalog: catalog.New(), applied: n, close: closeAll}, nil
}
