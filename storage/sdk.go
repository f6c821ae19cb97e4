package storage

// The SDK's side: the inputs a Storage builds for S3 calls and the field
// copies between the SDK's types.

import (
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// getInput is the GetObject of key, with the SSE-C key of the
// storage's ObjectParameters.
func (s *Storage) getInput(key string) *s3.GetObjectInput {
	return &s3.GetObjectInput{
		Bucket: aws.String(s.opts.BucketName), Key: aws.String(key),
		SSECustomerAlgorithm: str0(s.opts.ObjectParameters.SSECustomerAlgorithm),
		SSECustomerKey:       str0(s.opts.ObjectParameters.SSECustomerKey),
		SSECustomerKeyMD5:    str0(s.opts.ObjectParameters.SSECustomerKeyMD5),
	}
}

// responseValidation is the response_checksum_validation of an
// *s3.Client, 0 (unset) for another API: the one setting both HeadObject's
// x-amz-checksum-mode (headMode: asked for unless "when_required", the
// setting of services that refuse the header) and that of presigned GET
// URLs (urlState.crc: only "when_supported", as the SDK's presigner adds
// it) follow.
func responseValidation(client API) aws.ResponseChecksumValidation {
	if c, ok := client.(*s3.Client); ok {
		return c.Options().ResponseChecksumValidation
	}
	return 0
}

// headInput is the HeadObject of key, with the SSE-C key of p, asking
// for the object's checksum unless response checksums are checked only
// when required.
func (s *Storage) headInput(key string, p *ObjectParameters) *s3.HeadObjectInput {
	return &s3.HeadObjectInput{
		Bucket: aws.String(s.opts.BucketName), Key: aws.String(key), ChecksumMode: s.headMode,
		SSECustomerAlgorithm: str0(p.SSECustomerAlgorithm), SSECustomerKey: str0(p.SSECustomerKey), SSECustomerKeyMD5: str0(p.SSECustomerKeyMD5),
	}
}

// userMetadata is the metadata without s3kit's write id.
func userMetadata(md map[string]string) map[string]string {
	if _, ok := md[writeIDKey]; !ok {
		return md
	}
	if len(md) == 1 {
		return nil
	}
	out := make(map[string]string, len(md)-1)
	for k, v := range md {
		if k != writeIDKey {
			out[k] = v
		}
	}
	return out
}

// putInput maps parameters to a PutObjectInput. The manager copies the
// fields that CreateMultipartUpload and CompleteMultipartUpload share.
func (p *ObjectParameters) putInput(bucket, key string) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket:                    aws.String(bucket),
		Key:                       aws.String(key),
		ACL:                       types.ObjectCannedACL(p.ACL),
		CacheControl:              str0(p.CacheControl),
		ContentDisposition:        str0(p.ContentDisposition),
		ContentEncoding:           str0(p.ContentEncoding),
		ContentLanguage:           str0(p.ContentLanguage),
		ContentType:               str0(p.ContentType),
		Metadata:                  p.Metadata,
		StorageClass:              types.StorageClass(p.StorageClass),
		ServerSideEncryption:      types.ServerSideEncryption(p.ServerSideEncryption),
		SSEKMSKeyId:               str0(p.SSEKMSKeyId),
		SSEKMSEncryptionContext:   str0(p.SSEKMSEncryptionContext),
		BucketKeyEnabled:          p.BucketKeyEnabled,
		SSECustomerAlgorithm:      str0(p.SSECustomerAlgorithm),
		SSECustomerKey:            str0(p.SSECustomerKey),
		SSECustomerKeyMD5:         str0(p.SSECustomerKeyMD5),
		Tagging:                   str0(p.Tagging),
		WebsiteRedirectLocation:   str0(p.WebsiteRedirectLocation),
		ObjectLockMode:            types.ObjectLockMode(p.ObjectLockMode),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatus(p.ObjectLockLegalHoldStatus),
		ChecksumAlgorithm:         types.ChecksumAlgorithm(p.ChecksumAlgorithm),
		GrantFullControl:          str0(p.GrantFullControl),
		GrantRead:                 str0(p.GrantRead),
		GrantReadACP:              str0(p.GrantReadACP),
		GrantWriteACP:             str0(p.GrantWriteACP),
		RequestPayer:              types.RequestPayer(p.RequestPayer),
		ExpectedBucketOwner:       str0(p.ExpectedBucketOwner),
	}
	if !p.Expires.IsZero() {
		in.Expires = aws.Time(p.Expires)
	}
	if !p.ObjectLockRetainUntilDate.IsZero() {
		in.ObjectLockRetainUntilDate = aws.Time(p.ObjectLockRetainUntilDate)
	}
	return in
}

func str0(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// copyFields sets every field of *dst that *src has under the same name
// and type and that is set in src (the SDK's inputs share most fields).
// Body and checksums of the whole object are never copied.
func copyFields(dst, src any) {
	d, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	st := sv.Type()
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.IsExported() || f.Name == "Body" || f.Name == "ContentLength" || f.Name == "ContentMD5" {
			continue
		}
		if src := sv.Field(i); !src.IsZero() {
			if df := d.FieldByName(f.Name); df.IsValid() && df.Type() == f.Type && df.CanSet() {
				df.Set(src)
			}
		}
	}
}

// setChecksum sets the Checksum<alg> field (ChecksumCRC64NVME, ...) of
// the SDK struct *v to value: the SDK then sends the header as it is and
// computes no checksum of its own.
func setChecksum(v any, a algorithm, value string) {
	if a == algNone || value == "" {
		return
	}
	reflect.ValueOf(v).Elem().FieldByName("Checksum" + a.String()).Set(reflect.ValueOf(&value))
}

// checksumAlgs are the algorithms whose fields confirmedChecksum reads, in
// order of preference after the one asked for.
var checksumAlgs = [...]algorithm{algCRC64NVME, algCRC32C, algCRC32, algSHA256, algSHA1}

// confirmedChecksum reads the checksum an SDK output carries: the field of
// want when set, else the first set of the others, with the output's
// ChecksumType.
func confirmedChecksum(v any, want algorithm) (alg algorithm, value, typ string) {
	o := reflect.ValueOf(v).Elem()
	get := func(a algorithm) string {
		f := o.FieldByName("Checksum" + a.String())
		if !f.IsValid() || f.IsNil() {
			return ""
		}
		return f.Elem().String()
	}
	if f := o.FieldByName("ChecksumType"); f.IsValid() {
		typ = f.String()
	}
	if want != algNone {
		if value = get(want); value != "" {
			return want, value, typ
		}
	}
	for _, a := range checksumAlgs {
		if value = get(a); value != "" {
			return a, value, typ
		}
	}
	return algNone, "", ""
}
