package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The README promises a machine-readable code on every error. Whatever the server refuses at the HTTP level
// (method, path, media type, size, a websocket it will not open), the answer is GraphQL-shaped JSON with
// extensions.code and a message a person can act on.
func TestEveryHTTPErrorCarriesACode(t *testing.T) {
	a := newApp(t)
	tok := a.token("alice")
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	get := func(q string) string { return "/graphql?query=" + url.QueryEscape(q) }
	for _, c := range []struct {
		name, method, path, contentType, body string
		header                                map[string]string
		status                                int
	}{
		{name: "GET mutation", method: "GET", path: get(`mutation { setSourcePriority(sourceIds: []) { id } }`), status: http.StatusMethodNotAllowed},
		{name: "GET without a query", method: "GET", path: "/graphql", status: http.StatusUnprocessableEntity},
		{name: "GET unparsable query", method: "GET", path: get(`{ me `), status: http.StatusUnprocessableEntity},
		{name: "GET bad variables", method: "GET", path: get(`{ me { id } }`) + "&variables=%7Bx", status: http.StatusBadRequest},
		{name: "PUT graphql", method: "PUT", path: "/graphql", contentType: "application/json", body: `{"query":"{ me { id } }"}`, status: http.StatusMethodNotAllowed},
		{name: "DELETE graphql", method: "DELETE", path: "/graphql", status: http.StatusMethodNotAllowed},
		{name: "POST form", method: "POST", path: "/graphql", contentType: "application/x-www-form-urlencoded", body: "query=x", status: http.StatusUnsupportedMediaType},
		{name: "POST too large", method: "POST", path: "/graphql", contentType: "application/json", body: `{"query":"` + strings.Repeat(" ", 2<<20) + `"}`, status: http.StatusRequestEntityTooLarge},
		{name: "unknown path", method: "GET", path: "/nothing-here", status: http.StatusNotFound},
		{name: "GET on the upload endpoint", method: "GET", path: "/ingest/health-auto-export", status: http.StatusMethodNotAllowed},
		{name: "POST healthz", method: "POST", path: "/healthz", contentType: "application/json", body: "{}", status: http.StatusMethodNotAllowed},
		{name: "websocket without a key", method: "GET", path: "/graphql", status: http.StatusBadRequest,
			header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "graphql-transport-ws"}},
		{name: "websocket bad version", method: "GET", path: "/graphql", status: http.StatusBadRequest,
			header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "graphql-transport-ws"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req := httptest.NewRequest(c.method, c.path, body)
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			var status int
			var header http.Header
			var raw []byte
			if c.header["Upgrade"] != "" {
				// Through a real connection: the websocket library needs one to hijack.
				req, _ = http.NewRequest(c.method, srv.URL+c.path, nil)
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				status, header = resp.StatusCode, resp.Header
			} else {
				rec := httptest.NewRecorder()
				a.handler.ServeHTTP(rec, req)
				status, header, raw = rec.Code, rec.Header(), rec.Body.Bytes()
			}
			var out response
			err := json.Unmarshal(raw, &out)
			if status != c.status || err != nil || out.code() == "" || out.Errors[0].Message == "" ||
				!strings.HasPrefix(header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d (want %d) %q: %.300s", status, c.status, header.Get("Content-Type"), raw)
			}
		})
	}
}
