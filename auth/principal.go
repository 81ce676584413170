// Package auth verifies bearer JWTs, carries the authenticated principal in a
// context, and signs development tokens. It knows nothing of GraphQL or the
// database: callers read the principal (or the reason it is missing) from the
// request context and decide what to answer.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Scope is a permission carried by a token's `scope` claim.
type Scope string

// Scopes the service understands. Other words in a token are kept in
// Principal.Scopes but grant nothing, since Has matches exactly.
const (
	ScopeIngest Scope = "ingest"
	ScopeRead   Scope = "read"
	// ScopeAdmin administers the deployment (webhook endpoints and deliveries), not a user's data.
	ScopeAdmin Scope = "admin"
)

// KnownScopes lists the scopes this service grants, in a stable order.
func KnownScopes() []Scope { return []Scope{ScopeIngest, ScopeRead, ScopeAdmin} }

func knownScope(s Scope) bool { return slices.Contains(KnownScopes(), s) }

// Principal is the verified identity behind a request.
type Principal struct {
	Subject   string
	Scopes    []Scope
	ExpiresAt time.Time
	TokenID   string // the `jti` claim, empty when the token has none
}

// Has reports whether the principal was granted s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

type principalKey struct{}

type errorKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored by WithPrincipal (or Middleware).
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// withError records why a presented token was refused, so the API layer can
// explain an UNAUTHENTICATED answer instead of treating the caller as anonymous.
func withError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, errorKey{}, err)
}

// ErrorFromContext returns the verification error Middleware stored for a
// request whose Authorization header was present but not acceptable, or nil.
// It always wraps ErrUnauthenticated.
func ErrorFromContext(ctx context.Context) error {
	err, _ := ctx.Value(errorKey{}).(error)
	return err
}

// LogID is the subject as logs name it: a short digest that tells one user's lines apart without writing an
// identity from the identity provider (often an e-mail address) into every log line.
func LogID(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return hex.EncodeToString(sum[:8])
}
