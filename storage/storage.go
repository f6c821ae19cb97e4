package storage

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// API lists the S3 calls a Storage makes. *s3.Client satisfies it; a test
// fake can embed it and override one method.
type API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ API = (*s3.Client)(nil)

// Storage is a bucket and a location in it, with the settings of
// django-storages' S3Storage. Create one with New, NewWithClient or
// Config.New. It is safe for concurrent use.
type Storage struct {
	client   API
	uploader *manager.Uploader
	bucket   string
	location string
	opts     Options // resolved: defaults applied

	overwrite   bool
	conditional atomic.Bool // the server honours If-None-Match; cleared on 501
	gzip        bool
	gzipTypes   map[string]bool
	params      ObjectParameters
	paramsFunc  func(name, key, contentType string) (ObjectParameters, error)
	threshold   int64
	streamLimit int64 // how much of a stream is read to tell whether it fits one PutObject
	partSize    int64
	concurrency int
	checksum    types.ChecksumAlgorithm // of multipart uploads: CRC32 unless when_required
	budget      *budget                 // BufferMemory: bytes of streamed bodies held at once
	cfKey       *rsa.PrivateKey
	log         *slog.Logger
	creds       aws.CredentialsProvider
	region      string
	urls        *urlState // what URL needs, computed once (url.go)
}

// New returns a Storage configured by opts, building an S3 client from
// it. Precedence: the set fields of opts, then the environment's global
// names (AWS_STORAGE_BUCKET_NAME, ...), then the documented defaults.
// Every setting is validated here, once: an error names the setting.
func New(ctx context.Context, opts Options) (*Storage, error) {
	return newStorage(ctx, opts, nil)
}

// NewWithClient is New with a given S3 client; the connection settings
// (credentials, endpoint, TLS, proxies, client config) are then not used
// to build one, though they still shape URLs.
func NewWithClient(ctx context.Context, client API, opts Options) (*Storage, error) {
	if client == nil {
		return nil, errors.New("storage: nil client")
	}
	return newStorage(ctx, opts, client)
}

func newStorage(ctx context.Context, opts Options, client API) (*Storage, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	env, err := fromEnv(lookup)
	if err != nil {
		return nil, err
	}
	o := overlay(env, opts)
	o.LookupEnv = lookup
	if err := o.resolve(); err != nil {
		return nil, err
	}
	s := &Storage{
		bucket:      o.BucketName,
		location:    o.Location,
		opts:        o,
		overwrite:   *o.FileOverwrite,
		gzip:        *o.Gzip,
		gzipTypes:   make(map[string]bool, len(o.GzipContentTypes)),
		params:      o.ObjectParameters,
		paramsFunc:  o.ObjectParametersFunc,
		threshold:   o.Transfer.Threshold,
		streamLimit: min(o.Transfer.Threshold, o.Transfer.PartSize*int64(o.Transfer.Concurrency)),
		partSize:    o.Transfer.PartSize,
		concurrency: o.Transfer.Concurrency,
		log:         o.Logger,
		region:      o.RegionName,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.conditional.Store(*o.ConditionalWrites)
	for _, t := range o.GzipContentTypes {
		s.gzipTypes[t] = true
	}
	if o.CloudFrontKey != "" {
		if s.cfKey, err = parseRSAKey(o.CloudFrontKey); err != nil {
			return nil, fmt.Errorf("storage: cloudfront_key: %w", err)
		}
	}
	given := client != nil // NewWithClient: Options still shape URLs
	if client == nil {
		c, cfg, err := newClient(ctx, &o)
		if err != nil {
			return nil, err
		}
		client, s.creds, s.region = c, cfg.Credentials, cfg.Region
	}
	s.client = client
	s.budget = newBudget(o.BufferMemory)
	if err := s.initURLs(ctx, client, given); err != nil {
		return nil, err
	}
	s.checksum = types.ChecksumAlgorithmCrc32
	calc := aws.RequestChecksumCalculationWhenSupported
	if c, ok := client.(*s3.Client); ok && c.Options().RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired {
		s.checksum, calc = "", aws.RequestChecksumCalculationWhenRequired
	}
	s.uploader = manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = s.partSize
		u.Concurrency = s.concurrency
		u.RequestChecksumCalculation = calc // the manager does not read it from the client
	})
	return s, nil
}

// resolve applies the defaults and validates every setting.
func (o *Options) resolve() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("storage: option %s: %s", key, fmt.Sprintf(format, args...))
	}
	if o.BucketName == "" {
		return bad("bucket_name", "required (AWS_STORAGE_BUCKET_NAME)")
	}
	if strings.ContainsAny(o.BucketName, "/\\ ") {
		return bad("bucket_name", "%q is not a bucket name", o.BucketName)
	}
	if o.SessionProfile != "" && (o.AccessKey != "" || o.SecretKey != "") {
		return bad("session_profile", "cannot be used together with access_key or secret_key")
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return bad("access_key", "access_key and secret_key must be set together")
	}
	if (o.CloudFrontKey == "") != (o.CloudFrontKeyID == "") {
		return bad("cloudfront_key", "cloudfront_key and cloudfront_key_id must be set together")
	}
	if o.QuerystringAuth == nil {
		o.QuerystringAuth = Bool(!o.Static)
	}
	switch {
	case o.QuerystringExpire == 0:
		o.QuerystringExpire = DefaultQuerystringExpire
	case o.QuerystringExpire < 0:
		return bad("querystring_expire", "must be positive, got %v", o.QuerystringExpire)
	case o.QuerystringExpire > MaxExpire:
		return bad("querystring_expire", "must be at most 7 days, got %v", o.QuerystringExpire)
	}
	if o.MaxMemorySize < 0 {
		return bad("max_memory_size", "must not be negative, got %d", o.MaxMemorySize)
	}
	if o.URLProtocol == "" {
		o.URLProtocol = DefaultURLProtocol
	}
	if !strings.HasSuffix(o.URLProtocol, ":") || strings.ContainsAny(o.URLProtocol[:len(o.URLProtocol)-1], ":/") {
		return bad("url_protocol", "must be a scheme ending in ':' such as 'https:', got %q", o.URLProtocol)
	}
	if o.FileOverwrite == nil {
		o.FileOverwrite = Bool(true)
	}
	if strings.HasPrefix(o.Location, "/") {
		return bad("location", "must not start with '/', got %q", o.Location)
	}
	loc, err := CleanName(o.Location)
	if err != nil {
		return bad("location", "%q is not a valid key prefix", o.Location)
	}
	o.Location = strings.TrimSuffix(loc, "/")
	if len(o.Location) >= MaxKeyLen {
		return bad("location", "too long")
	}
	if o.Gzip == nil {
		o.Gzip = Bool(false)
	}
	if o.GzipContentTypes == nil {
		o.GzipContentTypes = DefaultGzipContentTypes
	}
	types := make([]string, len(o.GzipContentTypes))
	for i, t := range o.GzipContentTypes {
		mt, _, err := mime.ParseMediaType(t)
		if err != nil {
			return bad("gzip_content_types", "%q is not a media type", t)
		}
		types[i] = mt
	}
	o.GzipContentTypes = types
	if o.UseSSL == nil {
		o.UseSSL = Bool(true)
	}
	if o.EndpointURL != "" {
		u, err := url.Parse(o.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("endpoint_url", "must be an http or https URL, got %q", o.EndpointURL)
		}
	}
	if o.CABundle != "" {
		if _, err := os.Stat(o.CABundle); err != nil {
			return bad("verify", "CA bundle: %v", err)
		}
	}
	if !reflect.ValueOf(o.ClientConfig).IsZero() {
		// As in the reference, client_config replaces these three.
		o.AddressingStyle = o.ClientConfig.S3.AddressingStyle
		o.SignatureVersion = o.ClientConfig.SignatureVersion
		o.Proxies = o.ClientConfig.Proxies
	}
	switch o.AddressingStyle {
	case "", "auto", "path", "virtual":
	default:
		return bad("addressing_style", "must be path or virtual, got %q", o.AddressingStyle)
	}
	switch o.SignatureVersion {
	case "", "s3v4", "v4":
	case "s3", "s3v2", "v2":
		return bad("signature_version", "%q (SigV2) is not supported by aws-sdk-go-v2; use s3v4", o.SignatureVersion)
	default:
		return bad("signature_version", "must be s3v4, got %q", o.SignatureVersion)
	}
	if _, err := proxyFunc(o.Proxies); err != nil {
		return bad("proxies", "%v", err)
	}
	if err := o.Transfer.resolve(); err != nil {
		return bad("transfer_config", "%v", err)
	}
	switch {
	case o.BufferMemory == 0:
		o.BufferMemory = DefaultBufferMemory
	case o.BufferMemory < MinBufferMemory:
		return bad("buffer_memory", "must be at least %d bytes (8 MiB), got %d", MinBufferMemory, o.BufferMemory)
	}
	if err := o.ClientConfig.validate(); err != nil {
		return bad("client_config", "%v", err)
	}
	if o.ConditionalWrites == nil {
		o.ConditionalWrites = Bool(true)
	}
	if err := validACL(o.DefaultACL); err != nil {
		return bad("default_acl", "%v", err)
	}
	if err := validACL(o.ObjectParameters.ACL); err != nil {
		return bad("object_parameters", "ACL: %v", err)
	}
	return nil
}

func (t *TransferConfig) resolve() error {
	if t.PartSize == 0 {
		t.PartSize = DefaultPartSize
	}
	if t.PartSize < MinPartSize || t.PartSize > MaxPartSize {
		return fmt.Errorf("multipart_chunksize must be between 5 MiB and 5 GiB, got %d", t.PartSize)
	}
	if t.Threshold == 0 {
		t.Threshold = DefaultThreshold
	}
	if t.Threshold < 0 || t.Threshold > MaxPartSize {
		return fmt.Errorf("multipart_threshold must be between 1 byte and 5 GiB, got %d", t.Threshold)
	}
	switch {
	case t.UseThreads != nil && !*t.UseThreads:
		t.Concurrency = 1
	case t.Concurrency == 0:
		t.Concurrency = DefaultConcurrency
	case t.Concurrency < 0 || t.Concurrency > 1000:
		return fmt.Errorf("max_concurrency must be between 1 and 1000, got %d", t.Concurrency)
	}
	return nil
}

func (c *ClientConfig) validate() error {
	switch c.RequestChecksumCalculation {
	case "", "when_supported", "when_required":
	default:
		return fmt.Errorf("request_checksum_calculation must be when_supported or when_required, got %q", c.RequestChecksumCalculation)
	}
	switch c.ResponseChecksumValidation {
	case "", "when_supported", "when_required":
	default:
		return fmt.Errorf("response_checksum_validation must be when_supported or when_required, got %q", c.ResponseChecksumValidation)
	}
	switch c.Retries.Mode {
	case "", "standard", "adaptive", "legacy":
	default:
		return fmt.Errorf("retries.mode must be standard or adaptive, got %q", c.Retries.Mode)
	}
	if c.MaxPoolConnections < 0 || c.Retries.MaxAttempts < 0 || c.Retries.TotalMaxAttempts < 0 {
		return errors.New("counts must not be negative")
	}
	return nil
}

var cannedACLs = map[string]bool{
	"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true,
	"aws-exec-read": true, "bucket-owner-read": true, "bucket-owner-full-control": true, "log-delivery-write": true,
}

func validACL(acl string) error {
	if acl != "" && !cannedACLs[acl] {
		return fmt.Errorf("%q is not a canned ACL", acl)
	}
	return nil
}

func parseRSAKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not an RSA private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA private key", k)
	}
	return rk, nil
}

// Bucket returns the bucket name.
func (s *Storage) Bucket() string { return s.bucket }

// Location returns the cleaned location: the key prefix, without a
// trailing slash.
func (s *Storage) Location() string { return s.location }

// Key returns the S3 key of name, or ErrInvalidName.
func (s *Storage) Key(name string) (string, error) {
	_, key, err := s.objectKey("key", name)
	return key, err
}

// Options returns the resolved options: every default applied.
func (s *Storage) Options() Options { return s.opts }

// DefaultExpiry returns how long the URLs that URL signs stay valid when
// URLOptions.Expire is not set (querystring_expire). The web layers use it
// to bound how long a redirect to such a URL may be cached.
func (s *Storage) DefaultExpiry() time.Duration { return s.opts.QuerystringExpire }

// Client returns the S3 client the storage uses.
func (s *Storage) Client() API { return s.client }

// cleanupTimeout bounds cleanup calls (abort, delete) made after the
// caller's context is done.
const cleanupTimeout = 30 * time.Second

func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}
