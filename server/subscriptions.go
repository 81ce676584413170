package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"healthsync/auth"
)

// websocketTransport serves subscriptions. Browsers cannot set headers on a websocket, so the token travels
// in the connection's init payload ({"Authorization": "Bearer …"}); a connection without a valid one is
// refused before any operation runs. An Authorization header on the upgrade request is accepted as well.
func websocketTransport(v *auth.Verifier, log *slog.Logger) transport.Websocket {
	// 4403 is graphql-transport-ws's close code for a refused connection_init.
	refuse := func(ctx context.Context, msg string) (context.Context, *transport.InitPayload, error) {
		ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, 4403), "UNAUTHENTICATED")
		return ctx, nil, errors.New("UNAUTHENTICATED: " + msg)
	}
	return transport.Websocket{
		Implementation:        expiringWebsocket{},
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			value := p.Authorization()
			if value == "" {
				if principal, ok := auth.FromContext(ctx); ok {
					closeAtExpiry(ctx, principal.ExpiresAt)
					return ctx, nil, nil
				}
				return refuse(ctx, `send {"Authorization": "Bearer <JWT>"} in the connection's init payload`)
			}
			scheme, token, _ := strings.Cut(strings.TrimSpace(value), " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				return refuse(ctx, "the init payload's Authorization must be `Bearer <JWT>`")
			}
			principal, err := v.Verify(strings.TrimSpace(token))
			if err != nil {
				log.InfoContext(ctx, "websocket refused", "reason", "invalid token")
				return refuse(ctx, "the token in the init payload is not valid")
			}
			log.InfoContext(ctx, "websocket connected", "user", auth.LogID(principal.Subject))
			closeAtExpiry(ctx, principal.ExpiresAt)
			return auth.WithPrincipal(ctx, principal), nil, nil
		},
		CloseFunc: func(ctx context.Context, code int) {
			if w, ok := ctx.Value(wsConnKey{}).(*wsConnSlot); ok {
				w.stop()
			}
			attrs := []any{"code", code}
			if p, ok := auth.FromContext(ctx); ok {
				attrs = append(attrs, "user", auth.LogID(p.Subject))
			}
			log.InfoContext(ctx, "websocket closed", attrs...)
		},
	}
}

// isWebsocket tells upgrade requests apart: they skip the HTTP-only wrappers, which would hide the
// connection's http.Hijacker from the websocket library.
func isWebsocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// withConnSlot gives an upgrade request a slot that expiringWebsocket fills with the connection, so the init
// function, which sees only the request's context, can arm the token's expiry on it.
func withConnSlot(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wsConnKey{}, &wsConnSlot{}))
}

type wsConnKey struct{}

type wsConnSlot struct {
	mu    sync.Mutex
	conn  transport.WebsocketConn
	timer *time.Timer
}

func (w *wsConnSlot) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// expiringWebsocket is gqlgen's websocket implementation that also records each connection in its request's
// slot. gqlgen itself can only close a connection with 1000 when its context ends; a token's expiry must be a
// 4403, the refusal clients know means "authenticate again".
type expiringWebsocket struct {
	transport.CoderWebsocketImplementation
}

func (e expiringWebsocket) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := e.CoderWebsocketImplementation.Accept(w, r, o)
	if err == nil {
		if slot, ok := r.Context().Value(wsConnKey{}).(*wsConnSlot); ok {
			slot.mu.Lock()
			slot.conn = conn
			slot.mu.Unlock()
		}
	}
	return conn, err
}

// closeAtExpiry closes the connection with 4403 when the token expires: a subscription must not go on
// delivering a user's data on a token that no longer grants it. The client connects again with a fresh token.
func closeAtExpiry(ctx context.Context, expires time.Time) {
	slot, ok := ctx.Value(wsConnKey{}).(*wsConnSlot)
	if !ok || expires.IsZero() {
		return
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.conn == nil {
		return
	}
	conn := slot.conn
	slot.timer = time.AfterFunc(time.Until(expires), func() {
		_ = conn.WriteClose(4403, "token expired: connect again with a fresh token")
	})
}
