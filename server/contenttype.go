package server

import (
	"mime"
	"net/http"

	"healthsync/server/httpjson"
)

// requireJSON answers a POST whose body is not JSON with 415 and a code, where gqlgen would answer a bare
// "transport not supported".
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				httpjson.Error(w, http.StatusUnsupportedMediaType, "BAD_REQUEST",
					"send the GraphQL request as JSON with Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
