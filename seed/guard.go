package seed

import (
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
)

// checkLocal rejects a connection whose host, or any fallback host, is neither a Unix
// socket directory nor a loopback address. It looks at the configuration only: no name is
// resolved and no connection is opened, so a remote host receives nothing.
func checkLocal(cfg *pgx.ConnConfig) error {
	hosts := []string{cfg.Host}
	for _, fb := range cfg.Fallbacks {
		hosts = append(hosts, fb.Host)
	}
	for _, host := range hosts {
		if !isLocalHost(host) {
			return &RemoteError{Host: host}
		}
	}
	return nil
}

func isLocalHost(host string) bool {
	if strings.HasPrefix(host, "/") || strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
