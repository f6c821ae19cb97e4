package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// The Uppy protocol tests replay, against UppyHandler on the real server,
// what @uppy/aws-s3 6.1.0 (the uppy 6.0.1 bundle) sends in Companion mode
// (s3-client/CompanionS3.ts), and in signRequest mode (S3mini.ts).

const mib = 1 << 20

// uppyServer is an UppyHandler mounted at /s3/ over a fresh location.
type uppyServer struct {
	st    *storage.Storage
	srv   *httptest.Server
	puts  atomic.Int64 // parts PUT to S3
	reqs  []string     // the handler calls of the last upload, for the record
	trace bool
}

func newUppyServer(t *testing.T, opts handler.UppyOptions) *uppyServer {
	t.Helper()
	u := &uppyServer{st: newStorage(t, storage.Options{})}
	opts.Secret = bytes.Repeat([]byte("s"), 32)
	opts.Principal = func(r *http.Request) (string, error) {
		c, err := r.Cookie("user")
		if err != nil {
			return "", handler.ErrUnauthorized
		}
		return c.Value, nil
	}
	h, err := handler.NewUppyHandler(u.st, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s3/", http.StripPrefix("/s3", h))
	u.srv = httptest.NewServer(mux)
	t.Cleanup(u.srv.Close)
	return u
}

// call sends one request of Uppy's to the handler as the browser of user
// would: same-origin fetch, with its cookie, JSON bodies.
func (u *uppyServer) call(t testing.TB, user, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, u.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		req.Header.Set("Origin", u.srv.URL)
	}
	req.AddCookie(&http.Cookie{Name: "user", Value: user})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if u.trace {
		u.reqs = append(u.reqs, fmt.Sprintf("%s /s3%s → %d", method, strings.TrimPrefix(path, "/s3"), resp.StatusCode))
	}
	return resp.StatusCode, b
}

func decodeOK(t testing.TB, status int, body []byte, v any) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("answer %d %s, want 200", status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
}

// upload is what Uppy keeps of a multipart upload (Golden Retriever
// persists exactly this across a reload).
type upload struct {
	Key      string `json:"key"`
	UploadID string `json:"uploadId"`
}

type uppyPart struct {
	PartNumber int    `json:"PartNumber"`
	ETag       string `json:"ETag"`
}

func (u *uppyServer) create(t testing.TB, user, filename, ctype string) (int, []byte) {
	return u.call(t, user, "POST", "/s3/multipart", map[string]any{
		"filename": filename, "metadata": map[string]any{"name": filename, "type": ctype, "relativePath": nil}, "type": ctype,
	})
}

func (up upload) path(suffix string) string {
	return "/s3/multipart/" + url.PathEscape(up.UploadID) + suffix + "?" + url.Values{"key": {up.Key}}.Encode()
}

// sendPart gets part n's URL from the handler and PUTs data to S3 with it
// as the browser does: no Content-Type, the ETag read from the answer and
// unquoted.
func (u *uppyServer) sendPart(t testing.TB, user string, up upload, n int, data io.Reader, size int64) uppyPart {
	t.Helper()
	var signed struct{ URL string }
	status, body := u.call(t, user, "GET", up.path("/"+strconv.Itoa(n)), nil)
	decodeOK(t, status, body, &signed)
	etag := putS3(t, "PUT", signed.URL, data, size, "")
	u.puts.Add(1)
	if u.trace {
		u.reqs = append(u.reqs, fmt.Sprintf("PUT S3 part %d (%d bytes, no Content-Type) → ETag %s", n, size, etag))
	}
	return uppyPart{n, strings.Trim(etag, `"`)}
}

// putS3 sends a presigned request to S3 and returns the ETag it answers.
func putS3(t testing.TB, method, url string, data io.Reader, size int64, ctype string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, data)
	req.ContentLength = size
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s to S3: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s to S3 = %d %s", method, resp.StatusCode, b)
	}
	return resp.Header.Get("ETag")
}

// openUploads counts the multipart uploads open under the storage's
// location.
func openUploads(t *testing.T, st *storage.Storage) int {
	t.Helper()
	out, err := st.Client().(*s3.Client).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{
		Bucket: aws.String(st.Bucket()), Prefix: aws.String(st.Location() + "/"),
	})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	return len(out.Uploads)
}

// fileParts cuts a file of size bytes into Uppy's 5 MiB parts.
func fileParts(size int64) (n int, partSize func(i int) int64) {
	const chunk = 5 * mib
	n = int((size + chunk - 1) / chunk)
	return n, func(i int) int64 { return min(chunk, size-int64(i-1)*chunk) }
}

// TestUppyResume: a 64 MiB file in 5 MiB parts, cut after part 7 (the
// page reloads): Uppy lists the parts, sends only the missing ones,
// completes with the listed ETags (quoted) and its own (unquoted); the
// bytes stored equal the file's, and no upload stays open.
func TestUppyResume(t *testing.T) {
	u := newUppyServer(t, handler.UppyOptions{})
	u.trace = true
	const size = 64 * mib
	data := make([]byte, size)
	newRandReader(42, size).Read(data)
	var up upload
	status, body := u.create(t, "alice", "holiday.mp4", "video/mp4")
	decodeOK(t, status, body, &up)
	n, partSize := fileParts(size)
	slice := func(i int) io.Reader { return bytes.NewReader(data[int64(i-1)*5*mib : int64(i-1)*5*mib+partSize(i)]) }
	for i := 1; i <= 7; i++ {
		u.sendPart(t, "alice", up, i, slice(i), partSize(i))
	}
	// The reload: all that is left is {key, uploadId}.
	var listed []struct {
		PartNumber int
		ETag       string
		Size       int64
	}
	status, body = u.call(t, "alice", "GET", up.path(""), nil)
	decodeOK(t, status, body, &listed)
	if len(listed) != 7 || listed[6].PartNumber != 7 || listed[6].Size != 5*mib || !strings.HasPrefix(listed[6].ETag, `"`) {
		t.Fatalf("ListParts after the cut = %s", body)
	}
	parts := make([]uppyPart, 0, n)
	for _, p := range listed {
		parts = append(parts, uppyPart{p.PartNumber, p.ETag})
	}
	for i := 8; i <= n; i++ {
		parts = append(parts, u.sendPart(t, "alice", up, i, slice(i), partSize(i)))
	}
	var done struct {
		Location, Key string
		File          struct {
			Name        string `json:"name"`
			Size        int64  `json:"size"`
			ContentType string `json:"content_type"`
		}
	}
	status, body = u.call(t, "alice", "POST", up.path("/complete"), map[string]any{"parts": parts})
	decodeOK(t, status, body, &done)
	if got := u.puts.Load(); got != int64(n) {
		t.Errorf("%d parts sent for a file of %d parts: the resume sent some twice", got, n)
	}
	want := sha256.Sum256(data)
	if got := sum(t, u.st, done.File.Name); !bytes.Equal(got, want[:]) || done.File.Size != size || done.Key != up.Key {
		t.Errorf("stored %s (%d bytes, %s): SHA-256 %x, want %x", done.File.Name, done.File.Size, done.Key, got, want)
	}
	if open := openUploads(t, u.st); open != 0 {
		t.Errorf("%d uploads open after completion", open)
	}
	t.Logf("requests of one upload, as Uppy sends them (cut after part 7):\n\t%s", strings.Join(u.reqs, "\n\t"))
}

// started creates an upload and sends parts of the given sizes.
func (u *uppyServer) started(t testing.TB, user, filename, ctype string, sizes ...int64) (upload, []uppyPart) {
	t.Helper()
	var up upload
	status, body := u.create(t, user, filename, ctype)
	decodeOK(t, status, body, &up)
	var parts []uppyPart
	for i, n := range sizes {
		parts = append(parts, u.sendPart(t, user, up, i+1, newRandReader(byte(i), n), n))
	}
	return up, parts
}

// assertGone checks that a refused upload left nothing: no object, no
// open upload.
func (u *uppyServer) assertGone(t *testing.T, up upload) {
	t.Helper()
	name := strings.TrimPrefix(up.Key, u.st.Location()+"/")
	if exists(t, u.st, name) {
		t.Errorf("%s is stored after a refusal", name)
	}
	if open := openUploads(t, u.st); open != 0 {
		t.Errorf("%d uploads open after a refusal", open)
	}
}

// TestUppyRefusals: on the real server, each refusal of the protocol
// answers what Uppy's errors say and leaves nothing behind.
func TestUppyRefusals(t *testing.T) {
	u := newUppyServer(t, handler.UppyOptions{MaxFileSize: 12 * mib})
	code := func(body []byte) string {
		var e struct{ Code string }
		json.Unmarshal(body, &e)
		return e.Code
	}
	t.Run("another principal", func(t *testing.T) {
		up, parts := u.started(t, "alice", "a.bin", "", 5*mib, 10)
		for _, c := range []struct{ method, path string }{{"GET", up.path("/3")}, {"GET", up.path("")}, {"POST", up.path("/complete")}, {"DELETE", up.path("")}} {
			if status, body := u.call(t, "mallory", c.method, c.path, map[string]any{"parts": parts}); status != 403 {
				t.Errorf("mallory's %s %s = %d %s, want 403", c.method, c.path, status, body)
			}
		}
		tampered := up
		tampered.Key = strings.Replace(up.Key, "a.bin", "b.bin", 1)
		if status, body := u.call(t, "alice", "POST", tampered.path("/complete"), map[string]any{"parts": parts}); status != 403 {
			t.Errorf("completion with a tampered key = %d %s, want 403", status, body)
		}
		if status, body := u.call(t, "alice", "DELETE", up.path(""), nil); status != 200 {
			t.Errorf("alice's abort = %d %s", status, body)
		}
		u.assertGone(t, up)
	})
	t.Run("total over the limit", func(t *testing.T) {
		up, parts := u.started(t, "alice", "big.bin", "", 5*mib, 5*mib, 5*mib)
		status, body := u.call(t, "alice", "POST", up.path("/complete"), map[string]any{"parts": parts})
		if status != 413 || code(body) != handler.CodeFileTooLarge {
			t.Errorf("completion of 15 MiB over 12 = %d %s, want 413", status, body)
		}
		u.assertGone(t, up)
	})
	t.Run("3 parts of 1 MiB", func(t *testing.T) {
		up, parts := u.started(t, "alice", "small.bin", "", mib, mib, mib)
		status, body := u.call(t, "alice", "POST", up.path("/complete"), map[string]any{"parts": parts})
		if status != 400 || code(body) != handler.CodePartTooSmall {
			t.Errorf("completion of 3 parts of 1 MiB = %d %s, want 400 (EntityTooSmall)", status, body)
		}
		u.assertGone(t, up)
	})
	t.Run("HTML declared image/png", func(t *testing.T) {
		var up upload
		status, body := u.create(t, "alice", "cat.png", "image/png")
		decodeOK(t, status, body, &up)
		page := []byte("<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>")
		p := u.sendPart(t, "alice", up, 1, bytes.NewReader(page), int64(len(page)))
		status, body = u.call(t, "alice", "POST", up.path("/complete"), map[string]any{"parts": []uppyPart{p}})
		if status != 415 {
			t.Errorf("completion of HTML declared as image/png = %d %s, want 415", status, body)
		}
		u.assertGone(t, up)
	})
}

// TestUppyConflicts: two uploads of one name, on the real server's
// conditional completion: as configured, the one that starts after the
// first is stored is renamed (or refused with 409), and the one that
// completes second is 409 and aborted; with ConflictOverwrite it
// replaces the first.
func TestUppyConflicts(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		conflict                storage.Conflict
		lateStatus, afterStatus int
		renamed                 bool
	}{
		{"rename", storage.ConflictRename, 409, 200, true},
		{"fail", storage.ConflictFail, 409, 409, false},
		{"overwrite", storage.ConflictOverwrite, 200, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUppyServer(t, handler.UppyOptions{Conflict: tc.conflict})
			early, ep := u.started(t, "alice", "same.bin", "", 100)
			late, lp := u.started(t, "alice", "same.bin", "", 200)
			if early.Key != late.Key {
				t.Fatalf("uploads started together got %s and %s", early.Key, late.Key)
			}
			if status, body := u.call(t, "alice", "POST", early.path("/complete"), map[string]any{"parts": ep}); status != 200 {
				t.Fatalf("first completion = %d %s", status, body)
			}
			status, body := u.call(t, "alice", "POST", late.path("/complete"), map[string]any{"parts": lp})
			if status != tc.lateStatus {
				t.Errorf("second completion of the name = %d %s, want %d", status, body, tc.lateStatus)
			}
			name := strings.TrimPrefix(early.Key, u.st.Location()+"/")
			if info, err := u.st.Stat(context.Background(), name); err != nil || (info.Size == 200) != (tc.lateStatus == 200) {
				t.Errorf("the name holds %d bytes (%v) after the second completion", info.Size, err)
			}
			var after upload
			status, body = u.create(t, "alice", "same.bin", "")
			if status != tc.afterStatus {
				t.Fatalf("an upload started once the name is stored = %d %s, want %d", status, body, tc.afterStatus)
			}
			if status == 200 {
				decodeOK(t, status, body, &after)
				if (after.Key != early.Key) != tc.renamed {
					t.Errorf("an upload started once %s is stored got %s; renamed: want %v", early.Key, after.Key, tc.renamed)
				}
				u.call(t, "alice", "DELETE", after.path(""), nil)
			}
			if open := openUploads(t, u.st); open != 0 {
				t.Errorf("%d uploads open", open)
			}
		})
	}
}

// signS3 is Uppy v6's signRequest callback posting to the handler's
// presign route; it returns the URL and the key to use from then on.
func (u *uppyServer) signS3(t *testing.T, user string, req map[string]any) (int, string, string) {
	t.Helper()
	status, body := u.call(t, user, "POST", "/s3/presign", req)
	var a struct{ URL, Key string }
	if status == 200 {
		decodeOK(t, status, body, &a)
	}
	return status, a.URL, a.Key
}

// confirm is the page's call once Uppy reports a file stored in
// signRequest mode or by a POST policy.
func (u *uppyServer) confirm(t *testing.T, user, key string) (int, []byte) {
	return u.call(t, user, "POST", "/s3/confirm", map[string]string{"key": key})
}

// TestUppySignRequest: Uppy v6's signRequest mode, the browser calling S3
// with the URLs the handler signs (S3mini.ts): a multipart upload and a
// single PUT, each confirmed; what the table does not allow is refused.
func TestUppySignRequest(t *testing.T) {
	u := newUppyServer(t, handler.UppyOptions{MaxFileSize: 12 * mib})
	status, createURL, key := u.signS3(t, "alice", map[string]any{"method": "POST", "key": "0b7c9a3e-4a3f-4b5e-9c1d-2e3f4a5b6c7d-movie.bin"})
	if status != 200 || !strings.HasSuffix(key, "/movie.bin") {
		t.Fatalf("presign CreateMultipartUpload = %d, key %q", status, key)
	}
	req, _ := http.NewRequest("POST", createURL, nil)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ UploadId string }
	err = xml.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.UploadId == "" {
		t.Fatalf("CreateMultipartUpload with the presigned URL = %d, %v", resp.StatusCode, err)
	}
	xmlBody := "<CompleteMultipartUpload>"
	for i, n := range []int64{5 * mib, 1000} {
		_, partURL, _ := u.signS3(t, "alice", map[string]any{"method": "PUT", "key": key, "uploadId": created.UploadId, "partNumber": i + 1})
		etag := putS3(t, "PUT", partURL, newRandReader(byte(i), n), n, "")
		xmlBody += fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, strings.Trim(etag, `"`))
	}
	_, completeURL, _ := u.signS3(t, "alice", map[string]any{"method": "POST", "key": key, "uploadId": created.UploadId})
	putS3(t, "POST", completeURL, strings.NewReader(xmlBody+"</CompleteMultipartUpload>"), int64(len(xmlBody)+26), "application/xml")
	if status, body := u.confirm(t, "alice", key); status != 200 {
		t.Errorf("confirm of the completed upload = %d %s", status, body)
	}
	if status, body := u.confirm(t, "mallory", key); status != 403 {
		t.Errorf("mallory's confirm = %d %s, want 403", status, body)
	}
	for _, req := range []map[string]any{
		{"method": "GET", "key": key},    // GetObject
		{"method": "DELETE", "key": key}, // DeleteObject
		{"method": "HEAD", "key": key},
		{"method": "PUT", "key": key, "uploadId": created.UploadId, "partNumber": 1, "extra": true}, // fine: but mallory's
	} {
		user := "alice"
		if req["extra"] != nil {
			user = "mallory"
		}
		if status, url, _ := u.signS3(t, user, req); status != 403 {
			t.Errorf("presign %v by %s = %d %s, want 403", req, user, status, url)
		}
	}
}

// TestUppySignRequestRefusals: in signRequest mode the limits are checked
// when the browser asks to complete, and the bytes when the page
// confirms; what fails is aborted or deleted.
func TestUppySignRequestRefusals(t *testing.T) {
	u := newUppyServer(t, handler.UppyOptions{MaxFileSize: 12 * mib})
	_, createURL, key := u.signS3(t, "alice", map[string]any{"method": "POST", "key": "big.bin"})
	req, _ := http.NewRequest("POST", createURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ UploadId string }
	xml.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	for i := range 3 {
		_, partURL, _ := u.signS3(t, "alice", map[string]any{"method": "PUT", "key": key, "uploadId": created.UploadId, "partNumber": i + 1})
		putS3(t, "PUT", partURL, newRandReader(byte(i), 5*mib), 5*mib, "")
	}
	if status, _, _ := u.signS3(t, "alice", map[string]any{"method": "POST", "key": key, "uploadId": created.UploadId}); status != 413 {
		t.Errorf("presign completion of 15 MiB over 12 = %d, want 413", status)
	}
	if open := openUploads(t, u.st); open != 0 {
		t.Errorf("%d uploads open after the refusal", open)
	}
	status, putURL, pkey := u.signS3(t, "alice", map[string]any{"method": "PUT", "key": "cat.png"})
	if status != 200 {
		t.Fatalf("presign PutObject = %d", status)
	}
	page := "<!DOCTYPE html><html><script>alert(1)</script></html>"
	putS3(t, "PUT", putURL, strings.NewReader(page), int64(len(page)), "image/png")
	if status, body := u.confirm(t, "alice", pkey); status != 415 {
		t.Errorf("confirm of HTML declared image/png = %d %s, want 415", status, body)
	}
	if exists(t, u.st, strings.TrimPrefix(pkey, u.st.Location()+"/")) {
		t.Errorf("%s stays after the refusal", pkey)
	}
}

// TestUppyParams: a small file through GET params, as Uppy v6 sends it
// (CompanionS3.putObject): the fields, then the file, posted to url; the
// file's location is url + fields.key; the page confirms it.
func TestUppyParams(t *testing.T) {
	u := newUppyServer(t, handler.UppyOptions{MaxFileSize: mib})
	q := url.Values{"filename": {"notes.txt"}, "type": {"text/plain"}, "metadata[name]": {"notes.txt"}, "metadata[type]": {"text/plain"}}
	var pol struct {
		Method, URL string
		Fields      map[string]string
	}
	status, body := u.call(t, "alice", "GET", "/s3/params?"+q.Encode(), nil)
	decodeOK(t, status, body, &pol)
	if pol.Method != "POST" || !strings.HasSuffix(pol.URL, "/") || pol.Fields["key"] == "" {
		t.Fatalf("params = %s", body)
	}
	if status, body := postForm(t, pol.URL, pol.Fields, []byte("some notes")); status/100 != 2 {
		t.Fatalf("POST to S3 = %d %s", status, body)
	}
	if status, body := u.confirm(t, "alice", pol.Fields["key"]); status != 200 {
		t.Errorf("confirm %s = %d %s", pol.Fields["key"], status, body)
	}
	status, body = u.call(t, "alice", "GET", "/s3/params?"+q.Encode(), nil)
	decodeOK(t, status, body, &pol)
	if status, body := postForm(t, pol.URL, pol.Fields, bytes.Repeat([]byte("x"), mib+1)); status/100 == 2 {
		t.Errorf("POST of a file over MaxFileSize = %d %s, want a refusal", status, body)
	}
}
