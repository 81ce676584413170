package resolvers

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"healthsync/auth"
	"healthsync/graph/model"
)

type authRefusedKey struct{}

// TrackAuthRefusal gives the request a flag that the @scope directive raises when it refuses a request for
// having no valid token; the HTTP layer turns that into status 401.
func TrackAuthRefusal(ctx context.Context) (context.Context, func() bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, authRefusedKey{}, flag), flag.Load
}

func markAuthRefused(ctx context.Context) {
	if f, ok := ctx.Value(authRefusedKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// Scope implements the schema's @scope directive: a valid token, and the scope when one is named.
func Scope(ctx context.Context, _ any, next graphql.Resolver, needs *model.Scope) (any, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		markAuthRefused(ctx)
		if err := auth.ErrorFromContext(ctx); err != nil {
			return nil, err
		}
		return nil, ErrUnauthenticated
	}
	if needs != nil {
		want := auth.ScopeRead
		switch *needs {
		case model.ScopeIngest:
			want = auth.ScopeIngest
		case model.ScopeAdmin:
			want = auth.ScopeAdmin
		}
		if !p.Has(want) {
			return nil, fmt.Errorf("%w: it needs %q in the token's scope claim", ErrForbidden, want)
		}
	}
	return next(ctx)
}
