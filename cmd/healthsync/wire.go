package main

import (
	"log/slog"

	"healthsync/categories"
	"healthsync/cycle"
	"healthsync/devices"
	"healthsync/fhir"
	"healthsync/importers/appleexport"
	"healthsync/importers/hae"
	"healthsync/importers/jobs"
	"healthsync/importers/openwearables"
	"healthsync/ingest"
	"healthsync/kinds"
	"healthsync/priority"
	"healthsync/rights"
	"healthsync/series"
	"healthsync/server"
	"healthsync/sleep"
	"healthsync/summary"
	"healthsync/syncplan"
	"healthsync/webhooks"
	"healthsync/workouts"
)

// wire builds the services the server routes to, over the store and the write path: the one place they are
// built (devtools/servertest mirrors it for tests, and TestTestsWireWhatServeWires keeps the two alike). serve
// adds the process's own parts (verifier, limits, metrics, events, cloud) to what it returns.
func wire(st *store, svc *ingest.Service, log *slog.Logger) server.Options {
	reqLog := server.RequestLogger(log)
	o := server.Options{Store: st.Store, Ingest: svc, Catalog: st.catalog, Log: log,
		Series:  series.NewService(st.Store, st.catalog),
		Imports: jobs.NewService(st.Store, appleexport.NewImporter(svc, st.catalog, appleexport.Options{}), reqLog),
		HAE:     hae.NewHandler(svc, st.Store, st.catalog, reqLog)}
	o.OpenWearables = openwearables.NewHandler(svc, st.Store, st.catalog, reqLog)
	o.Sleep = sleep.NewService(st.Store, o.Series)
	o.Summary = summary.NewService(st.Store, o.Series, o.Sleep)
	o.Workouts = workouts.NewService(st.Store)
	o.Priority = priority.NewService(st.Store, st.catalog)
	o.Devices = devices.NewService(st.Store)
	o.Cycle = cycle.NewService(st.Store, o.Series)
	o.SyncPlans = syncplan.NewService(st.Store, st.catalog)
	o.Kinds = kinds.NewService(st.Store)
	o.Categories = categories.NewService(st.Store, st.catalog)
	o.Webhooks = webhooks.NewService(st.Store, nil)
	o.FHIR = fhir.NewService(st.Store, st.catalog)
	o.Rights = rights.NewService(st.Store, rights.Options{Log: reqLog, FHIR: o.FHIR})
	return o
}
