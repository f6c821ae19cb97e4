package s3local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultAddr is the address Start listens on: a free port of the IPv4
// loopback interface.
const DefaultAddr = "127.0.0.1:0"

// Start returns a Server configured by opts, listening on DefaultAddr.
// Its endpoint is URL(); Close stops it. An Options.AllowedHosts entry
// that is not a host name is an error (New panics on it).
func Start(opts Options) (*Server, error) {
	if _, err := NewHostPolicy(opts.AllowedHosts); err != nil {
		return nil, fmt.Errorf("s3local: Options.AllowedHosts: %w", err)
	}
	s := New(opts)
	if err := s.Listen(DefaultAddr); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen serves s on addr ("host:port"; "" is DefaultAddr) in a
// goroutine, until Close or Shutdown. The host must be a loopback address
// or "localhost" unless Options.AllowNonLoopback is set. A Server listens
// once. The http.Server has a read-header timeout of 30 s, an idle
// timeout of 2 minutes, a header limit of 64 KiB (S3 refuses more than 8
// KiB; the rest is room for the cookies of other localhost servers),
// and no read or write timeout: bodies may be large.
func (s *Server) Listen(addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("s3local: listen address %q: %w", addr, err)
	}
	if !s.opts.AllowNonLoopback && !isLoopback(host) {
		return fmt.Errorf("s3local: refusing to listen on %q, which is not a loopback address (set Options.AllowNonLoopback)", addr)
	}
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.hs != nil {
		return errors.New("s3local: the server is listening already")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("s3local: %w", err)
	}
	errLog := log.New(io.Discard, "", 0)
	if s.opts.Logf != nil {
		errLog = log.New(logfWriter(s.opts.Logf), "s3local: ", 0)
	}
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog,
		MaxHeaderBytes: maxHeaderRead} // larger headers get 431 from net/http; smaller ones over the limit, S3's error

	s.hosts.Store(s.hosts.Load().with(listenerHosts(ln.Addr())...))
	s.url = "http://" + ln.Addr().String()
	go s.hs.Serve(ln)
	return nil
}

// isLoopback reports whether host names the loopback interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logfWriter turns Options.Logf into the writer of the http.Server's log.
type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// URL returns the endpoint of a listening server, such as
// "http://127.0.0.1:41234", or "" before Listen.
func (s *Server) URL() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.url
}

// Close stops a listening server at once, closing its connections. It
// does not close the Store. It does nothing when the server does not
// listen.
func (s *Server) Close() error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.hs == nil {
		return nil
	}
	return s.hs.Close()
}

// Shutdown stops a listening server gracefully: it stops accepting
// connections and waits for the requests in flight until ctx is done (see
// http.Server.Shutdown). It does not close the Store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lmu.Lock()
	hs := s.hs
	s.lmu.Unlock()
	if hs == nil {
		return nil
	}
	return hs.Shutdown(ctx)
}
