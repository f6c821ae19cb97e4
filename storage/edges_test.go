package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// TestReadAheadOnTightBudget: with the default transfer settings (part
// = threshold = 8 MiB), a stream must read past 8 MiB to know that it is
// large; on the smallest budget that byte cannot wait for memory nothing
// of the stream will give back: it goes multipart at once.
func TestReadAheadOnTightBudget(t *testing.T) {
	st, srv := memStorage(t, s3local.Options{}, storage.Options{BufferMemory: storage.MinBufferMemory})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("9 MiB "), 9<<20/6)
	if _, err := st.Put(ctx, "big", struct{ io.Reader }{bytes.NewReader(data)}, nil); err != nil {
		t.Fatalf("Put of a 9 MiB stream on the smallest budget: %v", err)
	}
	if o, _ := srv.Object(testBucket, "big"); !bytes.Equal(o.Body, data) {
		t.Errorf("stored %d bytes, want %d", len(o.Body), len(data))
	}
}

// flipFirst flips the first byte of a body.
type flipFirst struct {
	io.ReadCloser
	done bool
}

func (f *flipFirst) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 && !f.done {
		p[0] ^= 0xff
		f.done = true
	}
	return n, err
}

// front puts a reverse proxy before ts whose responses modify may change.
func front(t *testing.T, ts string, modify func(*http.Response) error) *storage.Storage {
	t.Helper()
	target, _ := url.Parse(ts)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = modify
	f := httptest.NewServer(rp)
	t.Cleanup(f.Close)
	st, err := storage.New(context.Background(), storage.Options{BucketName: testBucket, EndpointURL: f.URL,
		AccessKey: testKey, SecretKey: testSecret, RegionName: "us-east-1", AddressingStyle: "path", LookupEnv: env()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReadChecksByChecksum: a full read goes on to the body's end, where
// the SDK checks the object's checksum, so corrupted bytes are an error.
func TestReadChecksByChecksum(t *testing.T) {
	_, ts := memServer(t, s3local.Options{})
	corrupt := false
	st := front(t, ts.URL, func(r *http.Response) error {
		if corrupt && r.Request.Method == http.MethodGet {
			r.Body = &flipFirst{ReadCloser: r.Body}
		}
		return nil
	})
	data := bytes.Repeat([]byte("abcdefgh"), 1000)
	if _, err := st.Put(context.Background(), "c.bin", bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	corrupt = true
	f, err := st.Open(context.Background(), "c.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := io.ReadAll(f); err == nil {
		t.Errorf("a corrupted body read without error (%d bytes, equal %v)", len(got), bytes.Equal(got, data))
	}
}

// TestResumeRefusesIgnoredRange: a server that ignores the Range of a
// resumed read would splice the first bytes in; the read fails instead.
func TestResumeRefusesIgnoredRange(t *testing.T) {
	_, ts := memServer(t, s3local.Options{})
	gets := 0
	st := front(t, ts.URL, func(r *http.Response) error {
		if r.Request.Method != http.MethodGet || r.Request.URL.Query().Has("list-type") {
			return nil
		}
		gets++
		switch gets {
		case 1:
			r.Body = io.NopCloser(io.LimitReader(r.Body, 100)) // cut
		case 2:
			r.Header.Del("Content-Range") // as from a server that ignored the Range
		}
		return nil
	})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := st.Put(context.Background(), "r.bin", bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	f, err := st.Open(context.Background(), "r.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := io.ReadAll(f); err == nil || !strings.Contains(err.Error(), "asked for bytes from 100") {
		t.Errorf("a resumed read answered without Content-Range = %d bytes, %v; want an error", len(got), err)
	}
}

// remover deletes the key just before CompleteMultipartUpload: the claim
// of the stream disappears while it uploads.
type remover struct{ *s3.Client }

func (r remover) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, f ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	r.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: in.Bucket, Key: in.Key})
	return r.Client.CompleteMultipartUpload(ctx, in, f...)
}

// TestClaimRemoved: a large stream whose claim is removed during the
// upload fails with ErrExist under its own name, and leaves no claim
// anywhere (it must not claim a new name for a body it has spent).
func TestClaimRemoved(t *testing.T) {
	srv, ts := memServer(t, s3local.Options{})
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, "")})
	st, err := storage.NewWithClient(context.Background(), remover{c}, storage.Options{
		BucketName: testBucket, LookupEnv: env(), FileOverwrite: storage.Bool(false),
		Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Put(context.Background(), "f.bin", struct{ io.Reader }{bytes.NewReader(make([]byte, 12<<20))}, nil)
	var se *storage.Error
	if !errors.Is(err, storage.ErrExist) || !errors.As(err, &se) || se.Key != "f.bin" {
		t.Errorf("Put whose claim was removed = %v; want ErrExist on f.bin", err)
	}
	objs, _ := srv.Objects(testBucket)
	for _, o := range objs {
		if bytes.HasPrefix(o.Body, []byte("s3kit: upload in progress")) {
			t.Errorf("a claim is left at %s", o.Key)
		}
	}
	if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d uploads left open", len(ups))
	}
}

// TestPutPastTheEnd: a file positioned past its end is an empty body, not
// a panic.
func TestPutPastTheEnd(t *testing.T) {
	st, srv := memStorage(t, s3local.Options{}, storage.Options{})
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("hello"), 0o644)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(100, io.SeekStart)
	if _, err := st.Put(context.Background(), "x", f, nil); err != nil {
		t.Fatal(err)
	}
	if o, ok := srv.Object(testBucket, "x"); !ok || len(o.Body) != 0 {
		t.Errorf("stored %q (%v), want an empty object", o.Body, ok)
	}
}

// TestConfigAndProxySecrets: a Config prints no setting, and proxy
// credentials are redacted in errors and in printed options, a bare user
// name (a token) included.
func TestConfigAndProxySecrets(t *testing.T) {
	cfg, err := storage.ParseConfig([]byte(`{"default": {"OPTIONS": {"bucket_name": "b", "access_key": "AKIA", "secret_key": "TOPSECRET"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, cfg); strings.Contains(s, "TOPSECRET") || !strings.Contains(s, "default") {
			t.Errorf("Sprintf(%q, cfg) = %s", verb, s)
		}
	}
	_, err = newOffline(t, storage.Options{BucketName: "b", Proxies: map[string]string{"https": "http://user:s3cr%zzet@proxy:3128"}})
	if err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Errorf("a bad proxy URL: %v; want an error without its password", err)
	}
	o := storage.Options{Proxies: map[string]string{"https": "http://tok3n@proxy:3128"}}
	if s := o.String(); strings.Contains(s, "tok3n") || !strings.Contains(s, "proxy:3128") {
		t.Errorf("Options.String() = %s; want the proxy without its user", s)
	}
}

// TestClientConfigOrigin: what client_config replaces (addressing style,
// signature version, proxies) is checked as client_config's, when the
// file is read.
func TestClientConfigOrigin(t *testing.T) {
	_, err := storage.ParseConfig([]byte(`{"default": {"OPTIONS": {"bucket_name": "b", "client_config": {"signature_version": "s3v2"}}}}`))
	if want := `config "default": option "client_config": signature_version: "s3v2" (SigV2)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("client_config with SigV2 = %v; want %q", err, want)
	}
	_, err = newOffline(t, storage.Options{BucketName: "b", ClientConfig: storage.ClientConfig{S3: storage.ClientS3Config{AddressingStyle: "dns"}}})
	if want := "Options.ClientConfig (client_config) (its addressing_style): must be path or virtual"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("client_config with a bad addressing style = %v; want %q", err, want)
	}
}
