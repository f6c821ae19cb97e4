package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

var uploadModes = []handler.Mode{handler.Spool, handler.Stream}

// uploadServer is a handler over a fresh storage location on the real
// server, with one temp dir for the handler's and the storage's spools.
type uploadServer struct {
	st   *storage.Storage
	h    *handler.UploadHandler
	srv  *httptest.Server
	tmp  string
	done chan struct{} // a value per finished request
	read probe         // what the handler read of the request in flight
}

// probe follows the handler's reads of a request body: the bytes read,
// and whether a read is waiting for more.
type probe struct {
	n       atomic.Int64
	waiting atomic.Bool
}

type probedBody struct {
	io.ReadCloser
	p *probe
}

func (b probedBody) Read(p []byte) (int, error) {
	b.p.waiting.Store(true)
	n, err := b.ReadCloser.Read(p)
	b.p.waiting.Store(false)
	b.p.n.Add(int64(n))
	return n, err
}

// waitRead waits until the handler has read n bytes of the request in
// flight and waits in a read for more: it has done all it can with them.
// The deadline only catches a hang.
func (u *uploadServer) waitRead(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(40 * time.Second); u.read.n.Load() < n || !u.read.waiting.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the handler read %d of the %d bytes sent", u.read.n.Load(), n)
		}
	}
}

func newUploadServer(t *testing.T, sopts storage.Options, hopts handler.Options) *uploadServer {
	t.Helper()
	u := &uploadServer{tmp: t.TempDir(), done: make(chan struct{}, 1000)}
	u.st = newStorage(t, sopts)
	hopts.TempDir = u.tmp
	if hopts.Key == nil {
		hopts.Key = func(_ *http.Request, _, name string) (string, error) { return "up/" + name, nil }
	}
	var err error
	if u.h, err = handler.NewUploadHandler(u.st, hopts); err != nil {
		t.Fatal(err)
	}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { u.done <- struct{}{} }()
		u.read.n.Store(0)
		r.Body = probedBody{r.Body, &u.read}
		u.h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// randReader yields n pseudo-random bytes of a seed, hashing them.
type randReader struct {
	rng *rand.ChaCha8
	n   int64
	sum hash.Hash
}

func newRandReader(seed byte, n int64) *randReader {
	return &randReader{rng: rand.NewChaCha8([32]byte{seed}), n: n, sum: sha256.New()}
}

func (r *randReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	r.rng.Read(p)
	r.sum.Write(p)
	r.n -= int64(len(p))
	return len(p), nil
}

type fileAnswer struct {
	Name            string `json:"name"`
	Size            int64  `json:"size"`
	ContentType     string `json:"content_type"`
	ContentEncoding string `json:"content_encoding"`
	ETag            string `json:"etag"`
}

// upload streams files (name → body) to the handler and decodes the answer.
func (u *uploadServer) upload(t testing.TB, files ...any) (int, []fileAnswer, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		var err error
		for i := 0; i < len(files) && err == nil; i += 2 {
			var fw io.Writer
			if fw, err = mw.CreateFormFile(fmt.Sprint("f", i), files[i].(string)); err == nil {
				_, err = io.Copy(fw, files[i+1].(io.Reader))
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.srv.URL, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ans struct {
		Files []fileAnswer `json:"files"`
		Error struct{ Code string }
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatalf("answer %d %q: %v", resp.StatusCode, body, err)
	}
	return resp.StatusCode, ans.Files, ans.Error.Code
}

// sum returns the SHA-256 of a stored file, read back through Open.
func sum(t *testing.T, st *storage.Storage, name string) []byte {
	t.Helper()
	f, err := st.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatalf("reading %q: %v", name, err)
	}
	return h.Sum(nil)
}

// assertEmpty checks that nothing of failed requests stayed: no object
// and no multipart upload under the location, no temp file, no open spool.
func (u *uploadServer) assertEmpty(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	client := u.st.Client().(*s3.Client)
	prefix := u.st.Location() + "/"
	objs, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs.Contents {
		t.Errorf("object %q stayed", aws.ToString(o.Key))
	}
	mpus, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mpus.Uploads {
		t.Errorf("multipart upload %q of %q stayed open", aws.ToString(m.UploadId), aws.ToString(m.Key))
	}
	if ents, _ := os.ReadDir(u.tmp); len(ents) != 0 {
		t.Errorf("temp dir holds %d files", len(ents))
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if dest, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(dest, u.tmp) {
			t.Errorf("a temp file is still open: %s", dest)
		}
	}
}

// waitFor waits until S3 holds what (an "object" or an open multipart
// "upload") under the location, to show that the cleanup had work to do.
func (u *uploadServer) waitFor(what string) bool {
	ctx := context.Background()
	client := u.st.Client().(*s3.Client)
	prefix := u.st.Location() + "/"
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		switch what {
		case "object":
			out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: &prefix})
			if err == nil && len(out.Contents) > 0 {
				return true
			}
		case "upload":
			out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: &prefix})
			if err == nil && len(out.Uploads) > 0 {
				return true
			}
		}
	}
	return false
}

// TestUpload64MiB stores 64 MiB in each mode (with a small file after it)
// and reads it back.
func TestUpload64MiB(t *testing.T) {
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{}, handler.Options{Mode: mode, MaxFileSize: 64 << 20, MaxRequestSize: 65 << 20})
			big, small := newRandReader(1, 64<<20), newRandReader(2, 5000)
			status, files, code := u.upload(t, "big.bin", big, "small.bin", small)
			if status != 201 || len(files) != 2 {
				t.Fatalf("upload = %d %s %v", status, code, files)
			}
			for i, want := range []*randReader{big, small} {
				if got := sum(t, u.st, files[i].Name); !bytes.Equal(got, want.sum.Sum(nil)) {
					t.Errorf("%s: stored bytes differ", files[i].Name)
				}
			}
			if files[0].Size != 64<<20 || files[0].ContentType != "application/octet-stream" || files[0].ETag == "" {
				t.Errorf("answer %+v", files[0])
			}
		})
	}
}

// TestUploadGzip: the storage's gzip setting applies in both modes.
func TestUploadGzip(t *testing.T) {
	css := strings.Repeat("body { color: red; }\n", 1<<20/21*12) // 12 MiB: multipart, streamed through gzip
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{Gzip: storage.Bool(true)}, handler.Options{Mode: mode})
			status, files, code := u.upload(t, "site.css", strings.NewReader(css), "small.css", strings.NewReader("a{}"))
			if status != 201 {
				t.Fatalf("upload = %d %s", status, code)
			}
			for i, want := range []string{css, "a{}"} {
				info, err := u.st.Stat(context.Background(), files[i].Name)
				if err != nil || info.ContentEncoding != "gzip" || !strings.HasPrefix(info.ContentType, "text/css") {
					t.Errorf("Stat(%q) = %q %q %v, want text/css gzip", files[i].Name, info.ContentType, info.ContentEncoding, err)
				}
				if got, want := sum(t, u.st, files[i].Name), sha256.Sum256([]byte(want)); !bytes.Equal(got, want[:]) {
					t.Errorf("%s: bytes read back differ", files[i].Name)
				}
			}
		})
	}
}

// TestUploadDisconnect cuts the client off at several points of a
// two-file request: nothing may stay.
func TestUploadDisconnect(t *testing.T) {
	const fileSize = 20 << 20 // above the 8 MiB threshold: multipart uploads
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("a", "first.bin")
	io.Copy(fw, newRandReader(3, fileSize))
	fw, _ = mw.CreateFormFile("b", "second.bin")
	secondStart := b.Len() // the first file is whole once its boundary is in
	io.Copy(fw, newRandReader(4, fileSize))
	mw.Close()
	body := b.Bytes()
	// before says what must be in S3 when the client goes: the stored
	// first file, or (Stream) an open multipart upload.
	points := []struct {
		name   string
		at     int
		before map[handler.Mode]string
	}{
		{"in the first header", 60, nil},
		{"early in the first file", 1 << 20, nil},
		// Stream: Put reads past the threshold (two parts) before it
		// creates the multipart upload.
		{"in the first file, past two parts", 18 << 20, map[handler.Mode]string{handler.Stream: "upload"}},
		{"between the files", secondStart, map[handler.Mode]string{handler.Spool: "object", handler.Stream: "object"}},
		{"in the second file", secondStart + 18<<20, map[handler.Mode]string{handler.Spool: "object", handler.Stream: "upload"}},
		{"one byte short", len(body) - 1, map[handler.Mode]string{handler.Spool: "object", handler.Stream: "upload"}},
	}
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{}, handler.Options{Mode: mode, MaxRequestSize: 64 << 20})
			for _, p := range points {
				t.Run(p.name, func(t *testing.T) {
					conn, err := net.Dial("tcp", u.srv.Listener.Addr().String())
					if err != nil {
						t.Fatal(err)
					}
					w := bufio.NewWriter(conn)
					fmt.Fprintf(w, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", mw.FormDataContentType(), len(body))
					w.Write(body[:p.at])
					w.Flush()
					if want := p.before[mode]; want != "" {
						if !u.waitFor(want) {
							t.Errorf("S3 never held an %s before the client left", want)
						}
					} else {
						u.waitRead(t, int64(p.at)) // the server read it all
					}
					conn.Close()
					select {
					case <-u.done:
					case <-time.After(40 * time.Second):
						t.Fatal("the handler did not return")
					}
					u.assertEmpty(t)
				})
			}
		})
	}
}

// TestUploadOversize: limits are answered with 413 and nothing is stored.
func TestUploadOversize(t *testing.T) {
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{}, handler.Options{Mode: mode, MaxFileSize: 10 << 20, MaxRequestSize: 24 << 20})
			// The first file is stored, the second is over MaxFileSize.
			status, _, code := u.upload(t, "ok.bin", newRandReader(5, 9<<20), "big.bin", newRandReader(6, 10<<20+1))
			if status != 413 || code != handler.CodeFileTooLarge {
				t.Errorf("file over the limit = %d %s, want 413 %s", status, code, handler.CodeFileTooLarge)
			}
			<-u.done
			u.assertEmpty(t)
			// Three files within MaxFileSize but over MaxRequestSize.
			status, _, code = u.upload(t, "a.bin", newRandReader(7, 9<<20), "b.bin", newRandReader(8, 9<<20), "c.bin", newRandReader(9, 9<<20))
			if status != 413 || code != handler.CodeRequestTooLarge {
				t.Errorf("request over the limit = %d %s, want 413 %s", status, code, handler.CodeRequestTooLarge)
			}
			<-u.done
			u.assertEmpty(t)
		})
	}
}

// TestUploadConcurrentSameName: 100 uploads of the same file name at once
// get 100 distinct names, each with its own bytes.
func TestUploadConcurrentSameName(t *testing.T) {
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{}, handler.Options{Mode: mode})
			const n = 100
			var wg sync.WaitGroup
			names := make([]string, n)
			sums := make([][]byte, n)
			for i := range n {
				wg.Go(func() {
					r := newRandReader(byte(i), 64<<10+int64(i))
					status, files, code := u.upload(workerT{t}, "same name.txt", r)
					if status != 201 || len(files) != 1 {
						t.Errorf("upload %d = %d %s", i, status, code)
						return
					}
					names[i], sums[i] = files[0].Name, r.sum.Sum(nil)
				})
			}
			wg.Wait()
			seen := map[string]bool{}
			for i, name := range names {
				if name == "" {
					continue
				}
				if seen[name] {
					t.Errorf("name %q given twice", name)
				}
				seen[name] = true
				if !strings.HasPrefix(name, "up/same_name") || !strings.HasSuffix(name, ".txt") {
					t.Errorf("name %q, want up/same_name[_XXXXXXX].txt", name)
				}
				if !bytes.Equal(sum(t, u.st, name), sums[i]) {
					t.Errorf("%s: stored bytes are not those of upload %d", name, i)
				}
			}
			if len(seen) != n {
				t.Errorf("%d distinct names, want %d", len(seen), n)
			}
		})
	}
}

// TestUploadIdleTimeout: a client that stalls after 18 MiB (Stream: with
// a multipart upload open on the server; Spool: with a spool file on disk)
// is answered 408 by the handler's own IdleTimeout, on a server with no
// ReadTimeout, and nothing of it stays.
func TestUploadIdleTimeout(t *testing.T) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("f", "big.bin")
	io.Copy(fw, newRandReader(10, 24<<20))
	mw.Close()
	body := b.Bytes()
	for _, mode := range uploadModes {
		t.Run(mode.String(), func(t *testing.T) {
			u := newUploadServer(t, storage.Options{}, handler.Options{Mode: mode, IdleTimeout: 2 * time.Second})
			conn, err := net.Dial("tcp", u.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			w := bufio.NewWriter(conn)
			fmt.Fprintf(w, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", mw.FormDataContentType(), len(body))
			w.Write(body[:18<<20])
			w.Flush()
			if mode == handler.Stream && !u.waitFor("upload") {
				t.Errorf("S3 never held an open upload before the stall")
			}
			conn.SetReadDeadline(time.Now().Add(40 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a stalled upload: %v", err)
			}
			var ans struct{ Error struct{ Code string } }
			json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout || ans.Error.Code != handler.CodeRequestTimeout {
				t.Errorf("stalled upload = %d %q, want 408 %q", resp.StatusCode, ans.Error.Code, handler.CodeRequestTimeout)
			}
			select {
			case <-u.done:
			case <-time.After(40 * time.Second):
				t.Fatal("the handler did not return")
			}
			u.assertEmpty(t)
		})
	}
}
