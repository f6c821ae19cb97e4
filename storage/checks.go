package storage

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
)

// The rules of the settings' values, which the rows of settings.go apply
// once their default is set. Each error says what is wrong, not where.

// ValidExpiry reports whether d is a lifetime S3 accepts for a signed URL
// or a POST policy: between one second and seven days (S3 signs whole
// seconds, so less than a second would be 0). Every expiry of s3kit is
// checked with it.
func ValidExpiry(d time.Duration) error {
	if d < time.Second || d > MaxExpire {
		return fmt.Errorf("must be between 1 s and 7 days, got %v", d)
	}
	return nil
}

func validSignature(v string) error {
	switch v {
	case "", "s3v4", "v4":
		return nil
	case "s3", "s3v2", "v2":
		return fmt.Errorf("%q (SigV2) is not supported by aws-sdk-go-v2; use s3v4", v)
	}
	return fmt.Errorf("must be s3v4, got %q", v)
}

func validAddressing(v string) error {
	switch v {
	case "", "auto", "path", "virtual":
		return nil
	}
	return fmt.Errorf("must be path or virtual, got %q", v)
}

func nonNegative(n int64) error {
	if n < 0 {
		return fmt.Errorf("must not be negative, got %d", n)
	}
	return nil
}

func prefixed(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func checkBucket(o *Options) error {
	switch {
	case o.BucketName == "":
		return errRequired
	case strings.ContainsAny(o.BucketName, "/\\ "):
		return fmt.Errorf("%q is not a bucket name", o.BucketName)
	}
	return nil
}

var errRequired = errors.New("required")

func checkProtocol(o *Options) error {
	if p := o.URLProtocol; !strings.HasSuffix(p, ":") || strings.ContainsAny(p[:len(p)-1], ":/") || len(p) == 1 {
		return fmt.Errorf("must be a scheme ending in ':' such as 'https:', got %q", p)
	}
	return nil
}

// cleanLocation cleans the location as a key prefix, without a trailing
// "/".
func cleanLocation(o *Options) error {
	if strings.HasPrefix(o.Location, "/") {
		return fmt.Errorf("must not start with '/', got %q", o.Location)
	}
	loc, err := CleanName(o.Location)
	if err != nil {
		return fmt.Errorf("%q is not a valid key prefix", o.Location)
	}
	o.Location = strings.TrimSuffix(loc, "/")
	if len(o.Location) >= MaxKeyLen {
		return errors.New("too long")
	}
	return nil
}

// cleanGzipTypes keeps the media types of GzipContentTypes, without
// their parameters.
func cleanGzipTypes(o *Options) error {
	types := make([]string, len(o.GzipContentTypes))
	for i, t := range o.GzipContentTypes {
		mt, _, err := mime.ParseMediaType(t)
		if err != nil {
			return fmt.Errorf("%q is not a media type", t)
		}
		types[i] = mt
	}
	o.GzipContentTypes = types
	return nil
}

func checkEndpoint(o *Options) error {
	if o.EndpointURL == "" {
		return nil
	}
	u, err := url.Parse(o.EndpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http or https URL, got %q", o.EndpointURL)
	}
	return nil
}

func checkCustomDomain(o *Options) error {
	if o.CustomDomain == "" {
		return nil
	}
	d := strings.TrimSuffix(o.CustomDomain, "/")
	if d == "" || strings.Contains(d, "://") || strings.ContainsAny(d, "?#\\ \t\r\n") || strings.HasPrefix(d, "/") {
		return fmt.Errorf("must be a host and an optional path, got %q", o.CustomDomain)
	}
	if ep, err := url.Parse("https://" + d); err != nil || ep.Host == "" {
		return fmt.Errorf("%q is not a host and an optional path", o.CustomDomain)
	}
	return nil
}

// check checks the transfer settings, their defaults set; use_threads
// false is one part at a time.
func (t *TransferConfig) check() error {
	if t.PartSize < MinPartSize || t.PartSize > MaxPartSize {
		return fmt.Errorf("multipart_chunksize must be between 5 MiB and 5 GiB, got %d", t.PartSize)
	}
	if t.Threshold < 0 || t.Threshold > MaxPartSize {
		return fmt.Errorf("multipart_threshold must be between 1 byte and 5 GiB, got %d", t.Threshold)
	}
	switch {
	case t.UseThreads != nil && !*t.UseThreads:
		t.Concurrency = 1
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
	// The three it replaces at the top level are checked here, so that an
	// error names client_config.
	if err := validAddressing(c.S3.AddressingStyle); err != nil {
		return prefixed("s3.addressing_style", err)
	}
	if err := validSignature(c.SignatureVersion); err != nil {
		return prefixed("signature_version", err)
	}
	if _, err := proxyFunc(c.Proxies); err != nil {
		return prefixed("proxies", err)
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

// parseRSAKey reads the PEM private key of cloudfront_key (PKCS #1 or
// PKCS #8).
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

func checkBufferMemory(o *Options) error {
	if o.BufferMemory < MinBufferMemory {
		return fmt.Errorf("must be at least %d bytes (8 MiB), got %d", MinBufferMemory, o.BufferMemory)
	}
	return nil
}

// checkCloudFrontKey parses the key, as New will.
func checkCloudFrontKey(o *Options) error {
	if o.CloudFrontKey == "" {
		return nil
	}
	_, err := parseRSAKey(o.CloudFrontKey)
	return err
}

// checkStableWindow checks url_stable_window, the one window of every
// signed URL (window.go), against its older CloudFront-only name.
func checkStableWindow(o *Options) error {
	if w, cf := o.URLStableWindow, o.CloudFrontExpiryWindow; w != 0 && cf != 0 && w != cf {
		return fmt.Errorf("%v differs from cloudfront_expiry_window (%v), its older name for CloudFront URLs: set one", w, cf)
	}
	return validWindow(o.URLStableWindow, o.QuerystringExpire)
}

func checkManifestName(o *Options) error {
	if clean, err := CleanName(o.ManifestName); err != nil || clean == "" || strings.HasSuffix(clean, "/") {
		return fmt.Errorf("%q is not a file name", o.ManifestName)
	}
	return nil
}

// checkChecksumAlgorithm spells checksum_algorithm as S3 does; unset
// stays unset (the default depends on the client, see initUploader).
func checkChecksumAlgorithm(o *Options) error { return checkAlgorithm(&o.ChecksumAlgorithm) }

func checkAlgorithm(v *string) error {
	if *v == "" {
		return nil
	}
	a, err := parseAlgorithm(*v)
	if err == nil {
		*v = a.String()
	}
	return err
}
