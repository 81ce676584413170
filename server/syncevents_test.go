package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/db"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
	"healthsync/syncevents"
)

// instance is one server process's worth of wiring: its own pool, its own LISTEN connection, its own handler.
type instance struct {
	app *app
	hub *syncevents.Hub
	srv *httptest.Server
}

func newInstance(t *testing.T, dsn string) *instance {
	t.Helper()
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := syncevents.Listen(ctx, dsn, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	store := db.New(d, db.Options{})
	cat := catalog.New()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(testSecret, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(servertest.Wire(server.Options{Store: store, Catalog: cat, Verifier: v, Log: quiet, MaxRequestBytes: 1 << 20,
		Ingest: ingest.NewService(store, cat, ingest.Limits{MaxItems: 5000}, nil, ingest.WithSyncNotify()),
		Events: hub}))
	srv := httptest.NewUnstartedServer(h)
	// Much shorter than serve's: a subscription must outlive the request timeouts (net/http clears them when the
	// websocket takes the connection over; this keeps it so).
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	return &instance{app: &app{t: t, handler: h, signer: signer, opts: server.Options{Verifier: v}}, hub: hub, srv: srv}
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialWS(t *testing.T, srv *httptest.Server, initPayload any) (*wsClient, wsMessage, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, conn: conn}
	c.send(wsMessage{Type: "connection_init", Payload: mustJSON(t, initPayload)})
	m, err := c.next(5 * time.Second)
	return c, m, err
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// next returns the next message that is not a keep-alive.
func (c *wsClient) next(wait time.Duration) (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMessage{}, err
		}
		if m.Type == "ping" || m.Type == "pong" || m.Type == "ka" {
			continue
		}
		return m, nil
	}
}

type syncEvent struct {
	DeviceID     string    `json:"deviceId"`
	Accepted     int       `json:"accepted"`
	Duplicates   int       `json:"duplicates"`
	Updated      int       `json:"updated"`
	Deleted      int       `json:"deleted"`
	DataTypes    []string  `json:"dataTypes"`
	TypesOmitted bool      `json:"typesOmitted"`
	At           time.Time `json:"at"`
}

func (c *wsClient) event(t *testing.T) syncEvent {
	t.Helper()
	m, err := c.next(10 * time.Second)
	if err != nil {
		t.Fatalf("waiting for an event: %v", err)
	}
	if m.Type != "next" || m.ID != "1" {
		t.Fatalf("unexpected message %s %s", m.Type, m.Payload)
	}
	var p struct {
		Data struct {
			SyncEvents syncEvent `json:"syncEvents"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		t.Fatalf("event payload %s (%v)", m.Payload, err)
	}
	return p.Data.SyncEvents
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const syncEventsSubscription = `subscription { syncEvents { deviceId accepted duplicates updated deleted dataTypes typesOmitted at } }`

// Two server instances on one database: a batch stored through A reaches a subscriber connected to B, and only
// the batch owner's subscriber.
func TestSyncEventsCrossInstances(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	a, b := newInstance(t, dsn), newInstance(t, dsn)
	alice, bob := a.app.token("alice"), a.app.token("bob")

	sub, ack, err := dialWS(t, b.srv, map[string]string{"Authorization": "Bearer " + alice})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", ack, err)
	}
	sub.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(t, map[string]string{"query": syncEventsSubscription})})
	waitFor(t, "the subscription on B", func() bool { return b.hub.Subscribers() == 1 })
	time.Sleep(600 * time.Millisecond) // past the server's read and write timeouts

	// Bob's batch first: alice's subscriber must never see it.
	var r ingestResult
	a.app.do(bob, ingestMutation, ingestInput("bob-1", hrSample(uuid(9), at, 80))).decode(t, &r)

	before := time.Now().Add(-time.Second)
	batch := ingestInput("alice-1", hrSample(uuid(1), at, 61), hrSample(uuid(2), at.Add(time.Minute), 62),
		hrSample(uuid(1), at, 61))
	a.app.do(alice, ingestMutation, batch).decode(t, &r)
	ev := sub.event(t)
	if ev.DeviceID != "iphone-1" || ev.Accepted != 2 || ev.Duplicates != 1 || ev.Updated != 0 || ev.Deleted != 0 ||
		len(ev.DataTypes) != 1 || ev.DataTypes[0] != "heart_rate" || ev.TypesOmitted || ev.At.Before(before) {
		t.Fatalf("first event %+v", ev)
	}

	// A replay commits nothing new and sends no event; the next event is the next stored batch, sent through B.
	a.app.do(alice, ingestMutation, batch).decode(t, &r)
	if !r.IngestBatch.Replayed {
		t.Fatal("the repeat was not a replay")
	}
	del := ingestInput("alice-2", hrSample(uuid(3), at.Add(2*time.Minute), 63))
	del["input"].(map[string]any)["deletions"] = []string{uuid(2)}
	b.app.do(alice, ingestMutation, del).decode(t, &r)
	if ev := sub.event(t); ev.Accepted != 1 || ev.Deleted != 1 || ev.Duplicates != 0 {
		t.Fatalf("second event %+v", ev)
	}

	// A batch that fails as a whole rolls back: no event. Then one more good batch, which must be the next event.
	if res := a.app.do(alice, ingestMutation, ingestInput("alice-1", hrSample(uuid(4), at, 64))); res.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reused key: %s", res.Raw)
	}
	a.app.do(alice, ingestMutation, ingestInput("alice-3", hrSample(uuid(5), at.Add(5*time.Minute), 65))).decode(t, &r)
	if ev := sub.event(t); ev.Accepted != 1 || ev.Deleted != 0 {
		t.Fatalf("third event %+v", ev)
	}

	// Closing the socket ends the subscription on B.
	sub.conn.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "the subscription to end", func() bool { return b.hub.Subscribers() == 0 })
}

func TestSyncEventsNeedAValidTokenInTheInitPayload(t *testing.T) {
	inst := newInstance(t, dbtest.NewDSN(t))
	forged := handToken(map[string]any{"alg": "HS256", "typ": "JWT"}, claims("alice", time.Now().Add(time.Hour)),
		hs256([]byte("another-secret-another-secret-another!")))
	for name, payload := range map[string]any{
		"none":   map[string]string{},
		"basic":  map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"},
		"forged": map[string]string{"Authorization": "Bearer " + forged},
	} {
		t.Run(name, func(t *testing.T) {
			c, m, err := dialWS(t, inst.srv, payload)
			if err == nil && m.Type == "connection_ack" {
				t.Fatal("the connection was accepted")
			}
			if err == nil {
				if m.Type != "connection_error" && m.Type != "error" {
					t.Fatalf("unexpected %s %s", m.Type, m.Payload)
				}
				_, err = c.next(5 * time.Second)
			}
			if status := websocket.CloseStatus(err); status != 4403 {
				t.Fatalf("close status %d (%v), want 4403", status, err)
			}
		})
	}

	// A token without the read scope connects but cannot subscribe.
	ingestOnly := inst.app.token("alice", auth.ScopeIngest)
	c, m, err := dialWS(t, inst.srv, map[string]string{"Authorization": "Bearer " + ingestOnly})
	if err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(t, map[string]string{"query": syncEventsSubscription})})
	m, err = c.next(5 * time.Second)
	// gqlgen answers a resolver's refusal as a `next` carrying the error (then `complete`), not as `error`.
	if err != nil || (m.Type != "error" && m.Type != "next") || !strings.Contains(string(m.Payload), `"FORBIDDEN"`) ||
		strings.Contains(string(m.Payload), `"syncEvents":{`) {
		t.Fatalf("subscribe without read scope: %s %s %v", m.Type, m.Payload, err)
	}
}

// A subscription must not outlive its token: at the token's expiry the server closes the connection with 4403,
// and the client connects again with a fresh token.
func TestSubscriptionClosesWhenTheTokenExpires(t *testing.T) {
	inst := newInstance(t, dbtest.NewDSN(t))
	short, err := inst.app.signer.Sign("alice", []auth.Scope{auth.ScopeRead}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p, err := inst.app.opts.Verifier.Verify(short)
	if err != nil {
		t.Fatal(err)
	}
	c, m, err := dialWS(t, inst.srv, map[string]string{"Authorization": "Bearer " + short})
	if err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(t, map[string]string{"query": syncEventsSubscription})})
	waitFor(t, "the subscription", func() bool { return inst.hub.Subscribers() == 1 })
	_, err = c.next(15 * time.Second)
	closedAt := time.Now()
	if status := websocket.CloseStatus(err); status != 4403 {
		t.Fatalf("close status %d (%v), want 4403 at the token's expiry", status, err)
	}
	if closedAt.Before(p.ExpiresAt.Add(-time.Second)) {
		t.Fatalf("closed at %s, before the token's expiry %s", closedAt.Format(time.RFC3339Nano), p.ExpiresAt.Format(time.RFC3339Nano))
	}
	waitFor(t, "the subscription to end", func() bool { return inst.hub.Subscribers() == 0 })

	// A fresh token connects again.
	c, m, err = dialWS(t, inst.srv, map[string]string{"Authorization": "Bearer " + inst.app.token("alice")})
	if err != nil || m.Type != "connection_ack" {
		t.Fatalf("reconnect: %+v %v", m, err)
	}
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(t, map[string]string{"query": syncEventsSubscription})})
	waitFor(t, "the new subscription", func() bool { return inst.hub.Subscribers() == 1 })
}
