package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// IsUnavailable reports whether err means the database cannot be reached or is refusing work for now
// (stopped, restarting, failing over, out of connections) rather than that the request or the server's code is
// wrong: retrying the same request later will work. A connection lost mid-transaction surfaces as
// driver.ErrBadConn, a network error or an unexpected EOF, not as a *pq.Error.
func IsUnavailable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300": // too_many_connections
			return true
		}
		return pqErr.Code.Class() == "08" // connection_exception and its kin
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// IsStorageError reports whether err came from the database or the connection to it rather than from the
// client's input: the server's to handle, never BAD_USER_INPUT with the driver's words in it.
func IsStorageError(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	return errors.As(err, &pqErr) || IsUnavailable(err) || errors.Is(err, sql.ErrTxDone)
}

// IsInvalidText reports PostgreSQL refusing a text value: invalid byte sequence (22021, a NUL among them) or a
// \u0000 in jsonb (22P05). The client can fix it; retrying the same text cannot.
func IsInvalidText(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "22021" || pqErr.Code == "22P05")
}
