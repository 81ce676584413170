package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"healthsync/auth"
	"healthsync/server"
)

var at = day0.Add(33 * time.Hour)

func uuid(n int) string { return fmt.Sprintf("AAAAAAAA-0000-4000-8000-%012d", n) }

func TestIngestReplayAndSyncStateOverHTTP(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	vars := ingestInput("batch-1", hrSample(uuid(1), at, 61), hrSample(uuid(2), at.Add(time.Minute), 62),
		hrSample(uuid(3), at.Add(2*time.Minute), "NaN"))
	vars["input"].(map[string]any)["cursors"] = []any{map[string]any{"type": "HKQuantityTypeIdentifierHeartRate", "cursor": "YW5jaG9y"}}

	var first, again ingestResult
	a.do(tok, ingestMutation, vars).decode(t, &first)
	r := first.IngestBatch
	if r.Replayed || r.Accepted != 2 || len(r.Rejected) != 1 || r.Rejected[0].Code != "BAD_VALUE" || r.Rejected[0].Index != 2 {
		t.Fatalf("first upload: %+v", r)
	}
	a.do(tok, ingestMutation, vars).decode(t, &again)
	if !again.IngestBatch.Replayed || again.IngestBatch.Accepted != 2 || len(again.IngestBatch.Rejected) != 1 {
		t.Fatalf("replay: %+v", again.IngestBatch)
	}

	var state struct {
		SyncState []struct {
			DeviceID string  `json:"deviceId"`
			DataType string  `json:"dataType"`
			Cursor   *string `json:"cursor"`
			Count    int     `json:"count"`
			Status   string  `json:"status"`
		} `json:"syncState"`
		Sources []struct {
			Name string `json:"name"`
		} `json:"sources"`
		Me struct {
			ID string `json:"id"`
		} `json:"me"`
		Samples []struct {
			ID    string  `json:"id"`
			Value float64 `json:"value"`
			Unit  string  `json:"unit"`
		} `json:"samples"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) {
		me { id }
		syncState(deviceId: "iphone-1") { deviceId dataType cursor count status }
		sources { name }
		samples(metric: "heart_rate", from: $from, to: $to) { id value unit }
	}`, map[string]any{"from": at.Add(-time.Hour), "to": at.Add(time.Hour)}).decode(t, &state)
	if state.Me.ID != "alice" {
		t.Fatalf("me = %q", state.Me.ID)
	}
	if len(state.SyncState) != 1 || state.SyncState[0].DataType != "heart_rate" || state.SyncState[0].Count != 2 ||
		state.SyncState[0].Cursor == nil || *state.SyncState[0].Cursor != "YW5jaG9y" || state.SyncState[0].Status != "ACTIVE" {
		t.Fatalf("syncState = %+v", state.SyncState)
	}
	if len(state.Sources) != 1 || state.Sources[0].Name != "Apple Watch" {
		t.Fatalf("sources = %+v", state.Sources)
	}
	if len(state.Samples) != 2 || state.Samples[0].Unit != "count/min" || state.Samples[0].Value != 62 {
		t.Fatalf("samples = %+v", state.Samples)
	}
}

func TestRequestsWithoutAValidTokenGet401(t *testing.T) {
	a := newApp(t)
	for _, tc := range []struct{ name, token, query string }{
		{"no token, query", "", `{ me { id } }`},
		{"no token, mutation", "", ingestMutation},
		{"garbage token", "not.a.jwt", `{ sources { name } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any(nil)
			if tc.query == ingestMutation {
				vars = ingestInput("k", hrSample(uuid(1), at, 60))
			}
			res := a.do(tc.token, tc.query, vars)
			if res.Status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" {
				t.Fatalf("status %d code %q: %s", res.Status, res.code(), res.Raw)
			}
		})
	}
	// Introspection needs no token (GraphiQL loads the schema before the user pastes one).
	res := a.do("", `{ __schema { queryType { name } } }`, nil)
	if res.Status != http.StatusOK || len(res.Errors) != 0 {
		t.Fatalf("introspection: %d %s", res.Status, res.Raw)
	}
}

func TestForgedAndInvalidTokensAreRefused(t *testing.T) {
	// The server also trusts an RSA key, so that "HS256 signed with the RSA public key" is a real attempt.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pubFile := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(pubFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, PublicKeyFiles: []string{pubFile},
		Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, func(o *server.Options) { o.Verifier = v })
	hs := map[string]any{"alg": "HS256", "typ": "JWT"}
	valid := claims("mallory", time.Now().Add(time.Hour))

	wrongAud := claims("mallory", time.Now().Add(time.Hour))
	wrongAud["aud"] = "another-service"
	noExp := claims("mallory", time.Now())
	delete(noExp, "exp")

	cases := map[string]string{
		"alg none":                  handToken(map[string]any{"alg": "none", "typ": "JWT"}, valid, func([]byte) []byte { return nil }),
		"wrong key":                 handToken(hs, valid, hs256([]byte("another-secret-that-is-32-bytes-long!!"))),
		"HS256 with RSA public key": handToken(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "idp"}, valid, hs256(pubPEM)),
		"expired":                   handToken(hs, claims("mallory", time.Now().Add(-time.Hour)), hs256(testSecret)),
		"wrong audience":            handToken(hs, wrongAud, hs256(testSecret)),
		"no exp":                    handToken(hs, noExp, hs256(testSecret)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := a.do(tok, `{ sources { name } }`, nil)
			if res.Status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" {
				t.Fatalf("status %d code %q: %s", res.Status, res.code(), res.Raw)
			}
			if strings.Contains(res.Raw, tok[:20]) {
				t.Fatal("the error echoes the token")
			}
		})
	}
	// The control: a token built the same way with the right key is accepted.
	if res := a.do(handToken(hs, valid, hs256(testSecret)), `{ sources { name } }`, nil); res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("control token refused: %s", res.Raw)
	}
}

func TestAMissingScopeIsForbidden(t *testing.T) {
	a := newApp(t)
	readOnly := a.token("alice", auth.ScopeRead)
	res := a.do(readOnly, ingestMutation, ingestInput("k", hrSample(uuid(1), at, 60)))
	if res.code() != "FORBIDDEN" || res.Status != http.StatusOK {
		t.Fatalf("ingest with a read-only token: %d %s", res.Status, res.Raw)
	}
	ingestOnly := a.token("alice", auth.ScopeIngest)
	if res := a.do(ingestOnly, `{ sources { name } }`, nil); res.code() != "FORBIDDEN" {
		t.Fatalf("read with an ingest-only token: %s", res.Raw)
	}
}

func TestOneUserCannotReadOrDeleteAnothersSamples(t *testing.T) {
	a := newApp(t)
	alice, bob := a.token("alice"), a.token("bob")
	var r ingestResult
	a.do(alice, ingestMutation, ingestInput("a1", hrSample(uuid(1), at, 70), hrSample(uuid(2), at.Add(time.Minute), 71))).decode(t, &r)
	if r.IngestBatch.Accepted != 2 {
		t.Fatalf("alice's upload: %+v", r.IngestBatch)
	}
	del := ingestInput("b-del")
	del["input"].(map[string]any)["deletions"] = []string{uuid(1), uuid(2)}
	a.do(bob, ingestMutation, del).decode(t, &r)
	if r.IngestBatch.Deleted != 0 {
		t.Fatalf("bob deleted %d of alice's samples", r.IngestBatch.Deleted)
	}
	query := `query($from: Time!, $to: Time!) { samples(metric: "heart_rate", from: $from, to: $to) { id } sources { id } syncState { deviceId } }`
	vars := map[string]any{"from": at.Add(-time.Hour), "to": at.Add(time.Hour)}
	var seen struct {
		Samples   []struct{ ID string } `json:"samples"`
		Sources   []struct{ ID string } `json:"sources"`
		SyncState []struct{ DeviceID string }
	}
	a.do(bob, query, vars).decode(t, &seen)
	if len(seen.Samples) != 0 || len(seen.Sources) != 0 || len(seen.SyncState) != 0 {
		t.Fatalf("bob sees alice's data: %+v", seen)
	}
	a.do(alice, query, vars).decode(t, &seen)
	if len(seen.Samples) != 2 {
		t.Fatalf("alice sees %d samples, want 2", len(seen.Samples))
	}
}

func TestWholeRequestProblemsHaveCodes(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")

	big := make([]map[string]any, 5001)
	for i := range big {
		big[i] = hrSample(uuid(i), at, 60)
	}
	if res := a.do(tok, ingestMutation, ingestInput("big", big...)); res.code() != "BATCH_TOO_LARGE" && res.code() != "REQUEST_TOO_LARGE" {
		t.Fatalf("5001 samples: %d %s", res.Status, res.Raw[:min(300, len(res.Raw))])
	}

	huge := []byte(`{"query":"{ me { id } }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`)
	if res := a.post(tok, huge); res.Status != http.StatusRequestEntityTooLarge || res.code() != "REQUEST_TOO_LARGE" {
		t.Fatalf("2 MiB body: %d %s", res.Status, res.Raw)
	}

	res := a.post(tok, []byte(`{"query": "{ me { id } }", "variables": {"secret-looking": 1`))
	if res.code() != "BAD_REQUEST" || strings.Contains(res.Raw, "secret-looking") {
		t.Fatalf("malformed JSON: %d %s", res.Status, res.Raw)
	}

	if res := a.do(tok, `{ me { id `, nil); res.code() != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("malformed GraphQL: %s", res.Raw)
	}

	var ok ingestResult
	a.do(tok, ingestMutation, ingestInput("reused", hrSample(uuid(1), at, 60))).decode(t, &ok)
	if res := a.do(tok, ingestMutation, ingestInput("reused", hrSample(uuid(2), at, 60))); res.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reused key: %s", res.Raw)
	}

	bad := ingestInput("badtz", hrSample(uuid(3), at, 60))
	bad["input"].(map[string]any)["device"].(map[string]any)["timeZone"] = "Nowhere/Special"
	if res := a.do(tok, ingestMutation, bad); res.code() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "timeZone") {
		t.Fatalf("bad device time zone: %s", res.Raw)
	}

	badTime := ingestInput("badtime", hrSample(uuid(4), at, 60))
	badTime["input"].(map[string]any)["samples"].([]map[string]any)[0]["start"] = "yesterday"
	if res := a.do(tok, ingestMutation, badTime); res.code() == "" || res.code() == "INTERNAL" {
		t.Fatalf("unparseable time: %s", res.Raw)
	}
}

func TestHealthProbes(t *testing.T) {
	a := newApp(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
	}
}

func TestDeepQueriesAreRefused(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	ok := `{ workouts(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { edges { node { source { name } } } } }`
	if res := a.do(tok, ok, nil); res.code() == "QUERY_TOO_DEEP" {
		t.Fatalf("a normal query was refused: %s", res.Raw)
	}
	deep := `fragment S on Source { name }
	query { workouts(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { edges { node { alsoRecordedBy { ...S } source { ...S } } } } }`
	if res := a.do(tok, deep, nil); res.code() == "QUERY_TOO_DEEP" {
		t.Fatalf("depth 5 refused: %s", res.Raw)
	}
	if res := a.do("", `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`, nil); len(res.Errors) != 0 {
		t.Fatalf("introspection is exempt: %s", res.Raw)
	}
}

func TestAMalformedSampleFailsTheRequestWithItsIndex(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	bad := hrSample(uuid(2), at, 60)
	delete(bad, "unit")
	bad["colour"] = "red"
	res := a.do(tok, ingestMutation, ingestInput("bad-shape", hrSample(uuid(1), at, 60), bad))
	if res.code() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "samples[1]") {
		t.Fatalf("%s", res.Raw)
	}
	// Nothing of the request was written, not even its good first sample.
	var seen struct{ Samples []struct{ ID string } }
	a.do(tok, `query($f: Time!, $t: Time!) { samples(metric: "heart_rate", from: $f, to: $t) { id } }`,
		map[string]any{"f": at.Add(-time.Hour), "t": at.Add(time.Hour)}).decode(t, &seen)
	if len(seen.Samples) != 0 {
		t.Fatalf("stored %+v", seen.Samples)
	}
}
