package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
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
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			value := p.Authorization()
			if value == "" {
				if _, ok := auth.FromContext(ctx); ok {
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
			log.InfoContext(ctx, "websocket connected", "user", userHash(principal.Subject))
			return auth.WithPrincipal(ctx, principal), nil, nil
		},
		CloseFunc: func(ctx context.Context, code int) {
			attrs := []any{"code", code}
			if p, ok := auth.FromContext(ctx); ok {
				attrs = append(attrs, "user", userHash(p.Subject))
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
