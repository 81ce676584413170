package resolvers

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Errors of the database connection mean an outage, whatever shape the driver gives them: UNAVAILABLE (clients
// retry with the same key), without the driver's words. Other database errors are the server's bug: INTERNAL.
// Input errors made by gqlgen stay the client's.
func TestPresentErrorStorageFailures(t *testing.T) {
	present := PresentError(slog.New(slog.NewTextHandler(io.Discard, nil)))
	wrap := func(err error) error { return &gqlerror.Error{Message: err.Error(), Err: err} }
	for err, want := range map[error]string{
		fmt.Errorf("upsert sources: %w", driver.ErrBadConn):                                                                CodeUnavailable,
		fmt.Errorf("insert samples: %w", io.ErrUnexpectedEOF):                                                              CodeUnavailable,
		fmt.Errorf("begin: %w", &net.OpError{Op: "dial", Net: "unix", Err: fmt.Errorf("connection refused")}):              CodeUnavailable,
		fmt.Errorf("begin: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}):                             CodeUnavailable,
		fmt.Errorf("commit: %w", &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}): CodeUnavailable,
		fmt.Errorf("begin: %w", &pq.Error{Code: "57P03", Message: "the database system is starting up"}):                   CodeUnavailable,
		fmt.Errorf("begin: %w", &pq.Error{Code: "53300", Message: "sorry, too many clients already"}):                      CodeUnavailable,
		fmt.Errorf("begin: %w", &pq.Error{Code: "08006", Message: "connection failure"}):                                   CodeUnavailable,
		fmt.Errorf("select: %w", context.DeadlineExceeded):                                                                 CodeTimeout,
		fmt.Errorf("select: %w", &pq.Error{Code: "42703", Message: "column \"x\" does not exist"}):                         CodeInternal,
	} {
		got := present(context.Background(), wrap(err))
		if got.Extensions["code"] != want || strings.Contains(got.Message, "driver") || strings.Contains(got.Message, "pq") ||
			strings.Contains(got.Message, "column") {
			t.Errorf("%v presented as %s %q, want %s", err, got.Extensions["code"], got.Message, want)
		}
	}
	bad := present(context.Background(), &gqlerror.Error{Message: "apple_health is not a valid Provider"})
	if bad.Extensions["code"] != CodeBadUserInput {
		t.Errorf("an input error presented as %v", bad.Extensions["code"])
	}
}
