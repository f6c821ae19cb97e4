package storage

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectParams decides the parameters of an object Put writes: the
// content type detected from its name and first bytes, unless the call
// sets one, then mergeParams.
func (s *Storage) objectParams(name, key string, head []byte, call ObjectParameters) (ObjectParameters, error) {
	detected, encoding := "", ""
	if call.ContentType == "" {
		detected, encoding = DetectContentType(name, head)
	}
	return s.mergeParams(name, key, call, detected, encoding)
}

// mergeParams merges the object parameters of a write, for Put and for
// presigned uploads alike: the storage's, its hook's (told the content
// type the object will have) and the call's, each set field over the one
// before; then the detected type and encoding when none is set, and the
// default ACL.
func (s *Storage) mergeParams(name, key string, call ObjectParameters, detected, encoding string) (ObjectParameters, error) {
	p := *s.params
	if s.paramsFunc != nil {
		ct := call.ContentType
		if ct == "" {
			ct = detected
		}
		h, err := s.paramsFunc(name, key, ct)
		if err != nil {
			return p, err
		}
		p = overlay(p, h)
	}
	p = overlay(p, call)
	if p.ContentType == "" {
		p.ContentType = detected
		if p.ContentEncoding == "" {
			p.ContentEncoding = encoding
		}
	}
	if p.ACL == "" {
		p.ACL = s.opts.DefaultACL
	}
	return p, validACL(p.ACL)
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
