package main

import (
	"net"
	"net/url"
	"strings"

	"healthsync/config"
)

// bannerBase is the address the start banner tells a person to open: HEALTHSYNC_PUBLIC_URL when it was set (a
// proxy, another host name), else localhost on the port actually listened on (HEALTHSYNC_ADDR may say :0).
func bannerBase(cfg config.Config, ln net.Addr) string {
	local := "http://localhost" + portOf(ln)
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" {
		return local
	}
	// config fills an unset PublicURL in as localhost on the configured port: that is not the user's choice.
	if u.Hostname() == "localhost" && u.Path == "" && strings.HasSuffix(cfg.Addr, ":"+u.Port()) {
		return local
	}
	return strings.TrimRight(cfg.PublicURL, "/")
}
