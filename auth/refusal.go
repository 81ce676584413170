package auth

import "context"

// Refusal is what to tell a caller the context has no principal for: why its token was refused, or that a
// token is needed when none came.
func Refusal(ctx context.Context) string {
	if err := ErrorFromContext(ctx); err != nil {
		return err.Error()
	}
	return "a valid bearer token is required"
}
