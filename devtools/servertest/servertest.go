// Package servertest wires server.Options the way cmd/healthsync does, for the tests and the in-process
// benchmark, which cannot import a main package. cmd/healthsync's TestTestsWireWhatServeWires fails when the two
// wire different services.
package servertest

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

// Wire fills the services of o that are unset from its Store, Ingest, Catalog and Log, as serve builds them.
func Wire(o server.Options) server.Options {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	log = server.RequestLogger(log)
	if o.Series == nil {
		o.Series = series.NewService(o.Store, o.Catalog)
	}
	if o.Imports == nil {
		o.Imports = jobs.NewService(o.Store, appleexport.NewImporter(o.Ingest, o.Catalog, appleexport.Options{}), log)
	}
	if o.HAE == nil {
		o.HAE = hae.NewHandler(o.Ingest, o.Store, o.Catalog, log)
	}
	if o.OpenWearables == nil {
		o.OpenWearables = openwearables.NewHandler(o.Ingest, o.Store, o.Catalog, log)
	}
	if o.Sleep == nil {
		o.Sleep = sleep.NewService(o.Store, o.Series)
	}
	if o.Summary == nil {
		o.Summary = summary.NewService(o.Store, o.Series, o.Sleep)
	}
	if o.Workouts == nil {
		o.Workouts = workouts.NewService(o.Store)
	}
	if o.Priority == nil {
		o.Priority = priority.NewService(o.Store, o.Catalog)
	}
	if o.Devices == nil {
		o.Devices = devices.NewService(o.Store)
	}
	if o.Cycle == nil {
		o.Cycle = cycle.NewService(o.Store, o.Series)
	}
	if o.SyncPlans == nil {
		o.SyncPlans = syncplan.NewService(o.Store, o.Catalog)
	}
	if o.Kinds == nil {
		o.Kinds = kinds.NewService(o.Store)
	}
	if o.Categories == nil {
		o.Categories = categories.NewService(o.Store, o.Catalog)
	}
	if o.Webhooks == nil {
		o.Webhooks = webhooks.NewService(o.Store, nil)
	}
	if o.FHIR == nil {
		o.FHIR = fhir.NewService(o.Store, o.Catalog)
	}
	if o.Rights == nil {
		o.Rights = rights.NewService(o.Store, rights.Options{Log: log, FHIR: o.FHIR})
	}
	return o
}
