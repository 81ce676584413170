package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"healthsync/server"
)

func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

func TestParserTokenLimit(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	// 10,000 aliases: refused by the lexer, before parsing, validation or any resolver.
	res := a.do(tok, aliases(10_000, "me { id }"), nil)
	if res.code() != "GRAPHQL_PARSE_FAILED" || !strings.Contains(res.Errors[0].Message, "token limit") || len(res.Data) > 0 && string(res.Data) != "null" {
		t.Fatalf("10,000 aliases: %.300s", res.Raw)
	}
	// Within the default, the same shape runs.
	var ok map[string]struct{ ID string }
	a.do(tok, aliases(50, "me { id }"), nil).decode(t, &ok)
	if len(ok) != 50 || ok["a49"].ID != "alice" {
		t.Fatalf("50 aliases: %v", ok)
	}

	small := newApp(t, func(o *server.Options) { o.MaxParserTokens = 40 })
	tok = small.token("alice")
	if res := small.do(tok, aliases(5, "me { id }"), nil); len(res.Errors) != 0 {
		t.Fatalf("5 aliases under a 40-token limit: %s", res.Raw)
	}
	if res := small.do(tok, aliases(10, "me { id }"), nil); res.code() != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("10 aliases over a 40-token limit: %s", res.Raw)
	}
	// Variables do not count: a large batch in variables passes a small token limit.
	samples := make([]map[string]any, 500)
	for i := range samples {
		samples[i] = hrSample(uuid(i+1), day0.Add(time.Duration(i)*time.Minute), 60+i%40)
	}
	var r ingestResult
	small2 := newApp(t, func(o *server.Options) { o.MaxParserTokens = 100 })
	small2.do(small2.token("alice"), ingestMutation, ingestInput("big", samples...)).decode(t, &r)
	if r.IngestBatch.Accepted != 500 {
		t.Fatalf("500 samples in variables: %+v", r.IngestBatch)
	}
}

func TestProductionHidesTheSchema(t *testing.T) {
	prod := newApp(t, func(o *server.Options) { o.Production = true; o.Development = true })
	dev := newApp(t, func(o *server.Options) { o.Development = true })
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "Sample") { fields { name } } }`,
		`query { ...F } fragment F on Query { __schema { types { name } } }`,
		`{ me { id } ... on Query { __type(name: "Query") { name } } }`,
	} {
		for _, tok := range []string{"", prod.token("alice")} {
			res := prod.do(tok, q, nil)
			if res.code() != server.CodeIntrospectionDisabled || strings.Contains(res.Raw, "queryType") && !strings.Contains(res.Raw, "errors") {
				t.Errorf("production, %q (token %v): %s", q, tok != "", res.Raw)
			}
			if strings.Contains(string(res.Data), "Sample") || strings.Contains(string(res.Data), "QUERY") {
				t.Errorf("production leaked schema: %s", res.Raw)
			}
		}
		if res := dev.do("", q, nil); q != `{ me { id } ... on Query { __type(name: "Query") { name } } }` && len(res.Errors) != 0 {
			t.Errorf("development, %q: %s", q, res.Raw)
		}
	}
	// __typename is not introspection of the schema and stays available.
	var me struct {
		Me struct{ Typename string } `json:"me"`
	}
	prod.do(prod.token("alice"), `{ me { Typename: __typename } }`, nil).decode(t, &me)
	if me.Me.Typename != "User" {
		t.Fatalf("__typename: %+v", me)
	}

	// GraphiQL: served in development, absent in production even when Development is also set.
	for _, c := range []struct {
		a    *app
		want int
	}{{dev, http.StatusOK}, {prod, http.StatusNotFound}} {
		rec := httptest.NewRecorder()
		c.a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != c.want {
			t.Errorf("GET / = %d, want %d", rec.Code, c.want)
		}
	}

	// No field suggestions in production (they reveal the schema one typo at a time).
	res := prod.do(prod.token("alice"), `{ sourcs { id } }`, nil)
	if res.code() != "GRAPHQL_VALIDATION_FAILED" || strings.Contains(res.Raw, "Did you mean") {
		t.Fatalf("production typo: %s", res.Raw)
	}
	if res := dev.do(dev.token("alice"), `{ sourcs { id } }`, nil); !strings.Contains(res.Raw, "Did you mean") {
		t.Fatalf("development typo should suggest: %s", res.Raw)
	}
}

// rawPost posts a GraphQL operation and returns the recorder, for status and headers.
func (a *app) rawPost(token, query string, vars map[string]any) *httptest.ResponseRecorder {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

func TestMutationRateLimitPerUser(t *testing.T) {
	// Three mutations' worth, refilled at one per 1,000 s: nothing refills during the test.
	a := newApp(t, func(o *server.Options) { o.MutationsPerSecond = 0.001; o.MutationBurst = 3 })
	alice, bob := a.token("alice"), a.token("bob")
	const reset = `mutation { setSourcePriority(sourceIds: []) { id } }`
	for i := 0; i < 3; i++ {
		if res := a.do(alice, reset, nil); len(res.Errors) != 0 || res.Status != http.StatusOK {
			t.Fatalf("mutation %d within the burst: %s", i+1, res.Raw)
		}
	}
	rec := a.rawPost(alice, reset, nil)
	var out response
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	retry, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
	if rec.Code != http.StatusTooManyRequests || out.code() != server.CodeRateLimited || retry < 1 {
		t.Fatalf("4th mutation: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	// A refused upload writes nothing.
	if res := a.do(alice, ingestMutation, ingestInput("late", hrSample(uuid(1), day0.Add(8*time.Hour), 60))); res.code() != server.CodeRateLimited {
		t.Fatalf("upload over the limit: %s", res.Raw)
	}
	var s struct {
		Samples []struct{ ID string } `json:"samples"`
	}
	a.do(alice, `{ samples(metric: "heart_rate", from: "`+iso(day0)+`", to: "`+iso(day0.Add(24*time.Hour))+`") { id } }`, nil).decode(t, &s)
	if len(s.Samples) != 0 {
		t.Fatalf("a rate-limited upload was stored: %+v", s.Samples)
	}
	// Queries are not charged; other users have their own bucket.
	if res := a.do(alice, `{ me { id } }`, nil); len(res.Errors) != 0 {
		t.Fatalf("query after the limit: %s", res.Raw)
	}
	if res := a.do(bob, reset, nil); len(res.Errors) != 0 {
		t.Fatalf("bob is limited by alice's use: %s", res.Raw)
	}
	// Aliases pay one each: bob has two left, so three aliased mutations in one request are refused whole.
	three := `mutation { a: setSourcePriority(sourceIds: []) { id } b: setSourcePriority(sourceIds: []) { id } c: setSourcePriority(sourceIds: []) { id } }`
	if res := a.do(bob, three, nil); res.code() != server.CodeRateLimited || string(res.Data) != "null" && len(res.Data) != 0 {
		t.Fatalf("three aliased mutations with two tokens left: %s", res.Raw)
	}
	two := `mutation { a: setSourcePriority(sourceIds: []) { id } b: setSourcePriority(sourceIds: []) { id } }`
	if res := a.do(bob, two, nil); len(res.Errors) != 0 {
		t.Fatalf("two aliased mutations with two tokens left: %s", res.Raw)
	}
}

func TestIngestBatchAliasesAreRefused(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	at := day0.Add(8 * time.Hour)
	in := func(key string, n int) map[string]any {
		return ingestInput(key, hrSample(uuid(n), at.Add(time.Duration(n)*time.Minute), 60))["input"].(map[string]any)
	}
	vars := map[string]any{"a": in("k1", 1), "b": in("k2", 2)}
	cases := map[string]string{
		"two aliases": `mutation($a: IngestBatchInput!, $b: IngestBatchInput!) {
			x: ingestBatch(input: $a) { accepted } y: ingestBatch(input: $b) { accepted } }`,
		"same field twice in fragments": `mutation($a: IngestBatchInput!, $b: IngestBatchInput!) { ...A ...B }
			fragment A on Mutation { x: ingestBatch(input: $a) { accepted } }
			fragment B on Mutation { y: ingestBatch(input: $b) { accepted } }`,
		"inline fragment": `mutation($a: IngestBatchInput!, $b: IngestBatchInput!) {
			x: ingestBatch(input: $a) { accepted } ... on Mutation { y: ingestBatch(input: $b) { accepted } } }`,
		"skipped alias still counts": `mutation($a: IngestBatchInput!, $b: IngestBatchInput!) {
			x: ingestBatch(input: $a) { accepted } y: ingestBatch(input: $b) @skip(if: true) { accepted } }`,
	}
	for name, q := range cases {
		if res := a.do(tok, q, vars); res.code() != server.CodeTooManyBatches {
			t.Errorf("%s: %s", name, res.Raw)
		}
	}
	// 100 aliases of one batch (inside the token limit): refused, nothing written.
	var b strings.Builder
	b.WriteString("mutation($a: IngestBatchInput!) {")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, " x%d: ingestBatch(input: $a) { accepted }", i)
	}
	b.WriteString(" }")
	if res := a.do(tok, b.String(), map[string]any{"a": in("k1", 1)}); res.code() != server.CodeTooManyBatches {
		t.Fatalf("100 aliases: %.300s", res.Raw)
	}
	var s struct {
		Samples []struct{ ID string } `json:"samples"`
	}
	a.do(tok, `{ samples(metric: "heart_rate", from: "`+iso(day0)+`", to: "`+iso(day0.Add(24*time.Hour))+`") { id } }`, nil).decode(t, &s)
	if len(s.Samples) != 0 {
		t.Fatalf("refused batches were stored: %+v", s.Samples)
	}
	// One batch per request still works, aliased or not.
	var r struct {
		X struct{ Accepted int } `json:"x"`
	}
	a.do(tok, `mutation($a: IngestBatchInput!) { x: ingestBatch(input: $a) { accepted } }`, map[string]any{"a": in("k1", 1)}).decode(t, &r)
	if r.X.Accepted != 1 {
		t.Fatalf("one aliased batch: %+v", r)
	}
}

// A request that costs more than the whole burst could never be admitted: answering 429 would have the client
// wait and retry it forever. It is the client's request to split, so BAD_USER_INPUT, and it takes no tokens.
func TestMutationsOverTheBurstAreBadInput(t *testing.T) {
	a := newApp(t, func(o *server.Options) { o.MutationsPerSecond = 0.001; o.MutationBurst = 3 })
	alice := a.token("alice")
	rec := a.rawPost(alice, "mutation "+aliases(4, `setSourcePriority(sourceIds: []) { id }`), nil)
	var out response
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code == http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "" || out.code() != "BAD_USER_INPUT" ||
		len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "at most 3") {
		t.Fatalf("4 mutations with a burst of 3: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	for i := 0; i < 3; i++ {
		if res := a.do(alice, `mutation { setSourcePriority(sourceIds: []) { id } }`, nil); len(res.Errors) != 0 {
			t.Fatalf("mutation %d after the refused request (it must not have taken tokens): %s", i+1, res.Raw)
		}
	}
}
