package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The POST transport answers as gqlgen's does: media type by Accept, 422 (application/json) or 400
// (application/graphql-response+json) for a request that is not valid GraphQL, and data copied out whole.
func TestPostTransportMediaTypesAndStatuses(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	send := func(accept, query string) *httptest.ResponseRecorder {
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		accept, query, contentType string
		status                     int
	}{
		{"", `{ me { id } }`, "application/json", http.StatusOK},
		{"application/json", `{ me { id } }`, "application/json", http.StatusOK},
		{"application/graphql-response+json", `{ me { id } }`, "application/graphql-response+json", http.StatusOK},
		{"text/html, */*", `{ me { id } }`, "application/json", http.StatusOK},
		{"", `{ me { id } `, "application/json", http.StatusUnprocessableEntity},
		{"", `{ noSuchField }`, "application/json", http.StatusUnprocessableEntity},
		{"application/graphql-response+json", `{ noSuchField }`, "application/graphql-response+json", http.StatusBadRequest},
	} {
		rec := send(c.accept, c.query)
		if rec.Code != c.status || rec.Header().Get("Content-Type") != c.contentType {
			t.Errorf("Accept %q, %q: %d %s, want %d %s", c.accept, c.query, rec.Code, rec.Header().Get("Content-Type"), c.status, c.contentType)
		}
		var out struct {
			Data   map[string]any   `json:"data"`
			Errors []map[string]any `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer is not JSON: %s", rec.Body.String())
		}
		if ok := c.status == http.StatusOK; ok != (out.Data["me"] != nil) || ok == (len(out.Errors) > 0) {
			t.Errorf("%q answered %s", c.query, rec.Body.String())
		}
	}
}
