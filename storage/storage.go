package storage

import (
	"context"
	"crypto/rsa"
	"errors"
	"log/slog"
	"os"
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
	// opts is the one resolved value of the settings: every default
	// applied, every value checked (settings.go). A pointer, so that
	// printing a Storage shows no secret.
	opts *Options

	// Derived state, computed once by New.
	client      API
	uploader    *manager.Uploader       // seekable bodies over the threshold
	conditional atomic.Bool             // the server honours If-None-Match; cleared on 501
	gzipTypes   map[string]bool         // GzipContentTypes as a set
	streamLimit int64                   // how much of a stream is read to tell whether it fits one PutObject
	alg         algorithm               // ChecksumAlgorithm, its default resolved
	headMode    types.ChecksumMode      // HeadObject's x-amz-checksum-mode: ENABLED unless responses are checked only when required
	budget      *budget                 // BufferMemory: bytes of streamed bodies held at once
	cfKey       *rsa.PrivateKey         // CloudFrontKey, parsed
	creds       aws.CredentialsProvider // New: the SDK config's
	region      string                  // the client's region (New), else region_name
	urls        *urlState               // what URL needs (url.go)
}

// New returns a Storage configured by opts, building an S3 client from
// it. Precedence: the set fields of opts, then the environment's global
// names (AWS_STORAGE_BUCKET_NAME, ...), then the documented defaults.
// Every setting is validated here, once: an error names the setting.
func New(ctx context.Context, opts Options) (*Storage, error) {
	return newStorage(ctx, &layers{code: opts}, nil)
}

// NewWithClient is New with a given S3 client; the connection settings
// (credentials, endpoint, TLS, proxies, client config) are then not used
// to build one, though they still shape URLs.
func NewWithClient(ctx context.Context, client API, opts Options) (*Storage, error) {
	if client == nil {
		return nil, errors.New("storage: nil client")
	}
	return newStorage(ctx, &layers{code: opts}, client)
}

func newStorage(ctx context.Context, l *layers, client API) (*Storage, error) {
	o, err := l.options()
	if err != nil {
		return nil, err
	}
	s := &Storage{
		opts:        o,
		gzipTypes:   make(map[string]bool, len(o.GzipContentTypes)),
		streamLimit: min(o.Transfer.Threshold, o.Transfer.PartSize*int64(o.Transfer.Concurrency)),
		budget:      newBudget(o.BufferMemory),
		region:      o.RegionName,
	}
	s.conditional.Store(*o.ConditionalWrites)
	for _, t := range o.GzipContentTypes {
		s.gzipTypes[t] = true
	}
	if o.CloudFrontKey != "" {
		s.cfKey, _ = parseRSAKey(o.CloudFrontKey) // checked by its setting
	}
	given := client != nil // NewWithClient: Options still shape URLs
	if client == nil {
		c, cfg, err := newClient(ctx, o)
		if err != nil {
			return nil, err
		}
		client, s.creds, s.region = c, cfg.Credentials, cfg.Region
	}
	s.client = client
	if err := s.initURLs(ctx, client, given); err != nil {
		return nil, err
	}
	s.initUploader()
	return s, nil
}

// options resolves the settings of a new Storage into the one value it
// keeps: the environment read through the LookupEnv the layers give,
// every setting defaulted and checked, and the Go-only fields defaulted.
func (l *layers) options() (*Options, error) {
	lookup := l.code.LookupEnv
	if lookup == nil {
		lookup = l.file.LookupEnv
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var err error
	if l.env, l.envName, err = fromEnv(lookup); err != nil {
		return nil, err
	}
	o, err := l.resolve()
	if err != nil {
		return nil, err
	}
	o.LookupEnv = lookup
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &o, nil
}

// initUploader sets the manager's uploader, which sends seekable bodies
// over the threshold, and the checksum algorithm: ChecksumAlgorithm, by
// default CRC64NVME unless the client computes checksums only when
// required (a server that breaks on them), none then; and whether
// HeadObject asks for the object's checksum.
func (s *Storage) initUploader() {
	s.alg = algCRC64NVME
	calc := aws.RequestChecksumCalculationWhenSupported
	if c, ok := s.client.(*s3.Client); ok && c.Options().RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired {
		s.alg, calc = algNone, aws.RequestChecksumCalculationWhenRequired
	}
	if s.opts.ChecksumAlgorithm != "" {
		s.alg, _ = parseAlgorithm(s.opts.ChecksumAlgorithm) // checked by its setting
	}
	s.headMode = types.ChecksumModeEnabled
	if responseValidation(s.client) == aws.ResponseChecksumValidationWhenRequired {
		s.headMode = "" // a service that refuses x-amz-checksum-mode (B2): Info then has no checksum
	}
	s.uploader = manager.NewUploader(s.client, func(u *manager.Uploader) {
		u.PartSize = s.opts.Transfer.PartSize
		u.Concurrency = s.opts.Transfer.Concurrency
		u.RequestChecksumCalculation = calc // the manager does not read it from the client
	})
}

// Bucket returns the bucket name.
func (s *Storage) Bucket() string { return s.opts.BucketName }

// Location returns the cleaned location: the key prefix, without a
// trailing slash.
func (s *Storage) Location() string { return s.opts.Location }

// Key returns the S3 key of name, or ErrInvalidName.
func (s *Storage) Key(name string) (string, error) {
	_, key, err := s.objectKey("key", name)
	return key, err
}

// DefaultExpiry returns how long the URLs that URL signs stay valid when
// URLOptions.Expire is not set (querystring_expire). The web layers use it
// to bound how long a redirect to such a URL may be cached.
func (s *Storage) DefaultExpiry() time.Duration { return s.opts.QuerystringExpire }

// ManifestSettings reports the manifest's name and strictness when the
// storage is a manifest storage (BACKEND S3ManifestStaticStorage, or
// Options.Manifest); ok is false otherwise. Package staticfiles reads it.
func (s *Storage) ManifestSettings() (name string, strict, ok bool) {
	if !s.opts.Manifest {
		return "", false, false
	}
	return s.opts.ManifestName, *s.opts.ManifestStrict, true
}

// Compresses reports whether Put would store name gzip-compressed, given
// its first bytes (at least 3072 when the body is that long): Gzip is on
// and the type detected, as Put detects it, is in GzipContentTypes.
// collectstatic uses it to know which ETag an unchanged file has.
func (s *Storage) Compresses(name string, head []byte) bool {
	if !*s.opts.Gzip {
		return false
	}
	clean, key, err := s.objectKey("compresses", name)
	if err != nil {
		return false
	}
	p, err := s.objectParams(clean, key, head, ObjectParameters{})
	return err == nil && s.compresses(&p)
}

// compresses is Put's rule: Gzip is on, the content has no encoding of
// its own, and its type is one of GzipContentTypes.
func (s *Storage) compresses(p *ObjectParameters) bool {
	return *s.opts.Gzip && p.ContentEncoding == "" && s.gzipTypes[mediaType(p.ContentType)]
}

// ChecksumAlgorithm returns the checksum Put sends with every object:
// checksum_algorithm resolved ("CRC64NVME" by default, "none" when the
// client computes checksums only when required). See # Integrity in the
// package documentation.
func (s *Storage) ChecksumAlgorithm() string { return s.alg.String() }

// Client returns the S3 client the storage uses.
func (s *Storage) Client() API { return s.client }

// Transfer returns the resolved transfer settings (part size, threshold,
// concurrency): what decides how Put splits a body, and so the ETag S3
// gives a multipart object.
func (s *Storage) Transfer() TransferConfig { return s.opts.Transfer }
