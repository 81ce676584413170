# The two commands a new machine needs: `make run` and `make test`.
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: run test test-shifted build generate vet bench bench-go reliability load fuzz clean web browser-test sdk-test

## run: the server on :8080; with no DATABASE_URL it starts its own PostgreSQL in ./.healthsync
run:
	$(GO) run ./cmd/healthsync serve

## test: the whole test suite against a real PostgreSQL that the tests start themselves
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) sdk-test

## sdk-test: the React Native SDK's type check (against the HealthKit and Health Connect libraries' own types) and
## its tests against the server built here, with its own PostgreSQL (needs node and npm)
sdk-test:
	$(GO) build -o bin/healthsync ./cmd/healthsync
	cd sdk/react-native && npm ci --no-audit --no-fund --ignore-scripts && HEALTHSYNC_BIN=../../bin/healthsync npm test

## test-shifted: the suite as if today were a year ahead and a year back (SHIFTS), to prove no test depends on
## the day it runs: Go's time.Now and the test PostgreSQL's now() both move (scripts/with-time-shift; needs
## libfaketime, which .ci/run installs)
SHIFTS ?= 8760h -8760h
test-shifted:
	for s in $(SHIFTS); do scripts/with-time-shift $$s $(GO) test -count=1 -timeout 20m ./... || exit 1; done

build:
	$(GO) build -o bin/healthsync ./cmd/healthsync

## generate: after a schema change, graph/ and the Go client's types (client/types.go) from schema.graphqls; and
## docs/catalog.md from the catalog after a catalog change
generate:
	$(GO) tool gqlgen generate
	$(GO) generate ./client/
	$(GO) generate ./catalog

## bench: `healthsync-bench` with its defaults: ingest, retries, reads, memory and growth against a server-side COPY of the stored rows, a streamed COPY and
## naive SQL in one run (flags: make bench BENCH_FLAGS="--users 2 --growth 1M"); table on stdout, JSON in devtools/bench/results/.
## It runs bin/healthsync (built first) as `serve` in a child process; the server binary links no benchmark code
bench: build
	$(GO) run ./cmd/healthsync-bench --server bin/healthsync $(BENCH_FLAGS)

## bench-go: the go-test microbenchmarks of the write path (10,000-sample batches against COPY)
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 3x -count 5 ./devtools/bench/

## bench-outside: the outside client (devtools/outside): 200k heart-rate and step samples sent as phones send them, against a
## server-side COPY into a twin of samples and against PostGraphile 5.1.5 (npm ci when its lock file changed); flags: OUTSIDE_FLAGS="--samples 400000"
.PHONY: bench-outside
bench-outside: build
	cd devtools/outside/postgraphile && (test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund)
	$(GO) run ./devtools/outside --server bin/healthsync $(OUTSIDE_FLAGS)

## reliability: the fault tests of the built binary (connection cuts, SIGKILL and SIGTERM under load, concurrent
## clients sharing ids); also part of `make test`. -v prints the figures: faults survived, samples lost and doubled
reliability:
	$(GO) test -count=1 -v -run . ./devtools/reliability/

## load: 50 clients, each its own user, mixing uploads and dashboard reads for LOAD_SECONDS on loopback; prints
## p50/p95 latencies, 5xx count and the server's peak memory (`make test` runs a 4-second version)
LOAD_SECONDS ?= 60
load:
	HEALTHSYNC_LOAD_SECONDS=$(LOAD_SECONDS) $(GO) test -count=1 -v -timeout 10m -run '^TestLoad$$' ./devtools/reliability/

## fuzz: each fuzz target for FUZZTIME (unit conversion, type mapper, fast samples decoder and upload rewrite against the generic path,
## one sample through the handler into
## PostgreSQL, Health Auto Export bodies and their error paths, Open Wearables SDK bodies); a crash is saved under the package's testdata/fuzz and then runs in every `make test`
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./catalog/
	$(GO) test -run '^$$' -fuzz '^FuzzConvertCanonicalIdentity$$' -fuzztime $(FUZZTIME) ./catalog/
	$(GO) test -run '^$$' -fuzz '^FuzzTypeMapper$$' -fuzztime $(FUZZTIME) ./catalog/
	$(GO) test -run '^$$' -fuzz '^FuzzFastSamplesAgree$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./scalar/
	$(GO) test -run '^$$' -fuzz '^FuzzRewriteUploadAgrees$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./scalar/
	$(GO) test -run '^$$' -fuzz '^FuzzIngestSample$$' -fuzztime $(FUZZTIME) -parallel 2 ./server/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./importers/hae/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./importers/openwearables/

## web: rebuild the GraphiQL and dashboard bundle in web/dist (committed; Go builds embed it and never need node)
web:
	cd web && npm ci && npm run build

## browser-test: GraphiQL and /dashboard in headless Chromium (Debian's chromium, installed with apt when missing;
## playwright-core from web/node_modules drives it); screenshots go to web/testdata/screenshots
browser-test:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	cd web && npm ci
	HEALTHSYNC_BROWSER_TEST=1 $(GO) test -count=1 -v -run . ./web/browser/

clean:
	rm -rf bin
