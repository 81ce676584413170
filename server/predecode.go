package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"healthsync/scalar"
)

// readBody is a request body read whole by limitBody; later layers reach the bytes without copying them.
type readBody struct {
	*bytes.Reader
	b []byte
}

func (*readBody) Close() error { return nil }

// readAll reads a body into one buffer sized from Content-Length, instead of growing it by doubling.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 64<<20 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// predecodeSamples decodes the `samples` of every IngestBatchInput variable straight from the request's JSON
// (scalar.DecodeSamplesJSON) and hands gqlgen a body whose samples are placeholders for those lists: gqlgen's
// transport would otherwise decode them into generic JSON values first, which cost a third of an upload's
// server CPU. Anything unusual (samples the fast decoder leaves alone, a body it cannot parse) passes through
// unchanged, so errors stay those of the generic path.
func predecodeSamples(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rb, ok := r.Body.(*readBody); ok && r.Method == http.MethodPost {
			if body, reg := rewriteSamples(rb.b); reg != nil {
				r = r.WithContext(scalar.WithPredecoded(r.Context(), reg))
				r.Body = &readBody{Reader: bytes.NewReader(body), b: body}
				r.ContentLength = int64(len(body))
			}
		}
		next.ServeHTTP(w, r)
	})
}

var (
	samplesKey = []byte(`"samples"`)
	inputType  = []byte("IngestBatchInput")
)

// rewriteSamples returns the new body and the registry of decoded lists, or a nil registry when nothing was
// decoded. The body is walked once by scalar.RewriteUpload: parsing it with encoding/json to find the samples
// would cost as much as the generic decode it saves.
func rewriteSamples(body []byte) ([]byte, *scalar.Predecoded) {
	if !bytes.Contains(body, samplesKey) || !bytes.Contains(body, inputType) {
		return nil, nil
	}
	return scalar.RewriteUpload(body, declaresIngestInput)
}

// declaresIngestInput reports whether the operation declares the variable as IngestBatchInput: only there is
// `samples` a QuantitySampleList (a variable of another type keeps its value untouched).
func declaresIngestInput(query, name string) bool {
	decl := "$" + name
	for i := 0; ; {
		j := strings.Index(query[i:], decl)
		if j < 0 {
			return false
		}
		rest := query[i+j+len(decl):]
		i += j + len(decl)
		if rest != "" && isNameByte(rest[0]) {
			continue // a longer name that starts alike
		}
		rest = strings.TrimLeft(rest, " \t\r\n,")
		if !strings.HasPrefix(rest, ":") {
			continue // a use of the variable, not its declaration
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n,")
		if strings.HasPrefix(rest, "IngestBatchInput") && (len(rest) == len("IngestBatchInput") || !isNameByte(rest[len("IngestBatchInput")])) {
			return true
		}
		return false
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
