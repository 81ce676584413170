package main

import (
	"log/slog"

	"healthsync/importers/appleexport"
	"healthsync/importers/hae"
	"healthsync/importers/jobs"
	"healthsync/ingest"
	"healthsync/series"
	"healthsync/server"
)

// wire builds the services the server routes to, over the store and the write path: the one place they are
// built (devtools/servertest mirrors it for tests, and TestTestsWireWhatServeWires keeps the two alike). serve
// adds the process's own parts (verifier, limits, metrics, events, cloud) to what it returns.
func wire(st *store, svc *ingest.Service, log *slog.Logger) server.Options {
	reqLog := server.RequestLogger(log)
	return server.Options{Store: st.Store, Ingest: svc, Catalog: st.catalog, Log: log,
		Series:  series.NewService(st.Store, st.catalog),
		Imports: jobs.NewService(st.Store, appleexport.NewImporter(svc, st.catalog, appleexport.Options{}), reqLog),
		HAE:     hae.NewHandler(svc, st.Store, st.catalog, reqLog)}
}
