// Package metrics holds the server's Prometheus instruments: GraphQL requests by operation and outcome, request
// latency, ingest batch sizes, item outcomes and latency, and the database pool. Everything lives in the registry
// the caller passes in, so tests and embedding programs get their own.
package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"healthsync/ingest"
)

// Metrics records what the server does. Its methods are safe for concurrent use.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	batches        *prometheus.CounterVec
	batchItems     prometheus.Histogram
	items          *prometheus.CounterVec
	ingestSeconds  prometheus.Histogram
	providerJobs   *prometheus.CounterVec
	webhooks       *prometheus.CounterVec
}

// Batch outcomes and item outcomes, the label values of healthsync_ingest_batches_total and
// healthsync_ingest_items_total.
const (
	BatchStored   = "stored"
	BatchReplayed = "replayed"
	BatchFailed   = "failed"

	ItemAccepted  = "accepted"
	ItemDuplicate = "duplicate"
	ItemUpdated   = "updated"
	ItemDeleted   = "deleted"
	ItemRejected  = "rejected"
)

// New registers the instruments in reg, and the connection pool statistics of d (go_sql_*{db_name="healthsync"})
// unless d is nil.
func New(reg *prometheus.Registry, d *sql.DB) (*Metrics, error) {
	latency := []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsync_graphql_requests_total",
			Help: "GraphQL requests by root field (operation) and outcome (ok or the first error's code); a request counts once per root field.",
		}, []string{"operation", "outcome"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "healthsync_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation type (query, mutation; none when it did not parse) and root field (multiple when several).",
			Buckets: latency,
		}, []string{"type", "operation"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsync_ingest_batches_total",
			Help: "Upload batches by outcome: stored, replayed (same idempotency key and payload), failed (nothing written).",
		}, []string{"outcome"}),
		batchItems: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "healthsync_ingest_batch_items",
			Help:    "Items per upload batch (samples, series points, category samples, workouts, deletions, cursors).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9), // 1 … 65536
		}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsync_ingest_items_total",
			Help: "Items of stored batches by outcome: accepted, duplicate, updated, deleted, rejected.",
		}, []string{"outcome"}),
		ingestSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "healthsync_ingest_duration_seconds",
			Help:    "Time to validate and store one batch, its transaction included.",
			Buckets: latency,
		}),
		providerJobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsync_provider_job_runs_total",
			Help: "Runs of cloud provider jobs by provider, kind (BACKFILL, POLL, FETCH_RECORD) and outcome (ok, retry, failed, reauthorize, cancelled).",
		}, []string{"provider", "kind", "outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthsync_provider_webhooks_total",
			Help: "Cloud provider webhook calls by provider and outcome (stored, refused: signature or payload, failed: answered 500 for a resend).",
		}, []string{"provider", "outcome"}),
	}
	cs := []prometheus.Collector{m.requests, m.requestSeconds, m.batches, m.batchItems, m.items, m.ingestSeconds,
		m.providerJobs, m.webhooks}
	if d != nil {
		cs = append(cs, collectors.NewDBStatsCollector(d, "healthsync"))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// Label values known up front appear at zero, so dashboards and alerts see them before the first event.
	for _, o := range []string{BatchStored, BatchReplayed, BatchFailed} {
		m.batches.WithLabelValues(o)
	}
	for _, o := range []string{ItemAccepted, ItemDuplicate, ItemUpdated, ItemDeleted, ItemRejected} {
		m.items.WithLabelValues(o)
	}
	return m, nil
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts one GraphQL request. operations are its root fields (bounded by the schema, unlike
// client-chosen operation names); outcome is "ok" or an error code.
func (m *Metrics) ObserveRequest(opType string, operations []string, outcome string, took time.Duration) {
	if opType == "" {
		opType = "none"
	}
	field := "multiple"
	switch len(operations) {
	case 0:
		field = "none"
		m.requests.WithLabelValues(field, outcome).Inc()
	case 1:
		field = operations[0]
	}
	m.requestSeconds.WithLabelValues(opType, field).Observe(took.Seconds())
	for _, op := range operations {
		m.requests.WithLabelValues(op, outcome).Inc()
	}
}

// ObserveBatch implements ingest.Observer.
func (m *Metrics) ObserveBatch(_ context.Context, b ingest.BatchStats) {
	m.ingestSeconds.Observe(b.Took.Seconds())
	m.batchItems.Observe(float64(b.Items))
	switch {
	case b.Err != nil:
		m.batches.WithLabelValues(BatchFailed).Inc()
		return
	case b.Result.Replayed:
		m.batches.WithLabelValues(BatchReplayed).Inc()
		return // its items were counted when it was stored
	}
	m.batches.WithLabelValues(BatchStored).Inc()
	r := b.Result
	m.items.WithLabelValues(ItemAccepted).Add(float64(r.Accepted))
	m.items.WithLabelValues(ItemDuplicate).Add(float64(r.Duplicates))
	m.items.WithLabelValues(ItemUpdated).Add(float64(r.Updated))
	m.items.WithLabelValues(ItemDeleted).Add(float64(r.Deleted))
	m.items.WithLabelValues(ItemRejected).Add(float64(len(r.Rejected)))
}

var _ ingest.Observer = (*Metrics)(nil)
