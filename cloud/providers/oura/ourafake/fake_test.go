package ourafake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"healthsync/cloud/providers/oura/ourafake"
)

func oauthConfig(f *ourafake.Fake) *oauth2.Config {
	cfg := f.Config()
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: "https://app.example/cb",
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL}, Scopes: []string{"daily"}}
}

// code follows the authorize redirect without following it to the app.
func code(t *testing.T, authURL string) (string, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != "app.example" || loc.Path != "/cb" {
		t.Fatalf("redirected to %q", resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

func TestOAuthWithRefreshThroughX(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{UserID: "u-1", No429: true})
	oc := oauthConfig(f)
	ctx := context.Background()
	c, state := code(t, oc.AuthCodeURL("state-9"))
	if state != "state-9" || c == "" {
		t.Fatalf("code %q state %q", c, state)
	}
	tok, err := oc.Exchange(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oc.Exchange(ctx, c); err == nil {
		t.Error("an authorization code worked twice")
	}
	// expires_in 5 s is inside oauth2's 10 s early-refresh margin: every request refreshes, and each
	// refresh uses the refresh token the previous answer carried.
	client := oc.Client(ctx, tok)
	for i := 0; i < 3; i++ {
		resp, err := client.Get(f.URL() + "/v2/usercollection/personal_info")
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || p.ID != "u-1" {
			t.Fatalf("personal_info %d %v %q", resp.StatusCode, err, p.ID)
		}
	}
	if f.Exchanges() != 1 || f.Refreshes() != 3 {
		t.Errorf("exchanges %d, refreshes %d", f.Exchanges(), f.Refreshes())
	}
	// The first refresh token was used up by the first refresh.
	if _, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("a used refresh token worked again")
	}
}

func TestPKCE(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{No429: true})
	oc := oauthConfig(f)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	c, _ := code(t, oc.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, err := oc.Exchange(ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Error("a code was exchanged with another PKCE verifier")
	}
	c, _ = code(t, oc.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, err := oc.Exchange(ctx, c); err == nil {
		t.Error("a PKCE code was exchanged without its verifier")
	}
	c, _ = code(t, oc.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, err := oc.Exchange(ctx, c, oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("the right verifier: %v", err)
	}
}

func TestOAuthRefusals(t *testing.T) {
	f := ourafake.New(t, ourafake.Options{No429: true})
	oc := oauthConfig(f)
	ctx := context.Background()
	c, _ := code(t, oc.AuthCodeURL("s"))
	bad := *oc
	bad.ClientSecret = "wrong"
	if _, err := bad.Exchange(ctx, c); err == nil {
		t.Error("a wrong client secret got a token")
	}
	other := *oc
	other.RedirectURL = "https://evil.example/cb"
	if _, err := other.Exchange(ctx, c); err == nil {
		t.Error("a code was exchanged for another redirect_uri")
	}
	wrongClient := *oc
	wrongClient.ClientID = "someone-else"
	resp, err := http.Get(wrongClient.AuthCodeURL("s"))
	if err == nil {
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorize for an unknown client: %v %v", err, resp)
	}
	for _, auth := range []string{"", "Bearer nope"} {
		req, _ := http.NewRequest(http.MethodGet, f.URL()+"/v2/usercollection/sleep?start_date=2026-11-01&end_date=2026-11-02", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("auth %q: %d", auth, resp.StatusCode)
		}
	}
}

func TestFirstDataRequestIs429AndPagesChain(t *testing.T) {
	d, _ := time.Parse(time.DateOnly, "2026-11-20")
	f := ourafake.New(t, ourafake.Options{Days: []time.Time{d, d.AddDate(0, 0, 1), d.AddDate(0, 0, 2)}, PageSize: 2,
		ExpiresIn: 3600})
	oc := oauthConfig(f)
	ctx := context.Background()
	c, _ := code(t, oc.AuthCodeURL("s"))
	tok, err := oc.Exchange(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	client := oc.Client(ctx, tok)
	get := func(q string) (*http.Response, map[string]any) {
		resp, err := client.Get(f.URL() + "/v2/usercollection/daily_spo2?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	resp, _ := get("start_date=2026-11-20&end_date=2026-11-23")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || f.Count429() != 1 {
		t.Fatalf("first request: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var ids []string
	q := "start_date=2026-11-20&end_date=2026-11-23"
	for pages := 0; ; pages++ {
		resp, body := get(q)
		if resp.StatusCode != http.StatusOK || pages > 3 {
			t.Fatalf("page %d: %d", pages, resp.StatusCode)
		}
		for _, d := range body["data"].([]any) {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		next, _ := body["next_token"].(string)
		if next == "" {
			break
		}
		q = "start_date=2026-11-20&end_date=2026-11-23&next_token=" + url.QueryEscape(next)
	}
	want := []string{f.DocumentID("daily_spo2", d), f.DocumentID("daily_spo2", d.AddDate(0, 0, 1)),
		f.DocumentID("daily_spo2", d.AddDate(0, 0, 2))}
	if strings.Join(ids, ",") != strings.Join(want, ",") || f.Count429() != 1 {
		t.Errorf("ids %v, want %v; 429s %d", ids, want, f.Count429())
	}
}
