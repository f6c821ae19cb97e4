package storage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// PostOptions adjusts one PresignPost. A nil *PostOptions is the zero
// value.
type PostOptions struct {
	// Expire is how long the policy stays valid. Default: the storage's
	// QuerystringExpire. At most 7 days.
	Expire time.Duration

	// KeyPrefix, when set, lets the form's key be any name that starts
	// with it (the condition ["starts-with", "$key", prefix], under the
	// location) instead of exactly the key of name, which must start
	// with it. A prefix that is empty once under the location (KeyPrefix
	// "." with no location) is ErrInvalidName: it would open the whole
	// bucket. Default: the exact key.
	KeyPrefix string

	// MinSize and MaxSize bound the size of the file S3 accepts (the
	// content-length-range condition); beyond them S3 answers 400
	// EntityTooLarge or EntityTooSmall. Default: MaxSize 0, no condition,
	// which lets a client store up to 5 GiB.
	MinSize, MaxSize int64

	// Params are written on the object, merged over the storage's
	// ObjectParameters and DefaultACL: each set field becomes a form field
	// and an exact condition of the policy. Supported: ACL, CacheControl,
	// ContentDisposition, ContentEncoding, ContentType, Expires,
	// Metadata, StorageClass, ServerSideEncryption, SSEKMSKeyId,
	// WebsiteRedirectLocation; any other set field is an error.
	Params ObjectParameters

	// ContentTypePrefix, when set, lets the form's Content-Type be any
	// value that starts with it ("image/") instead of exactly
	// Params.ContentType.
	ContentTypePrefix string

	// ChecksumSHA256, when set, pins the SHA-256 (32 bytes) of the file,
	// as the browser computed it: the form carries the fields
	// x-amz-checksum-algorithm SHA256 and x-amz-checksum-sha256, both
	// exact conditions of the policy, and S3 refuses a file whose bytes do
	// not match (400 BadDigest), keeping it as the object's checksum
	// otherwise (SeaweedFS 4.53 too). A server that ignores these fields
	// (s3local) stores the file unchecked.
	ChecksumSHA256 []byte
}

// PostPolicy is a presigned POST (S3's browser-based upload): a form sent
// with POST to URL, holding every field of Fields and then the file, as
// the last field. S3 answers 204 when the form fits the policy.
type PostPolicy struct {
	URL     string            `json:"url"`
	Fields  map[string]string `json:"fields"`
	Name    string            `json:"name"`    // the name the object is stored under, relative to the location
	Expires time.Time         `json:"expires"` // when the policy stops being accepted
}

// PresignPost returns a presigned POST policy that lets a browser upload
// name straight to S3, within the limits of opts, which S3 enforces. It
// signs with the storage's credentials and makes no network call (but to
// refresh expiring credentials). It needs a storage built by New or given
// an *s3.Client. As URL, the policy never outlives the credentials that
// sign it (PostPolicy.Expires says when it stops being accepted).
//
// Unlike Save, a POST does not sniff the bytes and cannot refuse an
// existing name: give each policy a name of its own (a random prefix).
func (s *Storage) PresignPost(ctx context.Context, name string, opts *PostOptions) (*PostPolicy, error) {
	const op = "presign-post"
	if opts == nil {
		opts = &PostOptions{}
	}
	clean, key, client, exp, err := s.sdkPresign(op, name, opts.Expire)
	if err != nil {
		return nil, err
	}
	fields, conds, err := s.postForm(clean, key, opts)
	if err != nil {
		return nil, opError(op, key, err)
	}
	now := s.urls.now()
	creds, exp, err := s.urls.presignCredentials(ctx, exp, now)
	if err != nil {
		return nil, opError(op, key, err)
	}
	// The SDK reads the client options of the presign client, not those
	// of PresignPostOptions.
	pc := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *s3.Options) { so.Credentials = staticProvider(creds.creds) })
	})
	out, err := pc.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.opts.BucketName), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = exp
			o.Conditions = conds
		})
	if err != nil {
		return nil, opError(op, key, err)
	}
	for _, f := range fields {
		out.Values[f[0]] = f[1]
	}
	return &PostPolicy{URL: out.URL, Fields: out.Values, Name: clean, Expires: now.Add(exp).UTC().Truncate(time.Second)}, nil
}

// postForm returns the fields a POST form of opts carries besides the
// signature, and the conditions of its policy.
func (s *Storage) postForm(clean, key string, opts *PostOptions) ([][2]string, []any, error) {
	conds, err := s.postLimits(clean, opts)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.mergeParams(clean, key, opts.Params, "", "")
	if err != nil {
		return nil, nil, err
	}
	fields, err := postFields(&p)
	if err != nil {
		return nil, nil, err
	}
	if opts.ChecksumSHA256 != nil {
		if len(opts.ChecksumSHA256) != sha256.Size {
			return nil, nil, fmt.Errorf("ChecksumSHA256 holds %d bytes, not %d", len(opts.ChecksumSHA256), sha256.Size)
		}
		fields = append(fields, [2]string{"x-amz-checksum-algorithm", "SHA256"},
			[2]string{"x-amz-checksum-sha256", base64.StdEncoding.EncodeToString(opts.ChecksumSHA256)})
	}
	if opts.ContentTypePrefix != "" {
		if p.ContentType != "" && !strings.HasPrefix(p.ContentType, opts.ContentTypePrefix) {
			return nil, nil, fmt.Errorf("the content type %q does not start with %q", p.ContentType, opts.ContentTypePrefix)
		}
		conds = append(conds, []any{"starts-with", "$Content-Type", opts.ContentTypePrefix})
	}
	for _, f := range fields {
		if f[0] == "Content-Type" && opts.ContentTypePrefix != "" {
			continue // covered by the starts-with condition
		}
		conds = append(conds, map[string]string{f[0]: f[1]})
	}
	return fields, conds, nil
}

// postLimits returns the conditions of a POST policy on the key (a
// prefix of it, under the location, never the whole bucket) and on the
// size of the file.
func (s *Storage) postLimits(clean string, opts *PostOptions) ([]any, error) {
	var conds []any
	if opts.KeyPrefix != "" {
		prefix, err := CleanName(opts.KeyPrefix)
		if err != nil || !strings.HasPrefix(clean, prefix) {
			return nil, fmt.Errorf("%w: the key prefix %q is not a prefix of %q", ErrInvalidName, opts.KeyPrefix, clean)
		}
		eff := s.key(prefix)
		if eff == "" {
			// starts-with "" would let the form write any key of the bucket.
			return nil, fmt.Errorf("%w: the key prefix %q leaves the form free to write anywhere in the bucket", ErrInvalidName, opts.KeyPrefix)
		}
		conds = append(conds, []any{"starts-with", "$key", eff})
	}
	switch {
	case opts.MinSize < 0 || opts.MaxSize < 0 || opts.MaxSize > 0 && opts.MinSize > opts.MaxSize:
		return nil, fmt.Errorf("bad size range [%d, %d]", opts.MinSize, opts.MaxSize)
	case opts.MaxSize > 0:
		conds = append(conds, []any{"content-length-range", opts.MinSize, opts.MaxSize})
	}
	return conds, nil
}

// presignExpiry resolves the expiry of a presigned request.
func (s *Storage) presignExpiry(d time.Duration) (time.Duration, error) {
	if d == 0 {
		return s.opts.QuerystringExpire, nil
	}
	if err := ValidExpiry(d); err != nil {
		return 0, fmt.Errorf("expiry %w", err)
	}
	return d, nil
}

// postFields maps object parameters to POST form fields, in a fixed
// order, refusing those a POST cannot set.
func postFields(p *ObjectParameters) ([][2]string, error) {
	var fs [][2]string
	add := func(k, v string) {
		if v != "" {
			fs = append(fs, [2]string{k, v})
		}
	}
	add("acl", p.ACL)
	add("Cache-Control", p.CacheControl)
	add("Content-Disposition", p.ContentDisposition)
	add("Content-Encoding", p.ContentEncoding)
	add("Content-Type", p.ContentType)
	if !p.Expires.IsZero() {
		add("Expires", p.Expires.UTC().Format(http.TimeFormat))
	}
	for _, k := range sortedKeys(p.Metadata) {
		add("x-amz-meta-"+strings.ToLower(k), p.Metadata[k])
	}
	add("x-amz-storage-class", p.StorageClass)
	add("x-amz-server-side-encryption", p.ServerSideEncryption)
	add("x-amz-server-side-encryption-aws-kms-key-id", p.SSEKMSKeyId)
	add("x-amz-website-redirect-location", p.WebsiteRedirectLocation)
	rest := *p
	rest.ACL, rest.CacheControl, rest.ContentDisposition, rest.ContentEncoding, rest.ContentType = "", "", "", "", ""
	rest.Expires, rest.Metadata, rest.StorageClass, rest.ServerSideEncryption = time.Time{}, nil, "", ""
	rest.SSEKMSKeyId, rest.WebsiteRedirectLocation = "", ""
	rest.ChecksumAlgorithm = "" // a form carries no checksum: does not apply
	if set := setFields(rest); len(set) > 0 {
		return nil, fmt.Errorf("object parameters %s cannot be set by a presigned upload", strings.Join(set, ", "))
	}
	return fs, nil
}

// PutURLOptions adjusts one PresignPut. A nil *PutURLOptions is the zero
// value.
type PutURLOptions struct {
	// Expire is how long the URL stays valid. Default: the storage's
	// QuerystringExpire. At most 7 days.
	Expire time.Duration

	// ContentType, when set, is signed: the client must send exactly
	// this Content-Type, which the object gets.
	ContentType string

	// ContentLength, when positive, is signed: the client must send
	// exactly this many bytes. It is how a presigned PUT bounds a size.
	ContentLength int64

	// ContentDisposition, when set, is signed: the client must send
	// exactly this Content-Disposition, which the object gets.
	ContentDisposition string

	// IfNoneMatch makes the PUT a conditional create. It follows
	// ConditionalWrites as Put does: with it on, If-None-Match: * is
	// signed (a header the client must send) and S3 answers 412 when the
	// name is taken; with it off (or after the server answered 501 to the
	// header), PresignPut checks the name instead (one HEAD) and fails with
	// ErrExist when it is taken, and the URL signs no condition: a writer
	// that takes the name before the client's PUT is overwritten.
	IfNoneMatch bool

	// ChecksumSHA256, when set, is signed as the x-amz-checksum-sha256
	// header (base64 of these 32 bytes): the client must send it, and S3
	// refuses bytes that do not match it (400 BadDigest) and keeps it as
	// the object's checksum. Give it the SHA-256 the browser computed.
	ChecksumSHA256 []byte
}

// PresignedPut is a presigned PUT: the client sends the body with PUT to
// URL with every header of Header, as given.
type PresignedPut struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Header  map[string]string `json:"headers"`
	Name    string            `json:"name"`
	Expires time.Time         `json:"expires"`
}

// PresignPut returns a presigned PUT URL for name, with the storage's
// object parameters and the signed headers of opts, which S3 checks.
// It makes no network call (but to refresh expiring credentials, and the
// HEAD of IfNoneMatch when conditional writes are off) and needs a storage
// built by New or given an *s3.Client. As URL, it never outlives
// the credentials that sign it (PresignedPut.Expires says when it stops
// working).
func (s *Storage) PresignPut(ctx context.Context, name string, opts *PutURLOptions) (*PresignedPut, error) {
	const op = "presign-put"
	if opts == nil {
		opts = &PutURLOptions{}
	}
	clean, key, client, exp, err := s.sdkPresign(op, name, opts.Expire)
	if err != nil {
		return nil, err
	}
	p, err := s.mergeParams(clean, key, ObjectParameters{ContentType: opts.ContentType, ContentDisposition: opts.ContentDisposition}, "", "")
	if err != nil {
		return nil, opError(op, key, err)
	}
	in := p.putInput(s.opts.BucketName, key)
	in.ChecksumAlgorithm = "" // the body is not known here
	if opts.ChecksumSHA256 != nil {
		if len(opts.ChecksumSHA256) != sha256.Size {
			return nil, opError(op, key, fmt.Errorf("ChecksumSHA256 holds %d bytes, not %d", len(opts.ChecksumSHA256), sha256.Size))
		}
		in.ChecksumSHA256 = aws.String(base64.StdEncoding.EncodeToString(opts.ChecksumSHA256))
	}
	if opts.ContentLength > 0 {
		in.ContentLength = aws.Int64(opts.ContentLength)
	}
	if opts.IfNoneMatch && s.conditional.Load() {
		in.IfNoneMatch = aws.String("*")
	} else if opts.IfNoneMatch {
		if err := s.nameFree(ctx, op, clean); err != nil {
			return nil, err
		}
	}
	now := s.urls.now()
	creds, exp, err := s.urls.presignCredentials(ctx, exp, now)
	if err != nil {
		return nil, opError(op, key, err)
	}
	req, err := s3.NewPresignClient(client, s3.WithPresignExpires(exp)).PresignPutObject(ctx, in, func(o *s3.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *s3.Options) {
			so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			so.Credentials = staticProvider(creds.creds)
		})
	})
	if err != nil {
		return nil, opError(op, key, err)
	}
	h := make(map[string]string, len(req.SignedHeader))
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") && len(v) > 0 {
			h[k] = strings.Join(v, ",")
		}
	}
	if opts.ContentLength > 0 {
		h["Content-Length"] = strconv.FormatInt(opts.ContentLength, 10)
	}
	return &PresignedPut{URL: req.URL, Method: req.Method, Header: h, Name: clean, Expires: now.Add(exp).UTC().Truncate(time.Second)}, nil
}

// setFields returns the names of the set fields of p.
func setFields(p ObjectParameters) []string {
	var names []string
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			names = append(names, v.Type().Field(i).Name)
		}
	}
	return names
}

// sdkPresign is what PresignPost and PresignPut share: the cleaned name
// and its key, the concrete client the SDK's presigner needs (these sign
// more than the host, unlike URL's own presigner), and the expiry.
func (s *Storage) sdkPresign(op, name string, expire time.Duration) (clean, key string, client *s3.Client, exp time.Duration, err error) {
	if clean, key, err = s.objectKey(op, name); err != nil {
		return "", "", nil, 0, err
	}
	client, ok := s.client.(*s3.Client)
	if !ok {
		return "", "", nil, 0, opError(op, key, errors.New("presigning needs an *s3.Client"))
	}
	if exp, err = s.presignExpiry(expire); err != nil {
		return "", "", nil, 0, opError(op, key, err)
	}
	return clean, key, client, exp, nil
}
