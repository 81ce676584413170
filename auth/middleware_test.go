package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestContextRoundTrip(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("empty context holds a principal")
	}
	if err := ErrorFromContext(context.Background()); err != nil {
		t.Fatalf("empty context holds error %v", err)
	}
	want := Principal{Subject: "bob", Scopes: []Scope{ScopeRead}}
	got, ok := FromContext(WithPrincipal(context.Background(), want))
	if !ok || got.Subject != want.Subject || !got.Has(ScopeRead) || got.Has(ScopeIngest) {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
}

func TestMiddleware(t *testing.T) {
	v := newTestVerifier(t, Config{HMACSecret: testSecret(), Issuer: testIssuer, Audience: testAudience})
	good := forge(t, hdr("HS256"), validClaims(), hs256(testSecret()))
	expired := forge(t, hdr("HS256"), with("exp", testNow.Unix()-3600), hs256(testSecret()))

	tests := []struct {
		name    string
		headers []string // Authorization values; none means no header
		subject string   // principal expected in context
		reason  string   // error expected in context
	}{
		{name: "no header"},
		{name: "good token", headers: []string{"Bearer " + good}, subject: "alice"},
		{name: "scheme lower case", headers: []string{"bearer " + good}, subject: "alice"},
		{name: "scheme upper case, extra spaces", headers: []string{"  BEARER   " + good + " "}, subject: "alice"},
		{name: "expired token", headers: []string{"Bearer " + expired}, reason: "token expired"},
		{name: "garbage token", headers: []string{"Bearer not-a-jwt"}, reason: "malformed token"},
		{name: "basic scheme", headers: []string{"Basic YWxpY2U6cHc="}, reason: "scheme must be Bearer"},
		{name: "token without scheme", headers: []string{good}, reason: "scheme must be Bearer"},
		{name: "empty bearer", headers: []string{"Bearer "}, reason: "empty bearer token"},
		{name: "empty header", headers: []string{""}, reason: "scheme must be Bearer"},
		{name: "two headers", headers: []string{"Bearer " + good, "Bearer " + good}, reason: "more than one Authorization header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				p, ok := FromContext(r.Context())
				err := ErrorFromContext(r.Context())
				switch {
				case tc.subject != "":
					if !ok || p.Subject != tc.subject || err != nil {
						t.Errorf("principal %+v (%v), error %v; want subject %q", p, ok, err, tc.subject)
					}
				case tc.reason != "":
					if ok {
						t.Errorf("refused request carries principal %+v", p)
					}
					if err == nil || !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tc.reason) {
						t.Errorf("context error %v, want one wrapping ErrUnauthenticated with %q", err, tc.reason)
					}
				default:
					if ok || err != nil {
						t.Errorf("anonymous request carries principal %+v / error %v", p, err)
					}
				}
				w.WriteHeader(http.StatusTeapot)
			})
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			for _, h := range tc.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(rec, req)
			if !called {
				t.Fatal("next handler not called")
			}
			if rec.Code != http.StatusTeapot || rec.Body.Len() != 0 {
				t.Errorf("response %d %q was not left to the next handler", rec.Code, rec.Body.String())
			}
		})
	}
}
