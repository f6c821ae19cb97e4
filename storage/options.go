package storage

import (
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Options configures a Storage. Each field is one setting of
// django-storages' S3Storage (its OPTIONS key and global name are given in
// brackets) or an s3kit addition. A zero field is "not set": the setting
// then comes from the config file's OPTIONS, then from the environment,
// then from the documented default (see New and Config.New).
type Options struct {
	// SessionProfile names a profile of the shared AWS config files
	// [session_profile, AWS_S3_SESSION_PROFILE]. It is the first
	// credential source searched, and an error together with AccessKey or
	// SecretKey. Default: none.
	SessionProfile string

	// AccessKey and SecretKey are static credentials [access_key,
	// secret_key]. When unset, the environment's AWS_S3_ACCESS_KEY_ID /
	// AWS_S3_SECRET_ACCESS_KEY, then AWS_ACCESS_KEY_ID /
	// AWS_SECRET_ACCESS_KEY are used, then the SDK's default chain.
	AccessKey string
	// SecretKey pairs with AccessKey [secret_key].
	SecretKey string
	// SecurityToken is the session token for temporary credentials
	// [security_token]; when unset, AWS_SESSION_TOKEN or
	// AWS_SECURITY_TOKEN from the environment goes with the keys.
	SecurityToken string

	// Credentials, when set, replaces the whole search above (Go only).
	Credentials aws.CredentialsProvider

	// BucketName is the bucket that holds the files [bucket_name,
	// AWS_STORAGE_BUCKET_NAME]. Required.
	BucketName string

	// ObjectParameters are set on every object written [object_parameters,
	// AWS_S3_OBJECT_PARAMETERS, JSON]. Default: none.
	ObjectParameters ObjectParameters

	// ObjectParametersFunc, when set, is called for every object written
	// with its cleaned name, its key and the detected content type; the
	// fields it sets override ObjectParameters (the role of overriding
	// S3Storage.get_object_parameters). Go only.
	ObjectParametersFunc func(name, key, contentType string) (ObjectParameters, error)

	// DefaultACL is a canned ACL added when ObjectParameters.ACL is unset
	// [default_acl, AWS_DEFAULT_ACL]. Default: none, so no ACL header is
	// sent and the object is private (ACL-disabled buckets, the AWS
	// default, refuse ACL headers).
	DefaultACL string

	// QuerystringAuth makes URL sign its URLs [querystring_auth,
	// AWS_QUERYSTRING_AUTH]. Default: true; false for the static flavour.
	QuerystringAuth *bool

	// MaxMemorySize is, in the reference, how many bytes a file may hold
	// in memory before it rolls over to a temporary file
	// [max_memory_size, AWS_S3_MAX_MEMORY_SIZE]. Default: 0. It is read
	// and validated, but has no effect: a Storage never buffers a body
	// beyond its part buffers, on disk or in memory (a large stream that
	// must not overwrite claims its name instead of keeping a copy; see
	// Put). The upload handler's spool mode has its own limit.
	MaxMemorySize int64

	// QuerystringExpire is how long signed URLs stay valid
	// [querystring_expire, AWS_QUERYSTRING_EXPIRE, in seconds]. Default:
	// 3600 s. Must not exceed 7 days.
	QuerystringExpire time.Duration

	// URLProtocol is the scheme of custom-domain URLs, ending in ":"
	// [url_protocol, AWS_S3_URL_PROTOCOL]. Default: "https:".
	URLProtocol string

	// FileOverwrite lets Save replace an existing object [file_overwrite,
	// AWS_S3_FILE_OVERWRITE]. Default: true. When false, Save never
	// overwrites: it creates conditionally and renames on conflict.
	FileOverwrite *bool

	// Location is the key prefix of every name [location, AWS_LOCATION].
	// Default: "". It must not start with "/".
	Location string

	// Gzip compresses content whose type is in GzipContentTypes [gzip,
	// AWS_IS_GZIPPED]. Default: false.
	Gzip *bool

	// GzipContentTypes lists the media types Gzip compresses
	// [gzip_content_types, GZIP_CONTENT_TYPES, comma-separated]. Default:
	// text/css, text/javascript, application/javascript,
	// application/x-javascript, image/svg+xml.
	GzipContentTypes []string

	// RegionName is the bucket's region [region_name, AWS_S3_REGION_NAME].
	// Default: the SDK's (AWS_REGION, the profile), else us-east-1.
	RegionName string

	// UseSSL selects https for the S3 endpoint [use_ssl, AWS_S3_USE_SSL].
	// Default: true. EndpointURL overrides it.
	UseSSL *bool

	// Verify, when false, turns off TLS certificate verification
	// [verify=False, AWS_S3_VERIFY]. Default: verify.
	Verify *bool

	// CABundle is a PEM file of CA certificates to verify S3 with
	// [verify="path", AWS_S3_VERIFY]. Default: the system roots, or
	// AWS_CA_BUNDLE.
	CABundle string

	// EndpointURL is a custom S3 endpoint including the scheme
	// [endpoint_url, AWS_S3_ENDPOINT_URL]. Default: AWS.
	EndpointURL string

	// AddressingStyle is "path" or "virtual" [addressing_style,
	// AWS_S3_ADDRESSING_STYLE]. Default: the SDK's (virtual hosts).
	AddressingStyle string

	// Proxies maps "scheme", "scheme://host", "all" or "all://host" to a
	// proxy URL, as in requests [proxies, AWS_S3_PROXIES, JSON]. Default:
	// HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment.
	Proxies map[string]string

	// Transfer sets part size, concurrency and the multipart threshold
	// [transfer_config, AWS_S3_TRANSFER_CONFIG, JSON].
	Transfer TransferConfig

	// BufferMemory bounds the bytes of streamed bodies (bodies that are not
	// an io.ReaderAt, and compressed ones) that the Storage holds in
	// memory at once, across all its Puts [s3kit: buffer_memory,
	// AWS_S3_BUFFER_MEMORY, in bytes]. A stream's first 64 KiB are not
	// counted; beyond them a stream reserves MinPartSize + 256 KiB of it
	// when it starts, waiting in line (honouring its ctx) while the
	// budget is spent, and then grows with the bytes that arrive, up to
	// PartSize × Concurrency while the budget has room. Default: 256 MiB
	// (8 streams at full speed with the default transfer settings, or 48
	// at their minimum); at least 8 MiB.
	BufferMemory int64

	// CustomDomain is the host (and optional path) of URLs, typically a
	// CloudFront distribution [custom_domain, AWS_S3_CUSTOM_DOMAIN].
	// Default: none.
	CustomDomain string

	// CloudFrontKey is the PEM private key that signs CloudFront URLs
	// [cloudfront_key, AWS_CLOUDFRONT_KEY]. Set together with
	// CloudFrontKeyID or not at all.
	CloudFrontKey string

	// CloudFrontKeyID is the CloudFront public key ID [cloudfront_key_id,
	// AWS_CLOUDFRONT_KEY_ID].
	CloudFrontKeyID string

	// CloudFrontSigner signs CloudFront URLs [cloudfront_signer] (Go
	// only). Default: a canned-policy signer built from CloudFrontKey and
	// CloudFrontKeyID when they are set. NoCloudFrontSigner turns signing
	// off for this storage even when they are.
	CloudFrontSigner CloudFrontSigner

	// CloudFrontExpiryWindow is the older name of URLStableWindow for
	// CloudFront signed URLs only, with the same rule: the signing time is
	// rounded down to a multiple of it, each URL is signed once per window
	// and then memoised (at most 10000 per window) [s3kit:
	// cloudfront_expiry_window, AWS_CLOUDFRONT_EXPIRY_WINDOW, in seconds].
	// URLStableWindow, when set, applies to CloudFront URLs too; setting
	// both to different values is an error. Default: 0, every URL signed
	// afresh.
	CloudFrontExpiryWindow time.Duration

	// URLStableWindow, when positive, rounds the time signed URLs
	// (presigned and CloudFront) are signed at down to a multiple of it in
	// Unix time, so that every call within one window gives the same URL
	// for the same name and options, which browsers can then cache [s3kit:
	// url_stable_window, AWS_S3_URL_STABLE_WINDOW, in seconds]. A URL then
	// lives between QuerystringExpire − URLStableWindow and
	// QuerystringExpire from the moment URL returns it; the first must be
	// at least 1 s. A call whose URLOptions.Expire leaves less than a
	// second is signed at the current second. Default: 0, every URL
	// signed at the current second.
	URLStableWindow time.Duration

	// PresignCustomDomain makes URL sign (SigV4) URLs on CustomDomain when
	// QuerystringAuth is on and no CloudFront signer is configured: for an
	// S3-compatible server reached through a domain of its own [s3kit:
	// presign_custom_domain, AWS_S3_PRESIGN_CUSTOM_DOMAIN]. The domain
	// and its path stand for the bucket: "files.example.com" for a server
	// that serves the bucket as a virtual host there,
	// "files.example.com/bucket" for path style. Default: false (the
	// reference's plain custom-domain URL).
	PresignCustomDomain *bool

	// SignatureVersion is "s3v4" [signature_version,
	// AWS_S3_SIGNATURE_VERSION]. Default: s3v4. The legacy "s3" (SigV2)
	// is not supported by aws-sdk-go-v2 and is an error.
	SignatureVersion string

	// ClientConfig adjusts the S3 client [client_config,
	// AWS_S3_CLIENT_CONFIG, JSON], like botocore's Config.
	ClientConfig ClientConfig

	// ConfigureClient, when set, is called last on the s3.Options the
	// client is built with (Go only; the Go form of client_config).
	ConfigureClient func(*s3.Options)

	// ConfigureTransport, when set, is called on the HTTP transport of the
	// client (Go only): pools, timeouts, dialers.
	ConfigureTransport func(*http.Transport)

	// Static selects the S3StaticStorage flavour: QuerystringAuth defaults
	// to false. A config entry whose BACKEND is S3StaticStorage or
	// S3ManifestStaticStorage sets it.
	Static bool

	// Manifest selects the S3ManifestStaticStorage flavour: Static, with
	// files named by the manifest that collectstatic writes (package
	// staticfiles reads ManifestName and ManifestStrict through
	// Storage.ManifestSettings). A config entry whose BACKEND is
	// S3ManifestStaticStorage sets it.
	Manifest bool

	// ManifestName is the manifest's name in the storage [s3kit:
	// manifest_name, Django's ManifestFilesMixin.manifest_name]. Default:
	// "staticfiles.json". Only with Manifest.
	ManifestName string

	// ManifestStrict makes a name missing from the manifest an error
	// [s3kit: manifest_strict, Django's ManifestFilesMixin.manifest_strict].
	// Default: true. Only with Manifest.
	ManifestStrict *bool

	// ConditionalWrites makes Save use If-None-Match: * when it must not
	// overwrite [s3kit: conditional_writes, AWS_S3_CONDITIONAL_WRITES].
	// Default: true. Set it to false for a server that ignores the header;
	// Save then checks and writes, which a concurrent writer can race. A
	// server that answers 501 to the header turns it off by itself.
	ConditionalWrites *bool

	// ChecksumAlgorithm is the checksum Put sends with every object,
	// computed in the pass that reads the body; S3 refuses bytes that do
	// not match it (BadDigest) and keeps it [s3kit: checksum_algorithm,
	// AWS_S3_CHECKSUM_ALGORITHM]: CRC64NVME, CRC32, CRC32C, SHA1, SHA256
	// or none. A multipart upload gets a FULL_OBJECT checksum with a CRC
	// and a COMPOSITE one (a checksum of the part checksums) with SHA1 or
	// SHA256, which S3 offers no full-object multipart checksum for.
	// Default: CRC64NVME, or none when the client computes checksums only
	// when required (ClientConfig.RequestChecksumCalculation
	// when_required, or AWS_REQUEST_CHECKSUM_CALCULATION). Set none for a
	// server that refuses checksum headers.
	ChecksumAlgorithm string

	// Logger receives debug and warning records. Default: none (silent).
	Logger *slog.Logger

	// LookupEnv reads the environment. Default: os.LookupEnv. Tests and
	// programs that want no environment set it to a func returning false.
	LookupEnv func(key string) (string, bool)
}

// TransferConfig holds the transfer settings of transfer_config, under
// boto3 TransferConfig's names in JSON.
type TransferConfig struct {
	// PartSize is the multipart part size [multipart_chunksize]. Default:
	// 8 MiB; at least 5 MiB.
	PartSize int64 `json:"multipart_chunksize"`

	// Threshold is the size above which Save uses a multipart upload
	// [multipart_threshold]. Default: 8 MiB. A stream (a body that is not
	// an io.ReaderAt) is read into part buffers up to Threshold to tell,
	// but never more than PartSize × Concurrency: a longer one goes in a
	// multipart upload whatever Threshold says, so that memory stays
	// bounded.
	Threshold int64 `json:"multipart_threshold"`

	// Concurrency is how many parts are uploaded at once
	// [max_concurrency]. Default: 4 (boto3: 10), which bounds the memory a
	// streamed Save holds to PartSize × Concurrency (32 MiB).
	Concurrency int `json:"max_concurrency"`

	// UseThreads, when false, uploads one part at a time [use_threads].
	// Default: true.
	UseThreads *bool `json:"use_threads"`
}

// ClientConfig is the part of botocore's Config that has a meaning here
// [client_config]. As in the reference, when any field is set, its
// AddressingStyle, SignatureVersion and Proxies replace the top-level
// settings of the same names, even when empty.
type ClientConfig struct {
	// MaxPoolConnections is the number of idle connections kept to S3.
	// Default: 10, or 2×Concurrency when larger.
	MaxPoolConnections int `json:"max_pool_connections"`
	// ConnectTimeout bounds TCP connects (JSON: seconds). Default: 60 s.
	ConnectTimeout Seconds `json:"connect_timeout"`
	// ReadTimeout bounds the wait for response headers (JSON: seconds).
	// Default: none.
	ReadTimeout Seconds `json:"read_timeout"`
	// Retries sets the retry policy.
	Retries Retries `json:"retries"`
	// RequestChecksumCalculation is "when_supported" or "when_required"
	// (the SDK's default honours AWS_REQUEST_CHECKSUM_CALCULATION, else
	// when_supported). Some S3-compatible servers need when_required.
	RequestChecksumCalculation string `json:"request_checksum_calculation"`
	// ResponseChecksumValidation is "when_supported" or "when_required"
	// (default: AWS_RESPONSE_CHECKSUM_VALIDATION, else when_supported).
	ResponseChecksumValidation string `json:"response_checksum_validation"`
	// SignatureVersion replaces Options.SignatureVersion.
	SignatureVersion string `json:"signature_version"`
	// S3 holds the S3-specific client settings.
	S3 ClientS3Config `json:"s3"`
	// Proxies replaces Options.Proxies.
	Proxies map[string]string `json:"proxies"`
	// UserAgentExtra is appended to the User-Agent.
	UserAgentExtra string `json:"user_agent_extra"`
}

// Retries is botocore's retries dictionary.
type Retries struct {
	// MaxAttempts is the number of retries after the first attempt.
	MaxAttempts int `json:"max_attempts"`
	// TotalMaxAttempts is the number of attempts including the first;
	// it wins over MaxAttempts.
	TotalMaxAttempts int `json:"total_max_attempts"`
	// Mode is "standard" or "adaptive" ("legacy" is read as standard).
	Mode string `json:"mode"`
}

// ClientS3Config is botocore's s3 dictionary.
type ClientS3Config struct {
	// AddressingStyle replaces Options.AddressingStyle.
	AddressingStyle string `json:"addressing_style"`
}

// Seconds is a duration written in JSON as a number of seconds.
type Seconds time.Duration

// ObjectParameters are the PutObject fields set on objects written, under
// boto3's names (the JSON keys of object_parameters). A zero field is not
// sent. When merging (the storage's, the hook's, the call's), each set
// field replaces the one before; Metadata is replaced whole.
type ObjectParameters struct {
	ACL                       string            `json:",omitempty"`
	CacheControl              string            `json:",omitempty"`
	ContentDisposition        string            `json:",omitempty"`
	ContentEncoding           string            `json:",omitempty"`
	ContentLanguage           string            `json:",omitempty"`
	ContentType               string            `json:",omitempty"`
	Expires                   time.Time         `json:",omitzero"`
	Metadata                  map[string]string `json:",omitempty"`
	StorageClass              string            `json:",omitempty"`
	ServerSideEncryption      string            `json:",omitempty"`
	SSEKMSKeyId               string            `json:",omitempty"`
	SSEKMSEncryptionContext   string            `json:",omitempty"`
	BucketKeyEnabled          *bool             `json:",omitempty"`
	SSECustomerAlgorithm      string            `json:",omitempty"`
	SSECustomerKey            string            `json:",omitempty"`
	SSECustomerKeyMD5         string            `json:",omitempty"`
	Tagging                   string            `json:",omitempty"`
	WebsiteRedirectLocation   string            `json:",omitempty"`
	ObjectLockMode            string            `json:",omitempty"`
	ObjectLockRetainUntilDate time.Time         `json:",omitzero"`
	ObjectLockLegalHoldStatus string            `json:",omitempty"`
	ChecksumAlgorithm         string            `json:",omitempty"`
	GrantFullControl          string            `json:",omitempty"`
	GrantRead                 string            `json:",omitempty"`
	GrantReadACP              string            `json:",omitempty"`
	GrantWriteACP             string            `json:",omitempty"`
	RequestPayer              string            `json:",omitempty"`
	ExpectedBucketOwner       string            `json:",omitempty"`
}

// Bool returns a pointer to v, for the *bool fields of Options.
func Bool(v bool) *bool { return &v }

// Documented defaults.
const (
	DefaultQuerystringExpire = time.Hour
	DefaultURLProtocol       = "https:"
	DefaultPartSize          = 8 << 20
	DefaultThreshold         = 8 << 20
	DefaultConcurrency       = 4
	MinPartSize              = 5 << 20
	MaxPartSize              = 5 << 30
	MaxExpire                = 7 * 24 * time.Hour
	DefaultBufferMemory      = 256 << 20
	MinBufferMemory          = 8 << 20
)

// DefaultGzipContentTypes is the default of GzipContentTypes.
var DefaultGzipContentTypes = []string{
	"text/css", "text/javascript", "application/javascript", "application/x-javascript", "image/svg+xml",
}

// overlay returns base with every set (non-zero) field of over copied on
// top: the precedence rule of Options, applied layer by layer. It works on
// any struct type, so Options and ObjectParameters share it.
func overlay[T any](base, over T) T {
	b := reflect.ValueOf(&base).Elem()
	o := reflect.ValueOf(over)
	for i := range o.NumField() {
		if f := o.Field(i); !f.IsZero() {
			b.Field(i).Set(f)
		}
	}
	return base
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
