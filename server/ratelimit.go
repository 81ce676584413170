package server

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"healthsync/auth"
	"healthsync/resolvers"
)

// CodeRateLimited refuses a mutation over the user's rate (HTTP 429 with Retry-After).
const CodeRateLimited = "RATE_LIMITED"

// mutationRate charges every root field of a mutation (so aliases pay each) against the user's token bucket.
// Requests without a principal are not charged: the scope check refuses them anyway.
type mutationRate struct{ limiter *rateLimiter }

func (mutationRate) ExtensionName() string                   { return "MutationRateLimit" }
func (mutationRate) Validate(graphql.ExecutableSchema) error { return nil }

func (m mutationRate) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || op.Operation.Operation != ast.Mutation {
		return nil
	}
	p, ok := auth.FromContext(ctx)
	if !ok || p.Subject == "" {
		return nil
	}
	cost := 0
	for _, f := range rootFields(op) {
		if f.Name != "__typename" {
			cost++
		}
	}
	if float64(cost) > m.limiter.burst {
		// No wait would ever admit it: a 429 would have the client retry it forever.
		return codedError(resolvers.CodeBadUserInput,
			"this request carries %d mutations; at most %d are allowed in one request: send them in several requests",
			cost, int(m.limiter.burst))
	}
	wait, ok := m.limiter.take(p.Subject, float64(cost))
	if ok {
		return nil
	}
	wait = retryAfter(wait)
	if note, ok := ctx.Value(rateNoteKey{}).(*rateNote); ok {
		note.set(wait)
	}
	return codedError(CodeRateLimited, "too many mutations for this user; retry in %s", wait)
}

// maxRetryAfter bounds any wait we announce: past an hour a number means "never" to a person, and a client
// that sleeps on it would look dead.
const maxRetryAfter = time.Hour

// retryAfter is the wait announced to a client: whole seconds, at least one, at most maxRetryAfter.
func retryAfter(wait time.Duration) time.Duration {
	if wait >= maxRetryAfter {
		return maxRetryAfter
	}
	return max(time.Duration(math.Ceil(wait.Seconds()))*time.Second, time.Second)
}

// rateLimiter is a token bucket per key: each key holds up to burst tokens and regains perSecond a second.
type rateLimiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	takes   int
}

type bucket struct {
	tokens float64
	at     time.Time
}

// sweepEvery bounds memory: every so many takes, buckets that have refilled completely (idle users) are dropped,
// since a fresh bucket is identical to them.
const sweepEvery = 4096

func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{perSecond: perSecond, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// take removes cost tokens from key's bucket when it holds them. Otherwise nothing is taken and wait is how
// long until it will (infinite when cost exceeds the burst, which mutationRate refuses before asking).
func (l *rateLimiter) take(key string, cost float64) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.takes++
	if l.takes%sweepEvery == 0 {
		for k, b := range l.buckets {
			if l.level(b, now) >= l.burst {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.level(b, now), now
	if b.tokens >= cost {
		b.tokens -= cost
		return 0, true
	}
	if cost > l.burst || l.perSecond <= 0 {
		return time.Duration(math.MaxInt64), false
	}
	return time.Duration((cost - b.tokens) / l.perSecond * float64(time.Second)), false
}

func (l *rateLimiter) level(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return math.Min(l.burst, b.tokens+elapsed*l.perSecond)
}

// rateNote carries a refusal from the GraphQL layer to the HTTP layer, which answers 429 with Retry-After.
type rateNote struct {
	mu   sync.Mutex
	wait time.Duration
	hit  bool
}

type rateNoteKey struct{}

func (n *rateNote) set(wait time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hit, n.wait = true, wait
}

func (n *rateNote) get() (time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.wait, n.hit
}

// rateLimitStatus turns a rate-limited operation's 200 into 429 with Retry-After (whole seconds, at least 1).
func rateLimitStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := &rateNote{}
		ctx := context.WithValue(r.Context(), rateNoteKey{}, note)
		next.ServeHTTP(&rateWriter{ResponseWriter: w, note: note}, r.WithContext(ctx))
	})
}

type rateWriter struct {
	http.ResponseWriter
	note        *rateNote
	wroteHeader bool
}

func (w *rateWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if wait, hit := w.note.get(); hit && code == http.StatusOK {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(retryAfter(wait)/time.Second), 10))
		code = http.StatusTooManyRequests
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rateWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
