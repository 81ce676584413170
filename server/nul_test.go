package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"healthsync/devtools/dbtest"
	"healthsync/resolvers"
)

// A NUL character cannot be stored by PostgreSQL (text, jsonb): it must be refused as the client's error
// (BAD_USER_INPUT) wherever a string enters, never reach the database and come back as INTERNAL, which clients
// retry forever. GraphQL's braced escape \u{0} is only a NUL after lexing, so a byte scan of the body cannot
// see it; GET and websocket messages have no body to scan.
func TestNULIsBadInputOnEveryTransport(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	for name, q := range map[string]string{
		"query literal":       `{ syncState(deviceId: "d\u{0}") { dataType } }`,
		"mutation literal":    `mutation { startAppleHealthImport(size: 10, fileName: "a\u{0}.zip") { id } }`,
		"block string":        "{ syncState(deviceId: \"\"\"d\x00\"\"\") { dataType } }",
		"list of literals":    `mutation { setSourcePriority(sourceIds: ["s\u{0}"]) { id } }`,
		"fragment's argument": `query { ...F } fragment F on Query { syncState(deviceId: "\u{0}") { dataType } }`,
	} {
		t.Run("POST "+name, func(t *testing.T) {
			res := a.post(tok, body(q, nil))
			if res.code() != "BAD_USER_INPUT" || !strings.Contains(res.Raw, "NUL") {
				t.Fatalf("%d %s", res.Status, res.Raw)
			}
		})
	}
	t.Run("POST variable", func(t *testing.T) {
		res := a.do(tok, `query($d: ID) { syncState(deviceId: $d) { dataType } }`, map[string]any{"d": "d\x00"})
		if res.code() != "BAD_USER_INPUT" {
			t.Fatalf("%d %s", res.Status, res.Raw)
		}
	})
	t.Run("GET", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(`{ syncState(deviceId: "d\u{0}") { dataType } }`), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		var out response
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.code() != "BAD_USER_INPUT" {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	})
	// A string without NUL still works, so the refusals above are about the NUL alone.
	if res := a.post(tok, body(`{ syncState(deviceId: "d\u{41}") { dataType } }`, nil)); len(res.Errors) != 0 {
		t.Fatalf("a braced escape of A: %s", res.Raw)
	}
}

func TestNULOverTheWebsocketIsBadInput(t *testing.T) {
	inst := newInstance(t, dbtest.NewDSN(t))
	c, m, err := dialWS(t, inst.srv, map[string]string{"Authorization": "Bearer " + inst.app.token("alice")})
	if err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	for i, p := range []map[string]any{
		{"query": `query($d: ID) { syncState(deviceId: $d) { dataType } }`, "variables": map[string]any{"d": "d\x00"}},
		{"query": `{ syncState(deviceId: "d\u{0}") { dataType } }`},
	} {
		id := string(rune('1' + i))
		c.send(wsMessage{ID: id, Type: "subscribe", Payload: mustJSON(t, p)})
		m, err := c.next(5 * time.Second)
		if err != nil || (m.Type != "error" && m.Type != "next") || !strings.Contains(string(m.Payload), `"BAD_USER_INPUT"`) {
			t.Fatalf("operation %s: %s %s %v", id, m.Type, m.Payload, err)
		}
		if m.Type == "next" {
			c.next(5 * time.Second) // its complete
		}
	}
}

// Behind the checks above: PostgreSQL's own refusal of a text it cannot store (a NUL in text, \u0000 in jsonb)
// is presented as the client's error, whatever path brought the text there.
func TestPostgresTextRefusalsAreBadInput(t *testing.T) {
	d := dbtest.New(t)
	present := resolvers.PresentError(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, q := range []struct {
		sql string
		arg any
	}{
		{`SELECT $1::text`, "a\x00b"},
		{`SELECT $1::jsonb`, `{"a": "\u0000"}`},
	} {
		_, err := d.Exec(q.sql, q.arg)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) {
			t.Fatalf("%s: %v, want a PostgreSQL error", q.sql, err)
		}
		got := present(context.Background(), &gqlerror.Error{Message: err.Error(), Err: fmt.Errorf("store: %w", err)})
		if got.Extensions["code"] != "BAD_USER_INPUT" || strings.Contains(got.Message, "pq:") {
			t.Errorf("%s (%s) presented as %v %q", q.sql, pqErr.Code, got.Extensions["code"], got.Message)
		}
	}
}

// The providers' webhooks carry bodies that reach PostgreSQL too (Garmin pushes its summaries inline): a NUL
// there would fail the store with 500 and the provider would send it again forever. Refused up front, before
// the provider is even looked up.
func TestNULInAWebhookBodyIsRefused(t *testing.T) {
	c := newCloudApp(t)
	for _, b := range []string{`{"dailies":[{"summaryId":"a\u0000"}]}`, "{\"dailies\":[{\"summaryId\":\"a\x00\"}]}"} {
		resp, err := http.Post(c.URL+"/providers/garmin/webhook", "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out response
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || err != nil || out.code() != "BAD_USER_INPUT" {
			t.Fatalf("%q: %d %v %+v", b, resp.StatusCode, err, out)
		}
	}
}
