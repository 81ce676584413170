package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrUnauthorized means the provider refused the connection's token (revoked or expired beyond refresh).
var ErrUnauthorized = errors.New("provider refused the token")

// ErrForbidden means the provider refused one request although the token is good: the user did not grant the
// data type (providers let users untick types on the consent screen). Only that data type stops.
var ErrForbidden = errors.New("provider refused access to this data")

// ErrNotFound means the provider has no such record.
var ErrNotFound = errors.New("provider has no such record")

// StatusError is a provider answer that is neither success nor worth retrying (after retries ran out, the
// last 429 or 5xx too).
type StatusError struct {
	Status int
	URL    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("provider answered %d for %s", e.Status, e.URL)
}

// API is one connection's authenticated client: requests carry the user's token (the oauth2 transport
// refreshes it before expiry), 429 and 5xx answers are retried with backoff (honouring Retry-After), and
// bodies are bounded.
type API struct {
	Client  *http.Client
	BaseURL string
	// Retries is how many times a 429 or 5xx is retried; Backoff the first wait (doubled each time, capped
	// at a minute; a Retry-After header wins). Sleep waits (tests make it instant).
	Retries int
	Backoff time.Duration
	Sleep   func(context.Context, time.Duration) error
	// MaxBody bounds one answer (default 32 MiB).
	MaxBody int64
}

// GetJSON fetches BaseURL+path with the query and decodes the JSON answer into out.
func (a *API) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	u := strings.TrimRight(a.BaseURL, "/") + "/" + strings.TrimLeft(path, "/")
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	body, err := a.get(ctx, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// Send makes a request without a body whose answer is not read (DELETE of a registration, a revocation); a
// 404 counts as done.
func (a *API) Send(ctx context.Context, method, path string, query url.Values) error {
	u := strings.TrimRight(a.BaseURL, "/") + "/" + strings.TrimLeft(path, "/")
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	_, err := a.do(ctx, method, u)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (a *API) get(ctx context.Context, u string) ([]byte, error) {
	return a.do(ctx, http.MethodGet, u)
}

func (a *API) do(ctx context.Context, method, u string) ([]byte, error) {
	wait := a.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	sleep := a.Sleep
	if sleep == nil {
		sleep = SleepContext
	}
	max := a.MaxBody
	if max <= 0 {
		max = 32 << 20
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := a.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil || attempt >= a.Retries {
				return nil, fmt.Errorf("fetch %s: %w", redact(u), err)
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			wait = nextWait(wait)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			if attempt >= a.Retries {
				return nil, &StatusError{Status: resp.StatusCode, URL: redact(u)}
			}
			d := wait
			if ra := retryAfter(resp.Header.Get("Retry-After")); ra > 0 {
				d = ra
			}
			if err := sleep(ctx, d); err != nil {
				return nil, err
			}
			wait = nextWait(wait)
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, fmt.Errorf("%w (%d for %s)", ErrUnauthorized, resp.StatusCode, redact(u))
		case resp.StatusCode == http.StatusForbidden:
			return nil, fmt.Errorf("%w (%d for %s)", ErrForbidden, resp.StatusCode, redact(u))
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("%w: %s", ErrNotFound, redact(u))
		case resp.StatusCode >= 300:
			return nil, &StatusError{Status: resp.StatusCode, URL: redact(u)}
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", redact(u), err)
		}
		if int64(len(body)) > max {
			return nil, fmt.Errorf("answer of %s is larger than %d bytes", redact(u), max)
		}
		return body, nil
	}
}

func nextWait(d time.Duration) time.Duration {
	if d *= 2; d > time.Minute {
		d = time.Minute
	}
	return d
}

// retryAfter reads a Retry-After header in seconds (the form rate limiters send); capped at five minutes.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	if n > 300 {
		n = 300
	}
	return time.Duration(n) * time.Second
}

// redact drops the query from a URL for errors and logs: some providers take tokens there.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// SleepContext waits d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// OffsetZone names a fixed UTC offset as an IANA zone when it is a whole number of hours ("Etc/GMT-2" is
// UTC+02:00: the Etc names invert the sign), so days of provider data that only carry an offset still fall
// on the user's local day. It returns nil for offsets IANA has no name for (+05:30 and such).
func OffsetZone(offsetSeconds int) *string {
	if offsetSeconds%3600 != 0 || offsetSeconds < -12*3600 || offsetSeconds > 14*3600 {
		return nil
	}
	h := offsetSeconds / 3600
	var z string
	switch {
	case h == 0:
		z = "Etc/UTC"
	case h > 0:
		z = "Etc/GMT-" + strconv.Itoa(h)
	default:
		z = "Etc/GMT+" + strconv.Itoa(-h)
	}
	return &z
}
