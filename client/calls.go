// The client's own call shapes, beside the schema's types that types.go generates: what one call takes or adds up.

package client

import "time"

// IngestResult adds up the answers to every request of an upload.
type IngestResult struct {
	// Replayed: every request was answered from the server's record of an earlier identical one.
	Replayed   bool
	Accepted   int
	Duplicates int
	Updated    int
	Deleted    int
	Rejected   []Rejection
	// Requests is how many requests the upload took (retries not counted).
	Requests int
}

// SeriesQuery selects a series. TimeZone empty: the server's choice (the user's latest device, else UTC).
// Merge empty: PRIORITY.
type SeriesQuery struct {
	Metric   string
	From, To time.Time
	Bucket   Bucket
	TimeZone string
	Merge    string
	Sources  []string
}
