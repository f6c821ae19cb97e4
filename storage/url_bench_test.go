package storage_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

// The URL benchmarks run side by side with the SDK's s3.PresignClient
// (the baseline of the presign figure) and a bare RSA-2048 PKCS#1 v1.5
// signature (the baseline of the CloudFront figure).

const benchName = "uploads/2025/report final (v2).pdf"

func benchStorage(b *testing.B, o storage.Options) *storage.Storage {
	b.Helper()
	o.BucketName = "media-bucket"
	o.LookupEnv = func(string) (string, bool) { return "", false }
	client := s3.New(s3.Options{Region: "eu-west-3", Credentials: aws.NewCredentialsCache(
		credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token"))})
	st, err := storage.NewWithClient(context.Background(), client, o)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func benchURL(b *testing.B, st *storage.Storage, opts *storage.URLOptions) {
	ctx := context.Background()
	if _, err := st.URL(ctx, benchName, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st.URL(ctx, benchName, opts)
	}
}

func BenchmarkURL(b *testing.B) {
	b.Run("presign", func(b *testing.B) {
		benchURL(b, benchStorage(b, storage.Options{}), nil)
	})
	b.Run("presign-window", func(b *testing.B) {
		// url_stable_window: one signature per window, then a lookup.
		benchURL(b, benchStorage(b, storage.Options{URLStableWindow: 5 * time.Minute}), nil)
	})
	b.Run("presign-response-headers", func(b *testing.B) {
		benchURL(b, benchStorage(b, storage.Options{}), &storage.URLOptions{
			ResponseContentDisposition: `attachment; filename*=UTF-8''report%20final%20%28v2%29.pdf`, ResponseContentType: "application/pdf"})
	})
	b.Run("PresignClient", func(b *testing.B) {
		st := benchStorage(b, storage.Options{})
		pc := s3.NewPresignClient(st.Client().(*s3.Client))
		key, _ := st.Key(benchName)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("media-bucket"), Key: aws.String(key)},
				s3.WithPresignExpires(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PresignClient-config", func(b *testing.B) {
		// The client storage.New builds (config.LoadDefaultConfig): the
		// one a program would otherwise presign with.
		st, err := storage.New(context.Background(), storage.Options{BucketName: "media-bucket", RegionName: "eu-west-3",
			AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SecurityToken: "session-token",
			LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			b.Fatal(err)
		}
		pc := s3.NewPresignClient(st.Client().(*s3.Client))
		key, _ := st.Key(benchName)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("media-bucket"), Key: aws.String(key)},
				s3.WithPresignExpires(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("presign-config", func(b *testing.B) {
		st, err := storage.New(context.Background(), storage.Options{BucketName: "media-bucket", RegionName: "eu-west-3",
			AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SecurityToken: "session-token",
			LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			b.Fatal(err)
		}
		benchURL(b, st, nil)
	})
	b.Run("public", func(b *testing.B) {
		benchURL(b, benchStorage(b, storage.Options{QuerystringAuth: storage.Bool(false), Location: "media"}), nil)
	})
	b.Run("custom-domain", func(b *testing.B) {
		benchURL(b, benchStorage(b, storage.Options{CustomDomain: "cdn.example.com", Location: "media"}), nil)
	})
	b.Run("cloudfront", func(b *testing.B) {
		_, pemKey := benchKey(b)
		benchURL(b, benchStorage(b, storage.Options{CustomDomain: "d111111abcdef8.cloudfront.net", CloudFrontKey: pemKey, CloudFrontKeyID: "K2JCJMDEHXQW5F"}), nil)
	})
	b.Run("cloudfront-memo", func(b *testing.B) {
		_, pemKey := benchKey(b)
		benchURL(b, benchStorage(b, storage.Options{CustomDomain: "d111111abcdef8.cloudfront.net", CloudFrontKey: pemKey, CloudFrontKeyID: "K2JCJMDEHXQW5F",
			CloudFrontExpiryWindow: 5 * time.Minute}), nil)
	})
	b.Run("rsa2048-pkcs1v15", func(b *testing.B) {
		// What a CloudFront signature costs at least: SHA-1 of a canned
		// policy and one RSA-2048 PKCS#1 v1.5 signature.
		key, _ := benchKey(b)
		policy := []byte(`{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/uploads/2025/report%20final%20(v2).pdf","Condition":{"DateLessThan":{"AWS:EpochTime":1767225600}}}]}`)
		b.ReportAllocs()
		for b.Loop() {
			h := sha1.Sum(policy)
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, h[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var benchKeyPEM string
var benchRSAKey *rsa.PrivateKey

func benchKey(b *testing.B) (*rsa.PrivateKey, string) {
	if benchRSAKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		benchRSAKey = k
		benchKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	}
	return benchRSAKey, benchKeyPEM
}

// BenchmarkPresignDirect is the URL of one part of a direct upload (what
// Uppy asks for per part), and one with a signed checksum header.
func BenchmarkPresignDirect(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts storage.DirectOptions
	}{
		{"part", storage.DirectOptions{UploadID: "2~abcdefghijklmnopqrstuvwxyz0123456789", PartNumber: 7}},
		{"part-checksum", storage.DirectOptions{UploadID: "2~abcdefghijklmnopqrstuvwxyz0123456789", PartNumber: 7,
			ChecksumSHA256: make([]byte, 32)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := benchStorage(b, storage.Options{})
			ctx := context.Background()
			if _, err := st.PresignDirect(ctx, storage.DirectUploadPart, benchName, &bc.opts); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				st.PresignDirect(ctx, storage.DirectUploadPart, benchName, &bc.opts)
			}
		})
	}
}
