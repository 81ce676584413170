package server_test

import (
	"fmt"
	"strings"
	"testing"

	"healthsync/server"
)

// A service the wiring forgot is found when the server is built, by name, not by the first request that needs it.
func TestNewRefusesAMissingService(t *testing.T) {
	a := newApp(t)
	for _, c := range []struct {
		field  string
		forget func(*server.Options)
	}{
		{"Series", func(o *server.Options) { o.Series = nil }},
		{"Imports", func(o *server.Options) { o.Imports = nil }},
		{"HAE", func(o *server.Options) { o.HAE = nil }},
		{"OpenWearables", func(o *server.Options) { o.OpenWearables = nil }},
		{"Ingest", func(o *server.Options) { o.Ingest = nil }},
		{"FHIR", func(o *server.Options) { o.FHIR = nil }},
	} {
		o := a.opts
		c.forget(&o)
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			server.New(o)
			return ""
		}()
		if !strings.Contains(msg, "Options."+c.field+" is nil") {
			t.Errorf("without %s: server.New said %q", c.field, msg)
		}
	}
}
