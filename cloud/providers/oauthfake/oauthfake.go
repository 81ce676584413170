// Package oauthfake is the OAuth 2.0 authorization server the provider fakes (garminfake, ourafake, whoopfake)
// share: the authorize endpoint (authorization code, PKCE S256) and the token endpoint (authorization_code and
// refresh_token grants, client credentials by Basic or form), with what differs between the providers as
// options. It is test support: it keeps its grants in memory.
package oauthfake

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options describe one provider's authorization server. Zero values take the defaults in brackets.
type Options struct {
	ClientID, ClientSecret string
	// ExpiresIn is the access tokens' lifetime in seconds; below ten seconds golang.org/x/oauth2 refreshes
	// before every request [5].
	ExpiresIn int
	// Now is the clock access tokens expire by [time.Now].
	Now func() time.Time
	// RequirePKCE refuses an authorization request without a code challenge (Garmin).
	RequirePKCE bool
	// MinStateLength refuses a shorter state (WHOOP: 8).
	MinStateLength int
	// RotateRefresh makes refresh tokens single use: each refresh answers the next one (Oura, WHOOP).
	RotateRefresh bool
	// RefreshScope, when set, is the scope a grant needs to get a refresh token at all (WHOOP: offline).
	RefreshScope string
	// FormEncodedBasic reads Basic client credentials form-encoded first (RFC 6749 §2.3.1, as x/oauth2 sends).
	FormEncodedBasic bool
	// Extra fields in every token answer (they replace the standard ones of the same name).
	Extra map[string]any
}

// Server is a running authorization server. Its methods are safe for concurrent use.
type Server struct {
	o Options

	mu        sync.Mutex
	codes     map[string]grant     // authorization code -> what the authorize request said
	access    map[string]time.Time // access token -> expiry
	refresh   map[string]grant     // live refresh tokens
	exchanges int
	refreshes int
}

// grant is what an authorization request asked for: the token request must repeat the redirect_uri and, when
// the authorize request carried a PKCE challenge, prove the verifier.
type grant struct {
	redirect  string
	scope     string
	challenge string // S256 of the verifier, "" without PKCE
}

// New makes a server.
func New(o Options) *Server {
	if o.ExpiresIn <= 0 {
		o.ExpiresIn = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o, codes: map[string]grant{}, access: map[string]time.Time{}, refresh: map[string]grant{}}
}

// Authorize answers an authorization request as a consent page the user accepted at once: a redirect back
// with a code and the state.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.o.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case err != nil || redirect.Scheme == "" || redirect.Host == "":
		http.Error(w, "redirect_uri is required", http.StatusBadRequest)
		return
	case len(q.Get("state")) < s.o.MinStateLength:
		http.Error(w, "state is too short", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" && s.o.RequirePKCE:
		http.Error(w, "code_challenge is required", http.StatusBadRequest)
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		http.Error(w, "code_challenge_method must be S256", http.StatusBadRequest)
		return
	}
	code := Random()
	s.mu.Lock()
	s.codes[code] = grant{redirect: redirect.String(), scope: q.Get("scope"), challenge: q.Get("code_challenge")}
	s.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// Token answers the token endpoint.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		Error(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok && s.o.FormEncodedBasic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.o.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.o.ClientSecret)) != 1 {
		Error(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var g grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		g, ok = s.codes[code]
		delete(s.codes, code) // a code is good once, whether the exchange succeeds or not
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("redirect_uri") != g.redirect ||
			(g.challenge != "" && base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge) {
			Error(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		s.exchanges++
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if g, ok = s.refresh[rt]; !ok {
			Error(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		if s.o.RotateRefresh {
			delete(s.refresh, rt)
		}
		s.refreshes++
	default:
		Error(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	at := Random()
	s.access[at] = s.o.Now().Add(time.Duration(s.o.ExpiresIn) * time.Second)
	answer := map[string]any{"access_token": at, "token_type": "bearer", "expires_in": s.o.ExpiresIn}
	if g.scope != "" {
		answer["scope"] = g.scope
	}
	if s.o.RefreshScope == "" || slices.Contains(strings.Fields(g.scope), s.o.RefreshScope) {
		rt := Random()
		s.refresh[rt] = g
		answer["refresh_token"] = rt
	}
	for k, v := range s.o.Extra {
		answer[k] = v
	}
	WriteJSON(w, answer)
}

// SetExpiresIn changes the lifetime of the access tokens issued from now on.
func (s *Server) SetExpiresIn(seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.ExpiresIn = seconds
}

// Valid reports whether an access token was issued and has not expired or been revoked.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[token]
	return ok && s.o.Now().Before(exp)
}

// Bearer is Valid for the request's bearer token.
func (s *Server) Bearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.Valid(tok)
}

// RevokeAll ends every grant: the fakes have one user, so a revocation takes all its tokens.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
	s.refresh = map[string]grant{}
}

// Exchanges counts authorization codes exchanged for tokens.
func (s *Server) Exchanges() int { s.mu.Lock(); defer s.mu.Unlock(); return s.exchanges }

// Refreshes counts refresh grants.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

// Error writes an OAuth error answer.
func Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Random is an unguessable token.
func Random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
