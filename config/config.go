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
}

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
	var err error
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
