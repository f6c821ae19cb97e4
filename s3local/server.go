package s3local

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default option values.
const (
	// DefaultDomain is the default Options.Domain.
	DefaultDomain = "localhost"
	// DefaultMinPartSize is the default Options.MinPartSize: 5 MiB, as S3.
	DefaultMinPartSize = 5 << 20
	// DefaultMaxObjectSize is the default Options.MaxObjectSize: 5 GiB, the
	// largest single PUT that S3 accepts.
	DefaultMaxObjectSize = 5 << 30
)

// Operation names, as passed to Options.Intercept. They are the names of the
// S3 API actions.
const (
	// OpCreateBucket is PUT on a bucket.
	OpCreateBucket = "CreateBucket"
	// OpDeleteBucket is DELETE on a bucket.
	OpDeleteBucket = "DeleteBucket"
	// OpHeadBucket is HEAD on a bucket.
	OpHeadBucket = "HeadBucket"
	// OpListObjectsV2 is GET on a bucket with ?list-type=2.
	OpListObjectsV2 = "ListObjectsV2"
	// OpListObjects is GET on a bucket: version 1 of the listing.
	OpListObjects = "ListObjects"
	// OpGetBucketLocation is GET on a bucket with ?location.
	OpGetBucketLocation = "GetBucketLocation"
	// OpGetBucketVersioning is GET on a bucket with ?versioning.
	OpGetBucketVersioning = "GetBucketVersioning"
	// OpListBuckets is GET on the service ("/").
	OpListBuckets = "ListBuckets"
	// OpPutObject is PUT on an object.
	OpPutObject = "PutObject"
	// OpGetObject is GET on an object.
	OpGetObject = "GetObject"
	// OpHeadObject is HEAD on an object.
	OpHeadObject = "HeadObject"
	// OpCopyObject is PUT on an object with an x-amz-copy-source header.
	OpCopyObject = "CopyObject"
	// OpGetObjectTagging is GET on an object with ?tagging.
	OpGetObjectTagging = "GetObjectTagging"
	// OpPutObjectTagging is PUT on an object with ?tagging.
	OpPutObjectTagging = "PutObjectTagging"
	// OpDeleteObjectTagging is DELETE on an object with ?tagging.
	OpDeleteObjectTagging = "DeleteObjectTagging"
	// OpDeleteObject is DELETE on an object.
	OpDeleteObject = "DeleteObject"
	// OpDeleteObjects is POST on a bucket with ?delete.
	OpDeleteObjects = "DeleteObjects"
	// OpPostObject is POST on a bucket with a form: a browser upload
	// authorized by a POST policy.
	OpPostObject = "PostObject"
	// OpCreateMultipartUpload is POST on an object with ?uploads.
	OpCreateMultipartUpload = "CreateMultipartUpload"
	// OpUploadPart is PUT on an object with ?partNumber&uploadId.
	OpUploadPart = "UploadPart"
	// OpUploadPartCopy is PUT on an object with ?partNumber&uploadId and
	// an x-amz-copy-source header.
	OpUploadPartCopy = "UploadPartCopy"
	// OpListParts is GET on an object with ?uploadId.
	OpListParts = "ListParts"
	// OpCompleteMultipartUpload is POST on an object with ?uploadId.
	OpCompleteMultipartUpload = "CompleteMultipartUpload"
	// OpAbortMultipartUpload is DELETE on an object with ?uploadId.
	OpAbortMultipartUpload = "AbortMultipartUpload"
	// OpListMultipartUploads is GET on a bucket with ?uploads.
	OpListMultipartUploads = "ListMultipartUploads"
)

// ConditionalWriteMode tells how the server treats the If-None-Match and
// If-Match headers of PutObject and CompleteMultipartUpload.
type ConditionalWriteMode int

const (
	// ConditionalWritesEnforced evaluates conditional writes as S3 does:
	// "If-None-Match: *" fails with 412 PreconditionFailed when the key
	// exists, "If-Match: <etag>" when the key is missing or has another
	// ETag. It is the default.
	ConditionalWritesEnforced ConditionalWriteMode = iota
	// ConditionalWritesIgnored ignores the headers, as an S3-compatible
	// server predating conditional writes does: the write always happens.
	ConditionalWritesIgnored
	// ConditionalWritesNotImplemented refuses writes carrying either header
	// with 501 NotImplemented, as some S3-compatible servers do.
	ConditionalWritesNotImplemented
)

// Credential is an access key that the server accepts in AWS Signature
// Version 4 signatures.
type Credential struct {
	// AccessKeyID is the access key ID, such as "AKIAIOSFODNN7EXAMPLE".
	AccessKeyID string
	// SecretAccessKey is the secret used to sign.
	SecretAccessKey string
	// SessionToken, when not empty, must be sent by requests signed with
	// this key (X-Amz-Security-Token), or they fail with 400 InvalidToken.
	SessionToken string
}

// Options configure a Server. The zero value is valid: anonymous access,
// virtual-host addressing under "localhost", S3's size limits, and
// conditional writes enforced.
type Options struct {
	// Domain is the domain under which virtual-hosted-style requests name
	// their bucket (a port, if given, is ignored): a request whose Host
	// (without port) is
	// "<bucket>.<Domain>" addresses bucket <bucket>; any other host is
	// path-style ("/<bucket>/<key>"). Default: "localhost".
	Domain string

	// Region is the region accepted in the credential scope of signatures
	// and reported by HeadBucket for buckets created without a location
	// constraint. Default: "" (any region is accepted; HeadBucket reports
	// us-east-1).
	Region string

	// Credentials are the access keys accepted. When empty (the default),
	// every request is accepted, signed or not, and signatures are not
	// checked. When not empty, every request must carry a valid AWS
	// Signature Version 4 (Authorization header, presigned URL or POST
	// policy) or Version 2 (Authorization header, or presigned URL as
	// s3cmd signurl makes them), except what the canned ACLs open to
	// anonymous requests: a public-read object may be read, a public-read
	// bucket listed, a public-read-write bucket written.
	Credentials []Credential

	// Store keeps the buckets, objects and uploads. Default: a new
	// MemoryStore. NewDiskStore returns a store that survives restarts.
	Store Store

	// AllowedOrigins are the origins (scheme://host[:port]) whose web
	// pages may call the server from a browser: CORS preflight requests
	// from them are answered, and responses to them carry
	// Access-Control-Allow-Origin and expose ETag and the x-amz-* headers.
	// An entry may end in ":*" for any port, and "*" allows every origin.
	// Default (nil): the loopback origins, http and https on any port of
	// localhost, *.localhost, 127.0.0.1 and [::1], which is what a
	// development server on the same machine needs. An empty, non-nil
	// slice allows none.
	AllowedOrigins []string

	// AllowedHosts are the host names (or IP addresses) the server
	// answers besides its defaults: the loopback names (localhost,
	// *.localhost, 127.0.0.0/8, [::1]), Domain and its subdomains, and the
	// address Listen listens on (every interface's, for 0.0.0.0 or [::]).
	// A request naming another host in its Host header fails with 421
	// Misdirected Request, and one with a malformed Host with 400: a web
	// page that rebinds its own DNS name to 127.0.0.1 cannot reach the
	// server as same-origin. An entry may be ".example.test" for a domain
	// and its subdomains, and "*" answers any name. New panics on an entry
	// that is not a host name (see NewHostPolicy).
	AllowedHosts []string

	// AllowNonLoopback lets Listen serve on an address other than a
	// loopback one (127.0.0.0/8, ::1, localhost). Default: false, so that
	// a development server is not reachable from the network by mistake.
	AllowNonLoopback bool

	// Now is the clock used for timestamps (Last-Modified, upload
	// initiation) and for signature expiry and clock-skew checks.
	// Default: time.Now.
	Now func() time.Time

	// MinPartSize is the smallest size of every part but the last of a
	// multipart upload: CompleteMultipartUpload fails with 400
	// EntityTooSmall otherwise. Default (when <= 0): 5 MiB.
	MinPartSize int64

	// MaxObjectSize is the largest body of a PutObject, UploadPart or
	// POST upload; larger ones fail with 400 EntityTooLarge, before their
	// body is read when their length is declared. Default (when <= 0):
	// 5 GiB.
	MaxObjectSize int64

	// ConditionalWrites selects how If-None-Match / If-Match are treated
	// on writes. Default: ConditionalWritesEnforced.
	ConditionalWrites ConditionalWriteMode

	// Lacks lists S3 features the server refuses, answering as the
	// S3-compatible services without them do (see Feature), so that a
	// client can be tested against "an R2" or "a B2" in-process. Default:
	// none. New panics on a Feature it does not know.
	Lacks []Feature

	// Ignores lists S3 features the server accepts without honouring
	// them (FeatureChecksums, FeatureACL, FeatureEncodingType): the
	// dangerous kind of lack, where the client is not told. Default: none.
	// New panics on a Feature that cannot be ignored.
	Ignores []Feature

	// AutoCreateBucket makes any request on a missing bucket (other than
	// DeleteBucket) create it first, instead of failing with 404
	// NoSuchBucket. Default: false.
	AutoCreateBucket bool

	// Intercept, when not nil, is called for every request once it is
	// routed and authenticated, with the operation name (one of the Op
	// constants, such as "PutObject" or "UploadPart") and the request. A
	// non-nil result is written instead of running the operation (see
	// Error and Disconnect). The request body must not be read by
	// Intercept. It may be called concurrently.
	Intercept func(op string, r *http.Request) *Error

	// Logf, when not nil, receives one line per request (operation,
	// method, path and status), and the text of the internal errors that
	// clients see only as 500 InternalError.
	Logf func(format string, args ...any)
}

// Server is an S3-compatible server. It is an http.Handler; create it
// with New, or with Start, which also listens on loopback. All its
// methods are safe for concurrent use.
type Server struct {
	opts      Options
	idx       *index
	cors      corsPolicy
	domain    string
	minPart   int64
	maxObject int64
	now       func() time.Time
	reqSeq    atomic.Uint64
	hostID    string
	feats     features // Options.Lacks and Options.Ignores
	hosts     atomic.Pointer[HostPolicy]

	lmu sync.Mutex // guards what Listen starts
	hs  *http.Server
	url string
}

// New returns a Server configured by opts. It creates no bucket: the
// store may have some already. It panics when opts.Lacks or opts.Ignores
// names a feature it cannot turn off, or when opts.AllowedHosts holds an
// entry that is not a host name (Start returns an error instead).
func New(opts Options) *Server {
	s := &Server{
		opts:      opts,
		feats:     newFeatures(opts.Lacks, opts.Ignores),
		cors:      newCORSPolicy(opts.AllowedOrigins),
		domain:    strings.ToLower(strings.TrimPrefix(opts.Domain, ".")),
		minPart:   opts.MinPartSize,
		maxObject: opts.MaxObjectSize,
		now:       opts.Now,
		hostID:    randomHex(16),
	}
	if opts.Store == nil {
		opts.Store = NewMemoryStore()
	}
	s.idx = opts.Store.storeIndex()
	if s.feats.lacks[FeatureCORS] {
		s.cors = corsPolicy{disabled: true}
	}
	if h, _, err := net.SplitHostPort(s.domain); err == nil {
		s.domain = h
	}
	if s.domain == "" {
		s.domain = DefaultDomain
	}
	s.hosts.Store(newServerHosts(s.domain, opts.AllowedHosts))
	if s.minPart <= 0 {
		s.minPart = DefaultMinPartSize
	}
	if s.maxObject <= 0 {
		s.maxObject = DefaultMaxObjectSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// reqCtx carries one request through the server.
type reqCtx struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	q      url.Values
	id     string
	op     string
	bucket string
	key    string
	auth   *authInfo
	status int
}

// ServeHTTP routes an S3 request, authenticates it and runs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := &reqCtx{s: s, w: w, r: r, id: s.requestID()}
	h := w.Header()
	h.Set("X-Amz-Request-Id", rc.id)
	h.Set("X-Amz-Id-2", s.hostID)
	h.Set("Server", "AmazonS3")
	h.Set("Date", httpTime(s.now())) // the server's clock, which clients compare with theirs
	defer func() {
		s.logf("s3local: %s %s %s %d", rc.op, r.Method, r.URL.RequestURI(), rc.status)
	}()
	if n := headerSize(r); n > maxHeaderSection {
		rc.fail(newError("RequestHeaderSectionTooLarge", "").with("MaxSizeAllowed", itoa(maxHeaderSection)))
		return
	}
	if e := s.checkHost(r); e != nil {
		rc.fail(e)
		return
	}
	if s.cors.handle(rc) {
		return // a preflight request, answered
	}
	rc.q = r.URL.Query()
	rc.bucket, rc.key = s.resolve(r)
	op, routeErr := route(r.Method, rc.bucket, rc.key, rc.q, r.Header)
	rc.op = op
	var err *Error
	if rc.auth, err = s.authenticate(rc); err != nil {
		rc.fail(err)
		return
	}
	if err := s.authorize(rc); err != nil {
		rc.fail(err)
		return
	}
	if routeErr != nil {
		rc.fail(routeErr)
		return
	}
	if e := s.feats.refuse(rc); e != nil {
		rc.fail(e)
		return
	}
	s.feats.ignore(rc)
	if s.opts.Intercept != nil {
		if e := s.opts.Intercept(op, r); e != nil {
			if e.Disconnect == nil {
				rc.fail(e)
				return
			}
			if !e.Disconnect.Respond {
				rc.hangUp(e.Disconnect.AfterRequestBytes)
				return
			}
			rc.w = &cutWriter{ResponseWriter: w, left: e.Disconnect.AfterResponseBytes}
		}
	}
	if e := s.handle(rc); e != nil {
		rc.fail(e)
	}
}

// maxHeaderSection is S3's limit on the request line and headers of a
// request: 8 KiB. It bounds what an object stores of its request's
// headers (Content-Type, Cache-Control, ...), besides the 2 KiB of user
// metadata.
const maxHeaderSection = 8 << 10

// maxHeaderRead is how much of the headers a server started by Listen
// reads: the 8 KiB S3 allows, and room for cookies.
const maxHeaderRead = 64 << 10

// headerSize returns the size of the request line and headers of r, as
// the client sent them, cookies aside: a browser sends this loopback
// server the cookies of every development server on localhost, which S3,
// on its own domain, never gets, and which nothing stores.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(" HTTP/1.1\r\nHost: \r\n") + len(r.Host)
	for name, vs := range r.Header {
		if name == "Cookie" {
			continue
		}
		for _, v := range vs {
			n += len(name) + len(": \r\n") + len(v)
		}
	}
	return n
}

// handlers run the operations.
var handlers = map[string]func(*Server, *reqCtx) *Error{
	OpListBuckets:             (*Server).listBuckets,
	OpCreateBucket:            (*Server).createBucket,
	OpDeleteBucket:            (*Server).deleteBucket,
	OpHeadBucket:              (*Server).headBucket,
	OpGetBucketLocation:       (*Server).getBucketLocation,
	OpGetBucketVersioning:     (*Server).getBucketVersioning,
	OpListObjects:             (*Server).listObjectsV1,
	OpListObjectsV2:           (*Server).listObjectsV2,
	OpPutObject:               (*Server).putObject,
	OpCopyObject:              (*Server).copyObject,
	OpGetObject:               (*Server).getObject,
	OpHeadObject:              (*Server).getObject,
	OpDeleteObject:            (*Server).deleteObject,
	OpDeleteObjects:           (*Server).deleteObjects,
	OpPostObject:              (*Server).postObject,
	OpCreateMultipartUpload:   (*Server).createMultipartUpload,
	OpUploadPart:              (*Server).uploadPart,
	OpUploadPartCopy:          (*Server).uploadPartCopy,
	OpListParts:               (*Server).listParts,
	OpGetObjectTagging:        (*Server).getObjectTagging,
	OpPutObjectTagging:        (*Server).putObjectTagging,
	OpDeleteObjectTagging:     (*Server).deleteObjectTagging,
	OpCompleteMultipartUpload: (*Server).completeMultipartUpload,
	OpAbortMultipartUpload:    (*Server).abortMultipartUpload,
	OpListMultipartUploads:    (*Server).listMultipartUploads,
}

// handle runs the operation of rc.
func (s *Server) handle(rc *reqCtx) *Error {
	if h := handlers[rc.op]; h != nil {
		return h(s, rc)
	}
	return notImplemented(rc.op)
}

// resolve returns the bucket and key a request addresses: virtual-hosted
// style when the host is "<bucket>.<domain>", path style otherwise.
func (s *Server) resolve(r *http.Request) (bucket, key string) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := r.URL.Path
	if b, ok := strings.CutSuffix(host, "."+s.domain); ok && b != "" && !s.feats.lacks[FeatureVirtualHost] {
		return b, strings.TrimPrefix(path, "/")
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// What a request addresses.
const (
	onService = iota // "/"
	onBucket
	onObject
)

// routes name the operations: a request runs the first whose method,
// target and query match, where query is a parameter the request must
// carry ("uploads"), or a parameter and its value ("list-type=2"), and
// copy requires an x-amz-copy-source header. The routes with a query come
// first, then the sub-resources left out (unsupported), then the others.
// Other query parameters (the SDK's "x-id", say) are ignored, as S3 does.
var routes = []struct {
	method string
	on     int
	query  string
	copy   bool
	op     string
}{
	{http.MethodGet, onService, "", false, OpListBuckets},
	{http.MethodGet, onBucket, "uploads", false, OpListMultipartUploads},
	{http.MethodGet, onBucket, "location", false, OpGetBucketLocation},
	{http.MethodGet, onBucket, "versioning", false, OpGetBucketVersioning},
	{http.MethodGet, onBucket, "list-type=2", false, OpListObjectsV2},
	{http.MethodGet, onBucket, "", false, OpListObjects},
	{http.MethodHead, onBucket, "", false, OpHeadBucket},
	{http.MethodPut, onBucket, "", false, OpCreateBucket},
	{http.MethodDelete, onBucket, "", false, OpDeleteBucket},
	{http.MethodPost, onBucket, "delete", false, OpDeleteObjects},
	{http.MethodPost, onBucket, "", false, OpPostObject},
	{http.MethodGet, onObject, "tagging", false, OpGetObjectTagging},
	{http.MethodPut, onObject, "tagging", false, OpPutObjectTagging},
	{http.MethodDelete, onObject, "tagging", false, OpDeleteObjectTagging},
	{http.MethodGet, onObject, "uploadId", false, OpListParts},
	{http.MethodGet, onObject, "", false, OpGetObject},
	{http.MethodHead, onObject, "", false, OpHeadObject},
	{http.MethodPut, onObject, "uploadId", true, OpUploadPartCopy},
	{http.MethodPut, onObject, "partNumber", true, OpUploadPartCopy},
	{http.MethodPut, onObject, "uploadId", false, OpUploadPart},
	{http.MethodPut, onObject, "partNumber", false, OpUploadPart},
	{http.MethodPut, onObject, "", true, OpCopyObject},
	{http.MethodPut, onObject, "", false, OpPutObject},
	{http.MethodPost, onObject, "uploads", false, OpCreateMultipartUpload},
	{http.MethodPost, onObject, "uploadId", false, OpCompleteMultipartUpload},
	{http.MethodDelete, onObject, "uploadId", false, OpAbortMultipartUpload},
	{http.MethodDelete, onObject, "", false, OpDeleteObject},
}

// unsupported are the S3 sub-resources this server leaves out, with the
// operations they name on a bucket and on an object ("{}" stands for Get,
// Put, Delete or Post, after the method; "" is an operation routes has,
// or none).
var unsupported = map[string][2]string{
	"accelerate":            {"{}BucketAccelerateConfiguration"},
	"acl":                   {"{}BucketAcl", "{}ObjectAcl"},
	"analytics":             {"{}BucketAnalyticsConfiguration"},
	"attributes":            {"", "GetObjectAttributes"},
	"cors":                  {"{}BucketCors"},
	"encryption":            {"{}BucketEncryption"},
	"intelligent-tiering":   {"{}BucketIntelligentTieringConfiguration"},
	"inventory":             {"{}BucketInventoryConfiguration"},
	"legal-hold":            {"", "{}ObjectLegalHold"},
	"lifecycle":             {"{}BucketLifecycleConfiguration"},
	"logging":               {"{}BucketLogging"},
	"metadataConfiguration": {"{}BucketMetadataConfiguration"},
	"metadataTable":         {"{}BucketMetadataTableConfiguration"},
	"metrics":               {"{}BucketMetricsConfiguration"},
	"notification":          {"{}BucketNotificationConfiguration"},
	"object-lock":           {"{}ObjectLockConfiguration"},
	"ownershipControls":     {"{}BucketOwnershipControls"},
	"policy":                {"{}BucketPolicy"},
	"policyStatus":          {"GetBucketPolicyStatus"},
	"publicAccessBlock":     {"{}PublicAccessBlock"},
	"renameObject":          {"", "RenameObject"},
	"replication":           {"{}BucketReplication"},
	"requestPayment":        {"{}BucketRequestPayment"},
	"restore":               {"", "RestoreObject"},
	"retention":             {"", "{}ObjectRetention"},
	"select":                {"", "SelectObjectContent"},
	"session":               {"CreateSession"},
	"tagging":               {"{}BucketTagging", ""},
	"torrent":               {"", "GetObjectTorrent"},
	"versioning":            {"{}BucketVersioning"},
	"versions":              {"ListObjectVersions"},
	"website":               {"{}BucketWebsite"},
}

// unsupportedNames are the keys of unsupported, sorted: a request naming
// several (?acl&policy) is told of the same one every time.
var unsupportedNames = slices.Sorted(maps.Keys(unsupported))

// route returns the operation a request names, or 405 MethodNotAllowed,
// or 501 NotImplemented for the operations this server leaves out (see
// the package doc).
func route(method, bucket, key string, q url.Values, h http.Header) (string, *Error) {
	on := onObject
	switch {
	case bucket == "":
		on = onService
	case key == "":
		on = onBucket
	}
	copy := h.Get("X-Amz-Copy-Source") != ""
	known := false
	match := func(subresource bool) string {
		for _, r := range routes {
			known = known || r.method == method
			if r.method == method && r.on == on && (r.query != "") == subresource && (!r.copy || copy) && hasQuery(q, r.query) {
				return r.op
			}
		}
		return ""
	}
	if op := match(true); op != "" {
		return op, nil
	}
	for _, sub := range unsupportedNames {
		if ops := unsupported[sub]; on != onService && q.Has(sub) && ops[on-onBucket] != "" {
			verb := strings.ToUpper(method[:1]) + strings.ToLower(method[1:])
			return "", notImplemented(strings.ReplaceAll(ops[on-onBucket], "{}", verb))
		}
	}
	if op := match(false); op != "" {
		return op, nil
	}
	if known && on != onService {
		return "", notImplemented(method + " on " + resourceType(bucket, key))
	}
	return "", newError("MethodNotAllowed", "").with("Method", method).with("ResourceType", resourceType(bucket, key))
}

// hasQuery reports whether q carries the parameter of a route: "name" or
// "name=value"; "" always matches.
func hasQuery(q url.Values, param string) bool {
	name, value, withValue := strings.Cut(param, "=")
	return param == "" || withValue && q.Get(name) == value || !withValue && q.Has(name)
}

// notImplemented is the answer to an operation this server leaves out.
func notImplemented(op string) *Error {
	if op == "" {
		return newError("NotImplemented", "")
	}
	return newError("NotImplemented", op+" is not implemented by s3local")
}

func resourceType(bucket, key string) string {
	switch {
	case bucket == "":
		return "SERVICE"
	case key == "":
		return "BUCKET"
	}
	return "OBJECT"
}

// authorize refuses anonymous requests when credentials are configured,
// unless the canned ACLs let anyone do what they ask: read a public-read
// object (decided by getObject, which knows the object), list a
// public-read bucket, write in a public-read-write one. A POST upload is
// authorized by its policy, in postObject. As with S3, an ACL grants no
// access to tags: READ is GetObject, WRITE is PutObject and DeleteObject.
func (s *Server) authorize(rc *reqCtx) *Error {
	if !rc.anonymousRefused() {
		return nil
	}
	switch rc.op {
	case OpGetObject, OpHeadObject, OpPostObject:
		return nil
	case OpListObjectsV2, OpListObjects, OpHeadBucket, OpGetBucketLocation, OpGetBucketVersioning:
		if s.bucketPublic(rc.bucket, false) {
			return nil
		}
	case OpPutObject, OpCopyObject, OpDeleteObject, OpDeleteObjects, OpCreateMultipartUpload, OpUploadPart,
		OpUploadPartCopy, OpListParts, OpCompleteMultipartUpload, OpAbortMultipartUpload:
		if s.bucketPublic(rc.bucket, true) {
			return nil
		}
	}
	return newError("AccessDenied", "")
}

// anonymousRefused reports whether rc is unsigned while the server
// checks signatures: what it may do is then up to the ACLs.
func (rc *reqCtx) anonymousRefused() bool {
	return rc.auth != nil && rc.auth.anonymous && len(rc.s.opts.Credentials) > 0
}

// logf writes a line to Options.Logf, if set.
func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// requestID returns a new request ID.
func (s *Server) requestID() string {
	return strings.ToUpper(strconv.FormatUint(0x1000000000000000|s.reqSeq.Add(1), 16))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fail writes e as the response.
func (rc *reqCtx) fail(e *Error) {
	rc.drainBody()
	status := e.Status()
	rc.status = status
	h := rc.w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	if rc.r.Method == http.MethodHead {
		rc.w.WriteHeader(status)
		return
	}
	resource := rc.r.URL.Path
	body := e.xmlBody(resource, rc.id, rc.s.hostID)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rc.w.WriteHeader(status)
	rc.w.Write(body)
}

// maxDrain bounds how much of an unread request body is discarded before an
// error response.
const maxDrain = 64 << 20

// drainBody discards the rest of the request body before an error response,
// so that a client still sending it reads the response instead of seeing a
// reset connection. This matters for aws-sdk-go-v2: it sends
// "Expect: 100-continue" on large PUTs but, its http.Request having no
// protocol version set, net/http does not wait for the 100 Continue and
// sends the body at once. Bodies declared larger than maxDrain are left
// unread (the connection is then closed).
func (rc *reqCtx) drainBody() {
	if rc.r.Body == nil || rc.r.ContentLength > maxDrain {
		return
	}
	io.CopyN(io.Discard, rc.r.Body, maxDrain)
}

// hangUp reads n bytes of the request body then closes the connection
// without a response.
func (rc *reqCtx) hangUp(n int64) {
	rc.status = -1
	if n > 0 && rc.r.Body != nil {
		io.CopyN(io.Discard, rc.r.Body, n)
	}
	conn, _, err := http.NewResponseController(rc.w).Hijack()
	if err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// cutWriter passes through a limited number of body bytes, then aborts the
// response, closing the connection.
type cutWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= c.left {
		c.left -= int64(len(p))
		return c.ResponseWriter.Write(p)
	}
	c.ResponseWriter.Write(p[:c.left])
	http.NewResponseController(c.ResponseWriter).Flush()
	panic(http.ErrAbortHandler)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *cutWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// writeXML writes v as an XML response with status 200.
func (rc *reqCtx) writeXML(v any) *Error {
	return rc.writeXMLStatus(http.StatusOK, v)
}

// writeXMLStatus writes v as an XML response with status.
func (rc *reqCtx) writeXMLStatus(status int, v any) *Error {
	out, err := xml.Marshal(v)
	if err != nil {
		return newError("InternalError", err.Error())
	}
	body := append([]byte(xmlHeader), out...)
	h := rc.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rc.status = status
	rc.w.WriteHeader(status)
	rc.w.Write(body)
	return nil
}

// writeStatus writes an empty response.
func (rc *reqCtx) writeStatus(status int) *Error {
	rc.status = status
	if status != http.StatusNoContent && status != http.StatusNotModified {
		rc.w.Header().Set("Content-Length", "0")
	}
	rc.w.WriteHeader(status)
	return nil
}

func xmlEscape(b *strings.Builder, s string) {
	xml.EscapeText(b, []byte(s))
}

// xmlTime formats t as S3 does in XML documents.
func xmlTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// httpTime formats t as an HTTP date.
func httpTime(t time.Time) string {
	return t.UTC().Format(http.TimeFormat)
}
