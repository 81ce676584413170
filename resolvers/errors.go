package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"healthsync/auth"
	"healthsync/categories"
	"healthsync/cycle"
	"healthsync/db"
	"healthsync/devices"
	"healthsync/ingest"
	"healthsync/kinds"
	"healthsync/priority"
	"healthsync/rights"
	"healthsync/series"
	"healthsync/sleep"
	"healthsync/summary"
	"healthsync/workouts"
)

// Error codes in `extensions.code`. Clients branch on these, never on messages.
const (
	CodeUnauthenticated      = "UNAUTHENTICATED"
	CodeForbidden            = "FORBIDDEN"
	CodeBadUserInput         = "BAD_USER_INPUT"
	CodeBadRequest           = "BAD_REQUEST"
	CodeBatchTooLarge        = "BATCH_TOO_LARGE"
	CodeIdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
	CodeTimeout              = "TIMEOUT"
	// CodeUnavailable: the database is unreachable for now (or this server runs without sync events); retry.
	CodeUnavailable = "UNAVAILABLE"
	CodeInternal    = "INTERNAL"
)

// UnavailableRetryAfter is how long a client is told to wait before retrying an UNAVAILABLE answer: a
// PostgreSQL restart or failover takes seconds, and the connection pool reconnects on the next request.
const UnavailableRetryAfter = 2 * time.Second

var (
	// ErrUnauthenticated is returned when an operation needs a token and has none.
	ErrUnauthenticated = errors.New("a valid bearer token is required: send `Authorization: Bearer <JWT>`")
	// ErrForbidden is returned when the token lacks a scope.
	ErrForbidden = errors.New("the token lacks the scope this operation needs")
)

// codedError carries a code chosen by a resolver.
type codedError struct {
	code string
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func badInput(msg string) error { return &codedError{CodeBadUserInput, msg} }

// PresentError maps domain and storage errors to GraphQL errors with a code and a message a person can act
// on. Anything unexpected is logged and answered as INTERNAL without its text: SQL and stack traces stay here.
func PresentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		cause := unwrapGQL(err)
		var ce *codedError
		switch {
		case errors.As(err, &ce):
			return withCode(gqlErr, ce.code, ce.msg)
		case errors.Is(err, ErrUnauthenticated):
			return withCode(gqlErr, CodeUnauthenticated, cause.Error())
		case errors.Is(err, auth.ErrUnauthenticated):
			return withCode(gqlErr, CodeUnauthenticated, "the bearer token was refused: "+cause.Error())
		case errors.Is(err, ErrForbidden):
			return withCode(gqlErr, CodeForbidden, cause.Error())
		case errors.Is(err, ingest.ErrBatchTooLarge):
			return withCode(gqlErr, CodeBatchTooLarge, cause.Error())
		case errors.Is(err, ingest.ErrInvalidBatch):
			return withCode(gqlErr, CodeBadUserInput, cause.Error())
		case invalidRequest(err) != nil:
			return withCode(gqlErr, CodeBadUserInput, strings.TrimPrefix(cause.Error(), invalidRequest(err).Error()+": "))
		case errors.Is(err, ingest.ErrKeyReused):
			return withCode(gqlErr, CodeIdempotencyKeyReused,
				"this idempotencyKey was already used for a different batch; use a new key for new data")
		case db.IsInvalidText(err):
			// Last line of defence behind the server's NUL checks: a text PostgreSQL cannot store is the
			// client's to fix, not a server fault to retry.
			return withCode(gqlErr, CodeBadUserInput,
				`a text contains a character that cannot be stored (NUL, \u0000, or an invalid byte sequence)`)
		case db.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded):
			return withCode(gqlErr, CodeTimeout, "the request took too long and was stopped; retry, or ask for less")
		case errors.Is(err, context.Canceled):
			return withCode(gqlErr, CodeTimeout, "the request was cancelled")
		case db.IsUnavailable(err): // after the timeouts: context.DeadlineExceeded is a net.Error too
			markUnavailable(ctx)
			log.WarnContext(ctx, "database unavailable", "err", err, "path", gqlErr.Path.String())
			return withCode(gqlErr, CodeUnavailable, fmt.Sprintf(
				"the database is unavailable for a moment; retry the same request (same idempotencyKey) in %d seconds",
				int(UnavailableRetryAfter/time.Second)))
		}
		if ge, ok := err.(*gqlerror.Error); ok && !db.IsStorageError(ge.Err) {
			// Made by gqlgen itself (parser, validator, a variable that does not fit its type): the client's to fix.
			if strings.HasPrefix(ge.Message, "json request body could not be decoded") {
				return withCode(gqlErr, CodeBadRequest, "the request body is not valid JSON")
			}
			if _, ok := gqlErr.Extensions["code"]; !ok {
				return withCode(gqlErr, CodeBadUserInput, gqlErr.Message)
			}
			return gqlErr
		}
		log.ErrorContext(ctx, "request failed", "err", err, "path", gqlErr.Path.String())
		return withCode(gqlErr, CodeInternal, "internal error; it has been logged")
	}
}

// invalidRequests are the services' errors for a request the caller must fix; the text after "sentinel: "
// says how.
var invalidRequests = []error{series.ErrInvalid, summary.ErrInvalid, sleep.ErrInvalid, workouts.ErrInvalid,
	priority.ErrInvalid, devices.ErrInvalid, cycle.ErrInvalid,
	kinds.ErrInvalid, rights.ErrInvalid, categories.ErrInvalid}

// invalidRequest is the invalidRequests sentinel err wraps, nil when none.
func invalidRequest(err error) error {
	for _, e := range invalidRequests {
		if errors.Is(err, e) {
			return e
		}
	}
	return nil
}

// unwrapGQL peels gqlgen's path wrappers off a resolver's error, whose own text then reads without
// "input:1:3: field" prefixes.
func unwrapGQL(err error) error {
	for {
		ge, ok := err.(*gqlerror.Error)
		if !ok || ge.Err == nil {
			return err
		}
		err = ge.Err
	}
}

type unavailableKey struct{}

// TrackUnavailable gives the request a flag that PresentError raises when it answers UNAVAILABLE; the HTTP
// layer turns that into 503 with Retry-After, so proxies and clients can tell an outage from a bug.
func TrackUnavailable(ctx context.Context) (context.Context, func() bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, unavailableKey{}, flag), flag.Load
}

func markUnavailable(ctx context.Context) {
	if f, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

func withCode(e *gqlerror.Error, code, msg string) *gqlerror.Error {
	e.Message = msg
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
	return e
}
