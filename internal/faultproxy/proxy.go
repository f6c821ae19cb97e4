package faultproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Proxy. The zero value forwards everything.
type Options struct {
	// Rules are tried in order for every request: each Latency rule that
	// fires adds its delay, and the first other rule that fires decides
	// the fault. Default: none.
	Rules []Rule

	// Seed makes the Rate decisions reproducible. Default: 0.
	Seed uint64

	// Transport carries the requests to the server. Default: a transport
	// of the proxy's own with HTTP/1.1 keep-alive, no compression and no
	// proxy from the environment.
	Transport http.RoundTripper

	// Logf, when set, receives one line per injected fault.
	Logf func(format string, args ...any)

	// TLS makes Start serve HTTPS, with a certificate of its own for
	// 127.0.0.1 and localhost that ClientTLS trusts; the server behind
	// is still reached as upstream says. A client then behaves as it does
	// with a real S3 endpoint: aws-sdk-go-v2 sends its payloads
	// UNSIGNED-PAYLOAD over HTTPS, protected by checksums, where over
	// plain HTTP it signs their SHA-256. Default: plain HTTP.
	TLS bool
}

// Proxy is a reverse proxy for path-style S3 traffic that injects faults.
// A client (a Storage, an s3.Client) uses the proxy's URL as its endpoint;
// each request is forwarded with its method, request target, Host header,
// other headers and body untouched, so that the server checks its SigV4
// signature as if the client had called it directly. Bodies stream both
// ways through a 32 KiB buffer: memory does not grow with their size.
//
// Create one with New (an http.Handler) or Start (listening on loopback).
// It is safe for concurrent use.
type Proxy struct {
	upstream *url.URL
	tr       http.RoundTripper
	own      *http.Transport // the default transport, closed by Close
	seed     uint64
	logf     func(format string, args ...any)
	rules    atomic.Pointer[[]*rule]
	reqID    atomic.Uint64

	mu       sync.Mutex
	requests map[Op]int64
	injected map[opFault]int64
	statuses map[opStatus]int64
	events   []Event

	srv *http.Server
	ln  net.Listener
	tls *tls.Config // the client side of Options.TLS; nil without
}

type opFault struct {
	op Op
	f  Fault
}

type opStatus struct {
	op     Op
	status int
}

// Event is one injected fault.
type Event struct {
	Seq     uint64 // the proxy's number of the request, from 1
	Request        // operation, bucket, key
	Fault   Fault
	// Status is the server's status for a request that was forwarded (a
	// lost or cut answer), 0 when it was not or the forwarding failed.
	Status int
	Time   time.Time
}

// maxEvents bounds the event log: the oldest events are dropped.
const maxEvents = 1 << 14

// New returns a Proxy to the server at upstream (scheme and host, such as
// "http://127.0.0.1:8333"). Serve it with an http.Server, or use Start.
func New(upstream string, opts Options) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: upstream %q is not an http(s) URL", upstream)
	}
	p := &Proxy{
		upstream: &url.URL{Scheme: u.Scheme, Host: u.Host},
		tr:       opts.Transport,
		seed:     opts.Seed,
		logf:     opts.Logf,
		requests: map[Op]int64{},
		injected: map[opFault]int64{},
		statuses: map[opStatus]int64{},
	}
	if p.tr == nil {
		p.own = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   1024,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true, // an Accept-Encoding of ours would change the answer's bytes
			WriteBufferSize:       64 << 10,
			ReadBufferSize:        64 << 10,
		}
		p.tr = p.own
	}
	if err := p.SetRules(opts.Rules...); err != nil {
		return nil, err
	}
	return p, nil
}

// Start returns a Proxy to upstream that listens on a free port of
// 127.0.0.1; URL gives its address and Close stops it.
func Start(upstream string, opts Options) (*Proxy, error) {
	p, err := New(upstream, opts)
	if err != nil {
		return nil, err
	}
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	if opts.TLS {
		server, client, err := selfSigned()
		if err != nil {
			p.ln.Close()
			return nil, fmt.Errorf("faultproxy: %w", err)
		}
		p.ln, p.tls = tls.NewListener(p.ln, server), client
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: time.Minute, ErrorLog: discardLog}
	go p.srv.Serve(p.ln)
	return p, nil
}

// URL returns the proxy's base URL ("http://127.0.0.1:port", https with
// Options.TLS) once started, the endpoint its clients use.
func (p *Proxy) URL() string {
	switch {
	case p.ln == nil:
		return ""
	case p.tls != nil:
		return "https://" + p.ln.Addr().String()
	}
	return "http://" + p.ln.Addr().String()
}

// ClientTLS returns a TLS configuration that trusts the proxy's
// certificate (Options.TLS), for its clients' transports; nil without
// TLS.
func (p *Proxy) ClientTLS() *tls.Config {
	if p.tls == nil {
		return nil
	}
	return p.tls.Clone()
}

// Close stops a started proxy, closing its connections, and closes the
// idle connections of its default transport.
func (p *Proxy) Close() error {
	var err error
	if p.srv != nil {
		err = p.srv.Close()
	}
	if p.own != nil {
		p.own.CloseIdleConnections()
	}
	return err
}

// SetRules replaces the rules; the counts of the new rules start at zero.
// The counters of requests and faults are kept.
func (p *Proxy) SetRules(rules ...Rule) error {
	rs := make([]*rule, len(rules))
	for i, r := range rules {
		if err := validRule(i, r); err != nil {
			return err
		}
		rs[i] = &rule{Rule: r, index: uint64(i)}
	}
	p.rules.Store(&rs)
	return nil
}

// ServeHTTP forwards r to the server, or injects the fault the rules
// pick for it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Classify(r)
	seq := p.reqID.Add(1)
	p.count(req.Op)
	fault, after, err := p.decide(r, req, seq)
	if err != nil {
		return // the client left during a delay
	}
	switch fault {
	case SlowDown:
		io.Copy(io.Discard, r.Body)
		writeError(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", seq)
	case InternalError:
		io.Copy(io.Discard, r.Body)
		writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", seq)
	case ResetRequest:
		p.resetRequest(w, r, req, seq, after)
	case LoseResponse:
		status := 0
		if resp, err := p.forward(r, r.Body); err == nil {
			io.Copy(io.Discard, resp.Body) // the whole answer: the server is done
			resp.Body.Close()
			status = resp.StatusCode
			p.countStatus(req.Op, status)
		}
		p.record(Event{Seq: seq, Request: req, Fault: LoseResponse, Status: status})
		hangUp(w, false)
	default: // None, ResetResponse, Corrupt, CorruptResponse
		p.pass(w, r, req, seq, fault, after)
	}
}

// decide runs the rules: it sleeps for the Latency rules that fire and
// returns the fault of the first other rule that fires.
func (p *Proxy) decide(r *http.Request, req Request, seq uint64) (Fault, int64, error) {
	for _, rl := range *p.rules.Load() {
		if !rl.matches(req, r) || !rl.fires(p.seed) {
			continue
		}
		if rl.Fault == Latency {
			p.record(Event{Seq: seq, Request: req, Fault: Latency})
			t := time.NewTimer(rl.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return None, 0, r.Context().Err()
			}
			continue
		}
		f := rl.Fault
		if f == Reset {
			f = ResetResponse
			if hasBody(r) {
				f = ResetRequest
			}
		}
		if f != LoseResponse && f != ResetRequest && f != ResetResponse && f != Corrupt && f != CorruptResponse {
			p.record(Event{Seq: seq, Request: req, Fault: f})
		}
		return f, rl.After, nil
	}
	return None, 0, nil
}

func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// forward sends r to the server with body. The request target, the Host
// header and the other headers go as they came.
func (p *Proxy) forward(r *http.Request, body io.Reader) (*http.Response, error) {
	target, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(target, "/") {
		// An absolute-form target ("http://host/path"): keep its path.
		if u, err := url.Parse(r.RequestURI); err == nil {
			target, rawQuery = u.EscapedPath(), u.RawQuery
		}
	}
	if strings.HasPrefix(target, "//") {
		// url.URL.RequestURI would prefix an Opaque like this with the
		// scheme; a path that starts with "//" needs the parsed form.
		target = ""
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL = &url.URL{Scheme: p.upstream.Scheme, Host: p.upstream.Host, Opaque: target, RawQuery: rawQuery}
	if target == "" {
		out.URL.Path, out.URL.RawPath = r.URL.Path, r.URL.RawPath
	}
	out.Host = r.Host
	out.Close = false
	if hasBody(r) {
		out.Body = io.NopCloser(body)
	} else {
		out.Body = nil
	}
	out.ContentLength, out.TransferEncoding = r.ContentLength, r.TransferEncoding
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	return p.tr.RoundTrip(out)
}

// hopHeaders are the headers of one connection, not of the request
// (RFC 9110 section 7.6.1); SigV4 never signs them.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// pass forwards r and streams the answer back. With ResetResponse it
// stops after after bytes of the body (0: half) and resets the
// connection; with Corrupt it flips a byte of the request's payload, with
// CorruptResponse one of the answer's body. A Corrupt or CorruptResponse
// is recorded only when a byte was flipped: an empty body, or one the
// server answered before reaching the byte, passed unharmed.
func (p *Proxy) pass(w http.ResponseWriter, r *http.Request, req Request, seq uint64, fault Fault, after int64) {
	var body io.Reader = r.Body
	var flip *flipper
	if fault == Corrupt && hasBody(r) {
		chunked, n := requestPayload(r)
		flip = newFlipper(r.Body, chunked, n, after)
		body = flip
	}
	resp, err := p.forward(r, body)
	if err != nil {
		p.unreachable(w, r, req, seq, fault, flip)
		return
	}
	defer resp.Body.Close()
	if flip.didFlip() {
		p.record(Event{Seq: seq, Request: req, Fault: Corrupt, Status: resp.StatusCode})
	}
	p.countStatus(req.Op, resp.StatusCode)
	copyAnswerHeader(w.Header(), r, resp)
	if fault == ResetResponse {
		p.cutAnswer(w, r, req, seq, resp, after)
		return
	}
	w.WriteHeader(resp.StatusCode)
	p.streamAnswer(w, r, req, seq, resp, fault == CorruptResponse, after)
}

// unreachable answers a request whose forwarding failed: a reset when the
// rule wanted one, else 502 (unless the client left).
func (p *Proxy) unreachable(w http.ResponseWriter, r *http.Request, req Request, seq uint64, fault Fault, flip *flipper) {
	if flip.didFlip() {
		p.record(Event{Seq: seq, Request: req, Fault: Corrupt})
	}
	if fault == ResetResponse {
		p.record(Event{Seq: seq, Request: req, Fault: ResetResponse})
		hangUp(w, true)
		return
	}
	if r.Context().Err() == nil {
		writeError(w, r, http.StatusBadGateway, "BadGateway", "faultproxy: the server could not be reached", seq)
	}
}

// copyAnswerHeader sets h to the header of the server's answer, but the
// connection's own fields, with no Content-Type sniffing.
func copyAnswerHeader(h http.Header, r *http.Request, resp *http.Response) {
	for k, v := range resp.Header {
		if k != "Connection" && k != "Keep-Alive" && k != "Transfer-Encoding" {
			h[k] = v
		}
	}
	if _, ok := resp.Header["Content-Type"]; !ok {
		h["Content-Type"] = nil // no sniffing: the answer goes as it came
	}
	if resp.ContentLength >= 0 && r.Method != http.MethodHead {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
}

// cutLimit is how many bytes of the answer a ResetResponse lets through:
// after (0: half the body), never the whole body, none of a bodyless one.
func cutLimit(r *http.Request, resp *http.Response, after int64) int64 {
	bodyless := r.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified || resp.ContentLength == 0
	var limit int64
	switch {
	case bodyless:
		return 0 // its headers would be the whole answer: send none
	case after > 0:
		limit = after
	case after == 0 && resp.ContentLength > 0:
		limit = resp.ContentLength / 2
	}
	if resp.ContentLength >= 0 {
		limit = min(limit, max(resp.ContentLength-1, 0))
	}
	return limit
}

// cutAnswer sends the first cutLimit bytes of the answer, then closes the
// connection; or resets it at once when that is none.
func (p *Proxy) cutAnswer(w http.ResponseWriter, r *http.Request, req Request, seq uint64, resp *http.Response, after int64) {
	p.record(Event{Seq: seq, Request: req, Fault: ResetResponse, Status: resp.StatusCode})
	limit := cutLimit(r, resp, after)
	if limit == 0 {
		hangUp(w, true) // nothing of the answer
		return
	}
	w.WriteHeader(resp.StatusCode)
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	io.CopyBuffer(w, io.LimitReader(resp.Body, limit), *buf)
	// An orderly close, not a reset: a reset would make the client's
	// kernel drop the bytes it has not read yet, and the client would not
	// see exactly the first limit bytes.
	http.NewResponseController(w).Flush()
	hangUp(w, false)
}

// streamAnswer copies the body of the answer and its trailers, with a byte
// flipped when corrupt is set; a body cut by the server is cut for the
// client too.
func (p *Proxy) streamAnswer(w http.ResponseWriter, r *http.Request, req Request, seq uint64, resp *http.Response, corrupt bool, after int64) {
	var src io.Reader = resp.Body
	var flip *flipper
	if corrupt && r.Method != http.MethodHead {
		flip = newFlipper(resp.Body, false, resp.ContentLength, after)
		src = flip
	}
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	_, err := io.CopyBuffer(w, src, *buf)
	if flip.didFlip() {
		p.record(Event{Seq: seq, Request: req, Fault: CorruptResponse, Status: resp.StatusCode})
	}
	if err != nil {
		panic(http.ErrAbortHandler) // the answer was cut: so must the client's be
	}
	for k, v := range resp.Trailer {
		w.Header()[http.TrailerPrefix+k] = v
	}
}

// errCut ends the body of a request that is reset mid-body.
var errCut = errors.New("faultproxy: request body cut")

// cutReader passes n bytes and then fails.
type cutReader struct {
	r io.Reader
	n int64
}

func (c *cutReader) Read(b []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCut
	}
	if int64(len(b)) > c.n {
		b = b[:c.n]
	}
	n, err := c.r.Read(b)
	c.n -= int64(n)
	return n, err
}

// resetRequest forwards part of the body, then drops the connection to
// the server (a failed body read makes the transport close it) and
// resets the client's.
func (p *Proxy) resetRequest(w http.ResponseWriter, r *http.Request, req Request, seq uint64, after int64) {
	n := after
	switch {
	case after == 0 && r.ContentLength > 0:
		n = r.ContentLength / 2
	case after == 0:
		n = 64 << 10 // a body of unknown length: 64 KiB of it
	case after < 0:
		n = 0
	}
	if r.ContentLength > 0 {
		n = min(n, r.ContentLength-1)
	}
	status := 0
	if hasBody(r) {
		ctx, cancel := context.WithCancel(r.Context())
		resp, err := p.forward(r.WithContext(ctx), &cutReader{r: r.Body, n: n})
		if err == nil { // the server answered before the body was done
			status = resp.StatusCode
			resp.Body.Close()
		}
		cancel()
	}
	p.record(Event{Seq: seq, Request: req, Fault: ResetRequest, Status: status})
	hangUp(w, true)
}

// hangUp takes the client's connection from the server and closes it:
// with a TCP reset when reset is set, else with an orderly close (FIN).
// Either way the client reads no (more) answer.
func hangUp(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a test recorder: abort the stream
	}
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn() // a reset is a TCP matter
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// writeError answers with an S3 error document.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string, seq uint64) {
	id := fmt.Sprintf("FAULTPROXY%010d", seq)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	b.WriteString(code)
	b.WriteString("</Code><Message>")
	b.WriteString(msg)
	b.WriteString("</Message><Resource>")
	xmlEscape(&b, r.URL.Path)
	b.WriteString("</Resource><RequestId>" + id + "</RequestId></Error>")
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", id)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, b.String())
	}
}

func xmlEscape(b *strings.Builder, s string) {
	for _, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(c)
		}
	}
}
