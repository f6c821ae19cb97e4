package s3local_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/s3local"
)

// TestAllowedHosts checks the Host allowlist: a page that rebinds its DNS
// name to 127.0.0.1 sends its own name as Host and is refused with 421; a
// malformed Host gets 400; the loopback names, the Domain with its
// virtual-hosted buckets and Options.AllowedHosts are answered.
func TestAllowedHosts(t *testing.T) {
	srv := s3local.New(s3local.Options{Domain: "s3.dev.test", AllowedHosts: []string{"files.example.test", ".apps.example.test", "[fd00::5]"}})
	if err := srv.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, srv)
	tests := []struct {
		host   string
		status int
	}{
		{"rebind.evil.example", 421},
		{"rebind.evil.example:8080", 421},
		{"localhost.evil.example", 421},
		{"example.test", 421},
		{"10.0.0.1", 421},
		{"[fd00::6]:80", 421},
		{"evil:port", 400},
		{"[::1", 400},
		{"localhost", 200},
		{"bkt.localhost:9000", 200},
		{"127.0.0.1:9000", 200},
		{"127.9.9.9", 200},
		{"[::1]:9000", 200},
		{"s3.dev.test", 200},
		{"bkt.s3.dev.test:443", 200},
		{"files.example.test", 200},
		{"FILES.example.test.", 200},
		{"x.apps.example.test", 200},
		{"[fd00::5]:9000", 200},
	}
	for _, tt := range tests {
		path := "/bkt"
		if strings.HasPrefix(tt.host, "bkt.") {
			path = "/"
		}
		resp, body := do(t, http.MethodGet, ts.URL+path, nil, map[string]string{"Host": tt.host})
		if resp.StatusCode != tt.status {
			t.Errorf("GET with Host %q = %d %s, want %d", tt.host, resp.StatusCode, body, tt.status)
		}
	}
}

// TestNewHostPolicy checks the entries NewHostPolicy refuses, and "*".
func TestNewHostPolicy(t *testing.T) {
	for _, bad := range []string{"http://example.test", "example.test:80", "example.test/x", ".", "..test", "[zz]", "*.example.test", "app.*"} {
		if _, err := s3local.NewHostPolicy([]string{bad}); err == nil {
			t.Errorf("NewHostPolicy(%q) = nil error, want one", bad)
		}
	}
	p, err := s3local.NewHostPolicy([]string{"*"})
	if err != nil || !p.Allows("anything.example") || p.Allows("bad host") {
		t.Errorf(`NewHostPolicy("*") = %v; allows anything.example: %v (want true), "bad host": %v (want false)`, err, p.Allows("anything.example"), p.Allows("bad host"))
	}
	var zero s3local.HostPolicy
	if !zero.Allows("localhost:80") || zero.Allows("example.test") {
		t.Errorf("the zero HostPolicy allows localhost:80 %v (want true), example.test %v (want false)", zero.Allows("localhost:80"), zero.Allows("example.test"))
	}
}

// TestStartRefusesBadHosts: Start reports an AllowedHosts entry that is
// not a host name as an error, where New panics.
func TestStartRefusesBadHosts(t *testing.T) {
	s, err := s3local.Start(s3local.Options{AllowedHosts: []string{"*.example.test"}})
	if err == nil {
		s.Close()
		t.Fatal("Start with AllowedHosts *.example.test: no error")
	}
	if !strings.Contains(err.Error(), "*.example.test") {
		t.Errorf("Start: %v, want the entry named", err)
	}
}
