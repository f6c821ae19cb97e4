package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/s3kit/s3kit/s3local"
)

// hostPolicy is the Host names serve answers: the loopback ones
// (localhost, *.localhost, 127.0.0.0/8, [::1]) and those of -allowed-hosts,
// with any port. Any other name reached the server through a name the
// developer did not choose, as DNS rebinding does: a page of
// rebind.evil.example whose name now resolves to 127.0.0.1 would otherwise
// read and drive the server as same-origin. The check is s3local's, which
// guards the embedded S3 server the same way.
type hostPolicy struct {
	p *s3local.HostPolicy // nil: the loopback names only
}

// parseAllowedHosts reads -allowed-hosts: comma-separated host names or IP
// addresses, ".example.test" for a domain and its subdomains (as Django's
// ALLOWED_HOSTS), "*" for any.
func parseAllowedHosts(list string) (hostPolicy, error) {
	p, err := s3local.NewHostPolicy(strings.Split(list, ","))
	if err != nil {
		return hostPolicy{}, fmt.Errorf("-allowed-hosts: %w", err)
	}
	return hostPolicy{p}, nil
}

// allows reports whether the Host header host (a name or an address, with
// or without a port) is one to answer.
func (p hostPolicy) allows(host string) bool {
	if p.p == nil {
		return (&s3local.HostPolicy{}).Allows(host)
	}
	return p.p.Allows(host)
}

// handler answers requests for other names with 421 Misdirected Request.
func (p hostPolicy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.allows(r.Host) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusMisdirectedRequest)
			fmt.Fprintf(w, "s3kit serve answers loopback host names only (localhost, 127.0.0.1, [::1]); to answer %q, run it with -allowed-hosts\n", r.Host)
			return
		}
		next.ServeHTTP(w, r)
	})
}
