// Package reliability holds the fault tests of the whole binary: connections cut mid-upload, the server killed
// and restarted under a stream of batches, graceful shutdown with batches in flight, PostgreSQL restarted under
// load, concurrent clients sharing sample ids, and a bounded load test (50 clients; `make load` runs it 60 s). Each test builds `healthsync`, runs it against its own PostgreSQL database, drives it over
// HTTP like a phone would (retrying until an answer arrives) and then compares the stored rows with what was
// sent: nothing lost, nothing doubled. The package has no code of its own; `make reliability` runs it.
package reliability
