package s3local

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	maxClockSkew    = 15 * time.Minute
	maxPresignedTTL = 7 * 24 * 60 * 60 // seconds

	unsignedPayload      = "UNSIGNED-PAYLOAD"
	streamingSigned      = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrail = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	emptySHA256          = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// authInfo is what authentication learned about a request.
type authInfo struct {
	// anonymous is true for an unsigned request (no Authorization, no
	// presigned query), whether or not the server checks signatures.
	anonymous bool
	presigned bool
	accessKey string
	// signingKey, seed, amzDate and scope allow verifying the chunk
	// signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD bodies.
	signingKey []byte
	seed       string
	amzDate    string
	scope      string
}

// authenticate checks the request's signature when credentials are
// configured. An unsigned request is anonymous, whatever the
// configuration.
func (s *Server) authenticate(rc *reqCtx) (*authInfo, *Error) {
	authz := rc.r.Header.Get("Authorization")
	presigned := rc.q.Has("X-Amz-Algorithm") || rc.q.Has("X-Amz-Credential") || rc.q.Has("X-Amz-Signature")
	var sr *sigRequest
	var err *Error
	v2 := isV2(authz, rc.q)
	switch {
	case len(s.opts.Credentials) == 0 || rc.op == OpPostObject && authz == "" && !presigned && !v2:
		// Signatures are not checked, or a POST upload is signed by its
		// policy. A query-string signature still makes the request a
		// presigned one, which a server lacking them refuses.
		return &authInfo{anonymous: authz == "" && !presigned && !v2, presigned: presigned || v2 && authz == ""}, nil
	case v2 && !presigned:
		if strings.HasPrefix(authz, "AWS ") {
			return s.verifyV2(rc, authz)
		}
		return s.verifyV2(rc, "")
	case authz != "" && presigned:
		return nil, newError("InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified").
			with("ArgumentName", "Authorization").with("ArgumentValue", authz)
	case authz != "":
		sr, err = parseAuthHeader(rc.r, authz)
	case presigned:
		sr, err = parsePresigned(rc.q)
	case rc.q.Has("Signature") || rc.q.Has("AWSAccessKeyId"):
		return nil, newError("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	default:
		return &authInfo{anonymous: true}, nil // refused by authorize unless an ACL allows it
	}
	if err != nil {
		return nil, err
	}
	return s.verify(rc, sr)
}

// credential finds an access key.
func (s *Server) credential(id string) *Credential {
	for i := range s.opts.Credentials {
		if s.opts.Credentials[i].AccessKeyID == id {
			return &s.opts.Credentials[i]
		}
	}
	return nil
}

// scope is a parsed credential scope "AK/date/region/service/aws4_request".
type scope struct {
	accessKey, date, region, service string
}

func parseCredential(v string) (scope, bool) {
	p := strings.Split(v, "/")
	if len(p) != 5 || p[4] != "aws4_request" || p[0] == "" {
		return scope{}, false
	}
	return scope{p[0], p[1], p[2], p[3]}, true
}

func (c scope) String() string {
	return c.date + "/" + c.region + "/" + c.service + "/aws4_request"
}

func malformedAuth(msg string) *Error {
	return newError("AuthorizationHeaderMalformed", "The authorization header is malformed; "+msg)
}

// sigRequest is what the SigV4 signature of a request states, from its
// Authorization header or its query (a presigned URL).
type sigRequest struct {
	presigned     bool
	scope         scope
	amzDate       string
	t             time.Time // amzDate
	ttl           int64     // X-Amz-Expires of a presigned URL, in seconds
	signedHeaders string
	signature     string
	payload       string // the hash of the payload, or one of the keywords
	token         string
}

// parseAuthHeader reads an Authorization header:
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthHeader(r *http.Request, authz string) (*sigRequest, *Error) {
	alg, rest, _ := strings.Cut(authz, " ")
	switch {
	case alg == "AWS":
		return nil, newError("InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	case alg != sigAlgorithm:
		return nil, malformedAuth("the authorization header requires AWS4-HMAC-SHA256.")
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok {
			fields[k] = v
		}
	}
	sr := &sigRequest{signedHeaders: fields["SignedHeaders"], signature: fields["Signature"],
		payload: r.Header.Get("X-Amz-Content-Sha256"), token: r.Header.Get("X-Amz-Security-Token")}
	if fields["Credential"] == "" || sr.signedHeaders == "" || sr.signature == "" {
		return nil, malformedAuth("the authorization header requires Credential, SignedHeaders and Signature.")
	}
	var ok bool
	if sr.scope, ok = parseCredential(fields["Credential"]); !ok {
		return nil, malformedAuth("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	var err error
	if sr.amzDate = r.Header.Get("X-Amz-Date"); sr.amzDate != "" {
		sr.t, err = time.Parse(amzDateFormat, sr.amzDate)
	} else if d := r.Header.Get("Date"); d != "" {
		sr.t, err = http.ParseTime(d)
		sr.amzDate = sr.t.UTC().Format(amzDateFormat)
	}
	if sr.amzDate == "" || err != nil {
		return nil, badDate()
	}
	if sr.payload == "" {
		return nil, newError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	}
	return sr, nil
}

// parsePresigned reads the X-Amz-* query parameters of a presigned URL.
func parsePresigned(q url.Values) (*sigRequest, *Error) {
	queryErr := func(msg string) *Error { return newError("AuthorizationQueryParametersError", msg) }
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return nil, queryErr("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	sr := &sigRequest{presigned: true, amzDate: q.Get("X-Amz-Date"), signedHeaders: q.Get("X-Amz-SignedHeaders"),
		signature: q.Get("X-Amz-Signature"), payload: q.Get("X-Amz-Content-Sha256"), token: q.Get("X-Amz-Security-Token")}
	expires := q.Get("X-Amz-Expires")
	if q.Get("X-Amz-Credential") == "" || sr.amzDate == "" || expires == "" || sr.signedHeaders == "" || sr.signature == "" {
		return nil, queryErr("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	var ok bool
	if sr.scope, ok = parseCredential(q.Get("X-Amz-Credential")); !ok {
		return nil, queryErr("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	var err error
	if sr.t, err = time.Parse(amzDateFormat, sr.amzDate); err != nil {
		return nil, queryErr("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	switch sr.ttl, err = strconv.ParseInt(expires, 10, 64); {
	case err != nil:
		return nil, queryErr("X-Amz-Expires should be a number")
	case sr.ttl < 0:
		return nil, queryErr("X-Amz-Expires must be non-negative")
	case sr.ttl > maxPresignedTTL:
		return nil, queryErr("X-Amz-Expires must be less than a week (in seconds) that is; the maximum expires is 604800 seconds")
	}
	if sr.payload == "" {
		sr.payload = unsignedPayload
	}
	return sr, nil
}

// verify checks what a signature states, then the signature itself.
func (s *Server) verify(rc *reqCtx, sr *sigRequest) (*authInfo, *Error) {
	c, e := s.knownCredential(sr.scope.accessKey)
	if e != nil {
		return nil, e
	}
	for _, check := range []func() *Error{
		func() *Error { return s.checkTime(sr) },
		func() *Error { return s.checkScope(sr.scope, sr.amzDate) },
		func() *Error { return sr.checkSignedHeaders(rc.r.Header) },
		func() *Error { return checkToken(c, sr.token) },
	} {
		if e := check(); e != nil {
			return nil, e
		}
	}
	skip := ""
	if sr.presigned {
		skip = "X-Amz-Signature"
	}
	canonical := canonicalRequest(rc.r, rawQuery(rc.r), skip, sr.signedHeaders, sr.payload)
	key := signingKey(c.SecretAccessKey, sr.scope)
	sts := stringToSign(sr.amzDate, sr.scope, canonical)
	if want := hex.EncodeToString(hmacSHA256(key, sts)); !hmac.Equal([]byte(want), []byte(sr.signature)) {
		return nil, sigMismatch(sr.scope.accessKey, sts, sr.signature, canonical)
	}
	return &authInfo{presigned: sr.presigned, accessKey: sr.scope.accessKey, signingKey: key, seed: sr.signature,
		amzDate: sr.amzDate, scope: sr.scope.String()}, nil
}

// checkTime refuses a signature made more than 15 minutes from now, or a
// presigned URL that is not valid yet or any more.
func (s *Server) checkTime(sr *sigRequest) *Error {
	now := s.now()
	switch d := now.Sub(sr.t); {
	case !sr.presigned && (d > maxClockSkew || d < -maxClockSkew):
		return tooSkewed(sr.amzDate, now)
	case sr.presigned && -d > maxClockSkew:
		return newError("AccessDenied", "Request is not valid yet")
	}
	if exp := sr.t.Add(time.Duration(sr.ttl) * time.Second); sr.presigned && now.After(exp) {
		return newError("AccessDenied", "Request has expired").
			with("X-Amz-Expires", strconv.FormatInt(sr.ttl, 10)).
			with("Expires", exp.UTC().Format(time.RFC3339)).
			with("ServerTime", now.UTC().Format(time.RFC3339))
	}
	return nil
}

// presignedUnsigned are the x-amz-* headers a presigned request may send
// unsigned: the payload hash (not part of a presigned signature), the
// SigV4 parameters that some clients echo as headers, and the SSE-C key
// headers, which S3 wants sent, unsigned, with a presigned URL.
var presignedUnsigned = map[string]bool{
	"x-amz-content-sha256": true, "x-amz-algorithm": true, "x-amz-credential": true, "x-amz-date": true,
	"x-amz-expires": true, "x-amz-signedheaders": true, "x-amz-signature": true,
	"x-amz-server-side-encryption-customer-key": true, "x-amz-server-side-encryption-customer-key-md5": true,
	"x-amz-copy-source-server-side-encryption-customer-key":     true,
	"x-amz-copy-source-server-side-encryption-customer-key-md5": true,
}

// checkSignedHeaders refuses a signature that leaves out the host or an
// x-amz-* header of the request, as S3 does: a header added after
// signing (an ACL, metadata, tags, a storage class, a redirect) would
// otherwise change what the signer allowed. Content-Type and Content-MD5
// may go unsigned, as with S3.
func (sr *sigRequest) checkSignedHeaders(h http.Header) *Error {
	signed := map[string]bool{}
	for _, name := range strings.Split(sr.signedHeaders, ";") {
		signed[name] = true
	}
	var missing []string
	if !signed["host"] {
		missing = append(missing, "host")
	}
	for name := range h {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && !signed[lower] && !(sr.presigned && presignedUnsigned[lower]) {
			missing = append(missing, lower)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return newError("AccessDenied", "There were headers present in the request which were not signed").
		with("HeadersNotSigned", strings.Join(missing, ", "))
}

// checkScope verifies the date, region and service of a credential scope.
func (s *Server) checkScope(sc scope, amzDate string) *Error {
	if sc.date != amzDate[:8] {
		return malformedAuth("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	if s.opts.Region != "" && sc.region != s.opts.Region {
		return malformedAuth("the region '"+sc.region+"' is wrong; expecting '"+s.opts.Region+"'").with("Region", s.opts.Region)
	}
	if sc.service != "s3" {
		return malformedAuth("incorrect service \"" + sc.service + "\". This endpoint belongs to \"s3\".")
	}
	return nil
}

// knownCredential returns the credential of an access key, or 403
// InvalidAccessKeyId.
func (s *Server) knownCredential(accessKey string) (*Credential, *Error) {
	if c := s.credential(accessKey); c != nil {
		return c, nil
	}
	return nil, newError("InvalidAccessKeyId", "").with("AWSAccessKeyId", accessKey)
}

// tooSkewed is the answer to a signature dated requestTime, more than 15
// minutes from now.
func tooSkewed(requestTime string, now time.Time) *Error {
	return newError("RequestTimeTooSkewed", "").
		with("RequestTime", requestTime).with("ServerTime", now.UTC().Format(time.RFC3339)).
		with("MaxAllowedSkewMilliseconds", strconv.FormatInt(maxClockSkew.Milliseconds(), 10))
}

// badDate is the answer to a header-signed request without a date.
func badDate() *Error {
	return newError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
}

func checkToken(c *Credential, token string) *Error {
	if c.SessionToken != "" && token != c.SessionToken {
		return newError("InvalidToken", "")
	}
	return nil
}

func sigMismatch(accessKey, sts, signature, canonical string) *Error {
	return newError("SignatureDoesNotMatch", "").
		with("AWSAccessKeyId", accessKey).
		with("StringToSign", sts).
		with("SignatureProvided", signature).
		with("CanonicalRequest", canonical)
}

// rawQuery returns the query string as the client sent it.
func rawQuery(r *http.Request) string {
	if _, q, ok := strings.Cut(r.RequestURI, "?"); ok {
		return q
	}
	return r.URL.RawQuery
}

// rawPath returns the path as the client sent it.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || p[0] != '/' {
		// Absolute form or missing RequestURI (handler called directly).
		p = r.URL.EscapedPath()
	}
	return p
}

// canonicalRequest builds the SigV4 canonical request of r, leaving the
// query parameter named skip out.
func canonicalRequest(r *http.Request, query, skip, signedHeaders, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(rawPath(r)))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, skip))
	b.WriteByte('\n')
	for _, name := range strings.Split(signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// canonicalURI decodes the path once and encodes it again as S3 does: each
// segment URI-encoded once, slashes kept, no normalisation.
func canonicalURI(raw string) string {
	if raw == "" {
		return "/"
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		dec = raw
	}
	return uriEncode(dec, false)
}

// canonicalQuery sorts and encodes query parameters as SigV4 requires.
func canonicalQuery(raw, skip string) string {
	type kv struct{ k, v string }
	var pairs []kv
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if k == skip {
			continue
		}
		pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaderValue returns the trimmed, space-collapsed, comma-joined
// values of header name.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.TransferEncoding
	default:
		vals = r.Header.Values(name)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// uriEncode percent-encodes every byte but the unreserved characters
// A-Z a-z 0-9 - . _ ~ (and '/' unless encodeSlash), as SigV4 specifies.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func stringToSign(amzDate string, sc scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return sigAlgorithm + "\n" + amzDate + "\n" + sc.String() + "\n" + hex.EncodeToString(sum[:])
}

func signingKey(secret string, sc scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), sc.date)
	k = hmacSHA256(k, sc.region)
	k = hmacSHA256(k, sc.service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// isHexSHA256 reports whether v is a hex SHA-256 digest.
func isHexSHA256(v string) bool {
	if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}
