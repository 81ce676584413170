package server

// Defaults of the request limits; Options override them.
const (
	// DefaultMaxParserTokens bounds the query text's tokens, so 10,000 aliases are refused by the lexer before
	// any parse tree or validation work. Batch data travels in variables, which do not count.
	DefaultMaxParserTokens = 10_000
	// DefaultMutationsPerSecond and DefaultMutationBurst are the per-user token bucket `healthsync serve` uses
	// for mutations: a phone backfilling years of data uploads a batch every second or so; a loop is far faster.
	DefaultMutationsPerSecond = 20
	DefaultMutationBurst      = 200
)

// limitsFrom fills the defaults of the limit options.
func limitsFrom(o Options) (tokens int, limiter *rateLimiter) {
	tokens = o.MaxParserTokens
	if tokens <= 0 {
		tokens = DefaultMaxParserTokens
	}
	if o.MutationsPerSecond <= 0 || o.MutationBurst <= 0 {
		return tokens, nil
	}
	return tokens, newRateLimiter(o.MutationsPerSecond, o.MutationBurst, nil)
}
