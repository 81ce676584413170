package httpjson_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"healthsync/server/httpjson"
)

func TestErrorIsGraphQLShaped(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.ErrorWith(rec, http.StatusBadRequest, "bad field", map[string]any{"code": "BAD_USER_INPUT", "path": "data.metrics[0]"})
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var body struct {
		Errors []struct {
			Message    string            `json:"message"`
			Extensions map[string]string `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if len(body.Errors) != 1 || body.Errors[0].Message != "bad field" || body.Errors[0].Extensions["code"] != "BAD_USER_INPUT" ||
		body.Errors[0].Extensions["path"] != "data.metrics[0]" {
		t.Fatalf("body %s", rec.Body)
	}
	rec = httptest.NewRecorder()
	httpjson.Error(rec, http.StatusTooManyRequests, "RATE_LIMITED", "slow down")
	if rec.Code != http.StatusTooManyRequests || rec.Body.String() != `{"errors":[{"extensions":{"code":"RATE_LIMITED"},"message":"slow down"}]}`+"\n" {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
}
