package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"healthsync/scalar"
)

const sampleJSON = `{"id":"A1","type":"HKQuantityTypeIdentifierHeartRate","value":61,"unit":"count\/min",
 "start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:00:00Z","source":{"name":"Watch"}}`

func body(query, vars string) []byte {
	return []byte(`{"query":` + mustJSON(query) + `,"variables":` + vars + `}`)
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRewriteSamplesOnlyForIngestBatchInputVariables(t *testing.T) {
	const mutation = `mutation Up($input: IngestBatchInput!) { ingestBatch(input: $input) { accepted } }`
	vars := `{"input":{"idempotencyKey":"k","provider":"APPLE_HEALTH","device":{"id":"d"},"samples":[` + sampleJSON + `]}}`

	out, reg := rewriteSamples(body(mutation, vars))
	if reg == nil {
		t.Fatal("a plain upload was not predecoded")
	}
	var got struct {
		Query     string `json:"query"`
		Variables struct {
			Input map[string]any `json:"input"`
		} `json:"variables"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Query != mutation || got.Variables.Input["idempotencyKey"] != "k" {
		t.Fatalf("the rest of the body changed: %s", out)
	}
	ph, ok := got.Variables.Input["samples"].(string)
	if !ok {
		t.Fatalf("samples were not replaced: %s", out)
	}
	var l scalar.QuantitySampleList
	if err := l.UnmarshalGQLContext(scalar.WithPredecoded(context.Background(), reg), ph); err != nil || len(l) != 1 ||
		l[0].Unit != "count/min" || l[0].Source.Name != "Watch" {
		t.Fatalf("placeholder gives %+v, %v", l, err)
	}

	for name, b := range map[string][]byte{
		"other type":     body(`mutation($input: Map) { x(m: $input) }`, vars),
		"longer name":    body(`mutation($input2: IngestBatchInput!, $input: Other) { a }`, vars),
		"bad sample":     body(mutation, strings.Replace(vars, `"value":61`, `"value":true`, 1)),
		"unknown field":  body(mutation, strings.Replace(vars, `"value":61`, `"value":61,"colour":"red"`, 1)),
		"no samples":     body(mutation, `{"input":{"idempotencyKey":"k"}}`),
		"not JSON":       []byte(`{"query": "IngestBatchInput", "variables": {"samples": [`),
		"no IngestBatch": body(`mutation($i: X) { a }`, vars),
	} {
		if _, reg := rewriteSamples(b); reg != nil {
			t.Errorf("%s: rewritten", name)
		}
	}
}
