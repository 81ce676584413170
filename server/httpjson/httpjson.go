// Package httpjson writes the JSON answers of the plain HTTP endpoints (probes, body limits, the Health Auto
// Export upload) in the shape GraphQL clients already read: {"errors":[{"message":…,"extensions":{"code":…}}]},
// so a client needs one error reader whichever endpoint refused it.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers status with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status line is already sent: an encoding or write error here has nobody left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers status with one GraphQL-shaped error carrying a machine-readable code.
func Error(w http.ResponseWriter, status int, code, msg string) {
	ErrorWith(w, status, msg, map[string]any{"code": code})
}

// ErrorWith is Error with extensions of the caller's (which must hold "code"), for errors that also say where.
func ErrorWith(w http.ResponseWriter, status int, msg string, extensions map[string]any) {
	Write(w, status, map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": extensions}}})
}
