// Package web serves the browser pages of healthsync from the binary: GraphiQL and the dashboard. Both are
// bundled from npm packages into dist/ (see package.json; rebuild with `npm ci && npm run build`) and embedded,
// so they work on closed networks and building the server never needs node.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is the URL path the bundled scripts and styles are served under; mount Assets there.
const AssetPrefix = "/web/"

// csp keeps the pages to their own origin: everything they load comes from the binary and they talk only to
// the GraphQL endpoint. GraphiQL sets inline styles, and its stylesheet carries its fonts as data: URLs.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Assets serves the embedded bundle; mount it at AssetPrefix.
func Assets() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: dist missing from the embedded files: " + err.Error()) // a build error, not a runtime one
	}
	files := http.StripPrefix(AssetPrefix, http.FileServerFS(sub))
	gz := gzipCache{fsys: sub, files: map[string]*gzipped{}}
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".css")) {
			gz.files[p] = &gzipped{}
		}
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// File names carry no hash, so browsers revalidate; embedded files have no modification time, so the
		// ETag-less FileServer would resend everything: a short max-age keeps reloads cheap.
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Add("Vary", "Accept-Encoding")
		if gz.serve(w, r) {
			return
		}
		files.ServeHTTP(w, r)
	})
}

// gzipCache compresses each script and stylesheet once, on first request: GraphiQL's bundle shrinks from
// 1.7 MB to about 0.7 MB on the wire.
type gzipCache struct {
	fsys  fs.FS
	files map[string]*gzipped // fixed after Assets returns; only the entries fill in
}

type gzipped struct {
	once sync.Once
	body []byte
}

func (c *gzipCache) serve(w http.ResponseWriter, r *http.Request) bool {
	name := strings.TrimPrefix(r.URL.Path, AssetPrefix)
	entry, ok := c.files[name]
	if !ok || r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return false
	}
	entry.once.Do(func() {
		raw, err := fs.ReadFile(c.fsys, name)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(raw); err == nil && zw.Close() == nil {
			entry.body = buf.Bytes()
		}
	})
	if entry.body == nil {
		return false
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(entry.body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(entry.body)
	}
	return true
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// GraphiQL serves the GraphiQL page that talks to endpoint. A non-empty devToken is pre-filled in the header
// editor as `Authorization: Bearer <devToken>`: pass it only in development.
func GraphiQL(endpoint, devToken string) http.Handler {
	return page(pageData{Title: "healthsync · GraphiQL", Entry: "graphiql", RootID: "graphiql",
		Config: map[string]string{"endpoint": endpoint, "devToken": devToken}})
}

// Dashboard serves the dashboard page. It uses only the public GraphQL API at endpoint, with a token the user
// pastes (kept in the browser's session storage), so it may be served in every mode.
func Dashboard(endpoint string) http.Handler {
	return page(pageData{Title: "healthsync · dashboard", Entry: "dashboard", RootID: "dashboard",
		Config: map[string]string{"endpoint": endpoint}})
}

type pageData struct {
	Title, Entry, RootID string
	Config               map[string]string
	ConfigJSON           template.JS
	Prefix               string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.Prefix}}{{.Entry}}.css">
<script id="healthsync-config" type="application/json">{{.ConfigJSON}}</script>
<script type="module" src="{{.Prefix}}{{.Entry}}.js"></script>
</head>
<body>
<div id="{{.RootID}}"><noscript>This page needs JavaScript.</noscript></div>
</body>
</html>
`))

// page renders the HTML shell once; the configuration travels as JSON data, never as script, so the strict
// content security policy holds.
func page(d pageData) http.Handler {
	cfg, err := json.Marshal(d.Config)
	if err != nil {
		panic("web: page configuration: " + err.Error())
	}
	d.ConfigJSON = template.JS(cfg)
	d.Prefix = AssetPrefix
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		panic("web: page template: " + err.Error())
	}
	body := buf.Bytes()
	built := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		// The development token is in the page: never let a shared cache keep it.
		h.Set("Cache-Control", "no-store")
		http.ServeContent(w, r, "", built, bytes.NewReader(body))
	})
}
