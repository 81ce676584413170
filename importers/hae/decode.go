package hae

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Codes of a body that cannot be read, in the answer's extensions.code.
const (
	// CodeBadRequest: the body is not JSON (cut off, a syntax error).
	CodeBadRequest = "BAD_REQUEST"
	// CodeInvalidValue: the body is JSON, but a field holds a value of the wrong kind (a string for a number).
	CodeInvalidValue = "INVALID_VALUE"
)

// DecodeError says what in a body could not be read, in the payload's own terms: where (path, as in
// data.metrics[2].data[5].qty) and what was expected, never Go's type names.
type DecodeError struct {
	Code     string
	Message  string
	Path     string // "" when the body is not JSON
	Expected string // "a number", "a string", …; "" when the body is not JSON
	Got      string // the JSON kind found: "a string", "an object", …
	Line     int    // 1-based line of the failure, 0 when unknown
	Column   int
}

func (e *DecodeError) Error() string { return e.Message }

// Decode reads a request body into a payload.
func Decode(body []byte) (*Payload, *DecodeError) {
	var p Payload
	err := json.Unmarshal(body, &p)
	if err == nil {
		return &p, nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		line, col := position(body, typeErr.Offset)
		path := pathAt(body, typeErr.Offset)
		expected, got := kindOf(typeErr.Type), withArticle(typeErr.Value)
		where := path
		if where == "" {
			where = "the body"
		}
		return nil, &DecodeError{Code: CodeInvalidValue, Path: path, Expected: expected, Got: got, Line: line, Column: col,
			Message: fmt.Sprintf("%s: expected %s, got %s (line %d, column %d)", where, expected, got, line, col)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &DecodeError{Code: CodeBadRequest, Message: "the body is empty: Health Auto Export JSON was expected"}
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) && syntaxErr.Error() != "unexpected end of JSON input" {
		// Offset counts the offending byte as read.
		line, col := position(body, syntaxErr.Offset-1)
		return nil, &DecodeError{Code: CodeBadRequest, Line: line, Column: col,
			Message: fmt.Sprintf("the body is not JSON: %s at line %d, column %d", syntaxErr.Error(), line, col)}
	}
	return nil, &DecodeError{Code: CodeBadRequest,
		Message: "the body is not JSON: it ends before the JSON is complete (was the upload cut off?)"}
}

// position is the 1-based line and column of byte offset in body.
func position(body []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(body)))
	before := body[:offset]
	line = 1 + bytes.Count(before, []byte{'\n'})
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// pathAt is the path of the JSON value that ends at or after offset, the one encoding/json stopped at:
// "data.metrics[2].data[5].qty". It walks the tokens, since the decoder's own error names only the Go fields
// ("Point.data.metrics.data.qty"), without indices.
func pathAt(body []byte, offset int64) string {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	// done moves the innermost container past the value just read.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		n := len(stack)
		if n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				done()
				continue
			}
			stack[n-1].key, stack[n-1].wantKey = fmt.Sprint(tok), false
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == ']' || d == '}') {
			stack = stack[:n-1]
			done()
			continue
		}
		if dec.InputOffset() >= offset {
			return path()
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{array: d == '[', wantKey: d == '{'})
			continue
		}
		done()
	}
}

// kindOf names what a Go type reads, in JSON's terms.
func kindOf(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another kind of value"
}

// withArticle turns encoding/json's names of what it found ("string", "number 1.5", "object") into prose.
func withArticle(v string) string {
	switch {
	case v == "object" || v == "array":
		return "an " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number"):
		return "a " + v
	case v == "":
		return "another kind of value"
	}
	return "a " + v
}
