package resolvers

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Errors of the database connection are the server's, whatever shape the driver gives them: INTERNAL (clients
// retry), without the driver's words. Input errors made by gqlgen stay the client's.
func TestPresentErrorStorageFailures(t *testing.T) {
	present := PresentError(slog.New(slog.NewTextHandler(io.Discard, nil)))
	wrap := func(err error) error { return &gqlerror.Error{Message: err.Error(), Err: err} }
	for _, err := range []error{
		fmt.Errorf("upsert sources: %w", driver.ErrBadConn),
		fmt.Errorf("insert samples: %w", io.ErrUnexpectedEOF),
		fmt.Errorf("begin: %w", &net.OpError{Op: "dial", Net: "unix", Err: fmt.Errorf("connection refused")}),
		fmt.Errorf("commit: %w", &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}),
	} {
		got := present(context.Background(), wrap(err))
		if got.Extensions["code"] != CodeInternal || strings.Contains(got.Message, "driver") || strings.Contains(got.Message, "connection") {
			t.Errorf("%v presented as %s %q", err, got.Extensions["code"], got.Message)
		}
	}
	bad := present(context.Background(), &gqlerror.Error{Message: "apple_health is not a valid Provider"})
	if bad.Extensions["code"] != CodeBadUserInput {
		t.Errorf("an input error presented as %v", bad.Extensions["code"])
	}
}
