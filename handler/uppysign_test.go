package handler_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

type signed struct {
	URL    string `json:"url"`
	Method string `json:"method"`
	Key    string `json:"key"`
}

// TestUppyPresignTable: signRequest mode signs the calls of an upload and
// nothing else; a new file gets a key of the server's, in a random
// directory of the caller's, without Uppy's UUID prefix.
func TestUppyPresignTable(t *testing.T) {
	f := newFakeDirect("media")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{AllowedTypes: []string{"image/*", "video/*"}}), user: "alice"}
	dir, _ := handler.PrincipalHash("alice")
	var put signed
	status, raw := b.call("POST", "/s3/presign", map[string]any{"method": "PUT", "key": "0b7c9a3e-4a3f-4b5e-9c1d-2e3f4a5b6c7d-Cat Pic.png"})
	b.must(status, raw, &put)
	rest, ok := strings.CutPrefix(put.Key, "media/"+dir+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 5 || len(parts[3]) != 16 || parts[4] != "Cat_Pic.png" || !strings.Contains(put.URL, "op=PutObject") {
		t.Fatalf("presign PUT = %s, want a key media/%s/date/16 random/Cat_Pic.png", raw, dir)
	}
	other := strings.Replace(put.Key, dir, "u/0123456789abcdef0123456789abcdef", 1)
	for _, tc := range []struct {
		name   string
		req    map[string]any
		status int
		op     string
	}{
		{"create", map[string]any{"method": "POST", "key": "movie.mp4"}, 200, "CreateMultipartUpload"},
		{"part", map[string]any{"method": "PUT", "key": put.Key, "uploadId": "id.1", "partNumber": 3}, 200, "UploadPart"},
		{"list", map[string]any{"method": "GET", "key": put.Key, "uploadId": "id.1"}, 200, "ListParts"},
		{"abort", map[string]any{"method": "DELETE", "key": put.Key, "uploadId": "id.1"}, 200, "AbortMultipartUpload"},
		{"GetObject", map[string]any{"method": "GET", "key": put.Key}, 403, ""},
		{"DeleteObject", map[string]any{"method": "DELETE", "key": put.Key}, 403, ""},
		{"HEAD", map[string]any{"method": "HEAD", "key": put.Key, "uploadId": "id.1"}, 403, ""},
		{"part number on a PUT of a new file", map[string]any{"method": "PUT", "key": "a.png", "partNumber": 1}, 403, ""},
		{"part number 0", map[string]any{"method": "PUT", "key": put.Key, "uploadId": "id.1"}, 400, ""},
		{"part number 10001", map[string]any{"method": "PUT", "key": put.Key, "uploadId": "id.1", "partNumber": 10001}, 400, ""},
		{"another's key", map[string]any{"method": "PUT", "key": other, "uploadId": "id.1", "partNumber": 1}, 403, ""},
		{"a key out of the location", map[string]any{"method": "GET", "key": strings.TrimPrefix(put.Key, "media/"), "uploadId": "id.1"}, 403, ""},
		{"traversal", map[string]any{"method": "GET", "key": "media/" + dir + "/../x", "uploadId": "id.1"}, 403, ""},
		{"refused type", map[string]any{"method": "PUT", "key": "a.pdf"}, 415, ""},
		{"declared type refused", map[string]any{"method": "PUT", "key": "a.png", "type": "application/pdf"}, 415, ""},
		{"declared type accepted", map[string]any{"method": "PUT", "key": "a.png", "type": "image/png", "size": 100}, 200, "PutObject"},
		{"declared size over MaxFileSize", map[string]any{"method": "POST", "key": "a.mp4", "size": handler.DefaultDirectMaxFileSize + 1}, 413, ""},
		{"declared size negative", map[string]any{"method": "PUT", "key": "a.png", "size": -1}, 400, ""},
		{"type of a part", map[string]any{"method": "PUT", "key": put.Key, "uploadId": "id.1", "partNumber": 3, "type": "image/png"}, 400, ""},
		{"not JSON", nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any = tc.req
			if tc.req == nil {
				body = json.RawMessage(`{"method": 3`)
			}
			status, raw := b.call("POST", "/s3/presign", body)
			if status != tc.status {
				t.Fatalf("presign %v = %d %s, want %d", tc.req, status, raw, tc.status)
			}
			var s signed
			json.Unmarshal(raw, &s)
			if tc.op != "" && !strings.Contains(s.URL, "op="+tc.op) {
				t.Errorf("presign %v = %s, want a %s URL", tc.req, raw, tc.op)
			}
		})
	}
}

// TestUppyPresignExpiry: URLs that carry bytes live Expire, the others
// ControlExpire.
func TestUppyPresignExpiry(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	dir, _ := handler.PrincipalHash("alice")
	key := dir + "/a.bin"
	for _, tc := range []struct {
		req  map[string]any
		want string
	}{
		{map[string]any{"method": "PUT", "key": "a.bin"}, "15m0s"},
		{map[string]any{"method": "PUT", "key": key, "uploadId": "x", "partNumber": 1}, "15m0s"},
		{map[string]any{"method": "POST", "key": "a.bin"}, "1m0s"},
		{map[string]any{"method": "GET", "key": key, "uploadId": "x"}, "1m0s"},
		{map[string]any{"method": "DELETE", "key": key, "uploadId": "x"}, "1m0s"},
	} {
		var s signed
		status, raw := b.call("POST", "/s3/presign", tc.req)
		b.must(status, raw, &s)
		u, _ := url.Parse(s.URL)
		if got := u.Query().Get("expire"); got != tc.want {
			t.Errorf("presign %v expires in %s, want %s", tc.req, got, tc.want)
		}
	}
}

// TestUppyPresignComplete: before it signs a completion, the handler
// lists the parts; over the limits, it aborts the upload instead.
func TestUppyPresignComplete(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{MaxFileSize: 6 * mib}), user: "alice"}
	dir, _ := handler.PrincipalHash("alice")
	for _, tc := range []struct {
		sizes  []int
		status int
	}{{[]int{5 * mib, mib}, 200}, {[]int{5 * mib, mib + 1}, 413}, {[]int{mib, mib}, 400}} {
		up, err := f.CreateUpload(t.Context(), dir+"/x.bin", &storage.UploadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range chunks(tc.sizes...) {
			pr, _ := f.PresignDirect(t.Context(), storage.DirectUploadPart, up.Name, &storage.DirectOptions{UploadID: up.ID, PartNumber: int32(i + 1)})
			if _, err := f.send(pr.URL, c, ""); err != nil {
				t.Fatal(err)
			}
		}
		status, raw := b.call("POST", "/s3/presign", map[string]any{"method": "POST", "key": up.Key, "uploadId": up.ID})
		open, _ := f.state()
		if status != tc.status || (status == 200) != (open == 1) {
			t.Errorf("presign completion of parts %v = %d %s with %d uploads open; want %d, aborted unless 200", tc.sizes, status, raw, open, tc.status)
		}
		f.AbortUpload(t.Context(), up.Name, up.ID)
	}
}

// TestUppyConfirm: the page confirms a file the browser stored itself;
// the handler checks it as a completion, deletes what fails, and refuses
// another's key.
func TestUppyConfirm(t *testing.T) {
	f := newFakeDirect("media")
	var saved []string
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{MaxFileSize: 100, OnSaved: func(_ *http.Request, file *handler.File) error {
		saved = append(saved, file.Name)
		return nil
	}}), user: "alice"}
	put := func(name string, data []byte, ctype string) string {
		var s signed
		status, raw := b.call("POST", "/s3/presign", map[string]any{"method": "PUT", "key": name})
		b.must(status, raw, &s)
		if _, err := f.send(s.URL, data, ctype); err != nil {
			t.Fatal(err)
		}
		return s.Key
	}
	ok := put("a.png", pngBytes, "image/png")
	for _, tc := range []struct {
		name, key, user string
		status          int
		gone            bool
	}{
		{"png", ok, "alice", 200, false},
		{"html declared png", put("b.png", []byte("<html><script>x</script></html>"), "image/png"), "alice", 415, true},
		{"html declared html", put("c.html", []byte("<html><script>x</script></html>"), "text/html"), "alice", 415, true},
		{"too large", put("d.txt", make([]byte, 101), "text/plain"), "alice", 413, true},
		{"missing", strings.Replace(ok, "a.png", "nothing.png", 1), "alice", 404, false},
		{"another's", ok, "bob", 403, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := (&browser{t: t, h: b.h, user: tc.user}).call("POST", "/s3/confirm", map[string]string{"key": tc.key})
			if status != tc.status {
				t.Errorf("confirm = %d %s, want %d", status, raw, tc.status)
			}
			if _, there := f.object(strings.TrimPrefix(tc.key, "media/")); there == tc.gone && tc.status != 404 {
				t.Errorf("after confirm %d, the file is there: %v", status, there)
			}
		})
	}
	if len(saved) != 1 || "media/"+saved[0] != ok {
		t.Errorf("OnSaved saw %q, want only %s", saved, ok)
	}
}

// TestUppyParams: GET params is a POST policy for an exact key in a
// random directory of the caller's, the type pinned, the size bounded;
// url ends in "/" so that Uppy's url + fields.key is the file's.
func TestUppyParams(t *testing.T) {
	f := newFakeDirect("media")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{MaxFileSize: 1000}), user: "alice"}
	dir, _ := handler.PrincipalHash("alice")
	q := url.Values{"filename": {"My Page.html"}, "type": {"text/html"}, "metadata[name]": {"My Page.html"}}
	var pol struct {
		Method, URL string
		Fields      map[string]string
		Expires     int
	}
	status, raw := b.call("GET", "/s3/params?"+q.Encode(), nil)
	b.must(status, raw, &pol)
	key := pol.Fields["key"]
	if pol.Method != "POST" || pol.URL != "fake://bucket/" || pol.Expires != 900 || !strings.HasPrefix(key, "media/"+dir+"/") || !strings.HasSuffix(key, "/My_Page.html") {
		t.Errorf("params = %s", raw)
	}
	if pol.Fields["Content-Type"] != "text/html" || !strings.HasPrefix(pol.Fields["Content-Disposition"], "attachment") || pol.Fields["x-max"] != "1000" {
		t.Errorf("params fields = %v, want the type pinned, an attachment, at most 1000 bytes", pol.Fields)
	}
	status, raw = b.call("GET", "/s3/params?"+q.Encode(), nil)
	var again struct{ Fields map[string]string }
	b.must(status, raw, &again)
	if again.Fields["key"] == key {
		t.Errorf("two policies for one name share the key %s", key)
	}
	if status, raw := b.call("GET", "/s3/params?type=text/plain", nil); status != 400 || errorOf(t, raw) != handler.CodeNoFile {
		t.Errorf("params without a filename = %d %s, want 400", status, raw)
	}
}
