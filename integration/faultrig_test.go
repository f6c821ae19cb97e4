package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/internal/faultproxy"
	"github.com/s3kit/s3kit/storage"
)

// claimPrefix is how the body of a storage's claim placeholder starts.
const claimPrefix = "s3kit: upload in progress"

// faultRig is one location of the test bucket reached two ways: st goes
// through a fault proxy, direct and client go straight to the server (the
// endpoint the package's newStorage uses, real or in-process), for the
// checks.
type faultRig struct {
	p      *faultproxy.Proxy
	st     *storage.Storage // through the proxy
	direct *storage.Storage // the same bucket and location, no proxy
	client *s3.Client       // direct
	prefix string           // the location's key prefix, with its "/"
}

// newFaultRig makes a fresh location with newStorage and a proxy to the
// server newStorage talks to; st has opts, its endpoint replaced by the
// proxy's, and the SDK's default retries.
func newFaultRig(t *testing.T, opts storage.Options, popts faultproxy.Options) *faultRig {
	t.Helper()
	direct := newStorage(t, opts)
	client := directClient(t, direct)
	endpoint := aws.ToString(client.Options().BaseEndpoint)
	if endpoint == "" {
		t.Fatal("newStorage's storage has no endpoint to put a proxy in front of")
	}
	p, err := faultproxy.Start(endpoint, popts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	o := opts // the connection comes from the environment, as in newStorage
	o.BucketName, o.Location = direct.Bucket(), direct.Location()
	configure := o.ConfigureClient
	o.ConfigureClient = func(so *s3.Options) {
		if configure != nil {
			configure(so)
		}
		// The SDK warns on stderr about every answer the proxy cuts.
		so.Logger = logging.Nop{}
	}
	o.AddressingStyle = "path" // the proxy reads the bucket from the path
	if tc := p.ClientTLS(); tc != nil {
		// faultproxy.Options.TLS: trust the proxy's certificate.
		transport := o.ConfigureTransport
		o.ConfigureTransport = func(tr *http.Transport) {
			if transport != nil {
				transport(tr)
			}
			tr.TLSClientConfig = tc
		}
	}
	o.ClientConfig.S3.AddressingStyle = "path"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var st *storage.Storage
	if os.Getenv("AWS_S3_ENDPOINT_URL") != "" {
		o.EndpointURL = p.URL()
		st, err = storage.New(ctx, o)
	} else {
		// newStorage gave its own client: the same client settings, to the proxy.
		st, err = storage.NewWithClient(ctx, s3.New(client.Options(), func(so *s3.Options) {
			so.BaseEndpoint, so.UsePathStyle, so.Logger = aws.String(p.URL()), true, logging.Nop{}
		}), o)
	}
	if err != nil {
		t.Fatalf("storage through the proxy: %v", err)
	}
	return &faultRig{p: p, st: st, direct: direct, client: client, prefix: direct.Location() + "/"}
}

// directClient is the S3 client of a storage made by newStorage.
func directClient(t *testing.T, st *storage.Storage) *s3.Client {
	t.Helper()
	c, ok := st.Client().(*s3.Client)
	if !ok {
		t.Fatalf("newStorage's client is a %T, not an *s3.Client", st.Client())
	}
	return c
}

// storedObject is an object found under the rig's location.
type storedObject struct {
	Name        string // relative to the location
	Size        int64
	Sum         string // SHA-256 of the bytes stored (as stored: no decoding)
	Placeholder bool   // the body is a claim placeholder
}

func (o storedObject) String() string {
	if o.Placeholder {
		return fmt.Sprintf("%q (%d B, a claim placeholder)", o.Name, o.Size)
	}
	return fmt.Sprintf("%q (%d B, sha256 %.12s)", o.Name, o.Size, o.Sum)
}

// objects lists and reads every object under the location, directly.
func (r *faultRig) objects(t *testing.T) []storedObject {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out []storedObject
	pages := s3.NewListObjectsV2Paginator(r.client, &s3.ListObjectsV2Input{Bucket: aws.String(r.direct.Bucket()), Prefix: aws.String(r.prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing %s: %v", r.prefix, err)
		}
		for _, o := range page.Contents {
			obj, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.direct.Bucket()), Key: o.Key})
			if err != nil {
				t.Fatalf("reading %s: %v", aws.ToString(o.Key), err)
			}
			h := sha256.New()
			head := make([]byte, len(claimPrefix))
			n, _ := io.ReadFull(obj.Body, head)
			h.Write(head[:n])
			_, err = io.Copy(h, obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatalf("reading %s: %v", aws.ToString(o.Key), err)
			}
			out = append(out, storedObject{
				Name: strings.TrimPrefix(aws.ToString(o.Key), r.prefix), Size: aws.ToInt64(o.Size),
				Sum: hex.EncodeToString(h.Sum(nil)), Placeholder: string(head[:n]) == claimPrefix,
			})
		}
	}
	return out
}

// uploads lists the open multipart uploads under the location, directly
// (not through the proxy).
func (r *faultRig) uploads(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []string
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(r.direct.Bucket()), Prefix: aws.String(r.prefix)}
	for {
		page, err := r.client.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatalf("listing the multipart uploads of %s: %v", r.prefix, err)
		}
		for _, u := range page.Uploads {
			out = append(out, strings.TrimPrefix(aws.ToString(u.Key), r.prefix)+" (upload "+aws.ToString(u.UploadId)+")")
		}
		if !aws.ToBool(page.IsTruncated) {
			return out
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// abortUploads aborts what uploads found, so that a case that is allowed
// to leave one does not leave it to the next.
func (r *faultRig) abortUploads() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := r.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(r.direct.Bucket()), Prefix: aws.String(r.prefix)})
	if err != nil {
		return
	}
	for _, u := range out.Uploads {
		r.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(r.direct.Bucket()), Key: u.Key, UploadId: u.UploadId})
	}
}

// faultData returns n pseudo-random bytes of a seed and their SHA-256.
func faultData(seed uint64, n int) ([]byte, string) {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), 'f'}).Read(b)
	s := sha256.Sum256(b)
	return b, hex.EncodeToString(s[:])
}

// bodyKind is how a body is handed to Put.
type bodyKind string

const (
	kindBytes  bodyKind = "bytes.Reader" // seekable, in memory
	kindFile   bodyKind = "os.File"      // seekable, on disk
	kindStream bodyKind = "stream"       // a plain io.Reader
)

// faultBody wraps data as kind; the func releases what it holds.
func faultBody(t testing.TB, kind bodyKind, data []byte) (io.Reader, func()) {
	t.Helper()
	switch kind {
	case kindFile:
		f, err := os.CreateTemp(t.TempDir(), "body-*")
		if err == nil {
			_, err = f.Write(data)
		}
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			t.Fatal(err)
		}
		return f, func() { f.Close() }
	case kindStream:
		return struct{ io.Reader }{bytes.NewReader(data)}, func() {}
	}
	return bytes.NewReader(data), func() {}
}

// faultUploader is an UploadHandler over a storage, on a loopback server.
type faultUploader struct {
	srv *httptest.Server
	tmp string
}

func newFaultUploader(t *testing.T, st *storage.Storage, mode handler.Mode) *faultUploader {
	t.Helper()
	u := &faultUploader{tmp: t.TempDir()}
	h, err := handler.NewUploadHandler(st, handler.Options{
		Mode: mode, TempDir: u.tmp, MaxFileSize: 64 << 20, MaxRequestSize: 65 << 20,
		Key: func(_ *http.Request, _, name string) (string, error) { return "up/" + name, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	u.srv = httptest.NewServer(h)
	t.Cleanup(u.srv.Close)
	return u
}

// errUpload is an answer of the handler other than 201.
var errUpload = errors.New("upload refused")

// post streams one file to the handler and returns the stored name.
func (u *faultUploader) post(ctx context.Context, filename string, data []byte) (string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", filename)
		if err == nil {
			_, err = io.Copy(fw, bytes.NewReader(data))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.srv.URL, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := u.srv.Client().Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ans struct {
		Files []struct{ Name string } `json:"files"`
		Error struct{ Code string }   `json:"error"`
	}
	json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusCreated || len(ans.Files) != 1 {
		return "", fmt.Errorf("%w: %d %s", errUpload, resp.StatusCode, ans.Error.Code)
	}
	return ans.Files[0].Name, nil
}

// leftInTemp lists the files in the handler's temp dir.
func (u *faultUploader) leftInTemp() []string {
	ents, _ := os.ReadDir(u.tmp)
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Join(u.tmp, e.Name()))
	}
	return out
}

// verdict compares what the location holds with what successful writes
// reported (name → SHA-256): objects nobody reported (orphans, which
// include claims and the copies of writes reported as failed), reported
// objects missing or with other bytes, and open multipart uploads.
type verdict struct {
	objects      []storedObject
	orphans      []storedObject
	placeholders []storedObject
	corrupt      []string
	missing      []string
	uploads      []string
}

func (r *faultRig) verdict(t *testing.T, want map[string]string) verdict {
	t.Helper()
	var v verdict
	v.objects = r.objects(t)
	found := map[string]bool{}
	for _, o := range v.objects {
		found[o.Name] = true
		if o.Placeholder {
			v.placeholders = append(v.placeholders, o)
		}
		sum, ok := want[o.Name]
		switch {
		case !ok:
			v.orphans = append(v.orphans, o)
		case sum != o.Sum:
			v.corrupt = append(v.corrupt, o.String())
		}
	}
	for name := range want {
		if !found[name] {
			v.missing = append(v.missing, name)
		}
	}
	slices.Sort(v.missing)
	v.uploads = r.uploads(t)
	return v
}

func (v verdict) String() string {
	return fmt.Sprintf("objects %v; orphans %d, placeholders %d, corrupt %d, missing %d, open uploads %d %v",
		v.objects, len(v.orphans), len(v.placeholders), len(v.corrupt), len(v.missing), len(v.uploads), v.uploads)
}
