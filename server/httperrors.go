package server

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"healthsync/resolvers"
)

// codedErrors makes every error answer GraphQL-shaped JSON with extensions.code, as the README promises: the
// mux's own 404 and 405 (plain text), the websocket library's refusals (plain text) and gqlgen's transport
// errors (JSON without a code: a mutation over GET, an unsupported method, undecodable variables). Answers
// under 400 pass through untouched and unbuffered; error answers are small, so they are held and rewritten.
func codedErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &codeWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		cw.finish(r)
	})
}

type codeWriter struct {
	http.ResponseWriter
	status int
	held   *bytes.Buffer // the body of an error answer, nil otherwise
}

// Unwrap lets http.ResponseController and the websocket library reach the connection (Hijack, Flush).
func (c *codeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codeWriter) WriteHeader(code int) {
	if c.status != 0 {
		return
	}
	c.status = code
	if code >= 400 {
		c.held = &bytes.Buffer{}
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.held != nil {
		return c.held.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *codeWriter) Flush() {
	if c.held == nil {
		_ = http.NewResponseController(c.ResponseWriter).Flush()
	}
}

func (c *codeWriter) finish(r *http.Request) {
	if c.held == nil {
		return
	}
	status, body := c.status, c.held.Bytes()
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		if errs, ok := doc["errors"].([]any); ok && len(errs) > 0 {
			changed := false
			for _, e := range errs {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				ext, _ := m["extensions"].(map[string]any)
				if _, has := ext["code"]; has {
					continue
				}
				msg, _ := m["message"].(string)
				var code string
				status, code, msg = explain(status, msg, r, c.Header().Get("Allow"))
				if ext == nil {
					ext = map[string]any{}
				}
				ext["code"], m["extensions"], m["message"] = code, ext, msg
				changed = true
			}
			if changed {
				body, _ = json.Marshal(doc)
			}
			c.send(status, body)
			return
		}
		if _, ok := doc["errors"]; !ok {
			c.send(status, body) // JSON in its own terms, such as /readyz's status
			return
		}
	}
	status, code, msg := explain(status, strings.TrimSpace(string(body)), r, c.Header().Get("Allow"))
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg,
		"extensions": map[string]string{"code": code}}}})
	c.send(status, b)
}

func (c *codeWriter) send(status int, body []byte) {
	h := c.Header()
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "application/json" && mt != graphqlResponseJSON {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.ResponseWriter.WriteHeader(status)
	_, _ = c.ResponseWriter.Write(body)
}

// explain gives an error answer without a code its status, code and message.
func explain(status int, msg string, r *http.Request, allow string) (int, string, string) {
	switch {
	case msg == "GET requests only allow query operations":
		// gqlgen says 406, which is about content negotiation; the method is what is wrong.
		return http.StatusMethodNotAllowed, resolvers.CodeBadRequest, "a mutation must be sent with POST; GET carries queries only"
	case msg == "transport not supported":
		return http.StatusMethodNotAllowed, resolvers.CodeBadRequest,
			"send GraphQL as POST with Content-Type: application/json, a query as GET ?query=…, or subscribe over a websocket"
	case msg == "variables could not be decoded":
		return status, resolvers.CodeBadRequest, "the variables parameter must be a JSON object"
	case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		// The library's reason is the first line; gqlgen appends its own "unable to upgrade" JSON after it.
		reason, _, _ := strings.Cut(msg, "\n")
		return status, resolvers.CodeBadRequest, "the websocket could not be opened: " + capString(orStatusText(reason, status)) +
			" (send a websocket upgrade, version 13, with the graphql-transport-ws subprotocol)"
	}
	switch status {
	case http.StatusNotFound:
		return status, "NOT_FOUND", capString(r.Method+" "+r.URL.Path) + ": no such endpoint; GraphQL is at /graphql"
	case http.StatusMethodNotAllowed:
		return status, resolvers.CodeBadRequest, capString(r.Method+" "+r.URL.Path) + " is not allowed; allowed: " +
			orStatusText(allow, status)
	case http.StatusRequestEntityTooLarge:
		return status, "REQUEST_TOO_LARGE", orStatusText(msg, status)
	case http.StatusServiceUnavailable:
		return status, resolvers.CodeUnavailable, orStatusText(msg, status)
	}
	if status >= 500 {
		return status, resolvers.CodeInternal, "internal error; it has been logged"
	}
	return status, resolvers.CodeBadRequest, capString(orStatusText(msg, status))
}

func orStatusText(msg string, status int) string {
	if msg == "" {
		return http.StatusText(status)
	}
	return msg
}
