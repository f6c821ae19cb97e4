package storage_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/storage/storagetest"
)

const (
	testKey    = "AKIDTEST"
	testSecret = "secret/test/key"
	testBucket = "bucket"
)

// memServer starts an in-process S3 that checks signatures.
func memServer(t *testing.T, o s3local.Options) (*s3local.Server, *httptest.Server) {
	t.Helper()
	o.Credentials = []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}
	srv := s3local.New(o)
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

// memStorage returns a Storage on a fresh in-process S3.
func memStorage(t *testing.T, o s3local.Options, opts storage.Options) (*storage.Storage, *s3local.Server) {
	t.Helper()
	srv, ts := memServer(t, o)
	opts.BucketName = testBucket
	opts.EndpointURL = ts.URL
	opts.AccessKey, opts.SecretKey = testKey, testSecret
	opts.RegionName = "us-east-1"
	opts.AddressingStyle = "path"
	opts.LookupEnv = env()
	st, err := storage.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("storage.New: %v", err)
	}
	return st, srv
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, opts storage.Options) *storage.Storage {
		opts.Location = strings.TrimPrefix("unit/"+opts.Location, "/")
		opts.Location = strings.TrimSuffix(opts.Location, "/")
		st, _ := memStorage(t, s3local.Options{}, opts)
		return st
	})
}

// TestVirtualHost checks virtual-host addressing: the bucket goes in the
// host name, which a custom dialer sends to the test server.
func TestVirtualHost(t *testing.T) {
	srv, ts := memServer(t, s3local.Options{Domain: "s3.test"})
	var hosts []string
	st, err := storage.New(context.Background(), storage.Options{
		BucketName: testBucket, EndpointURL: "http://s3.test", AddressingStyle: "virtual",
		AccessKey: testKey, SecretKey: testSecret, RegionName: "us-east-1", LookupEnv: env(),
		ConfigureTransport: func(tr *http.Transport) {
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				hosts = append(hosts, addr)
				return (&net.Dialer{}).DialContext(ctx, network, ts.Listener.Addr().String())
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(context.Background(), "v.txt", strings.NewReader("virtual"), nil); err != nil {
		t.Fatalf("Save over virtual-host addressing: %v", err)
	}
	if _, ok := srv.Object(testBucket, "v.txt"); !ok {
		t.Errorf("the object is not in bucket %q", testBucket)
	}
	if len(hosts) == 0 || hosts[0] != testBucket+".s3.test:80" {
		t.Errorf("dialled %q, want %s.s3.test:80", hosts, testBucket)
	}
}

// TestConditionalWriteModes checks file_overwrite=false on servers that
// honour, ignore or refuse If-None-Match.
func TestConditionalWriteModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode s3local.ConditionalWriteMode
		opt  *bool
	}{
		{"enforced", s3local.ConditionalWritesEnforced, nil},
		{"not implemented: falls back", s3local.ConditionalWritesNotImplemented, nil},
		{"turned off: check then write", s3local.ConditionalWritesIgnored, storage.Bool(false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, srv := memStorage(t, s3local.Options{ConditionalWrites: tc.mode}, storage.Options{FileOverwrite: storage.Bool(false), ConditionalWrites: tc.opt})
			ctx := context.Background()
			var names []string
			for _, body := range []string{"one", "two", "three"} {
				name, err := st.Save(ctx, "f.txt", strings.NewReader(body), nil)
				if err != nil {
					t.Fatalf("Save(f.txt): %v", err)
				}
				names = append(names, name)
			}
			objs, _ := srv.Objects(testBucket)
			if names[0] != "f.txt" || names[1] == names[2] || len(objs) != 3 {
				t.Errorf("three saves of f.txt gave %q and %d objects, want f.txt and two new names", names, len(objs))
			}
			if o, _ := srv.Object(testBucket, "f.txt"); string(o.Body) != "one" {
				t.Errorf("f.txt = %q, want the first body", o.Body)
			}
		})
	}
}

// TestLostRace makes the server refuse the first conditional write, as
// when another writer takes the name first: a seekable body is sent again
// under a new name; a large stream, which cannot be, loses the race on its
// claim, before any byte is sent. Nothing touches the temp dir: TMPDIR
// names a directory of the test's while Save runs (os.TempDir and
// os.CreateTemp read it at each call), which is looked at during every
// request of the upload and after it.
func TestLostRace(t *testing.T) {
	for _, stream := range []bool{false, true} {
		var refused atomic.Int32
		var claims atomic.Int32
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		intercept := func(op string, r *http.Request) *s3local.Error {
			if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
				t.Errorf("stream %v: during %s, the temp dir holds %v (%v)", stream, op, left, err)
			}
			if op == s3local.OpPutObject && r.Header.Get("Cache-Control") == "no-store" && r.Header.Get("If-None-Match") == "*" {
				claims.Add(1)
			}
			if (op == s3local.OpCompleteMultipartUpload || op == s3local.OpPutObject) && r.Header.Get("If-None-Match") == "*" && refused.Add(1) == 1 {
				return &s3local.Error{StatusCode: http.StatusPreconditionFailed, Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
			}
			return nil
		}
		st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
			FileOverwrite: storage.Bool(false),
			Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
		})
		data := bytes.Repeat([]byte("0123456789"), 1_300_000) // 13 MB: three parts
		var r io.Reader = bytes.NewReader(data)
		if stream {
			r = struct{ io.Reader }{r}
		}
		name, err := st.Save(context.Background(), "big.bin", r, nil)
		if err != nil {
			t.Fatalf("stream %v: Save: %v", stream, err)
		}
		if !strings.HasPrefix(name, "big_") || refused.Load() < 2 {
			t.Errorf("stream %v: Save = %q after %d conditional writes, want a renamed object after a refused one", stream, name, refused.Load())
		}
		if want := map[bool]int32{false: 0, true: 2}[stream]; claims.Load() != want {
			t.Errorf("stream %v: %d claims, want %d", stream, claims.Load(), want)
		}
		o, ok := srv.Object(testBucket, name)
		if !ok || !bytes.Equal(o.Body, data) {
			t.Errorf("stream %v: %q holds %d bytes, want the %d saved", stream, name, len(o.Body), len(data))
		}
		if objs, _ := srv.Objects(testBucket); len(objs) != 1 {
			t.Errorf("stream %v: %d objects stored, want 1 (no claim left)", stream, len(objs))
		}
		if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
			t.Errorf("stream %v: %d multipart uploads left open", stream, len(ups))
		}
		if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
			t.Errorf("stream %v: the temp dir holds %v after Save (%v)", stream, left, err)
		}
	}
}

// TestClaimReplaced: a writer that overwrites replaces the claim of a
// large stream while it uploads. Save must not overwrite that writer's
// object, nor delete it: it fails with ErrExist.
func TestClaimReplaced(t *testing.T) {
	var srv *s3local.Server
	var once atomic.Bool
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpUploadPart && once.CompareAndSwap(false, true) {
			if _, err := srv.PutObject(testBucket, "f.bin", []byte("theirs"), nil); err != nil {
				t.Errorf("seeding the other writer's object: %v", err)
			}
		}
		return nil
	}
	st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
		FileOverwrite: storage.Bool(false),
		Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
	})
	_, err := st.Save(context.Background(), "f.bin", struct{ io.Reader }{bytes.NewReader(make([]byte, 12<<20))}, nil)
	if !errors.Is(err, storage.ErrExist) {
		t.Errorf("Save whose claim was replaced: error = %v, want ErrExist", err)
	}
	if o, ok := srv.Object(testBucket, "f.bin"); !ok || string(o.Body) != "theirs" {
		t.Errorf("the other writer's object = %q, %v; want it kept", o.Body, ok)
	}
	if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups))
	}
}

// TestFaults injects S3 failures into each step of an upload: Save fails
// with the SDK's error reachable, and leaves no object and no upload.
func TestFaults(t *testing.T) {
	for _, op := range []string{s3local.OpPutObject, s3local.OpCreateMultipartUpload, s3local.OpUploadPart, s3local.OpCompleteMultipartUpload} {
		for _, mode := range []struct{ stream, overwrite bool }{{false, true}, {true, true}, {false, false}, {true, false}} {
			stream := mode.stream
			intercept := func(got string, r *http.Request) *s3local.Error {
				if got == op && (op != s3local.OpUploadPart || r.URL.Query().Get("partNumber") == "2") {
					return &s3local.Error{Code: "InternalError", Message: "injected"}
				}
				return nil
			}
			st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
				FileOverwrite: storage.Bool(mode.overwrite), // false: large streams claim their name
				ClientConfig:  storage.ClientConfig{Retries: storage.Retries{TotalMaxAttempts: 1}},
				Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
			})
			size := 12 << 20
			if op == s3local.OpPutObject {
				size = 100
			}
			var r io.Reader = bytes.NewReader(make([]byte, size))
			if stream {
				r = struct{ io.Reader }{r}
			}
			_, err := st.Save(context.Background(), "f.bin", r, nil)
			var apiErr interface{ ErrorCode() string }
			if err == nil || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalError" {
				t.Errorf("%s fails (%+v): Save error = %v, want the InternalError reachable", op, mode, err)
			}
			if objs, _ := srv.Objects(testBucket); len(objs) != 0 {
				t.Errorf("%s fails (%+v): %d objects stored", op, mode, len(objs))
			}
			if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
				t.Errorf("%s fails (%+v): %d multipart uploads left open", op, mode, len(ups))
			}
		}
	}
}

// TestNoACLByDefault: ACL-disabled buckets refuse ACL headers, so none is
// sent unless configured; default_acl applies only when ACL is unset.
func TestNoACLByDefault(t *testing.T) {
	var acls []string
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpPutObject {
			acls = append(acls, r.Header.Get("X-Amz-Acl"))
		}
		return nil
	}
	ctx := context.Background()
	st, _ := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{})
	st.Save(ctx, "a", strings.NewReader("a"), nil)
	st2, _ := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{DefaultACL: "public-read"})
	st2.Save(ctx, "b", strings.NewReader("b"), nil)
	st2.Save(ctx, "c", strings.NewReader("c"), &storage.SaveOptions{Params: storage.ObjectParameters{ACL: "private"}})
	if want := []string{"", "public-read", "private"}; strings.Join(acls, ",") != strings.Join(want, ",") {
		t.Errorf("x-amz-acl headers sent = %q, want %q", acls, want)
	}
}

// TestWhenRequiredChecksums: multipart uploads, by the manager or the
// stream loop, declare the default CRC64NVME unless checksums are
// when_required, which some S3-compatible servers need.
func TestWhenRequiredChecksums(t *testing.T) {
	var algos []string
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpCreateMultipartUpload {
			algos = append(algos, r.Header.Get("X-Amz-Checksum-Algorithm"))
		}
		return nil
	}
	for _, calc := range []string{"when_supported", "when_required"} {
		st, _ := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
			ClientConfig: storage.ClientConfig{RequestChecksumCalculation: calc},
			Transfer:     storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20},
		})
		for _, r := range []io.Reader{bytes.NewReader(make([]byte, 6<<20)), struct{ io.Reader }{bytes.NewReader(make([]byte, 6<<20))}} {
			if _, err := st.Save(context.Background(), "x", r, nil); err != nil {
				t.Fatalf("%s: Save: %v", calc, err)
			}
		}
	}
	if want := "CRC64NVME,CRC64NVME,,"; strings.Join(algos, ",") != want {
		t.Errorf("checksum algorithms of multipart uploads = %q, want %q (when_required sends none)", algos, want)
	}
}

// TestUnrelated501 checks that a 501 about something else than
// If-None-Match (a header the server lacks, a proxy) does not turn
// conditional writes off for the later saves of the storage.
func TestUnrelated501(t *testing.T) {
	var conditional []bool
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op != s3local.OpPutObject {
			return nil
		}
		if r.Header.Get("X-Amz-Tagging") != "" {
			return &s3local.Error{StatusCode: http.StatusNotImplemented, Code: "NotImplemented", Message: "tagging is not implemented"}
		}
		conditional = append(conditional, r.Header.Get("If-None-Match") == "*")
		return nil
	}
	st, _ := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{FileOverwrite: storage.Bool(false)})
	ctx := context.Background()
	_, err := st.Save(ctx, "tagged.txt", strings.NewReader("x"), &storage.SaveOptions{Params: storage.ObjectParameters{Tagging: "a=b"}})
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotImplemented" {
		t.Errorf("Save with an unsupported header: error = %v, want the 501", err)
	}
	if _, err := st.Save(ctx, "later.txt", strings.NewReader("y"), nil); err != nil {
		t.Fatal(err)
	}
	if len(conditional) != 1 || !conditional[0] {
		t.Errorf("the save after an unrelated 501 sent If-None-Match: %v, want [true]", conditional)
	}
}

// TestClaimCleanupSSEC: a failed large stream deletes its claim even when
// the bucket needs the SSE-C key to HEAD it, as S3 does.
func TestClaimCleanupSSEC(t *testing.T) {
	intercept := func(op string, r *http.Request) *s3local.Error {
		switch {
		case op == s3local.OpHeadObject && r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Key") == "":
			return &s3local.Error{StatusCode: http.StatusBadRequest, Code: "InvalidRequest", Message: "the object was stored with SSE-C"}
		case op == s3local.OpUploadPart:
			return &s3local.Error{Code: "InternalError", Message: "injected"}
		}
		return nil
	}
	key := bytes.Repeat([]byte("k"), 32)
	sum := md5.Sum(key)
	st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
		FileOverwrite: storage.Bool(false),
		ObjectParameters: storage.ObjectParameters{SSECustomerAlgorithm: "AES256",
			SSECustomerKey: base64.StdEncoding.EncodeToString(key), SSECustomerKeyMD5: base64.StdEncoding.EncodeToString(sum[:])},
		ClientConfig: storage.ClientConfig{Retries: storage.Retries{TotalMaxAttempts: 1}},
		Transfer:     storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
	})
	if _, err := st.Save(context.Background(), "big.bin", struct{ io.Reader }{bytes.NewReader(make([]byte, 12<<20))}, nil); err == nil {
		t.Fatal("Save with failing parts succeeded")
	}
	if objs, _ := srv.Objects(testBucket); len(objs) != 0 {
		t.Errorf("%d objects left (the claim was not removed)", len(objs))
	}
}

// TestStreamLimit: a threshold above PartSize × Concurrency does not make
// a stream be held in memory up to the threshold.
func TestStreamLimit(t *testing.T) {
	var multipart atomic.Int32
	intercept := func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpCreateMultipartUpload {
			multipart.Add(1)
		}
		return nil
	}
	st, srv := memStorage(t, s3local.Options{Intercept: intercept}, storage.Options{
		Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 64 << 20, Concurrency: 2},
	})
	data := bytes.Repeat([]byte("z"), 12<<20)
	if _, err := st.Save(context.Background(), "s.bin", struct{ io.Reader }{bytes.NewReader(data)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(context.Background(), "seekable.bin", bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	if multipart.Load() != 1 {
		t.Errorf("%d multipart uploads, want 1: the 12 MiB stream past 2 × 5 MiB, not the seekable body under the threshold", multipart.Load())
	}
	if o, _ := srv.Object(testBucket, "s.bin"); !bytes.Equal(o.Body, data) {
		t.Errorf("s.bin holds %d bytes, want %d", len(o.Body), len(data))
	}
}
