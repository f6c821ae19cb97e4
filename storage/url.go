package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// URLOptions adjusts one URL. A nil *URLOptions is the zero value.
type URLOptions struct {
	// Expire is how long a signed URL stays valid. Default: the
	// storage's QuerystringExpire. At least one second, at most 7 days;
	// a negative value is an error.
	Expire time.Duration

	// Method is the HTTP method a presigned URL is for: GET, HEAD, PUT or
	// DELETE. Default: GET. Unsigned URLs work for any method the server
	// allows; the method is only checked.
	Method string

	// ResponseContentDisposition and ResponseContentType ask S3 to answer
	// with these headers (response-content-disposition and
	// response-content-type). They are added to presigned S3 URLs and to
	// custom-domain URLs (a CDN forwards them when its policy says so),
	// not to public S3 URLs, which S3 refuses with them. GET and HEAD only.
	ResponseContentDisposition string
	ResponseContentType        string

	// Query holds extra query parameters, kept in the order given, except
	// in presigned S3 URLs, where SigV4 sorts them. Names starting with
	// "X-Amz-" are refused.
	Query [][2]string
}

// URL returns the URL of name, following the reference's rules:
//
//   - with CustomDomain: url_protocol//custom_domain/key, the key escaped
//     like Django's filepath_to_uri; signed by CloudFront (canned policy)
//     when QuerystringAuth is on and a CloudFront signer is configured;
//     SigV4-presigned for that domain when PresignCustomDomain is on and
//     no CloudFront signer is;
//   - otherwise, with QuerystringAuth: a SigV4 presigned URL for the S3
//     endpoint of the bucket, as s3.PresignClient would make it;
//   - otherwise the plain object URL, which needs no credentials.
//
// name is cleaned as Save cleans it: a hostile name is ErrInvalidName.
// As in the reference, the empty name is the storage's base URL
// ("https://cdn.example.com/media/") and a name ending in "/" a
// directory's, ending in "/" too; presigned, that is a URL for the key
// "media/" (the empty key of a storage without location has none:
// ErrInvalidName, as boto3 refuses it). Save refuses such names.
//
// A presigned URL never outlives the credentials that sign it: when they
// would expire before the URL, they are refreshed first if the storage
// caches them, and X-Amz-Expires is lowered to what is left of their life
// when they still expire first (see URLWithExpiry). With URLStableWindow,
// calls within one window give the same URL.
// URL makes no network call (except, when they expire, to refresh the
// credentials that sign).
func (s *Storage) URL(ctx context.Context, name string, opts *URLOptions) (string, error) {
	u, _, err := s.URLWithExpiry(ctx, name, opts)
	return u, err
}

// URLWithExpiry is URL, and also returns when the URL stops working: the
// time it is signed at (the start of its stable window, see
// URLStableWindow) plus its X-Amz-Expires for a presigned URL — shorter
// than asked when the credentials that sign it expire sooner —, the
// policy's expiry for a CloudFront URL, and the zero Time for an unsigned
// URL, which does not expire. The web layers bound how long a browser may
// cache a redirect to it by this time.
func (s *Storage) URLWithExpiry(ctx context.Context, name string, opts *URLOptions) (string, time.Time, error) {
	u := s.urls
	clean, err := s.urlName(name)
	if err != nil {
		return "", time.Time{}, err
	}
	var o URLOptions
	if opts != nil {
		o = *opts
	}
	exp, err := u.checkOptions(&o)
	if err != nil {
		return "", time.Time{}, opError("url", u.locPrefix+clean, err)
	}
	var (
		res     string
		expires time.Time
	)
	switch u.mode {
	case urlPublic:
		return u.publicURL(clean, &o), time.Time{}, nil
	case urlCustomDomain:
		return u.customDomainURL(clean, &o), time.Time{}, nil
	case urlCloudFront:
		res, expires, err = u.cloudFrontURL(clean, &o, exp)
	case urlPresign, urlPresignCustomDomain:
		if u.locPrefix == "" && clean == "" {
			return "", time.Time{}, nameError("url", name) // no key to sign
		}
		res, expires, err = u.presignURL(ctx, s.opts.BucketName, clean, &o, exp)
	default:
		err = u.err
	}
	if err != nil {
		return "", time.Time{}, opError("url", u.locPrefix+clean, err)
	}
	return res, expires, nil
}

// SignsURLs reports whether URL signs its URLs (SigV4 or CloudFront).
// Signed URLs expire, so a caller must not cache them for longer than
// their lifetime; unsigned URLs are the same string every time.
func (s *Storage) SignsURLs() bool {
	switch s.urls.mode {
	case urlPublic, urlCustomDomain:
		return false
	}
	return true
}

// urlName cleans name as objectKey does, without building the key, but
// keeps the empty name and directories (a trailing "/"): they have URLs.
func (s *Storage) urlName(name string) (string, error) {
	clean, err := CleanName(name)
	if err != nil || len(s.urls.locPrefix)+len(clean) > MaxKeyLen {
		return "", nameError("url", name)
	}
	return clean, nil
}

type urlMode uint8

const (
	urlInvalid urlMode = iota
	urlPublic
	urlCustomDomain
	urlCloudFront
	urlPresign
	urlPresignCustomDomain
)

// urlState is what URL needs, computed once by New.
type urlState struct {
	mode      urlMode
	err       error  // why mode is urlInvalid
	locPrefix string // location + "/", or ""
	expire    time.Duration
	window    time.Duration // the stable window of signed URLs (window.go), or 0
	now       func() time.Time

	s3     urlEndpoint // the bucket's S3 endpoint, location included
	s3Base string      // s3.origin + s3.path: public URLs
	cdn    string      // url_protocol + "//" + custom_domain + "/" + escaped location
	cdnEP  urlEndpoint // the custom domain, for PresignCustomDomain

	pre   *presigner
	crc   bool              // GET URLs carry X-Amz-Checksum-Mode=ENABLED (the client validates checksums)
	sdk   *s3.PresignClient // when the endpoint needs more than SigV4 (S3 Express, ...)
	cf    CloudFrontSigner
	cfMem *urlMemo[string] // CloudFront URLs of the window, by unsigned URL

	direct directState // what the presigned uploads sign with

	// express gives the session credentials the SDK signs with on an S3
	// Express endpoint, which URLs must not outlive; nil on others.
	express s3.ExpressCredentialsProvider
}

// directState is what PresignDirect, PresignPut and PresignPost sign
// with, whatever URL's mode: the bucket's own S3 endpoint (the whole key
// goes in the path: no location in it), its signing region and auth
// scheme, and the presigner whose credentials they are clamped to (URL's
// when it has one, so the two share one credentials cache and refresh).
type directState struct {
	ep     urlEndpoint
	scheme string
	pre    *presigner
	err    error // why there is no ep
}

// initURLs computes urlState. given tells that the client came from
// NewWithClient: the Options then override what the client says.
func (s *Storage) initURLs(ctx context.Context, client API, given bool) error {
	o := s.opts
	u := &urlState{expire: o.QuerystringExpire, window: o.URLStableWindow, now: time.Now}
	s.urls = u
	if s.opts.Location != "" {
		u.locPrefix = s.opts.Location + "/"
	}
	if o.CustomDomain != "" { // checked by resolve
		if err := u.initCustomDomain(o, s.cloudFrontSigner()); err != nil {
			return err
		}
	}
	so, creds := s.clientOptions(client, given)
	u.crc = responseValidation(client) == aws.ResponseChecksumValidationWhenSupported
	if u.mode == urlInvalid || u.mode == urlPresignCustomDomain {
		u.initS3Endpoint(ctx, &so, client, s.opts.BucketName, creds, *o.QuerystringAuth)
	}
	if u.pre != nil && u.window > 0 {
		u.pre.memo = new(urlMemo[presignKey])
	}
	u.initDirect(ctx, &so, s.opts.BucketName, creds)
	return nil
}

// initDirect resolves what the presigned uploads sign with. A failure is
// kept for them to report.
func (u *urlState) initDirect(ctx context.Context, so *s3.Options, bucket string, creds aws.CredentialsProvider) {
	d := &u.direct
	ep, region, scheme, err := resolveBucketEndpoint(ctx, so, bucket, "")
	if err != nil {
		d.err = err
		return
	}
	d.ep, d.scheme = ep, scheme
	if u.pre != nil && u.pre.region == region {
		d.pre = u.pre
	} else {
		d.pre = newPresigner(creds, region)
	}
}

// cloudFrontSigner returns the signer of CloudFront URLs, or nil.
func (s *Storage) cloudFrontSigner() CloudFrontSigner {
	switch cf := s.opts.CloudFrontSigner; {
	case cf == NoCloudFrontSigner:
		return nil
	case cf == nil && s.cfKey != nil:
		return sign.NewURLSigner(s.opts.CloudFrontKeyID, s.cfKey)
	default:
		return cf
	}
}

// initCustomDomain sets the custom-domain modes: CloudFront, presigned
// through the domain, or plain.
func (u *urlState) initCustomDomain(o *Options, cf CloudFrontSigner) error {
	d := strings.TrimSuffix(o.CustomDomain, "/")
	u.cdn = string(appendFilepathToURI([]byte(o.URLProtocol+"//"+d+"/"), u.locPrefix))
	ep, err := url.Parse(o.URLProtocol + "//" + d)
	if err != nil {
		return fmt.Errorf("storage: custom_domain: %w", err)
	}
	u.cdnEP = newEndpoint(ep, u.locPrefix)
	auth := *o.QuerystringAuth
	switch {
	case auth && cf != nil:
		u.mode, u.cf = urlCloudFront, cf
		if u.window == 0 {
			u.window = o.CloudFrontExpiryWindow // its older name (window.go)
		}
		if u.window > 0 {
			u.cfMem = new(urlMemo[string])
		}
	case auth && boolOr(o.PresignCustomDomain, false):
		u.mode = urlPresignCustomDomain
	default:
		u.mode = urlCustomDomain
	}
	return nil
}

// initS3Endpoint resolves the bucket's S3 endpoint and sets the S3
// modes: public, presigned, or presigned by the SDK for endpoints that
// need more than SigV4. A failure is kept for URL to report: New still
// works for the rest.
func (u *urlState) initS3Endpoint(ctx context.Context, so *s3.Options, client API, bucket string, creds aws.CredentialsProvider, auth bool) {
	ep, region, scheme, err := resolveBucketEndpoint(ctx, so, bucket, u.locPrefix)
	switch {
	case err != nil:
		u.mode, u.err = urlInvalid, err
	case u.mode == urlPresignCustomDomain:
		u.pre = newPresigner(creds, region)
	case !auth:
		u.s3, u.mode = ep, urlPublic
		u.s3Base = ep.origin + ep.path
	case scheme == "sigv4":
		u.s3, u.mode = ep, urlPresign
		u.pre = newPresigner(creds, region)
	default:
		c, ok := client.(*s3.Client)
		if !ok {
			u.mode, u.err = urlInvalid, fmt.Errorf("storage: presigning for the %s auth scheme of this bucket needs an *s3.Client", scheme)
			return
		}
		u.s3, u.mode = ep, urlPresign
		u.sdk = s3.NewPresignClient(c)
		if strings.HasPrefix(scheme, "sigv4-s3express") {
			u.express = c.Options().ExpressCredentials
		}
	}
}

// clientOptions returns the s3.Options URLs follow and the credentials
// that sign them.
func (s *Storage) clientOptions(client API, given bool) (s3.Options, aws.CredentialsProvider) {
	o := s.opts
	c, isS3 := client.(*s3.Client)
	var so s3.Options
	if isS3 {
		so = c.Options()
	}
	creds := s.creds // New: the SDK config's
	if creds == nil {
		switch {
		case o.Credentials != nil || o.AccessKey != "":
			creds = credentialSource(o)
		case isS3 && so.Credentials != nil:
			creds = so.Credentials
		default:
			creds = credentialSource(o) // the environment's keys
		}
	}
	if !isS3 || given {
		o.connect(&so)
		if s.region != "" {
			so.Region = s.region
		}
	}
	if so.Region == "" {
		so.Region = "us-east-1"
	}
	return so, creds
}

// resolveBucketEndpoint asks the SDK's endpoint rules, once, where the
// bucket's objects are, and with which signing region and auth scheme.
func resolveBucketEndpoint(ctx context.Context, so *s3.Options, bucket, locPrefix string) (ep urlEndpoint, region, scheme string, err error) {
	r := so.EndpointResolverV2
	if r == nil {
		r = s3.NewDefaultEndpointResolverV2()
	}
	region = mapFIPSRegion(so.Region)
	params := s3.EndpointParameters{
		Bucket:                         aws.String(bucket),
		Region:                         aws.String(region),
		UseFIPS:                        aws.Bool(so.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(so.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       so.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(so.UsePathStyle),
		Accelerate:                     aws.Bool(so.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(so.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(so.UseARNRegion),
		DisableS3ExpressSessionAuth:    so.DisableS3ExpressSessionAuth,
	}
	e, err := r.ResolveEndpoint(ctx, params)
	if err != nil {
		return urlEndpoint{}, "", "", fmt.Errorf("storage: resolving the endpoint of bucket %q: %w", bucket, err)
	}
	u := e.URI
	if so.EndpointOptions.DisableHTTPS && so.BaseEndpoint == nil {
		u.Scheme = "http"
	}
	scheme = "sigv4"
	if opts, ok := smithyauth.GetAuthOptions(&e.Properties); ok && len(opts) > 0 {
		scheme = opts[0].SchemeID
		if n, _ := smithyhttp.GetSigV4SigningName(&opts[0].SignerProperties); n != "" && n != "s3" {
			scheme += "/" + n
		}
		if r, _ := smithyhttp.GetSigV4SigningRegion(&opts[0].SignerProperties); r != "" {
			region = r
		}
	}
	return newEndpoint(&u, locPrefix), region, scheme, nil
}

func mapFIPSRegion(region string) string {
	if strings.Contains(region, "fips-") || strings.Contains(region, "-fips") {
		region = strings.ReplaceAll(region, "-fips-", "-")
		region = strings.ReplaceAll(region, "fips-", "")
		region = strings.ReplaceAll(region, "-fips", "")
	}
	return region
}

// checkOptions validates o, defaults its method, and returns the expiry.
func (u *urlState) checkOptions(o *URLOptions) (time.Duration, error) {
	exp := u.expire
	if o.Expire != 0 {
		if err := ValidExpiry(o.Expire); err != nil {
			return 0, fmt.Errorf("storage: URL expiry %w", err)
		}
		exp = o.Expire
	}
	switch o.Method {
	case "":
		o.Method = "GET"
	case "GET", "HEAD":
	case "PUT", "DELETE":
		if o.ResponseContentDisposition != "" || o.ResponseContentType != "" {
			return 0, fmt.Errorf("storage: response-content-* parameters are for GET and HEAD, not %s", o.Method)
		}
	default:
		return 0, fmt.Errorf("storage: URL method must be GET, HEAD, PUT or DELETE, got %q", o.Method)
	}
	for _, kv := range o.Query {
		if len(kv[0]) >= 6 && strings.EqualFold(kv[0][:6], "x-amz-") {
			return 0, fmt.Errorf("storage: query parameter %q is reserved for signing", kv[0])
		}
	}
	return exp, nil
}

// publicURL is the plain S3 URL: endpoint and key, escaped as the SDK
// escapes keys. Response overrides are dropped (S3 refuses them on
// anonymous requests).
func (u *urlState) publicURL(clean string, o *URLOptions) string {
	var arr [512]byte
	b := append(arr[:0], u.s3Base...)
	b = appendPathEscape(b, clean)
	for i, kv := range o.Query {
		b = appendSep(b, i)
		b = appendQueryEscape(b, kv[0])
		b = append(b, '=')
		b = appendQueryEscape(b, kv[1])
	}
	return string(b)
}

// customDomainURL is url_protocol//custom_domain/key?query.
func (u *urlState) customDomainURL(clean string, o *URLOptions) string {
	var arr [512]byte
	return string(u.appendCustomDomainURL(arr[:0], clean, o))
}

func (u *urlState) appendCustomDomainURL(b []byte, clean string, o *URLOptions) []byte {
	b = append(b, u.cdn...)
	b = appendFilepathToURI(b, clean)
	n := 0
	if o.ResponseContentDisposition != "" {
		b = appendSep(b, n)
		b = append(b, "response-content-disposition="...)
		b = appendFormEscape(b, o.ResponseContentDisposition)
		n++
	}
	if o.ResponseContentType != "" {
		b = appendSep(b, n)
		b = append(b, "response-content-type="...)
		b = appendFormEscape(b, o.ResponseContentType)
		n++
	}
	for _, kv := range o.Query {
		b = appendSep(b, n)
		b = appendFormEscape(b, kv[0])
		b = append(b, '=')
		b = appendFormEscape(b, kv[1])
		n++
	}
	return b
}

func appendSep(b []byte, i int) []byte {
	if i == 0 {
		return append(b, '?')
	}
	return append(b, '&')
}

// cloudFrontURL signs the custom-domain URL with a canned policy that
// expires exp after the signing time (the start of its stable window).
// With a window, URLs of the default expiry are memoised per window.
func (u *urlState) cloudFrontURL(clean string, o *URLOptions, exp time.Duration) (string, time.Time, error) {
	var arr [512]byte
	raw := string(u.appendCustomDomainURL(arr[:0], clean, o))
	expires := windowStart(u.now(), u.window, exp).Add(exp)
	var (
		res string
		err error
	)
	if u.cfMem != nil && exp == u.expire {
		res, err = u.cfMem.get(expires.Unix(), nil, raw, func() (string, error) { return u.cf.Sign(raw, expires) })
	} else {
		res, err = u.cf.Sign(raw, expires)
	}
	return res, expires, err
}

// request describes a presigned URL for the key of clean.
func (u *urlState) request(ep *urlEndpoint, clean string, o *URLOptions, exp time.Duration) presignRequest {
	now := u.now()
	r := presignRequest{
		ep:       ep,
		key:      clean,
		method:   o.Method,
		expires:  int64(exp / time.Second),
		rcd:      o.ResponseContentDisposition,
		rct:      o.ResponseContentType,
		query:    o.Query,
		now:      now,
		signAt:   windowStart(now, u.window, exp),
		windowed: windowed(u.window, exp),
	}
	switch o.Method {
	case "GET":
		r.xid = "GetObject"
		r.checksumMode = u.crc && ep == &u.s3
	case "PUT":
		r.xid = "PutObject"
	case "DELETE":
		r.xid = "DeleteObject"
	}
	return r
}

// presignURL presigns a URL on the bucket's S3 endpoint or the custom
// domain, and returns when it expires.
func (u *urlState) presignURL(ctx context.Context, bucket, clean string, o *URLOptions, exp time.Duration) (string, time.Time, error) {
	if u.sdk != nil {
		now := u.now()
		exp, err := u.sdkExpiry(ctx, bucket, exp, now)
		if err != nil {
			return "", time.Time{}, err
		}
		res, err := u.presignSDK(ctx, bucket, clean, o, exp)
		return res, now.Truncate(time.Second).Add(exp), err
	}
	ep := &u.s3
	if u.mode == urlPresignCustomDomain {
		ep = &u.cdnEP
	}
	r := u.request(ep, clean, o, exp)
	res, err := u.pre.presign(ctx, &r)
	return res, time.Unix(r.signAt.Unix()+r.expires, 0), err // signAt is a whole second
}

// sdkExpiry applies the rule of URLs to one the SDK presigns: exp
// clamped to the life of the credentials that sign it (refreshed first
// when s3kit caches them), and on S3 Express to the life of the session
// credentials the SDK signs with.
func (u *urlState) sdkExpiry(ctx context.Context, bucket string, exp time.Duration, now time.Time) (time.Duration, error) {
	_, exp, err := u.presignCredentials(ctx, exp, now)
	if err != nil || u.express == nil {
		return exp, err
	}
	c, err := u.express.Retrieve(ctx, bucket)
	if err != nil {
		return 0, err
	}
	if c.CanExpire {
		left := lifeLeft(&c, now)
		if left < 1 {
			return 0, errors.New("storage: the session credentials that sign URLs expire in less than a second")
		}
		exp = min(exp, time.Duration(left)*time.Second)
	}
	return exp, nil
}

// presignSDK presigns with the SDK's presigner, for an endpoint that
// needs more than SigV4 (S3 Express session auth, SigV4a): slower but
// right. Its URLs are clamped by sdkExpiry, and have no stable window.
func (u *urlState) presignSDK(ctx context.Context, bucket, clean string, o *URLOptions, exp time.Duration) (string, error) {
	if len(o.Query) > 0 {
		return "", errors.New("storage: extra query parameters are not supported for this bucket's endpoint")
	}
	key, b := aws.String(u.locPrefix+clean), aws.String(bucket)
	rcd, rct := str0(o.ResponseContentDisposition), str0(o.ResponseContentType)
	with := s3.WithPresignExpires(exp)
	var (
		r   *v4.PresignedHTTPRequest
		err error
	)
	switch o.Method {
	case "GET":
		r, err = u.sdk.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: key, ResponseContentDisposition: rcd, ResponseContentType: rct}, with)
	case "HEAD":
		r, err = u.sdk.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key, ResponseContentDisposition: rcd, ResponseContentType: rct}, with)
	case "PUT":
		r, err = u.sdk.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: key}, with)
	default:
		r, err = u.sdk.PresignDeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: key}, with)
	}
	if err != nil {
		return "", err
	}
	return r.URL, nil
}
