package auth

import (
	"net/http"
	"strings"
)

// Middleware authenticates requests that carry `Authorization: Bearer <jwt>`.
// It never answers a request itself, because the API layer decides what an
// anonymous or refused caller may still do:
//   - no Authorization header: the request passes on unchanged;
//   - a valid token: the principal is in the context (FromContext);
//   - anything else: the refusal is in the context (ErrorFromContext).
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Authorization")
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		p, err := v.verifyHeader(values)
		if err != nil {
			ctx = withError(ctx, err)
		} else {
			ctx = WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (v *Verifier) verifyHeader(values []string) (Principal, error) {
	if len(values) > 1 {
		// Two headers may be read differently by a proxy and by us.
		return Principal{}, fail("more than one Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, fail("authorization scheme must be Bearer")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return Principal{}, fail("empty bearer token")
	}
	return v.Verify(token)
}
