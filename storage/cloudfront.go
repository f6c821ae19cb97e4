package storage

import (
	"errors"
	"time"
)

// CloudFrontSigner signs CloudFront URLs with a canned policy: the URL is
// valid until expires. *sign.URLSigner of
// github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign satisfies it; it is
// the Go form of the reference's cloudfront_signer.
type CloudFrontSigner interface {
	Sign(rawURL string, expires time.Time) (string, error)
}

// NoCloudFrontSigner, set as Options.CloudFrontSigner, turns CloudFront
// signing off for one storage even when CloudFrontKey and CloudFrontKeyID
// are set (the reference's cloudfront_signer=None): custom-domain URLs
// are then plain.
var NoCloudFrontSigner CloudFrontSigner = noCloudFrontSigner{}

type noCloudFrontSigner struct{}

func (noCloudFrontSigner) Sign(string, time.Time) (string, error) {
	return "", errors.New("storage: CloudFront signing is disabled")
}
