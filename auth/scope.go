package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// errBadScope marks a `scope` claim that is neither a string nor an array of
// strings, so Verify can name the problem instead of a generic "malformed".
var errBadScope = errors.New("scope claim must be a string or an array of strings")

// scopeClaim decodes the `scope` claim. RFC 8693 §4.2 makes it a
// space-separated string; some issuers use commas or a JSON array, and we
// accept all three rather than silently granting nothing.
type scopeClaim []Scope

func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	var words []string
	switch {
	case len(b) > 0 && b[0] == '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return errBadScope
		}
		words = splitScopeWords(str)
	case len(b) > 0 && b[0] == '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return errBadScope
		}
		for _, w := range list {
			if w = strings.TrimSpace(w); w != "" {
				words = append(words, w)
			}
		}
	default:
		return errBadScope
	}
	*s = dedupScopes(words)
	return nil
}

func splitScopeWords(str string) []string {
	return strings.FieldsFunc(str, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

func dedupScopes(words []string) []Scope {
	out := make([]Scope, 0, len(words))
	for _, w := range words {
		if sc := Scope(w); !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// ParseScopes reads a scope list typed by a person, such as "ingest,read" or
// "ingest read". Unlike token verification it refuses unknown words, because a
// typo here would mint a token that silently grants less than intended.
func ParseScopes(s string) ([]Scope, error) {
	words := splitScopeWords(s)
	if len(words) == 0 {
		return nil, fmt.Errorf("no scopes given (known: %s)", knownScopeList())
	}
	for _, w := range words {
		if !knownScope(Scope(w)) {
			return nil, fmt.Errorf("unknown scope %q (known: %s)", w, knownScopeList())
		}
	}
	return dedupScopes(words), nil
}

func knownScopeList() string {
	names := make([]string, 0, len(KnownScopes()))
	for _, s := range KnownScopes() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}
