package handler_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// opCounter counts the operations an s3local server runs.
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *opCounter) intercept(op string, _ *http.Request) *s3local.Error {
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
	return nil
}

func (c *opCounter) n(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// localStorage is a real Storage on an in-process s3local, with small
// parts so that a 6 MiB file goes in a multipart upload.
func localStorage(t *testing.T) (*storage.Storage, *s3local.Server, *opCounter) {
	t.Helper()
	c := &opCounter{ops: map[string]int{}}
	srv := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}, Intercept: c.intercept})
	if err := srv.CreateBucket("bucket"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	st, err := storage.New(context.Background(), storage.Options{BucketName: "bucket", EndpointURL: ts.URL, AccessKey: "AKID", SecretKey: "secret",
		RegionName: "us-east-1", LookupEnv: func(string) (string, bool) { return "", false },
		Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}})
	if err != nil {
		t.Fatal(err)
	}
	return st, srv, c
}

func sfDigest(alg string, sum []byte) string {
	return alg + "=:" + base64.StdEncoding.EncodeToString(sum) + ":"
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestRequestDigest: a request's Content-Digest or Repr-Digest (sha-256,
// sha-512) covers its whole body. A wrong one is 400 digest_mismatch with
// nothing stored: the request's last file is never committed (a single
// PutObject is not sent, a multipart upload is aborted), and files stored
// before it are deleted. A digest the handler cannot check is 400
// invalid_digest, with Want-Content-Digest.
func TestRequestDigest(t *testing.T) {
	small := make([]byte, 10000)
	large := make([]byte, 6<<20)
	rand.Read(small)
	rand.Read(large)
	one, ctype := form(field("note", "a"), filepart("f", "a.bin", string(small)), field("after", "b"))
	bigOne, bigType := form(filepart("f", "b.bin", string(large)))
	two, twoType := form(filepart("f", "a.bin", string(small)), filepart("g", "b.bin", string(small)))
	wrong := sha(nil)
	for _, mode := range modes {
		for _, c := range []struct {
			name, header, value string
			body                []byte
			ctype               string
			status              int
			code                string
		}{
			{"right sha-256", "Content-Digest", sfDigest("sha-256", sha(one)), one, ctype, 201, ""},
			{"right sha-512 as Repr-Digest", "Repr-Digest", sfDigest("sha-512", sha512Sum(one)), one, ctype, 201, ""},
			{"both, one unknown", "Content-Digest", "md5=:AAAAAAAAAAAAAAAAAAAAAA==:, " + sfDigest("sha-256", sha(one)), one, ctype, 201, ""},
			{"wrong", "Content-Digest", sfDigest("sha-256", wrong), one, ctype, 400, handler.CodeDigestMismatch},
			{"wrong, multipart file", "Content-Digest", sfDigest("sha-256", wrong), bigOne, bigType, 400, handler.CodeDigestMismatch},
			{"wrong, two files", "Repr-Digest", sfDigest("sha-256", wrong), two, twoType, 400, handler.CodeDigestMismatch},
			{"unknown algorithm", "Content-Digest", "md5=:AAAAAAAAAAAAAAAAAAAAAA==:", one, ctype, 400, handler.CodeInvalidDigest},
			{"not a dictionary", "Content-Digest", "sha-256=" + hex.EncodeToString(sha(one)), one, ctype, 400, handler.CodeInvalidDigest},
			{"short", "Content-Digest", sfDigest("sha-256", wrong[:16]), one, ctype, 400, handler.CodeInvalidDigest},
		} {
			t.Run(mode.String()+"/"+c.name, func(t *testing.T) {
				st, srv, ops := localStorage(t)
				h, err := handler.NewUploadHandler(st, handler.Options{Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				r := newRequest(c.body, c.ctype)
				r.Header.Set(c.header, c.value)
				w, a := serve(t, h, r)
				if w.Code != c.status || a.Error.Code != c.code {
					t.Fatalf("answer %d %q, want %d %q", w.Code, a.Error.Code, c.status, c.code)
				}
				objs, _ := srv.Objects("bucket")
				ups, _ := srv.Uploads("bucket")
				if c.status == 201 {
					if len(objs) != 1 {
						t.Errorf("%d objects stored, want 1", len(objs))
					}
					return
				}
				if len(objs) != 0 || len(ups) != 0 {
					t.Errorf("after %q: %d objects, %d open uploads", c.name, len(objs), len(ups))
				}
				if c.code == handler.CodeInvalidDigest && w.Header().Get("Want-Content-Digest") == "" {
					t.Error("no Want-Content-Digest with invalid_digest")
				}
				// A large stream first claims its name with a placeholder
				// (removed again): only a completion would be the file.
				switch c.name {
				case "wrong":
					if n := ops.n(s3local.OpPutObject) + ops.n(s3local.OpDeleteObject); n != 0 {
						t.Errorf("%d writes and deletes: the file was written, not refused", n)
					}
				case "wrong, multipart file":
					if n := ops.n(s3local.OpCompleteMultipartUpload); n != 0 {
						t.Errorf("%d completions: the file was written, not refused", n)
					}
				}
			})
		}
	}
}

func sha512Sum(b []byte) []byte { s := sha512.Sum512(b); return s[:] }

// TestFileDigest: a file's digest field ("f.digest", before the file,
// RFC 9530 or hex) or its part's Content-Digest header goes to the
// storage, which stores nothing when the bytes do not match: 400
// digest_mismatch, no object written, no upload left. A match is answered
// with the file's sha256. A digest field after its file is 400
// invalid_digest.
func TestFileDigest(t *testing.T) {
	small := make([]byte, 10000)
	large := make([]byte, 6<<20)
	rand.Read(small)
	rand.Read(large)
	bad := sfDigest("sha-256", sha(nil))
	withHeader := func(p part, k, v string) part { p.header = map[string]string{k: v}; return p }
	for _, mode := range modes {
		for _, c := range []struct {
			name   string
			parts  []part
			status int
			code   string
		}{
			{"field", []part{field("f.digest", sfDigest("sha-256", sha(small))), filepart("f", "a.bin", string(small))}, 201, ""},
			{"hex field", []part{field("f.digest", hex.EncodeToString(sha(large))), filepart("f", "a.bin", string(large))}, 201, ""},
			{"part header", []part{withHeader(filepart("f", "a.bin", string(small)), "Content-Digest", sfDigest("sha-256", sha(small)))}, 201, ""},
			{"two files, in order", []part{field("f.digest", sfDigest("sha-256", sha(small))), field("f.digest", sfDigest("sha-256", sha(large))),
				filepart("f", "a.bin", string(small)), filepart("f", "b.bin", string(large))}, 201, ""},
			{"wrong field", []part{field("f.digest", bad), filepart("f", "a.bin", string(small))}, 400, handler.CodeDigestMismatch},
			{"wrong field, multipart", []part{field("f.digest", bad), filepart("f", "a.bin", string(large))}, 400, handler.CodeDigestMismatch},
			{"wrong header", []part{withHeader(filepart("f", "a.bin", string(small)), "Repr-Digest", bad)}, 400, handler.CodeDigestMismatch},
			{"second file wrong", []part{field("f.digest", sfDigest("sha-256", sha(small))), field("f.digest", bad),
				filepart("f", "a.bin", string(small)), filepart("f", "b.bin", string(large))}, 400, handler.CodeDigestMismatch},
			{"field after the file", []part{filepart("f", "a.bin", string(small)), field("f.digest", sfDigest("sha-256", sha(small)))}, 400, handler.CodeInvalidDigest},
			{"sha-512 only", []part{field("f.digest", sfDigest("sha-512", sha512Sum(small))), filepart("f", "a.bin", string(small))}, 400, handler.CodeInvalidDigest},
		} {
			t.Run(mode.String()+"/"+c.name, func(t *testing.T) {
				st, srv, ops := localStorage(t)
				h, err := handler.NewUploadHandler(st, handler.Options{Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				body, ctype := form(c.parts...)
				w, a := serve(t, h, newRequest(body, ctype))
				if w.Code != c.status || a.Error.Code != c.code {
					t.Fatalf("answer %d %q, want %d %q", w.Code, a.Error.Code, c.status, c.code)
				}
				objs, _ := srv.Objects("bucket")
				ups, _ := srv.Uploads("bucket")
				if c.status == 201 {
					for _, f := range a.Files {
						if s, _ := f["sha256"].(string); len(s) != 64 {
							t.Errorf("file %v answered without its sha256", f["name"])
						}
					}
					return
				}
				if len(objs) != 0 || len(ups) != 0 {
					t.Errorf("%d objects, %d open uploads after %s", len(objs), len(ups), c.name)
				}
				switch c.name {
				case "wrong field", "wrong header":
					if n := ops.n(s3local.OpPutObject); n != 0 {
						t.Errorf("%d PutObjects for a file that does not match its digest", n)
					}
				case "wrong field, multipart":
					if n := ops.n(s3local.OpCompleteMultipartUpload); n != 0 {
						t.Errorf("%d completions for a file that does not match its digest", n)
					}
				}
			})
		}
	}
}
