package s3local

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// openUpload starts a server with bucket "bkt" holding uploads open
// uploads of key "k", each with parts one-byte parts (put through the
// index, which is quick whatever the cost of UploadPart), and returns
// the server and the upload IDs.
func openUpload(tb testing.TB, uploads, parts int) (*Server, []string) {
	tb.Helper()
	s := New(Options{})
	if err := s.CreateBucket("bkt"); err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, uploads)
	for i := range ids {
		w := serve(s, http.MethodPost, "/bkt/k?uploads", "")
		var res struct{ UploadId string }
		if w.Code != 200 || xml.Unmarshal(w.Body.Bytes(), &res) != nil {
			tb.Fatalf("CreateMultipartUpload = %d %s", w.Code, w.Body)
		}
		ids[i] = res.UploadId
		for n := 1; n <= parts; n++ {
			body, err := s.idx.newBlob(1)
			if err == nil {
				body.Write([]byte("x"))
				err = s.idx.putPart("bkt", res.UploadId, PartInfo{Number: n, Size: 1, ETag: `"x"`}, body)
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	return s, ids
}

// serve runs one request through s.
func serve(s *Server, method, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// uploadPartBytes returns the bytes allocated by an UploadPart (of part
// 1, again and again) in an upload of parts parts.
func uploadPartBytes(t *testing.T, parts int) uint64 {
	s, ids := openUpload(t, 1, parts)
	target := "/bkt/k?partNumber=1&uploadId=" + ids[0]
	const runs = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if w := serve(s, http.MethodPut, target, "y"); w.Code != 200 {
			t.Fatalf("UploadPart = %d %s", w.Code, w.Body)
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestUploadPartCost: an UploadPart costs the same in an upload of 10000
// parts as in an upload of one: it copies none of the other parts (it
// did, and sorted them: 872 KiB per part at 10000 parts, quadratic over
// an upload).
func TestUploadPartCost(t *testing.T) {
	one, many := uploadPartBytes(t, 1), uploadPartBytes(t, maxPartNumber)
	t.Logf("bytes allocated by an UploadPart: %d in an upload of 1 part, %d in one of %d", one, many, maxPartNumber)
	if many > one+32<<10 {
		t.Errorf("an UploadPart allocates %d bytes in an upload of %d parts, %d in one of 1 part: it copies the parts", many, maxPartNumber, one)
	}
}

// BenchmarkUploadPart: an UploadPart in an upload of 1 and of 10000
// parts.
func BenchmarkUploadPart(b *testing.B) {
	for _, parts := range []int{1, maxPartNumber} {
		b.Run(fmt.Sprintf("parts=%d", parts), func(b *testing.B) {
			s, ids := openUpload(b, 1, parts)
			target := "/bkt/k?partNumber=1&uploadId=" + ids[0]
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(s, http.MethodPut, target, "y"); w.Code != 200 {
					b.Fatalf("UploadPart = %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkListMultipartUploads: a listing of 100 uploads of 1 and of
// 1000 parts each.
func BenchmarkListMultipartUploads(b *testing.B) {
	for _, parts := range []int{1, 1000} {
		b.Run(fmt.Sprintf("parts=%d", parts), func(b *testing.B) {
			s, _ := openUpload(b, 100, parts)
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(s, http.MethodGet, "/bkt?uploads", ""); w.Code != 200 {
					b.Fatalf("ListMultipartUploads = %d %s", w.Code, w.Body)
				}
			}
		})
	}
}
