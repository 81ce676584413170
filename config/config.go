// Package config reads healthsync's settings from environment variables, typed and with defaults.
package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server.
type Config struct {
	DatabaseURL      string        // DATABASE_URL; empty = start a private PostgreSQL in DataDir
	Addr             string        // HEALTHSYNC_ADDR
	DataDir          string        // HEALTHSYNC_DATA_DIR
	Env              string        // HEALTHSYNC_ENV: development or production
	JWTSecret        string        // HEALTHSYNC_JWT_SECRET (HS256)
	JWTPublicKeys    []string      // HEALTHSYNC_JWT_PUBLIC_KEYS: PEM files, comma-separated
	JWTIssuer        string        // HEALTHSYNC_JWT_ISSUER
	JWTAudience      string        // HEALTHSYNC_JWT_AUDIENCE
	MaxRequestBytes  int64         // HEALTHSYNC_MAX_REQUEST_BYTES
	MaxBatchItems    int           // HEALTHSYNC_MAX_BATCH_ITEMS
	StatementTimeout time.Duration // HEALTHSYNC_STATEMENT_TIMEOUT
	ShutdownTimeout  time.Duration // HEALTHSYNC_SHUTDOWN_TIMEOUT
	LogFormat        string        // HEALTHSYNC_LOG_FORMAT: text or json
	JWTJWKS          []string      // HEALTHSYNC_JWT_JWKS: JWK Set files, comma-separated
	// IdempotencyRetention is how long stored answers under idempotency keys are kept (HEALTHSYNC_IDEMPOTENCY_RETENTION).
	IdempotencyRetention time.Duration
	// Webhooks registers outgoing webhook endpoints at start-up (HEALTHSYNC_WEBHOOKS): a JSON array of
	// {"name","url","secrets":["whsec_…"],"event_types":[…],"enabled","include_values"}.
	Webhooks string
	// ErasureGrace is how long a requested erasure waits, cancellable, unless asked otherwise (HEALTHSYNC_ERASURE_GRACE).
	ErasureGrace time.Duration
	// ExportTTL is how long a finished export can be downloaded before it expires (HEALTHSYNC_EXPORT_TTL).
	ExportTTL time.Duration
	// ExportLinkKey signs the token-free download links of exports (HEALTHSYNC_EXPORT_LINK_KEY, at least 32
	// bytes); empty in development: a key kept in the data folder.
	ExportLinkKey string
	// ExportLinkTTL is how long a signed download link works (HEALTHSYNC_EXPORT_LINK_TTL).
	ExportLinkTTL time.Duration

	// Cloud providers (Garmin, Oura, Whoop).
	PublicURL         string              // HEALTHSYNC_PUBLIC_URL: how browsers and providers reach this server
	TokenKeys         []string            // HEALTHSYNC_TOKEN_KEYS: base64 AES-256 keys sealing provider tokens; the first seals
	BackfillDays      int                 // HEALTHSYNC_BACKFILL_DAYS
	ProviderPollEvery time.Duration       // HEALTHSYNC_PROVIDER_POLL_EVERY
	AfterConnectURL   string              // HEALTHSYNC_AFTER_CONNECT_URL
	Providers         map[string]Provider // by GARMIN, OURA, WHOOP: HEALTHSYNC_<NAME>_*
}

// Provider is one cloud provider's OAuth client and endpoints. Empty URLs mean the provider's production ones.
type Provider struct {
	ClientID      string // HEALTHSYNC_<NAME>_CLIENT_ID
	ClientSecret  string // HEALTHSYNC_<NAME>_CLIENT_SECRET
	AuthURL       string // HEALTHSYNC_<NAME>_AUTH_URL
	TokenURL      string // HEALTHSYNC_<NAME>_TOKEN_URL
	APIURL        string // HEALTHSYNC_<NAME>_API_URL
	WebhookSecret string // HEALTHSYNC_<NAME>_WEBHOOK_SECRET
}

// CloudProviders are the provider names configuration is read for.
var CloudProviders = []string{"GARMIN", "OURA", "WHOOP"}

// Production reports whether the server runs in production mode (no GraphiQL, no development token).
func (c Config) Production() bool { return c.Env == "production" }

// PostgresDir is where the private PostgreSQL keeps its cluster.
func (c Config) PostgresDir() string { return filepath.Join(c.DataDir, "pg") }

// FromEnv reads the configuration; getenv is os.Getenv in production and a map in tests.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		Addr:        or(getenv("HEALTHSYNC_ADDR"), ":8080"),
		DataDir:     or(getenv("HEALTHSYNC_DATA_DIR"), ".healthsync"),
		Env:         or(getenv("HEALTHSYNC_ENV"), "development"),
		JWTSecret:   getenv("HEALTHSYNC_JWT_SECRET"),
		JWTIssuer:   getenv("HEALTHSYNC_JWT_ISSUER"),
		JWTAudience: getenv("HEALTHSYNC_JWT_AUDIENCE"),
		LogFormat:   or(getenv("HEALTHSYNC_LOG_FORMAT"), "text"),
		Webhooks:    getenv("HEALTHSYNC_WEBHOOKS"),
	}
	for _, f := range strings.Split(getenv("HEALTHSYNC_JWT_PUBLIC_KEYS"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.JWTPublicKeys = append(c.JWTPublicKeys, f)
		}
	}
	for _, f := range strings.Split(getenv("HEALTHSYNC_JWT_JWKS"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			c.JWTJWKS = append(c.JWTJWKS, f)
		}
	}
	for _, k := range strings.Split(getenv("HEALTHSYNC_TOKEN_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.TokenKeys = append(c.TokenKeys, k)
		}
	}
	c.PublicURL = strings.TrimRight(getenv("HEALTHSYNC_PUBLIC_URL"), "/")
	if c.PublicURL == "" {
		port := ":8080"
		if i := strings.LastIndexByte(c.Addr, ':'); i >= 0 {
			port = c.Addr[i:]
		}
		c.PublicURL = "http://localhost" + port
	}
	c.AfterConnectURL = getenv("HEALTHSYNC_AFTER_CONNECT_URL")
	c.Providers = map[string]Provider{}
	anyProvider := false
	for _, name := range CloudProviders {
		v := func(k string) string { return strings.TrimSpace(getenv("HEALTHSYNC_" + name + "_" + k)) }
		p := Provider{ClientID: v("CLIENT_ID"), ClientSecret: v("CLIENT_SECRET"), AuthURL: v("AUTH_URL"),
			TokenURL: v("TOKEN_URL"), APIURL: v("API_URL"), WebhookSecret: v("WEBHOOK_SECRET")}
		if (p.ClientID == "") != (p.ClientSecret == "") {
			return c, fmt.Errorf("HEALTHSYNC_%s_CLIENT_ID and HEALTHSYNC_%s_CLIENT_SECRET go together", name, name)
		}
		anyProvider = anyProvider || p.ClientID != ""
		c.Providers[name] = p
	}
	var err error
	days, err := intVar(getenv, "HEALTHSYNC_BACKFILL_DAYS", 30)
	if err != nil {
		return c, err
	}
	c.BackfillDays = int(days)
	if c.ProviderPollEvery, err = durationVar(getenv, "HEALTHSYNC_PROVIDER_POLL_EVERY", time.Hour); err != nil {
		return c, err
	}
	if c.IdempotencyRetention, err = durationVar(getenv, "HEALTHSYNC_IDEMPOTENCY_RETENTION", 30*24*time.Hour); err != nil {
		return c, err
	}
	if c.ErasureGrace, err = durationVar(getenv, "HEALTHSYNC_ERASURE_GRACE", 7*24*time.Hour); err != nil {
		return c, err
	}
	if c.ExportTTL, err = durationVar(getenv, "HEALTHSYNC_EXPORT_TTL", 7*24*time.Hour); err != nil {
		return c, err
	}
	if c.ExportLinkTTL, err = durationVar(getenv, "HEALTHSYNC_EXPORT_LINK_TTL", 15*time.Minute); err != nil {
		return c, err
	}
	if c.ExportLinkKey = getenv("HEALTHSYNC_EXPORT_LINK_KEY"); c.ExportLinkKey != "" && len(c.ExportLinkKey) < 32 {
		return c, fmt.Errorf("HEALTHSYNC_EXPORT_LINK_KEY must be at least 32 bytes (openssl rand -base64 32)")
	}
	if c.Production() && anyProvider && len(c.TokenKeys) == 0 {
		return c, fmt.Errorf("production mode with a cloud provider configured needs HEALTHSYNC_TOKEN_KEYS (openssl rand -base64 32) to encrypt their tokens")
	}
	if c.MaxRequestBytes, err = intVar(getenv, "HEALTHSYNC_MAX_REQUEST_BYTES", 32<<20); err != nil {
		return c, err
	}
	items, err := intVar(getenv, "HEALTHSYNC_MAX_BATCH_ITEMS", 20000)
	if err != nil {
		return c, err
	}
	c.MaxBatchItems = int(items)
	if c.StatementTimeout, err = durationVar(getenv, "HEALTHSYNC_STATEMENT_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = durationVar(getenv, "HEALTHSYNC_SHUTDOWN_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	switch c.Env {
	case "development", "production":
	default:
		return c, fmt.Errorf("HEALTHSYNC_ENV must be development or production, not %q", c.Env)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return c, fmt.Errorf("HEALTHSYNC_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if c.Production() && c.JWTSecret == "" && len(c.JWTPublicKeys) == 0 && len(c.JWTJWKS) == 0 {
		return c, fmt.Errorf("production mode needs HEALTHSYNC_JWT_SECRET, HEALTHSYNC_JWT_PUBLIC_KEYS or HEALTHSYNC_JWT_JWKS")
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func intVar(getenv func(string) string, name string, def int64) (int64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, not %q", name, v)
	}
	return n, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration such as 30s, not %q", name, v)
	}
	return d, nil
}
