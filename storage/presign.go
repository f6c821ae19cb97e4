package storage

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// This file computes SigV4 query-signed ("presigned") URLs directly: the
// canonical request, the string to sign and one HMAC with the day's
// signing key, without the SDK's per-call middleware stack. The output is
// byte-identical to s3.PresignClient's for the same inputs and clock (see
// presign_test.go); everything that does not change per call (endpoint,
// host, credential scope) is computed once, at New.

const (
	sigAlgorithm     = "AWS4-HMAC-SHA256"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	signatureParam   = "&X-Amz-Signature="
	maxPooledBufSize = 64 << 10
)

// urlEndpoint is where the URLs of a bucket point: the SDK's resolved
// endpoint for the bucket, or a custom domain.
type urlEndpoint struct {
	origin string // scheme://host[:port], as the URL shows it
	host   string // the signed host: default port stripped, as the SDK does
	path   string // escaped path prefix, starting and ending with "/"; location included
	tail   string // the end of the canonical request: "\nhost:" + host + "\n\nhost\nUNSIGNED-PAYLOAD"
}

// presigner signs URLs for one storage (one signing region). The day's
// signing key is cached, keyed by the date and the secret, so rotated
// credentials get a new key at once. It is safe for concurrent use.
type presigner struct {
	creds     aws.CredentialsProvider // a credentials cache
	refresher *refreshingCredentials  // creds, when s3kit owns the cache (signingcreds.go); else nil
	credsErr  error                   // why creds is nil
	region    string                  // signing region
	scope     string                  // "/<region>/s3/aws4_request"
	scopeEsc  string                  // the same, query-escaped
	dateKey   string                  // scopeEsc + "&X-Amz-Date="
	key       atomic.Pointer[signingKey]
	cred      atomic.Pointer[credStrings]
	second    atomic.Pointer[secondState]
	memo      *urlMemo[presignKey] // with a stable window; else nil
	refreshMu sync.Mutex           // one refresh at a time
}

// credStrings is one set of credentials as presign uses them, with the
// escaped forms of the access key and the session token (an STS token is
// about a kilobyte), computed once per set.
type credStrings struct {
	creds      aws.Credentials
	src        *aws.Credentials // the shared credentials these were made from (retrieveAt), or nil
	akEsc      string
	tokenParam string // "&X-Amz-Security-Token=" + the escaped token, or ""
	expParams  atomic.Pointer[expiresParams]
	// retryAt is when a refresh of these credentials may next be tried
	// (Unix nanoseconds): 0 for credentials s3kit did not fetch itself.
	retryAt atomic.Int64
}

// The fixed start of every presigned query, in canonical order.
const (
	queryHead    = "X-Amz-Algorithm=" + sigAlgorithm + "&X-Amz-Credential="
	queryHeadCRC = "X-Amz-Algorithm=" + sigAlgorithm + "&X-Amz-Checksum-Mode=ENABLED&X-Amz-Credential="
)

// signingKey is the day's SigV4 key for one secret. The HMAC's inner and
// outer SHA-256 states, after the key's padded block, are kept, so that
// the per-URL HMAC hashes only the string to sign and the inner sum.
type signingKey struct {
	date   [8]byte // YYYYMMDD
	secret string  // the secret it was derived from (rotation)
	inner  []byte  // sha256 state after key^ipad (MarshalBinary)
	outer  []byte  // sha256 state after key^opad
}

func newPresigner(p aws.CredentialsProvider, region string) *presigner {
	ps := &presigner{region: region}
	ps.scope = "/" + region + "/s3/aws4_request"
	ps.scopeEsc = queryEscape(ps.scope)
	ps.dateKey = ps.scopeEsc + "&X-Amz-Date="
	switch c := p.(type) {
	case nil:
		ps.credsErr = errors.New("storage: no credentials to sign URLs with (with NewWithClient, set Options.Credentials)")
	case *refreshingCredentials:
		ps.creds, ps.refresher = c, c // the storage's own (New)
	case *aws.CredentialsCache:
		ps.creds = c // the caller's cache: read, never refreshed
	default:
		if aws.IsCredentialsProvider(p, aws.AnonymousCredentials{}) {
			ps.credsErr = errors.New("storage: anonymous credentials cannot sign URLs")
			break
		}
		// Retrieve on every URL would be a network call for most
		// providers: cache, and refresh before the URLs outlive them.
		r := newRefreshingCredentials(aws.NewCredentialsCache(p), nil)
		ps.creds, ps.refresher = r, r
	}
	if ps.creds != nil && aws.IsCredentialsProvider(ps.creds, aws.AnonymousCredentials{}) {
		ps.creds, ps.credsErr = nil, errors.New("storage: anonymous credentials cannot sign URLs")
	}
	return ps
}

// signingKeyFor returns the signing key for the day of amzDate and the
// secret, deriving it when the day or the secret changed.
func (p *presigner) signingKeyFor(amzDate []byte, secret string) *signingKey {
	if k := p.key.Load(); k != nil && string(k.date[:]) == string(amzDate[:8]) && k.secret == secret {
		return k
	}
	k := &signingKey{secret: secret}
	copy(k.date[:], amzDate[:8])
	h := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	kd := h([]byte("AWS4"+secret), string(k.date[:]))
	kd = h(kd, p.region)
	kd = h(kd, "s3")
	kd = h(kd, "aws4_request")
	var ipad, opad [sha256.BlockSize]byte
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
	}
	for i, c := range kd {
		ipad[i] ^= c
		opad[i] ^= c
	}
	k.inner, k.outer = midstate(ipad[:]), midstate(opad[:])
	p.key.Store(k)
	return k
}

// credStringsFor returns the strings of c, computing them when the
// credentials changed. shared, when not nil, is where c was copied from
// (retrieveAt): the same pointer is the same credentials.
func (p *presigner) credStringsFor(c, shared *aws.Credentials) *credStrings {
	if cs := p.cred.Load(); cs != nil && (shared != nil && cs.src == shared || sameCredentials(&cs.creds, c)) {
		return cs
	}
	cs := &credStrings{creds: *c, src: shared, akEsc: queryEscape(c.AccessKeyID)}
	if c.SessionToken != "" {
		cs.tokenParam = "&X-Amz-Security-Token=" + queryEscape(c.SessionToken)
	}
	p.cred.Store(cs)
	return cs
}

// midstate returns the marshalled SHA-256 state after block.
func midstate(block []byte) []byte {
	h := sha256.New()
	h.Write(block)
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("storage: sha256 state: " + err.Error()) // cannot happen
	}
	return st
}

// presignScratch is what one presign works in: a buffer and a SHA-256
// digest, pooled.
type presignScratch struct {
	buf   []byte
	h     hash.Hash
	st    encoding.BinaryUnmarshaler // h, to restore a midstate
	ap    encoding.BinaryAppender    // h, to read its state
	state [sha256StateSize]byte
}

var presignPool = sync.Pool{New: func() any {
	h := sha256.New()
	return &presignScratch{buf: make([]byte, 0, 2048), h: h,
		st: h.(encoding.BinaryUnmarshaler), ap: h.(encoding.BinaryAppender)}
}}

// The SHA-256 sums of a URL are taken over whole blocks: presign pads
// each message itself (FIPS 180-4, 5.1.1: 0x80, zeros, the length in
// bits) and reads the sum from the digest's marshalled state, which after
// the last block is the sum. The digest's Sum would copy the digest,
// buffer the tail, write the padding again and run the block function
// once more per sum (callgrind: about 800 instructions a URL of the
// 18,800 the nine blocks take on valgrind's AVX2, and 300 besides them).
const (
	sha256Magic     = "sha\x03"                       // crypto/sha256's marshalled state: this magic,
	sha256StateSize = len(sha256Magic) + 8*4 + 64 + 8 // the eight words big-endian, the buffer, the length
)

// appendPadding pads a message of n bytes in all, of which b holds the
// end, to whole blocks.
func appendPadding(b []byte, n int) []byte {
	b = append(b, 0x80)
	b = append(b, make([]byte, (55-n)&63)...)
	return binary.BigEndian.AppendUint64(b, uint64(n)<<3)
}

// sum returns the SHA-256 sum of the message whose state before its end
// is midstate (nil: the start) and whose end, padded by appendPadding, is
// padded; the end unpadded is its first n bytes.
func (sc *presignScratch) sum(midstate, padded []byte, n int) (sum [sha256.Size]byte) {
	sc.restore(midstate)
	sc.h.Write(padded)
	if st, err := sc.ap.AppendBinary(sc.state[:0]); err == nil && len(st) == sha256StateSize && string(st[:4]) == sha256Magic {
		copy(sum[:], st[4:])
		return sum
	}
	// Not the state this code knows (a later Go): the digest's own Sum.
	sc.restore(midstate)
	sc.h.Write(padded[:n])
	copy(sum[:], sc.h.Sum(nil))
	return sum
}

func (sc *presignScratch) restore(midstate []byte) {
	if midstate == nil {
		sc.h.Reset()
	} else if sc.st.UnmarshalBinary(midstate) != nil {
		panic("storage: sha256 midstate") // cannot happen: made by MarshalBinary
	}
}

// secondState is what the URLs signed at one second with one set of
// credentials share: X-Amz-Date, the query up to it, and the HMAC's inner
// SHA-256 state after the signing key's block and the whole 64-byte
// blocks of the string to sign's start (the algorithm, the date and the
// scope: 69 bytes for most regions), which is the same all second long.
type secondState struct {
	sec      int64
	cs       *credStrings
	key      *signingKey
	date     [16]byte  // YYYYMMDDTHHMMSSZ
	head     [2]string // the query up to the date, included; [1] with X-Amz-Checksum-Mode
	inner    []byte    // sha256 state (MarshalBinary)
	innerLen int       // the bytes hashed into inner: the key's block and the whole blocks of the start
	stsRest  string    // the string to sign's start after them
}

// secondFor returns the state of the second of t for the credentials cs,
// computing it when the second or the credentials changed.
func (p *presigner) secondFor(t time.Time, cs *credStrings) *secondState {
	sec := t.Unix()
	if s := p.second.Load(); s != nil && s.sec == sec && s.cs == cs {
		return s
	}
	s := &secondState{sec: sec, cs: cs}
	appendAmzDate(s.date[:0], t.UTC())
	s.key = p.signingKeyFor(s.date[:], cs.creds.SecretAccessKey)
	for i, h := range [2]string{queryHead, queryHeadCRC} {
		s.head[i] = h + cs.akEsc + "%2F" + string(s.date[:8]) + p.dateKey + string(s.date[:])
	}
	sts := sigAlgorithm + "\n" + string(s.date[:]) + "\n" + string(s.date[:8]) + p.scope + "\n"
	n := len(sts) / sha256.BlockSize * sha256.BlockSize
	h := sha256.New()
	if h.(encoding.BinaryUnmarshaler).UnmarshalBinary(s.key.inner) != nil {
		panic("storage: sha256 midstate") // cannot happen: made by midstate
	}
	h.Write([]byte(sts[:n]))
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("storage: sha256 state: " + err.Error()) // cannot happen
	}
	s.inner, s.innerLen, s.stsRest = st, sha256.BlockSize+n, sts[n:]
	p.second.Store(s)
	return s
}

// expiresParams is the query between X-Amz-Date and the response-*
// parameters, for one expiry: X-Amz-Expires, X-Amz-Security-Token and
// X-Amz-SignedHeaders.
type expiresParams struct {
	expires int64
	text    string
}

// expiresText returns the query between X-Amz-Date and the response-*
// parameters for a URL of cs that expires in expires seconds.
func (cs *credStrings) expiresText(expires int64) string {
	if e := cs.expParams.Load(); e != nil && e.expires == expires {
		return e.text
	}
	e := &expiresParams{expires: expires,
		text: "&X-Amz-Expires=" + strconv.FormatInt(expires, 10) + cs.tokenParam + "&X-Amz-SignedHeaders=host"}
	cs.expParams.Store(e)
	return e.text
}

// qparam is one query parameter of a presigned URL: key is already
// escaped; val is escaped as it is written.
type qparam struct {
	key  string
	val  string
	kind uint8
}

const (
	qPlain      = iota // val, escaped
	qCredential        // access key id + "/" + date + scope
	qDate              // the X-Amz-Date value
	qExpires           // the expiry in seconds
)

// presignRequest is one URL to sign.
type presignRequest struct {
	ep       *urlEndpoint
	key      string // the cleaned name (the endpoint's path holds the location)
	method   string // GET, HEAD, PUT or DELETE
	xid      string // the SDK's x-id value ("" for HEAD)
	expires  int64  // seconds; presign lowers it to the credentials' life
	rcd      string // response-content-disposition
	rct      string // response-content-type
	query    [][2]string
	now      time.Time // the clock
	signAt   time.Time // X-Amz-Date: now, or the start of its stable window
	windowed bool      // signAt is the start of a stable window

	// checksumMode adds X-Amz-Checksum-Mode=ENABLED, as the SDK does to
	// GetObject when the client validates response checksums.
	checksumMode bool

	// headers are more signed headers than the host, which the client
	// sends as they are: names in lower case, sorted, none "host";
	// values in canonical form (canonicalHeaderValue).
	headers [][2]string
}

// presign returns the presigned URL of r. It lowers r.expires when the
// credentials expire sooner (signingcreds.go). Within a stable window, a
// URL is signed once and then looked up (memo.go).
func (p *presigner) presign(ctx context.Context, r *presignRequest) (string, error) {
	cs, err := p.signingCredentials(ctx, r)
	if err != nil {
		return "", err
	}
	if p.memo == nil || !r.windowed || len(r.query) > 0 || len(r.headers) > 0 {
		return p.sign(r, cs), nil
	}
	key := presignKey{ep: r.ep, key: r.key, method: r.method, rcd: r.rcd, rct: r.rct, expires: r.expires}
	return p.memo.get(r.signAt.Unix(), cs, key, func() (string, error) { return p.sign(r, cs), nil })
}

// presignKey is what makes two presigned URLs of one window and one set
// of credentials differ (requests with extra query parameters are not
// memoised).
type presignKey struct {
	ep                    *urlEndpoint
	key, method, rcd, rct string
	expires               int64
}

// sign computes the presigned URL of r with the credentials cs.
func (p *presigner) sign(r *presignRequest, cs *credStrings) string {
	ss := p.secondFor(r.signAt, cs)
	sc := presignPool.Get().(*presignScratch)
	b, cr := p.canonicalRequest(sc.buf[:0], r, cs, ss)
	n := len(b)
	b = appendPadding(b, n)
	crHash := sc.sum(nil, b, n)

	// The end of the string to sign (its start is in ss.inner), and its
	// HMAC with the day's key: the inner sum, then the outer.
	sts := n
	b = append(b[:sts], ss.stsRest...)
	b = appendHex(b, &crHash)
	n = len(b) - sts
	b = appendPadding(b, ss.innerLen+n)
	in := sc.sum(ss.inner, b[sts:], n)
	b = append(b[:sts], in[:]...)
	b = appendPadding(b, sha256.BlockSize+sha256.Size)
	sig := sc.sum(ss.key.outer, b[sts:], sha256.Size)

	// The URL, after them in the buffer, then copied: one allocation.
	b = b[:sts]
	b = append(b, r.ep.origin...)
	b = append(b, b[cr.path:cr.pathEnd]...)
	b = append(b, '?')
	b = append(b, b[cr.query:cr.queryEnd]...)
	b = append(b, signatureParam...)
	b = appendHex(b, &sig)
	u := string(b[sts:])

	if cap(b) <= maxPooledBufSize {
		sc.buf = b[:0]
		presignPool.Put(sc)
	}
	return u
}

// crSpans are where the path and the query of a canonical request are in
// the buffer.
type crSpans struct{ path, pathEnd, query, queryEnd int }

// canonicalRequest appends the canonical request of r to b, which is
// empty. The URL takes its path and query from it, so they are written
// once.
func (p *presigner) canonicalRequest(b []byte, r *presignRequest, cs *credStrings, ss *secondState) ([]byte, crSpans) {
	var at crSpans
	b = append(b, r.method...)
	b = append(b, '\n')
	at.path = len(b)
	b = append(b, r.ep.path...)
	b = appendPathEscape(b, r.key)
	at.pathEnd = len(b)
	b = append(b, '\n')
	at.query = len(b)
	if len(r.query) == 0 && len(r.headers) == 0 {
		b = appendQuery(b, r, cs, ss)
	} else {
		b = p.appendSortedQuery(b, r, cs, &ss.date)
	}
	at.queryEnd = len(b)
	if len(r.headers) == 0 {
		return append(b, r.ep.tail...), at
	}
	b = append(b, '\n')
	host := false
	for _, h := range r.headers {
		if !host && h[0] > "host" {
			b, host = appendHostHeader(b, r.ep.host), true
		}
		b = append(b, h[0]...)
		b = append(b, ':')
		b = append(b, h[1]...)
		b = append(b, '\n')
	}
	if !host {
		b = appendHostHeader(b, r.ep.host)
	}
	b = append(b, '\n')
	b = appendSignedHeaders(b, r.headers)
	return append(b, "\n"+unsignedPayload...), at
}

func appendHostHeader(b []byte, host string) []byte {
	b = append(b, "host:"...)
	b = append(b, host...)
	return append(b, '\n')
}

// appendSignedHeaders appends the names of the signed headers, host
// among them in its place, separated by ";".
func appendSignedHeaders(b []byte, headers [][2]string) []byte {
	host := false
	for i, h := range headers {
		if !host && h[0] > "host" {
			b, host = append(b, "host;"...), true
		}
		b = append(b, h[0]...)
		if i < len(headers)-1 {
			b = append(b, ';')
		}
	}
	if !host {
		b = append(b, ";host"...)
	}
	return b
}

// canonicalHeaderValue is a header value as SigV4 signs it: trimmed, each
// run of spaces one space.
func canonicalHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// appendQuery appends the canonical query when there are no extra
// parameters: the parameters are known, and so is their order (escaped
// key order: upper-case "X-Amz-" before "response-" before "x-id").
func appendQuery(b []byte, r *presignRequest, cs *credStrings, ss *secondState) []byte {
	if r.checksumMode {
		b = append(b, ss.head[1]...)
	} else {
		b = append(b, ss.head[0]...)
	}
	b = append(b, cs.expiresText(r.expires)...)
	if r.rcd != "" {
		b = append(b, "&response-content-disposition="...)
		b = appendQueryEscape(b, r.rcd)
	}
	if r.rct != "" {
		b = append(b, "&response-content-type="...)
		b = appendQueryEscape(b, r.rct)
	}
	if r.xid != "" {
		b = append(b, "&x-id="...)
		b = append(b, r.xid...)
	}
	return b
}

// appendSortedQuery appends the canonical query with extra parameters:
// all of them sorted by escaped key, then value, as SigV4 requires.
func (p *presigner) appendSortedQuery(b []byte, r *presignRequest, cs *credStrings, amzDate *[16]byte) []byte {
	ps := make([]qparam, 0, 10+len(r.query))
	ps = append(ps,
		qparam{key: "X-Amz-Algorithm", val: sigAlgorithm},
		qparam{key: "X-Amz-Credential", kind: qCredential},
		qparam{key: "X-Amz-Date", kind: qDate},
		qparam{key: "X-Amz-Expires", kind: qExpires},
		qparam{key: "X-Amz-SignedHeaders", val: "host"},
	)
	if len(r.headers) > 0 {
		ps[len(ps)-1].val = string(appendSignedHeaders(nil, r.headers))
	}
	if r.checksumMode {
		ps = append(ps, qparam{key: "X-Amz-Checksum-Mode", val: "ENABLED"})
	}
	if cs.creds.SessionToken != "" {
		ps = append(ps, qparam{key: "X-Amz-Security-Token", val: cs.creds.SessionToken})
	}
	if r.rcd != "" {
		ps = append(ps, qparam{key: "response-content-disposition", val: r.rcd})
	}
	if r.rct != "" {
		ps = append(ps, qparam{key: "response-content-type", val: r.rct})
	}
	if r.xid != "" {
		ps = append(ps, qparam{key: "x-id", val: r.xid})
	}
	for _, kv := range r.query {
		ps = append(ps, qparam{key: queryEscape(kv[0]), val: kv[1]})
	}
	sortParams(ps)
	for i, q := range ps {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, q.key...)
		b = append(b, '=')
		switch q.kind {
		case qPlain:
			b = appendQueryEscape(b, q.val)
		case qCredential:
			b = append(b, cs.akEsc...)
			b = append(b, "%2F"...)
			b = append(b, amzDate[:8]...)
			b = append(b, p.scopeEsc...)
		case qDate:
			b = append(b, amzDate[:]...)
		case qExpires:
			b = strconv.AppendInt(b, r.expires, 10)
		}
	}
	return b
}

// appendHex appends sum in lower-case hex (what SigV4 signs and sends),
// four bytes at a time: four look-ups, one store.
func appendHex(b []byte, sum *[sha256.Size]byte) []byte {
	n := len(b)
	b = append(b, make([]byte, 2*sha256.Size)...)
	dst := (*[2 * sha256.Size]byte)(b[n:])
	for i := 0; i < sha256.Size; i += 4 {
		binary.LittleEndian.PutUint64(dst[2*i:], uint64(hexDigits[sum[i]])|uint64(hexDigits[sum[i+1]])<<16|
			uint64(hexDigits[sum[i+2]])<<32|uint64(hexDigits[sum[i+3]])<<48)
	}
	return b
}

// hexDigits holds the two lower-case hex digits of every byte, the first
// in the low byte.
var hexDigits = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = uint16(digits[i>>4]) | uint16(digits[i&15])<<8
	}
	return t
}()

// sortParams sorts by escaped key, then by escaped value, as SigV4's
// canonical query string requires. The slices are short: insertion sort.
func sortParams(ps []qparam) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && paramLess(ps[j], ps[j-1]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

func paramLess(a, b qparam) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	// Equal keys only come from Options.Query; the fixed parameters have
	// no duplicates, so their special kinds never reach here.
	return queryEscape(a.val) < queryEscape(b.val)
}

// appendAmzDate appends t (UTC) as YYYYMMDDTHHMMSSZ.
func appendAmzDate(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append4(b, y)
	b = append2(b, int(mo))
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append2(b, mi)
	b = append2(b, s)
	return append(b, 'Z')
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// newEndpoint splits a resolved endpoint URL into what URLs need, the way
// the SDK joins it with an object key (smithyhttp.JoinPath).
// locPrefix (the location and "/", or "") is escaped and appended to the
// path.
func newEndpoint(u *url.URL, locPrefix string) urlEndpoint {
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	p = string(appendPathEscape([]byte(p), locPrefix))
	host := signedHost(u.Scheme, u.Host)
	return urlEndpoint{origin: u.Scheme + "://" + u.Host, host: host, path: p, tail: "\nhost:" + host + "\n\nhost\n" + unsignedPayload}
}

// signedHost is the host SigV4 signs: the default port of the scheme is
// dropped, exactly as the SDK's SanitizeHostForHeader does.
func signedHost(scheme, host string) string {
	port := ""
	if i := strings.Index(host, "]:"); i >= 0 {
		port = host[i+2:]
	} else if !strings.Contains(host, "]") {
		if i := strings.IndexByte(host, ':'); i >= 0 {
			port = host[i+1:]
		}
	}
	if i := strings.IndexByte(host, ':'); i < 0 || port == "" {
		return host
	}
	s := strings.ToLower(scheme)
	if !(s == "http" && port == "80" || s == "https" && port == "443") {
		return host
	}
	// The SDK's stripPort, brackets of an IPv6 literal included.
	if i := strings.IndexByte(host, ']'); i >= 0 {
		return strings.TrimPrefix(host[:i], "[")
	}
	return host[:strings.IndexByte(host, ':')]
}
