package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// writeShape is one way a body reaches Put.
type writeShape struct {
	name      string
	size      int
	stream    bool // a plain io.Reader, not seekable
	overwrite bool
}

func writeShapes() []writeShape {
	var shapes []writeShape
	for _, size := range []int{1000, 12 << 20} {
		for _, stream := range []bool{false, true} {
			for _, overwrite := range []bool{true, false} {
				kind := map[bool]string{false: "seekable", true: "stream"}[stream]
				shapes = append(shapes, writeShape{
					name: fmt.Sprintf("%s/%dB/overwrite=%v", kind, size, overwrite),
					size: size, stream: stream, overwrite: overwrite,
				})
			}
		}
	}
	return shapes
}

func (w writeShape) reader(data []byte) io.Reader {
	if w.stream {
		return struct{ io.Reader }{bytes.NewReader(data)}
	}
	return bytes.NewReader(data)
}

// TestLostResponse loses the answer of one write after the server
// committed it: the SDK retries, and the retry is refused (412) or finds
// the upload gone (NoSuchUpload). Put must report success, at the name it
// stored, with one intact object, no claim and no open upload.
func TestLostResponse(t *testing.T) {
	ops := []struct {
		op    string
		claim bool // only the claim's PutObject (Cache-Control: no-store)
		part  string
	}{
		{op: s3local.OpPutObject},
		{op: s3local.OpPutObject, claim: true},
		{op: s3local.OpUploadPart, part: "2"},
		{op: s3local.OpCompleteMultipartUpload},
	}
	for _, shape := range writeShapes() {
		for _, o := range ops {
			large := shape.size > 1<<20
			if (o.op == s3local.OpPutObject) == large && !o.claim || o.claim && (!large || !shape.stream || shape.overwrite) {
				continue // the shape sends no such request
			}
			name := shape.name + "/" + o.op
			if o.claim {
				name += "(claim)"
			}
			t.Run(name, func(t *testing.T) {
				var cut atomic.Int32
				lose := func(op string, r *http.Request) bool {
					if op != o.op || o.part != "" && r.URL.Query().Get("partNumber") != o.part {
						return false
					}
					if o.claim != (r.Header.Get("Cache-Control") == "no-store") {
						return false
					}
					return cut.Add(1) == 1
				}
				st, srv := lossyStorage(t, lose, storage.Options{
					FileOverwrite: storage.Bool(shape.overwrite),
					Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
				})
				data := bytes.Repeat([]byte("lost answers "), shape.size/13+1)[:shape.size]
				info, err := st.Put(context.Background(), "f.bin", shape.reader(data), nil)
				if err != nil {
					t.Fatalf("Put = %v, want success: the write committed", err)
				}
				if cut.Load() == 0 {
					t.Fatalf("no %s answer was lost: the test did not test", o.op)
				}
				assertOnly(t, srv, info.Name, data)
				if info.Name != "f.bin" {
					t.Errorf("Put stored %q, want f.bin: the name was free", info.Name)
				}
				if info.ETag == "" || info.Size != int64(len(data)) {
					t.Errorf("Put = %+v, want the ETag and size %d", info, len(data))
				}
				if _, ok := info.Metadata["s3kit-write-id"]; ok {
					t.Errorf("Info.Metadata shows the write id: %v", info.Metadata)
				}
			})
		}
	}
}

// lossyStorage is memStorage behind a front that, for the requests lose
// picks, lets the server commit the operation and then closes the
// connection without a byte of answer: the client cannot tell whether the
// write happened, and the SDK retries it.
func lossyStorage(t *testing.T, lose func(op string, r *http.Request) bool, opts storage.Options) (*storage.Storage, *s3local.Server) {
	t.Helper()
	srv := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !lose(operation(r), r) {
			srv.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(httptest.NewRecorder(), r) // committed
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close() // and the answer lost
	}))
	t.Cleanup(ts.Close)
	opts.BucketName, opts.EndpointURL, opts.RegionName, opts.AddressingStyle = testBucket, ts.URL, "us-east-1", "path"
	opts.AccessKey, opts.SecretKey = testKey, testSecret
	opts.LookupEnv = env()
	st, err := storage.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return st, srv
}

// operation names the S3 operation of a path-style request to an object.
func operation(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return s3local.OpUploadPart
	case r.Method == http.MethodPut:
		return s3local.OpPutObject
	case r.Method == http.MethodPost && q.Has("uploads"):
		return s3local.OpCreateMultipartUpload
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return s3local.OpCompleteMultipartUpload
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return s3local.OpAbortMultipartUpload
	case r.Method == http.MethodDelete:
		return s3local.OpDeleteObject
	case r.Method == http.MethodHead:
		return s3local.OpHeadObject
	}
	return r.Method
}

// assertOnly checks that the bucket holds exactly one object, name, with
// data, and no open multipart upload.
func assertOnly(t *testing.T, srv *s3local.Server, name string, data []byte) {
	t.Helper()
	objs, _ := srv.Objects(testBucket)
	if len(objs) != 1 {
		var keys []string
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
		t.Errorf("the bucket holds %q, want only %q", keys, name)
	}
	o, ok := srv.Object(testBucket, name)
	if !ok || sha256.Sum256(o.Body) != sha256.Sum256(data) {
		t.Errorf("%q holds %d bytes (found %v), want the %d bytes put", name, len(o.Body), ok, len(data))
	}
	if bytes.HasPrefix(o.Body, []byte("s3kit: upload in progress")) {
		t.Errorf("%q holds the claim placeholder", name)
	}
	if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups))
	}
}

// TestTakenByAnother: a 412 for an object that is not this write's own
// still renames, and ConflictFail still fails with ErrExist.
func TestTakenByAnother(t *testing.T) {
	for _, shape := range writeShapes() {
		if shape.overwrite {
			continue
		}
		t.Run(shape.name, func(t *testing.T) {
			st, srv := memStorage(t, s3local.Options{MinPartSize: 1}, storage.Options{
				FileOverwrite: storage.Bool(false),
				Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2},
			})
			if _, err := srv.PutObject(testBucket, "f.bin", []byte("theirs"), nil); err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("x"), shape.size)
			info, err := st.Put(context.Background(), "f.bin", shape.reader(data), nil)
			if err != nil || !strings.HasPrefix(info.Name, "f_") {
				t.Fatalf("Put over another writer's object = %q, %v; want a new name", info.Name, err)
			}
			if o, _ := srv.Object(testBucket, "f.bin"); string(o.Body) != "theirs" {
				t.Errorf("the other writer's object holds %q", o.Body)
			}
			_, err = st.Put(context.Background(), "f.bin", shape.reader(data), &storage.SaveOptions{Conflict: storage.ConflictFail})
			if !errors.Is(err, storage.ErrExist) {
				t.Errorf("ConflictFail over another writer's object: %v, want ErrExist", err)
			}
			if objs, _ := srv.Objects(testBucket); len(objs) != 2 {
				t.Errorf("%d objects, want 2 (theirs and the renamed one)", len(objs))
			}
		})
	}
}

// TestCancelledAfterCommit: when the caller gives up after S3 stored the
// object but before the answer came, nothing of the write stays.
func TestCancelledAfterCommit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lose := func(op string, r *http.Request) bool {
		if op == s3local.OpPutObject {
			cancel() // the caller leaves while the object is stored
			return true
		}
		return false
	}
	st, srv := lossyStorage(t, lose, storage.Options{FileOverwrite: storage.Bool(false)})
	if _, err := st.Put(ctx, "f.txt", strings.NewReader("bytes"), nil); err == nil {
		t.Fatal("Put on a cancelled context succeeded")
	}
	if objs, _ := srv.Objects(testBucket); len(objs) != 0 {
		t.Errorf("%d objects left by a cancelled Put", len(objs))
	}
}
