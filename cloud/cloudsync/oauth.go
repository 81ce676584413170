package cloudsync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"healthsync/cloud/providers"
	"healthsync/db"
	"healthsync/ingest"
	"healthsync/webhooks"
)

// Authorization is the start of a connection: the URL to open in the user's browser.
type Authorization struct {
	Provider     ingest.Provider
	AuthorizeURL string
	ExpiresAt    time.Time
}

// state is what the authorization round trip carries, sealed: the callback arrives from the user's browser
// without a token, so the state is what names the user, and sealing it means nobody can forge one for
// somebody else. PKCE's verifier rides along so no server-side session is needed.
//
// It travels twice. As the ticket in the connection link (sealed for ticketOwner, Browser empty): the first
// browser that opens the link spends the ticket (oauth_tickets) and gets a random key in a cookie. Then as the
// OAuth state (sealed for stateOwner) with Browser set to the key's hash: the callback requires the cookie,
// so neither a link opened twice nor a state seen on its way through the provider can be finished by another
// browser (which would connect this user to somebody else's provider account).
type state struct {
	UserID   int64  `json:"u"`
	Provider string `json:"p"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
	Ticket   string `json:"t"`
	Browser  string `json:"b,omitempty"`
}

const (
	ticketOwner = "oauth-ticket"
	stateOwner  = "oauth-state"
)

func (s *Service) oauthConfig(p Provider) *oauth2.Config {
	ep := p.Adapter.Endpoints()
	auth, token := ep.AuthURL, ep.TokenURL
	if p.Config.AuthURL != "" {
		auth = p.Config.AuthURL
	}
	if p.Config.TokenURL != "" {
		token = p.Config.TokenURL
	}
	return &oauth2.Config{
		ClientID:     p.Config.ClientID,
		ClientSecret: p.Config.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: auth, TokenURL: token},
		RedirectURL:  s.providerURL(p.Adapter.Provider(), "callback"),
		Scopes:       p.Adapter.Scopes(),
	}
}

func (s *Service) providerURL(name ingest.Provider, endpoint string) string {
	return s.o.PublicURL + "/providers/" + strings.ToLower(string(name)) + "/" + endpoint
}

func (s *Service) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.o.HTTPClient)
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Connect starts connecting the user to the provider: the answer's URL (a one-time link to this server's
// start endpoint) leads the user's browser to the provider's consent page, which sends it back to the callback.
func (s *Service) Connect(ctx context.Context, userID int64, name ingest.Provider) (Authorization, error) {
	if _, err := s.provider(name); err != nil {
		return Authorization{}, err
	}
	exp := s.o.Now().Add(s.o.StateTTL)
	st := state{UserID: userID, Provider: string(name), Verifier: oauth2.GenerateVerifier(), Expires: exp.Unix(),
		Ticket: randomText(16)}
	if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		return tx.AddOAuthTicket(ctx, st.Ticket, string(name), exp)
	}); err != nil {
		return Authorization{}, err
	}
	ticket, err := s.seal(st, ticketOwner)
	if err != nil {
		return Authorization{}, err
	}
	u := s.providerURL(name, "start") + "?" + url.Values{"ticket": {ticket}}.Encode()
	return Authorization{Provider: name, AuthorizeURL: u, ExpiresAt: exp.UTC()}, nil
}

// Start opens a connection link: it spends the ticket and answers the provider's authorization URL and the key
// the browser must keep (in a cookie) for the callback, until expires.
func (s *Service) Start(ctx context.Context, name ingest.Provider, ticket string) (redirect, browserKey string, expires time.Time, err error) {
	p, err := s.provider(name)
	if err != nil {
		return "", "", time.Time{}, err
	}
	st, err := s.open(name, ticket, ticketOwner)
	if err != nil {
		return "", "", time.Time{}, err
	}
	var spent bool
	if err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		var err error
		spent, err = tx.SpendOAuthTicket(ctx, st.Ticket, st.UserID, string(name), s.o.Now())
		return err
	}); err != nil {
		return "", "", time.Time{}, err
	}
	if !spent {
		return "", "", time.Time{}, ErrLinkSpent
	}
	browserKey = randomText(32)
	st.Browser = keyHash(browserKey)
	sealed, err := s.seal(st, stateOwner)
	if err != nil {
		return "", "", time.Time{}, err
	}
	redirect = s.oauthConfig(p).AuthCodeURL(sealed, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(st.Verifier))
	return redirect, browserKey, time.Unix(st.Expires, 0), nil
}

func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func (s *Service) seal(st state, owner string) (string, error) {
	raw, _ := json.Marshal(st)
	sealed, err := s.box.Seal(raw, owner)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (s *Service) open(name ingest.Provider, raw, owner string) (state, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return state{}, ErrBadState
	}
	plain, err := s.box.Open(sealed, owner)
	if err != nil {
		return state{}, ErrBadState
	}
	var st state
	if err := json.Unmarshal(plain, &st); err != nil || st.Provider != string(name) || s.o.Now().Unix() > st.Expires {
		return state{}, ErrBadState
	}
	return st, nil
}

// Callback finishes a connection: it checks the state and that the browser is the one that opened the link
// (browserKey, from its cookie), exchanges the code for tokens, asks the provider who the
// user is, stores the tokens sealed, and queues the backfill of every data type.
func (s *Service) Callback(ctx context.Context, name ingest.Provider, rawState, code, browserKey string) (int64, error) {
	p, err := s.provider(name)
	if err != nil {
		return 0, err
	}
	st, err := s.open(name, rawState, stateOwner)
	if err != nil {
		return 0, err
	}
	if st.Browser == "" || subtle.ConstantTimeCompare([]byte(keyHash(browserKey)), []byte(st.Browser)) != 1 {
		return 0, ErrOtherBrowser
	}
	if code == "" {
		return 0, fmt.Errorf("%w: the provider sent no authorization code", ErrDenied)
	}
	cfg := s.oauthConfig(p)
	tok, err := cfg.Exchange(s.oauthContext(ctx), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		// A browser that reloads the callback page sends the same, now spent, code again: when this very
		// authorization already connected the user, say so rather than show a failure.
		issued := time.Unix(st.Expires, 0).Add(-s.o.StateTTL)
		if c, cerr := s.connection(ctx, st.UserID, name); cerr == nil && c != nil && c.Status == db.ConnConnected && !c.ConnectedAt.Before(issued) {
			return st.UserID, nil
		}
		return 0, fmt.Errorf("exchange the authorization code: %w", err)
	}
	api := s.apiFor(ctx, p, cfg, tok)
	puid, err := p.Adapter.UserID(ctx, api.api)
	if err != nil {
		return 0, fmt.Errorf("ask %s who the user is: %w", name, err)
	}
	if t, err := api.ts.Token(); err == nil { // the lookup may have refreshed it
		tok = t
	}
	sealed, expiry, err := s.sealToken(st.UserID, name, tok)
	if err != nil {
		return 0, err
	}
	now := s.o.Now().UTC()
	// Whole days: today and the BackfillDays-1 days before it, from midnight UTC (providers keep data by day).
	from := now.Truncate(24*time.Hour).AddDate(0, 0, 1-s.o.BackfillDays)
	var jobs []db.ProviderJob
	for _, dt := range p.Adapter.DataTypes() {
		f, t := from, now
		jobs = append(jobs, db.ProviderJob{Provider: string(name), Kind: db.JobBackfill, DataType: dt,
			WindowFrom: &f, WindowTo: &t, WindowTotalDays: s.o.BackfillDays, RunAt: now})
	}
	err = s.store.InUserTx(ctx, st.UserID, func(tx *db.Tx) error {
		if err := tx.SaveConnection(ctx, db.Connection{Provider: string(name), ProviderUserID: puid,
			Status: db.ConnConnected, Scopes: strings.Join(cfg.Scopes, " "), TokenSealed: sealed,
			TokenExpiry: expiry, ConnectedAt: now}); err != nil {
			return err
		}
		if err := tx.EnqueueJobs(ctx, jobs, now); err != nil {
			return err
		}
		return webhooks.Enqueue(ctx, tx, now, webhooks.Event{Type: webhooks.ProviderConnected,
			Data: webhooks.Provider{Provider: string(name)}})
	})
	if err != nil {
		return 0, err
	}
	s.o.Logger.Info("cloud provider connected", "provider", name, "data_types", len(jobs), "backfill_days", s.o.BackfillDays)
	return st.UserID, nil
}

func (s *Service) connection(ctx context.Context, userID int64, name ingest.Provider) (*db.Connection, error) {
	var c *db.Connection
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		c, err = tx.Connection(ctx, string(name))
		return err
	})
	return c, err
}

func tokenOwner(userID int64, name ingest.Provider) string {
	return fmt.Sprintf("token|%d|%s", userID, name)
}

func (s *Service) sealToken(userID int64, name ingest.Provider, tok *oauth2.Token) ([]byte, *time.Time, error) {
	raw, err := json.Marshal(tok)
	if err != nil {
		return nil, nil, fmt.Errorf("encode token: %w", err)
	}
	sealed, err := s.box.Seal(raw, tokenOwner(userID, name))
	if err != nil {
		return nil, nil, err
	}
	var exp *time.Time
	if !tok.Expiry.IsZero() {
		e := tok.Expiry.UTC()
		exp = &e
	}
	return sealed, exp, nil
}

func (s *Service) openToken(c db.Connection) (*oauth2.Token, error) {
	if len(c.TokenSealed) == 0 {
		return nil, errors.New("connection has no token")
	}
	raw, err := s.box.Open(c.TokenSealed, tokenOwner(c.UserID, ingest.Provider(c.Provider)))
	if err != nil {
		return nil, fmt.Errorf("open token: %w", err)
	}
	var tok oauth2.Token
	if err := json.Unmarshal(raw, &tok); err != nil {
		return nil, fmt.Errorf("decode token: %w", err)
	}
	return &tok, nil
}

// session is one connection's API client and its token source, whose token is stored again when refreshed.
type session struct {
	api   *providers.API
	ts    oauth2.TokenSource
	first string
}

// apiFor builds the connection's client. The token is refreshed RefreshAhead before it expires (not when a
// request has already failed): the inner source holds only the refresh token, so every call to it refreshes,
// and the outer one calls it when the current token is within RefreshAhead of its expiry.
func (s *Service) apiFor(ctx context.Context, p Provider, cfg *oauth2.Config, tok *oauth2.Token) *session {
	var ts oauth2.TokenSource
	if tok.RefreshToken != "" {
		inner := cfg.TokenSource(s.oauthContext(ctx), &oauth2.Token{RefreshToken: tok.RefreshToken})
		ts = oauth2.ReuseTokenSourceWithExpiry(tok, inner, s.o.RefreshAhead)
	} else {
		ts = oauth2.StaticTokenSource(tok)
	}
	return s.session(ctx, p, ts, tok)
}

func (s *Service) session(ctx context.Context, p Provider, ts oauth2.TokenSource, tok *oauth2.Token) *session {
	octx := s.oauthContext(ctx)
	base := p.Adapter.Endpoints().APIURL
	if p.Config.APIURL != "" {
		base = p.Config.APIURL
	}
	client := oauth2.NewClient(octx, ts)
	client.Timeout = s.o.HTTPClient.Timeout
	return &session{
		api: &providers.API{Client: client, BaseURL: base, Retries: s.o.APIRetries, Backoff: s.o.APIBackoff,
			Sleep: s.o.Sleep},
		ts:    ts,
		first: tok.AccessToken,
	}
}

// storedSession is a job's client for a stored connection: its token refreshes under the connection's row lock
// and is stored at once (storedToken).
func (s *Service) storedSession(ctx context.Context, p Provider, c db.Connection, tok *oauth2.Token) *session {
	ts := &storedToken{s: s, ctx: ctx, cfg: s.oauthConfig(p), userID: c.UserID, name: ingest.Provider(c.Provider),
		connectedAt: c.ConnectedAt, tok: tok}
	return s.session(ctx, p, ts, tok)
}

// isReauthorize tells errors that only the user can fix by connecting again: the provider refused the token
// or the refresh token.
func isReauthorize(err error) bool {
	if errors.Is(err, providers.ErrUnauthorized) {
		return true
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response == nil || re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized
	}
	return false
}
