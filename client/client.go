// Package client is a typed Go client for healthsync's GraphQL API: uploads split into requests the server
// accepts and retried safely (every retry reuses its request's idempotency key, so a request whose answer was
// lost is answered from the server's record instead of being stored twice), series and sync state.
package client

// types.go comes from the schema; regenerate it after a change to schema.graphqls.
//go:generate go run ./internal/gentypes -schema ../schema.graphqls -out types.go

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Options tune a Client. Zero values take the defaults.
type Options struct {
	// HTTPClient sends the requests; default: one with a 2-minute timeout.
	HTTPClient *http.Client
	// MaxBatchItems bounds the items of one request (samples, series points, category samples, workouts,
	// deletions, cursors); default 5000, well under the server's default limit of 20000.
	MaxBatchItems int
	// MaxAttempts bounds the tries of one request, the first included; default 6.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled for each further one up to MaxBackoff, with jitter;
	// defaults 250 ms and 15 s. A 429's Retry-After is honoured when it is longer.
	Backoff, MaxBackoff time.Duration
}

// Client talks to one healthsync server as one user (the token's subject). It is safe for concurrent use.
type Client struct {
	endpoint string
	token    string
	hc       *http.Client
	o        Options
}

// New returns a client for the GraphQL endpoint (for example https://health.example.com/graphql) that
// authenticates with token (a JWT with the ingest and/or read scope).
func New(endpoint, token string, o Options) *Client {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if o.MaxBatchItems <= 0 {
		o.MaxBatchItems = 5000
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 15 * time.Second
	}
	return &Client{endpoint: endpoint, token: token, hc: o.HTTPClient, o: o}
}

// Error is an answer the server gave with an error code. Codes are listed in the server's README
// (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, BATCH_TOO_LARGE, IDEMPOTENCY_KEY_REUSED, RATE_LIMITED, …).
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("healthsync: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// retryable reports whether trying the same request again may succeed: the server failed or was overloaded,
// not the request.
func (e *Error) retryable() bool {
	switch e.Code {
	case "INTERNAL", "TIMEOUT", "RATE_LIMITED", "UNAVAILABLE":
		return true
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// errRetryAfter carries a 429's Retry-After to the retry loop.
type errRetryAfter struct {
	err   *Error
	after time.Duration
}

func (e *errRetryAfter) Error() string { return e.err.Error() }
func (e *errRetryAfter) Unwrap() error { return e.err }

const ingestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { kind index id code message } }
}`

// IngestBatch uploads b, split into requests of at most Options.MaxBatchItems items. A split upload's requests
// carry the keys "<IdempotencyKey>/<n>" (n from 1), derived from the batch alone, so repeating the same call
// with the same batch and options is answered from the server's records for the parts already stored. Requests
// are sent one after the other; on an error the parts before it are stored and the result so far is returned
// with the error.
func (c *Client) IngestBatch(ctx context.Context, b Batch) (IngestResult, error) {
	parts, err := split(b, c.o.MaxBatchItems)
	if err != nil {
		return IngestResult{}, err
	}
	out := IngestResult{Replayed: true, Rejected: []Rejection{}}
	for _, p := range parts {
		var data struct {
			IngestBatch struct {
				Replayed   bool        `json:"replayed"`
				Accepted   int         `json:"accepted"`
				Duplicates int         `json:"duplicates"`
				Updated    int         `json:"updated"`
				Deleted    int         `json:"deleted"`
				Rejected   []Rejection `json:"rejected"`
			} `json:"ingestBatch"`
		}
		if err := c.do(ctx, ingestMutation, map[string]any{"input": p.batch}, &data); err != nil {
			if out.Requests == 0 {
				out.Replayed = false
			}
			return out, fmt.Errorf("upload part %d of %d: %w", out.Requests+1, len(parts), err)
		}
		r := data.IngestBatch
		out.Requests++
		out.Replayed = out.Replayed && r.Replayed
		out.Accepted += r.Accepted
		out.Duplicates += r.Duplicates
		out.Updated += r.Updated
		out.Deleted += r.Deleted
		for _, rej := range r.Rejected {
			rej.Index += p.offset[rej.Kind]
			out.Rejected = append(out.Rejected, rej)
		}
	}
	return out, nil
}

const seriesQuery = `query Series($metric: String!, $from: Time!, $to: Time!, $bucket: Bucket!, $tz: String, $merge: MergeMode, $sources: [ID!]) {
  series(metric: $metric, from: $from, to: $to, bucket: $bucket, timeZone: $tz, merge: $merge, sources: $sources) {
    metric unit aggregation bucket timeZone merge points { start end value count sum min max avg }
  }
}`

// Series reads a metric's values in buckets.
func (c *Client) Series(ctx context.Context, q SeriesQuery) (Series, error) {
	vars := map[string]any{"metric": q.Metric, "from": q.From, "to": q.To, "bucket": q.Bucket}
	if q.TimeZone != "" {
		vars["tz"] = q.TimeZone
	}
	if q.Merge != "" {
		vars["merge"] = q.Merge
	}
	if q.Sources != nil {
		vars["sources"] = q.Sources
	}
	var data struct {
		Series Series `json:"series"`
	}
	err := c.do(ctx, seriesQuery, vars, &data)
	return data.Series, err
}

const syncStateQuery = `query SyncState($device: ID) {
  syncState(deviceId: $device) { deviceId dataType cursor newestSampleEnd lastUploadAt lastDataAt count status }
}`

// SyncState reads the sync state of one device, or of every device of the user when deviceID is empty.
func (c *Client) SyncState(ctx context.Context, deviceID string) ([]SyncState, error) {
	vars := map[string]any{}
	if deviceID != "" {
		vars["device"] = deviceID
	}
	var data struct {
		SyncState []SyncState `json:"syncState"`
	}
	err := c.do(ctx, syncStateQuery, vars, &data)
	return data.SyncState, err
}

// Query sends any operation with its variables, retrying what may succeed on a later try (the same rules as
// IngestBatch), and decodes the answer's data into out: the escape hatch for fields without a typed method.
func (c *Client) Query(ctx context.Context, query string, vars map[string]any, out any) error {
	return c.do(ctx, query, vars, out)
}

// Send posts a request body that is already encoded ({"query": …, "variables": …}) and decodes the answer's data
// into out, retrying like Query. It is for callers that keep requests as bytes: an upload outbox that must resend
// exactly what it sent (the idempotency key travels inside), or a benchmark that keeps encoding out of its timing.
func (c *Client) Send(ctx context.Context, body []byte, out any) error {
	return c.send(ctx, body, out)
}

// do sends one operation, retrying what may succeed on a later try, and decodes its data into out.
func (c *Client) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return c.send(ctx, body, out)
}

func (c *Client) send(ctx context.Context, body []byte, out any) error {
	var err error
	wait := c.o.Backoff
	for attempt := 1; ; attempt++ {
		err = c.once(ctx, body, out)
		if err == nil {
			return nil
		}
		var ge *Error
		if ctx.Err() != nil || attempt >= c.o.MaxAttempts || (errors.As(err, &ge) && !ge.retryable()) {
			return err
		}
		// Full jitter on the upper half: clients that failed together do not come back together.
		d := wait/2 + rand.N(wait/2+1)
		var ra *errRetryAfter
		if errors.As(err, &ra) && ra.after > d {
			d = ra.after
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		wait = min(2*wait, c.o.MaxBackoff)
	}
}

func (c *Client) once(ctx context.Context, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		// A proxy's HTML error page or a cut answer: retry when the status says the server side failed.
		e := &Error{Status: resp.StatusCode, Code: "BAD_RESPONSE", Message: fmt.Sprintf("the answer is not GraphQL JSON: %.120q", raw)}
		if resp.StatusCode == http.StatusOK {
			e.Code = "INTERNAL" // a 200 with a broken body: the connection was cut mid-answer
		}
		return withRetryAfter(e, resp)
	}
	if len(env.Errors) > 0 {
		first := env.Errors[0]
		code := first.Extensions.Code
		if code == "" {
			code = "UNKNOWN"
		}
		return withRetryAfter(&Error{Status: resp.StatusCode, Code: code, Message: first.Message}, resp)
	}
	if resp.StatusCode != http.StatusOK {
		return withRetryAfter(&Error{Status: resp.StatusCode, Code: "HTTP_" + strconv.Itoa(resp.StatusCode),
			Message: http.StatusText(resp.StatusCode)}, resp)
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = env.Data // already checked and copied by the envelope's decoding: no second pass over it
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

func withRetryAfter(e *Error, resp *http.Response) error {
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		return &errRetryAfter{err: e, after: time.Duration(secs) * time.Second}
	}
	return e
}
