package main

import (
	"net"
	"testing"

	"healthsync/config"
)

func TestBannerHonoursThePublicURL(t *testing.T) {
	ln := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"unset":          {map[string]string{"HEALTHSYNC_ADDR": ":0"}, "http://localhost:41234"},
		"unset, default": {nil, "http://localhost:41234"},
		"behind a proxy": {map[string]string{"HEALTHSYNC_PUBLIC_URL": "https://health.example.org/"}, "https://health.example.org"},
		"with a path":    {map[string]string{"HEALTHSYNC_PUBLIC_URL": "https://example.org/healthsync"}, "https://example.org/healthsync"},
		"another port":   {map[string]string{"HEALTHSYNC_PUBLIC_URL": "http://localhost:9000"}, "http://localhost:9000"},
	} {
		env := map[string]string{"HEALTHSYNC_DATA_DIR": t.TempDir()}
		for k, v := range c.env {
			env[k] = v
		}
		cfg, err := config.FromEnv(envOf(env))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := bannerBase(cfg, ln); got != c.want {
			t.Errorf("%s: banner shows %q, want %q", name, got, c.want)
		}
	}
}
