// Package server wires the HTTP surface: the GraphQL endpoint with its transports, limits and error
// presentation, GraphiQL in development, and the health probes.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/categories"
	"healthsync/cloud/cloudsync"
	"healthsync/cycle"
	"healthsync/db"
	"healthsync/devices"
	"healthsync/fhir"
	"healthsync/fhir/fhirhttp"
	"healthsync/graph"
	"healthsync/importers/hae"
	"healthsync/importers/jobs"
	"healthsync/importers/openwearables"
	"healthsync/ingest"
	"healthsync/kinds"
	"healthsync/metrics"
	"healthsync/priority"
	"healthsync/resolvers"
	"healthsync/rights"
	"healthsync/series"
	"healthsync/server/httpjson"
	"healthsync/sleep"
	"healthsync/summary"
	"healthsync/syncevents"
	"healthsync/syncplan"
	"healthsync/web"
	"healthsync/webhooks"
	"healthsync/workouts"
)

// Options are the server's dependencies and knobs.
type Options struct {
	Store    *db.Store
	Ingest   *ingest.Service
	Catalog  *catalog.Catalog
	Verifier *auth.Verifier
	Log      *slog.Logger
	// MaxRequestBytes caps a request body; a larger one is refused with 413 before it is parsed.
	MaxRequestBytes int64
	// Development turns on GraphiQL at / and field suggestions in errors.
	Development bool
	// DevToken, when set in development, is pre-filled as the Authorization header in GraphiQL.
	DevToken string
	// Production refuses introspection (INTROSPECTION_DISABLED) and turns GraphiQL and suggestions off,
	// whatever Development says.
	Production bool
	// MaxParserTokens bounds the tokens of a query's text; 0 means DefaultMaxParserTokens.
	MaxParserTokens int
	// MutationsPerSecond and MutationBurst shape each user's token bucket for mutations (every root field,
	// aliases included, costs one; refusals are HTTP 429 RATE_LIMITED). Zero turns the limit off (in-process
	// benchmarks and tests); serve uses DefaultMutationsPerSecond and DefaultMutationBurst.
	MutationsPerSecond float64
	MutationBurst      int
	// Metrics, when set, records requests and is served at GET /metrics. Pass the same Metrics to
	// ingest.WithObserver for the batch instruments.
	Metrics *metrics.Metrics
	// Events feeds the syncEvents subscription (websocket transport); nil answers it with UNAVAILABLE. The
	// Ingest service must be built with ingest.WithSyncNotify for events to flow.
	Events *syncevents.Hub
	// Cloud, when set, serves the cloud providers' GraphQL fields and their callback and webhook endpoints
	// under /providers/ (authenticated by the sealed OAuth state and the providers' signatures, not by JWT).
	Cloud *cloudsync.Service
	// Series, Imports and HAE serve the series reads, the import jobs and POST /ingest/health-auto-export.
	// cmd/healthsync builds every service (tests wire the same through devtools/servertest): the server only
	// routes to them, so the HTTP surface and the domain's construction never drift into each other.
	Series  *series.Service
	Imports *jobs.Service
	HAE     *hae.Handler
	// OpenWearables serves the Open Wearables mobile SDKs' routes under /api/v1/.
	OpenWearables *openwearables.Handler
	// The read and settings services behind the thin resolvers.
	Sleep    *sleep.Service
	Summary  *summary.Service
	Workouts *workouts.Service
	Priority *priority.Service
	Devices  *devices.Service
	Cycle    *cycle.Service
	// SyncPlans answers syncPlan and uploadDigests (a phone's backfill plan).
	SyncPlans *syncplan.Service
	// Kinds reads State of Mind, ECG and medication doses (issue 17).
	Kinds *kinds.Service
	// Categories reads stored category samples of one type (categorySamples).
	Categories *categories.Service

	// Webhooks administers the outgoing webhooks' endpoints and deliveries (admin scope).
	Webhooks *webhooks.Service
	// FHIR serves GET /fhir/Observation (searchset Bundles and bulk NDJSON of the token's user).
	FHIR *fhir.Service

	// Rights runs erasures and exports and serves GET /exports/{id}.
	Rights *rights.Service
}

// RequestLogger is the logger for code that runs on a request's behalf (the services handed to Options):
// every string value is cut short, so input quoted in a log line cannot flood the log.
func RequestLogger(l *slog.Logger) *slog.Logger { return capLogger(l) }

// mustBeWired panics on a missing service: a wiring mistake, found at start-up rather than by the first request.
func mustBeWired(o Options) {
	for _, dep := range []struct {
		name    string
		missing bool
	}{{"Store", o.Store == nil}, {"Ingest", o.Ingest == nil}, {"Catalog", o.Catalog == nil}, {"Verifier", o.Verifier == nil},
		{"Series", o.Series == nil}, {"Imports", o.Imports == nil}, {"HAE", o.HAE == nil}, {"OpenWearables", o.OpenWearables == nil},
		{"Sleep", o.Sleep == nil}, {"Summary", o.Summary == nil}, {"Workouts", o.Workouts == nil},
		{"Priority", o.Priority == nil}, {"Devices", o.Devices == nil}, {"Cycle", o.Cycle == nil},
		{"SyncPlans", o.SyncPlans == nil}, {"Kinds", o.Kinds == nil}, {"Categories", o.Categories == nil}, {"FHIR", o.FHIR == nil}, {"Rights", o.Rights == nil}} {
		if dep.missing {
			panic("server.New: Options." + dep.name + " is nil; cmd/healthsync (or devtools/servertest in tests) builds it")
		}
	}
}

// New builds the HTTP handler.
func New(o Options) http.Handler {
	mustBeWired(o)
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Log = capLogger(o.Log)
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 32 << 20
	}
	if o.Production {
		o.Development = false
	}
	parserTokens, limiter := limitsFrom(o)
	gql := handler.New(graph.NewExecutableSchema(graph.Config{
		Resolvers: &resolvers.Resolver{Users: o.Store, Ingest: o.Ingest, Catalog: o.Catalog,
			Series: o.Series, Imports: o.Imports, Events: o.Events, Cloud: o.Cloud, Sleep: o.Sleep, Summary: o.Summary,
			Workouts: o.Workouts, Priority: o.Priority, Devices: o.Devices, Cycle: o.Cycle,
			SyncPlans: o.SyncPlans, Kinds: o.Kinds, Categories: o.Categories, Webhooks: o.Webhooks, Rights: o.Rights},
		Directives: graph.DirectiveRoot{Scope: resolvers.Scope},
	}))
	gql.AddTransport(websocketTransport(o.Verifier, o.Log))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(postJSON{})
	gql.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	gql.SetParserTokenLimit(parserTokens)
	if o.Production {
		gql.Use(hideSchema{})
	} else {
		gql.Use(extension.Introspection{})
	}
	gql.Use(nulGuard{})
	gql.Use(extension.FixedComplexityLimit(2000))
	gql.Use(depthLimit{max: 8})
	gql.Use(batchLimit{max: maxIngestBatchesPerRequest})
	if limiter != nil {
		gql.Use(mutationRate{limiter: limiter})
	}
	gql.SetDisableSuggestion(!o.Development)
	gql.SetErrorPresenter(resolvers.PresentError(o.Log))
	gql.SetRecoverFunc(func(ctx context.Context, p any) error {
		o.Log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return errors.New("internal panic")
	})
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if graphql.HasOperationContext(ctx) {
			if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
				return next(ctx) // one response per event: the subscription is not a request to time
			}
		}
		ctx, batch := ingest.TrackStats(ctx)
		start := time.Now()
		resp := next(ctx)
		observeRequest(ctx, o.Log, o.Metrics, resp, batch, time.Since(start))
		return resp
	})

	mux := http.NewServeMux()
	api := limitBody(o.MaxRequestBytes, requireJSON(predecodeSamples(o.Verifier.Middleware(unauthorizedStatus(rateLimitStatus(gql))))))
	subscriptions := o.Verifier.Middleware(gql)
	mux.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			subscriptions.ServeHTTP(w, withConnSlot(r))
			return
		}
		api.ServeHTTP(w, r)
	}))
	mux.Handle("POST /ingest/health-auto-export", limitBody(o.MaxRequestBytes, o.Verifier.Middleware(o.HAE)))
	// The Open Wearables mobile SDKs' routes, under the paths they call (host + /api/v1).
	mux.Handle("/api/v1/", limitBody(o.MaxRequestBytes, o.OpenWearables.Routes(o.Verifier)))
	// FHIR R4 read API: its errors are OperationOutcomes in application/fhir+json, so it bypasses codedErrors.
	fhirRoutes := limitBody(o.MaxRequestBytes, fhirhttp.NewHandler(o.FHIR, o.Store, o.Log).Routes(o.Verifier))
	mux.Handle("/fhir/", fhirRoutes)
	mux.Handle("GET /exports/{id}", o.Verifier.Middleware(exportDownload(o.Store, o.Rights, o.Log)))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics.Handler())
	}
	if o.Cloud != nil {
		// Webhook bodies reach PostgreSQL: the body limit refuses a NUL in them (and in callbacks' query strings).
		mux.Handle("/providers/", limitBody(o.MaxRequestBytes, o.Cloud.Handler()))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.Store.Ping(ctx); err != nil {
			o.Log.WarnContext(ctx, "not ready", "err", err)
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET "+web.AssetPrefix, web.Assets())
	mux.Handle("GET /dashboard", web.Dashboard("/graphql"))
	if o.Development {
		mux.Handle("GET /{$}", web.GraphiQL("/graphql", o.DevToken))
	}
	coded := codedErrors(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Cloud != nil && strings.HasPrefix(r.URL.Path, "/providers/") {
			// The providers' callbacks answer a person's browser and the providers' webhooks in their own terms.
			mux.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/fhir/") {
			fhirRoutes.ServeHTTP(w, r)
			return
		}
		coded.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over max with 413 and a GraphQL-shaped error, before anything parses them.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			tooLarge(w, max)
			return
		}
		if r.Body != nil && r.Method == http.MethodPost {
			body, err := readAll(http.MaxBytesReader(w, r.Body, max), r.ContentLength)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge(w, max)
				return
			}
			if err != nil {
				httpjson.Error(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
				return
			}
			if hasNUL(body) {
				refuseNUL(w)
				return
			}
			r.Body = &readBody{Reader: bytes.NewReader(body), b: body}
		}
		if queryHasNUL(r) {
			refuseNUL(w)
			return
		}
		next.ServeHTTP(w, markScanned(r))
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	httpjson.Error(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
		fmt.Sprintf("the request body is larger than %d bytes: send fewer items per batch", max))
}

// unauthorizedStatus answers 401 when an operation was refused for having no valid token at all, and 503 with
// Retry-After when the database could not be reached (UNAVAILABLE): a client or proxy that reads only the
// status then retries an outage and does not mistake it for success or for a bug.
func unauthorizedStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, refused := resolvers.TrackAuthRefusal(r.Context())
		ctx, unavailable := resolvers.TrackUnavailable(ctx)
		next.ServeHTTP(&statusWriter{ResponseWriter: w, refused: refused, unavailable: unavailable}, r.WithContext(ctx))
	})
}

type statusWriter struct {
	http.ResponseWriter
	refused     func() bool
	unavailable func() bool
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if s.wroteHeader {
		return
	}
	s.wroteHeader = true
	switch {
	case code != http.StatusOK:
	case s.refused():
		s.Header().Set("WWW-Authenticate", `Bearer realm="healthsync"`)
		code = http.StatusUnauthorized
	case s.unavailable():
		s.Header().Set("Retry-After", strconv.Itoa(int(retryAfter(resolvers.UnavailableRetryAfter)/time.Second)))
		code = http.StatusServiceUnavailable
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}
