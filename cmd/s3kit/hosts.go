package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// hostPolicy is the Host names serve answers: the loopback ones
// (localhost, *.localhost, 127.0.0.0/8, [::1]) and those of -allowed-hosts,
// with any port. Any other name reached the server through a name the
// developer did not choose, as DNS rebinding does: a page of
// rebind.evil.example whose name now resolves to 127.0.0.1 would otherwise
// read and drive the server as same-origin.
type hostPolicy struct {
	names    map[string]bool // exact names
	suffixes []string        // ".example.test": the domain and its subdomains
	any      bool            // "*": every name (no check)
}

// parseAllowedHosts reads -allowed-hosts: comma-separated host names or IP
// addresses, ".example.test" for a domain and its subdomains (as Django's
// ALLOWED_HOSTS), "*" for any.
func parseAllowedHosts(list string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]bool{}}
	for h := range strings.SplitSeq(list, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			continue
		case h == "*":
			p.any = true
		case strings.ContainsAny(h, "/:@ ") && !strings.HasPrefix(h, "["):
			return hostPolicy{}, fmt.Errorf("-allowed-hosts: %q is not a host name (no scheme, port or path)", h)
		case strings.HasPrefix(h, "."):
			suffix := strings.TrimSuffix(h, ".")
			if len(suffix) < 2 || suffix[1] == '.' {
				return hostPolicy{}, fmt.Errorf("-allowed-hosts: %q names no domain (write .example.test for example.test and its subdomains, * for any name)", h)
			}
			p.suffixes = append(p.suffixes, suffix)
		default:
			p.names[strings.TrimSuffix(strings.Trim(h, "[]"), ".")] = true
		}
	}
	return p, nil
}

// allows reports whether the Host header host (a name or an address, with
// or without a port) is one to answer.
func (p hostPolicy) allows(host string) bool {
	if p.any {
		return true
	}
	name, ok := hostName(host)
	if !ok {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || p.names[name] {
		return true
	}
	if ip := net.ParseIP(name); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, s := range p.suffixes {
		if name == s[1:] || strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// hostName returns the name of a Host header, lower-case, without its
// port, brackets or final dot; ok is false when the header is malformed.
func hostName(host string) (name string, ok bool) {
	port := ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", false
		}
		name, port = host[1:end], host[end+1:]
		if net.ParseIP(name) == nil {
			return "", false
		}
	} else {
		name = host
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i:]
		}
	}
	if port != "" {
		if port == ":" || strings.Trim(port[1:], "0123456789") != "" || port[0] != ':' {
			return "", false
		}
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" || strings.ContainsAny(name, ":[]/@ ") && net.ParseIP(name) == nil {
		return "", false
	}
	return name, true
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
