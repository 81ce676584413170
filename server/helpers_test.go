package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

// day0 is a UTC midnight a month before the server's clock: the tests' data is dated from it, so it is never in
// the server's future and never too old, whatever day the suite runs.
var day0 = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -30)

// iso is t as a GraphQL Time literal.
func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

const (
	testIssuer   = "https://id.example.test"
	testAudience = "healthsync-test"
)

type app struct {
	t       *testing.T
	handler http.Handler
	signer  *auth.Signer
	opts    server.Options // what the handler was built with (its store, ingest service, ...)
}

func newApp(t *testing.T, mutate ...func(*server.Options)) *app {
	t.Helper()
	store := db.New(dbtest.New(t), db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{Store: store, Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil),
		Catalog: cat, Verifier: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRequestBytes: 1 << 20}
	for _, m := range mutate {
		m(&opts)
	}
	// The services as serve wires them, after mutate: a test that swaps the ingest service gets importers on it.
	opts = servertest.Wire(opts)
	return &app{t: t, handler: server.New(opts), signer: signer, opts: opts}
}

func (a *app) token(user string, scopes ...auth.Scope) string {
	a.t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{auth.ScopeIngest, auth.ScopeRead}
	}
	tok, err := a.signer.Sign(user, scopes, time.Hour)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    string
}

func (r response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// do posts one GraphQL operation through the real handler.
func (a *app) do(token, query string, vars map[string]any) response {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return a.post(token, body)
}

func (a *app) post(token string, body []byte) response {
	a.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	out := response{Status: rec.Code, Raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		a.t.Fatalf("response is not JSON (%d): %s", rec.Code, rec.Body.String())
	}
	out.Status = rec.Code
	return out
}

// decode reads data into v and fails the test on GraphQL errors.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("status %d, errors: %s", r.Status, r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// handToken builds a token with the standard library only, so the forged cases do not depend on our signer.
func handToken(header, claims map[string]any, sign func(input []byte) []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	return input + "." + enc.EncodeToString(sign([]byte(input)))
}

func hs256(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func claims(sub string, exp time.Time) map[string]any {
	return map[string]any{"sub": sub, "iss": testIssuer, "aud": testAudience, "exp": exp.Unix(),
		"iat": time.Now().Add(-time.Minute).Unix(), "scope": "ingest read"}
}

const ingestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { kind index id code message } }
}`

type ingestResult struct {
	IngestBatch struct {
		Replayed   bool `json:"replayed"`
		Accepted   int  `json:"accepted"`
		Duplicates int  `json:"duplicates"`
		Updated    int  `json:"updated"`
		Deleted    int  `json:"deleted"`
		Rejected   []struct {
			Kind    string  `json:"kind"`
			Index   int     `json:"index"`
			ID      *string `json:"id"`
			Code    string  `json:"code"`
			Message string  `json:"message"`
		} `json:"rejected"`
	} `json:"ingestBatch"`
}

var watchSource = map[string]any{"name": "Apple Watch", "bundleId": "com.apple.health.8A1B", "productType": "Watch6,7",
	"deviceModel": "Watch", "hardwareVersion": "Watch6,7"}

func hrSample(id string, at time.Time, bpm any) map[string]any {
	return map[string]any{"id": id, "type": "HKQuantityTypeIdentifierHeartRate", "value": bpm, "unit": "count/min",
		"start": at.Format(time.RFC3339Nano), "end": at.Format(time.RFC3339Nano), "source": watchSource}
}

func ingestInput(key string, samples ...map[string]any) map[string]any {
	return map[string]any{"input": map[string]any{"idempotencyKey": key, "provider": "APPLE_HEALTH",
		"device":  map[string]any{"id": "iphone-1", "model": "iPhone15,2", "timeZone": "Europe/Zurich"},
		"samples": samples}}
}
