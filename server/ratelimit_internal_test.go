package server

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestRateLimiterBucket(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(2, 4, func() time.Time { return now }) // 2 a second, up to 4
	take := func(key string, cost float64, wantOK bool, wantWait time.Duration) {
		t.Helper()
		wait, ok := l.take(key, cost)
		if ok != wantOK || wait != wantWait {
			t.Fatalf("take(%s, %v) = %v, %v; want %v, %v", key, cost, wait, ok, wantOK, wantWait)
		}
	}
	take("a", 3, true, 0)
	take("a", 1, true, 0)
	take("a", 1, false, 500*time.Millisecond) // empty: one token takes half a second
	take("b", 4, true, 0)                     // another key has its own bucket
	now = now.Add(250 * time.Millisecond)
	take("a", 1, false, 250*time.Millisecond) // half a token so far; a refusal takes nothing
	now = now.Add(250 * time.Millisecond)
	take("a", 1, true, 0)
	now = now.Add(time.Hour) // refill stops at the burst
	take("a", 4, true, 0)
	take("a", 0.5, false, 250*time.Millisecond)
	take("c", 5, false, time.Duration(math.MaxInt64)) // more than the bucket holds: never
	now = now.Add(-time.Minute)                       // a clock step back refills nothing and breaks nothing
	take("a", 0.5, false, 250*time.Millisecond)
}

func TestRateLimiterForgetsIdleUsers(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(1, 2, func() time.Time { return now })
	for i := 0; i < sweepEvery-1; i++ {
		l.take(fmt.Sprint("user", i), 1)
	}
	now = now.Add(time.Minute) // every bucket has refilled
	l.take("active", 1)        // the sweep runs on this take
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets kept after the sweep, want only the active one", n)
	}
}

// Whatever the limiter computes, a client is never told to wait more than an hour or less than a second.
func TestRetryAfterIsBounded(t *testing.T) {
	for _, c := range []struct{ wait, want time.Duration }{
		{0, time.Second}, {300 * time.Millisecond, time.Second}, {1500 * time.Millisecond, 2 * time.Second},
		{90 * time.Minute, time.Hour}, {time.Duration(math.MaxInt64), time.Hour}, {-time.Second, time.Second},
	} {
		if got := retryAfter(c.wait); got != c.want {
			t.Errorf("retryAfter(%v) = %v, want %v", c.wait, got, c.want)
		}
	}
}
