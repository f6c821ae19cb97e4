package s3local

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// HostPolicy is the set of Host header values a development server
// answers: the loopback names (localhost, *.localhost, 127.0.0.0/8,
// [::1]) and the names it was given, with any port. Any other name reached
// the server through a name the developer did not choose, as DNS
// rebinding does: a page of rebind.evil.example whose name now resolves to
// 127.0.0.1 would otherwise read and drive the server as same-origin.
// The zero HostPolicy answers the loopback names only. The s3kit serve
// command checks its -allowed-hosts with it.
type HostPolicy struct {
	names    map[string]bool // exact names
	suffixes []string        // ".example.test": the domain and its subdomains
	any      bool            // "*": every name (no check)
}

// NewHostPolicy returns the policy answering the loopback names and
// hosts: host names or IP addresses (IPv6 ones with or without brackets),
// ".example.test" for a domain and its subdomains (as Django's
// ALLOWED_HOSTS), "*" for any name. It fails on an entry with a scheme,
// port or path, and on a "." that names no domain.
func NewHostPolicy(hosts []string) (*HostPolicy, error) {
	p := &HostPolicy{names: map[string]bool{}}
	for _, h := range hosts {
		if err := p.add(h); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add adds one entry of NewHostPolicy's list.
func (p *HostPolicy) add(h string) error {
	h = strings.ToLower(strings.TrimSpace(h))
	switch {
	case h == "":
	case h == "*":
		p.any = true
	case strings.HasPrefix(h, "["), net.ParseIP(h) != nil:
		ip := net.ParseIP(h)
		if inner, ok := strings.CutPrefix(h, "["); ok {
			inner, ok = strings.CutSuffix(inner, "]")
			if ip = net.ParseIP(inner); !ok {
				ip = nil
			}
		}
		if ip == nil {
			return fmt.Errorf("%q is not an IP address", h)
		}
		p.names[ip.String()] = true
	case strings.ContainsAny(h, "/:@ "):
		return fmt.Errorf("%q is not a host name (no scheme, port or path)", h)
	case strings.Contains(h, "*"):
		return fmt.Errorf("%q is not a host name (write .example.test for example.test and its subdomains, * alone for any name)", h)
	case strings.HasPrefix(h, "."):
		suffix := strings.TrimSuffix(h, ".")
		if len(suffix) < 2 || suffix[1] == '.' {
			return fmt.Errorf("%q names no domain (write .example.test for example.test and its subdomains, * for any name)", h)
		}
		p.suffixes = append(p.suffixes, suffix)
	default:
		p.names[strings.TrimSuffix(h, ".")] = true
	}
	return nil
}

// with returns a copy of p that also answers the names of hosts, which
// add accepts.
func (p *HostPolicy) with(hosts ...string) *HostPolicy {
	q := &HostPolicy{names: make(map[string]bool, len(p.names)+len(hosts)), suffixes: slices.Clip(p.suffixes), any: p.any}
	for n := range p.names {
		q.names[n] = true
	}
	for _, h := range hosts {
		q.add(h) // hosts come from this package: valid
	}
	return q
}

// Allows reports whether host, the Host header of a request (a name or
// an address, with or without a port), is one to answer. A malformed
// Host is never allowed.
func (p *HostPolicy) Allows(host string) bool {
	name, ok := hostName(host)
	return ok && p.allowsName(name)
}

// allowsName is Allows for the name hostName gives.
func (p *HostPolicy) allowsName(name string) bool {
	if p.any || name == "localhost" || strings.HasSuffix(name, ".localhost") || p.names[name] {
		return true
	}
	if ip := net.ParseIP(name); ip != nil {
		return ip.IsLoopback() || p.names[ip.String()]
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
	if port != "" && (port == ":" || port[0] != ':' || strings.Trim(port[1:], "0123456789") != "") {
		return "", false
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" || strings.ContainsAny(name, ":[]/@ ") && net.ParseIP(name) == nil {
		return "", false
	}
	return name, true
}

// newServerHosts builds the policy of a Server: the loopback names, the
// Domain and its subdomains (the virtual-hosted buckets), and
// Options.AllowedHosts. Listen adds the address it listens on.
func newServerHosts(domain string, allowed []string) *HostPolicy {
	p, err := NewHostPolicy(append([]string{"." + domain}, allowed...))
	if err != nil {
		panic("s3local: Options.AllowedHosts: " + err.Error())
	}
	return p
}

// listenerHosts returns the names a listener on addr is reached by: its
// address, or those of every interface when it listens on all of them.
func listenerHosts(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	var hosts []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	return hosts
}

// checkHost refuses a request whose Host the server does not answer:
// 400 for a malformed one, 421 Misdirected Request for another name.
func (s *Server) checkHost(r *http.Request) *Error {
	name, ok := hostName(r.Host)
	if !ok {
		return &Error{StatusCode: http.StatusBadRequest, Code: "InvalidArgument", Message: "The Host header is malformed."}
	}
	if s.hosts.Load().allowsName(name) {
		return nil
	}
	return &Error{StatusCode: http.StatusMisdirectedRequest, Code: "MisdirectedRequest",
		Message: "This server answers loopback host names, its domain and its listening address only; set Options.AllowedHosts to answer this one."}
}
