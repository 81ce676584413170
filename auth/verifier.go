package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// ErrUnauthenticated is wrapped by every error Verify returns, and by the
// error Middleware stores for a refused Authorization header.
var ErrUnauthenticated = errors.New("unauthenticated")

const (
	// MaxTokenBytes bounds what Verify will parse, so an oversized header
	// costs a length check rather than base64 and JSON work.
	MaxTokenBytes = 8 << 10
	// MinHMACSecretBytes follows RFC 8725 §3.5: an HS256 key needs at least
	// as much entropy as the hash output.
	MinHMACSecretBytes = 32
	// MaxSubjectLength caps `sub`, which callers store as a user key.
	MaxSubjectLength = 255
	// DefaultLeeway absorbs clock skew between issuer and verifier.
	DefaultLeeway = 30 * time.Second
)

// failure is a refusal with a short reason meant for the client. Reasons are
// fixed phrases (or a sanitized algorithm name), never parts of the token.
type failure struct{ reason string }

func (f *failure) Error() string { return ErrUnauthenticated.Error() + ": " + f.reason }
func (f *failure) Unwrap() error { return ErrUnauthenticated }

func fail(reason string) error { return &failure{reason: reason} }

// Config selects the keys and claim checks of a Verifier.
type Config struct {
	// HMACSecret enables HS256 when non-empty. It must be at least
	// MinHMACSecretBytes long. Tokens carrying a `kid` are never matched to
	// it: the secret has no key id.
	HMACSecret []byte
	// PublicKeyFiles are PEM files whose PUBLIC KEY, RSA PUBLIC KEY or
	// CERTIFICATE blocks (several per file allowed) enable RS256 (RSA of at
	// least 2048 bits), ES256 (P-256) and EdDSA (Ed25519). Each key answers to
	// the `kid` values: the file's base name without extension; "name#n" for
	// the n-th key (from 1) when the file holds several; its RFC 7638
	// SHA-256 JWK thumbprint.
	PublicKeyFiles []string
	// JWKSFiles are JWK Set files (RFC 7517) with RSA, EC P-256 or Ed25519
	// signature keys. Each key answers to its `kid` and its RFC 7638
	// thumbprint; rotating keys is publishing the new key beside the old one.
	JWKSFiles []string
	// Issuer, when non-empty, must equal the token's `iss`.
	Issuer string
	// Audience, when non-empty, must appear in the token's `aud`.
	Audience string
	// Leeway is the clock-skew allowance for exp, nbf and iat; 0 means
	// DefaultLeeway.
	Leeway time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	hmacSecret []byte
	keys       []publicKey
	byKID      map[string][]publicKey
	kinds      []keyKind // key kinds with at least one key, hence allowed algs
	parser     *jwt.Parser
	issuer     string
	audience   string
}

// NewVerifier loads the configured keys. It fails when no key at all is
// configured, so a misconfigured server cannot start accepting nothing (or,
// worse, anything).
func NewVerifier(cfg Config) (*Verifier, error) {
	v := &Verifier{
		byKID:    make(map[string][]publicKey),
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
	}
	if len(cfg.HMACSecret) > 0 {
		if len(cfg.HMACSecret) < MinHMACSecretBytes {
			return nil, fmt.Errorf("auth: HMAC secret has %d bytes, need at least %d", len(cfg.HMACSecret), MinHMACSecretBytes)
		}
		v.hmacSecret = slices.Clone(cfg.HMACSecret)
		v.kinds = append(v.kinds, kindHMAC)
	}
	var loaded []publicKey
	for _, path := range cfg.PublicKeyFiles {
		keys, err := loadPublicKeyFile(path)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		loaded = append(loaded, keys...)
	}
	for _, path := range cfg.JWKSFiles {
		keys, err := loadJWKSFile(path)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		loaded = append(loaded, keys...)
	}
	for _, k := range loaded {
		v.keys = append(v.keys, k)
		for _, kid := range k.kids {
			v.byKID[kid] = append(v.byKID[kid], k)
		}
		if !slices.Contains(v.kinds, k.kind) {
			v.kinds = append(v.kinds, k.kind)
		}
	}
	if len(v.kinds) == 0 {
		return nil, errors.New("auth: no verification key configured (need an HMAC secret, a public key file or a JWKS file)")
	}

	leeway := cfg.Leeway
	switch {
	case leeway < 0:
		return nil, fmt.Errorf("auth: negative leeway %s", leeway)
	case leeway == 0:
		leeway = DefaultLeeway
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.Algorithms()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Algorithms lists the `alg` values this verifier accepts, for start-up logs.
func (v *Verifier) Algorithms() []string {
	algs := make([]string, 0, len(v.kinds))
	for _, k := range v.kinds {
		algs = append(algs, kindAlg(k))
	}
	slices.Sort(algs)
	return algs
}

// Verify checks token and returns its principal. Every error wraps
// ErrUnauthenticated and says briefly why, without quoting the token.
func (v *Verifier) Verify(token string) (Principal, error) {
	if len(token) > MaxTokenBytes {
		return Principal{}, fail("token too large")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return Principal{}, fail("malformed token")
	}
	h, err := parseHeader(parts[0])
	if err != nil {
		return Principal{}, err
	}
	kind, ok := algKind(h.alg)
	if !ok || !slices.Contains(v.kinds, kind) {
		return Principal{}, fail("unsupported algorithm " + printableAlg(h.alg))
	}
	if parts[2] == "" {
		return Principal{}, fail("missing signature")
	}
	keys, err := v.candidateKeys(kind, h)
	if err != nil {
		return Principal{}, err
	}

	var c claims
	_, err = v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// The library decoded the header on its own; make sure it saw the
		// same algorithm we chose keys for.
		if t.Method == nil || t.Method.Alg() != h.alg {
			return nil, errAlgMismatch
		}
		if len(keys) == 1 {
			return keys[0], nil
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	})
	if err != nil {
		return Principal{}, fail(v.reasonFor(err, &c))
	}
	return Principal{
		Subject:   c.Subject,
		Scopes:    []Scope(c.Scope),
		ExpiresAt: c.ExpiresAt.Time,
		TokenID:   c.ID,
	}, nil
}

var errAlgMismatch = errors.New("algorithm mismatch")

// candidateKeys returns the keys of kind that the token may have been signed
// with. A `kid` narrows the set and must name a key of the right kind; without
// one every key of the kind is tried.
func (v *Verifier) candidateKeys(kind keyKind, h header) ([]jwt.VerificationKey, error) {
	var keys []jwt.VerificationKey
	if h.hasKID {
		named := v.byKID[h.kid]
		if len(named) == 0 {
			return nil, fail("unknown key id")
		}
		for _, k := range named {
			if k.kind == kind {
				keys = append(keys, k.key)
			}
		}
		if len(keys) == 0 {
			return nil, fail("key id does not match algorithm")
		}
		return keys, nil
	}
	if kind == kindHMAC {
		return []jwt.VerificationKey{v.hmacSecret}, nil
	}
	for _, k := range v.keys {
		if k.kind == kind {
			keys = append(keys, k.key)
		}
	}
	return keys, nil
}

// header holds the JOSE header members Verify acts on. jku, x5u, jwk and x5c
// are deliberately not read: keys come only from configuration (RFC 8725
// §3.10), so nothing in a token can make us fetch or trust a key.
type header struct {
	alg    string
	kid    string
	hasKID bool
}

// parseHeader decodes the JOSE header exactly as golang-jwt will (a map, so
// member names match case-sensitively) and applies the checks that need no key.
func parseHeader(seg string) (header, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return header{}, fail("malformed token header")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return header{}, fail("malformed token header")
	}
	var h header
	if err := json.Unmarshal(members["alg"], &h.alg); err != nil || h.alg == "" {
		return header{}, fail("missing or malformed algorithm")
	}
	if _, ok := members["crit"]; ok {
		// RFC 7515 §4.1.11: extensions we do not implement must be refused.
		return header{}, fail("unsupported critical header")
	}
	if rawTyp, ok := members["typ"]; ok {
		var typ string
		if err := json.Unmarshal(rawTyp, &typ); err != nil || !acceptedType(typ) {
			return header{}, fail("unsupported token type")
		}
	}
	if rawKID, ok := members["kid"]; ok {
		if err := json.Unmarshal(rawKID, &h.kid); err != nil {
			return header{}, fail("malformed key id")
		}
		h.hasKID = true
	}
	return h, nil
}

// acceptedType allows "JWT" and the OAuth access-token type "at+jwt" (RFC
// 9068), case-insensitively and with or without the "application/" prefix
// that RFC 7515 §4.1.9 says may be omitted.
func acceptedType(typ string) bool {
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "jwt" || t == "at+jwt"
}

// printableAlg returns alg when it looks like an algorithm name, so an error
// can say "unsupported algorithm RS512" without echoing arbitrary input.
func printableAlg(alg string) string {
	if alg == "" || len(alg) > 16 {
		return "(invalid)"
	}
	for _, r := range alg {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '+') {
			return "(invalid)"
		}
	}
	return alg
}

// claims is the payload we read. Validate runs inside golang-jwt's claim
// validation, after the signature has been checked.
type claims struct {
	jwt.RegisteredClaims
	Scope scopeClaim `json:"scope"`
}

// UnmarshalJSON refuses exp, nbf and iat that are not JSON numbers (RFC 7519 §2, NumericDate): golang-jwt
// reads "1797…" as a date too, which would let a token whose issuer quotes its dates pass here and fail
// elsewhere.
func (c *claims) UnmarshalJSON(b []byte) error {
	var dates struct {
		Exp, Nbf, Iat json.RawMessage
	}
	if err := json.Unmarshal(b, &dates); err != nil {
		return err
	}
	for _, d := range []json.RawMessage{dates.Exp, dates.Nbf, dates.Iat} {
		if len(d) > 0 && !bytes.Equal(d, []byte("null")) && (d[0] != '-' && (d[0] < '0' || d[0] > '9')) {
			return errDateNotNumber
		}
	}
	type plain claims // without this method, so the decoding below does not recurse
	return json.Unmarshal(b, (*plain)(c))
}

var (
	errDateNotNumber  = errors.New("exp, nbf and iat must be JSON numbers")
	errNoSubject      = errors.New("missing subject")
	errLongSubject    = errors.New("subject too long")
	errControlSubject = errors.New("subject contains control characters")
)

func (c *claims) Validate() error {
	switch {
	case c.Subject == "":
		return errNoSubject
	case len(c.Subject) > MaxSubjectLength:
		return errLongSubject
	case strings.ContainsFunc(c.Subject, unicode.IsControl):
		// sub ends up in logs and database keys; no newlines or NULs there.
		return errControlSubject
	}
	return nil
}

// reasonFor turns a golang-jwt error into one fixed phrase. The library's
// own messages are not passed on because some embed decoder output.
func (v *Verifier) reasonFor(err error, c *claims) string {
	switch {
	case errors.Is(err, errBadScope):
		return "malformed scope claim"
	case errors.Is(err, errDateNotNumber):
		return errDateNotNumber.Error()
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "invalid signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unverifiable token"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		switch {
		case c.ExpiresAt == nil:
			return "missing expiry"
		case v.issuer != "" && c.Issuer == "":
			return "missing issuer"
		case v.audience != "" && len(c.Audience) == 0:
			return "missing audience"
		}
		return "missing required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, errNoSubject):
		return errNoSubject.Error()
	case errors.Is(err, errLongSubject):
		return errLongSubject.Error()
	case errors.Is(err, errControlSubject):
		return errControlSubject.Error()
	}
	return "invalid token"
}
