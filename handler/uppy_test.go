package handler_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

const mib = 1 << 20

// sendParts signs and sends each chunk as a part, as Uppy does: the ETag
// of the PUT's answer, unquoted.
func sendParts(t *testing.T, b *browser, f *fakeDirect, c created, first int, chunks ...[]byte) []upart {
	t.Helper()
	var parts []upart
	for i, chunk := range chunks {
		n := first + i
		etag, err := f.send(b.signPart(c, n), chunk, "")
		if err != nil {
			t.Fatalf("PUT part %d: %v", n, err)
		}
		parts = append(parts, upart{n, strings.Trim(etag, `"`)})
	}
	return parts
}

func chunks(sizes ...int) [][]byte {
	var cs [][]byte
	for i, n := range sizes {
		cs = append(cs, bytes.Repeat([]byte{byte('a' + i)}, n))
	}
	return cs
}

// TestUppyCompanion: an upload as Uppy makes it, with a resume after part
// 2: the answers have Companion's shapes, the parts listed carry S3's
// quoted ETags, completion accepts them mixed with unquoted ones, and the
// stored file is the parts, under the caller's directory.
func TestUppyCompanion(t *testing.T) {
	f := newFakeDirect("media")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	var c created
	status, raw := b.create("Big Movie.bin", "application/octet-stream")
	b.must(status, raw, &c)
	dir, _ := handler.PrincipalHash("alice")
	if !strings.HasPrefix(c.Key, "media/"+dir+"/") || !strings.HasSuffix(c.Key, "/Big_Movie.bin") || c.Bucket != "bucket" || c.UploadID == "" {
		t.Fatalf("create = %s", raw)
	}
	cs := chunks(5*mib, 5*mib, 5*mib, 100)
	sent := sendParts(t, b, f, c, 1, cs[:2]...)
	// The page reloads: Uppy lists the parts and sends the rest.
	var listed []struct {
		PartNumber int
		ETag       string
		Size       int64
	}
	status, raw = b.listParts(c)
	b.must(status, raw, &listed)
	if len(listed) != 2 || listed[1].PartNumber != 2 || !strings.HasPrefix(listed[1].ETag, `"`) || listed[1].Size != 5*mib {
		t.Fatalf("listParts = %s, want parts 1 and 2 with quoted ETags and sizes", raw)
	}
	all := []upart{{1, listed[0].ETag}, {2, listed[1].ETag}}
	all = append(all, sendParts(t, b, f, c, 3, cs[2:]...)...)
	if all[0].ETag != `"`+sent[0].ETag+`"` {
		t.Fatalf("listed ETag %s is not the PUT's %s quoted", all[0].ETag, sent[0].ETag)
	}
	var done struct {
		Location, Key, Bucket string
		File                  map[string]any
	}
	status, raw = b.complete(c, all)
	b.must(status, raw, &done)
	if done.Key != c.Key || done.Bucket != "bucket" || done.File["size"] != float64(15*mib+100) {
		t.Errorf("complete = %s", raw)
	}
	name := strings.TrimPrefix(c.Key, "media/")
	o, ok := f.object(name)
	if !ok || !bytes.Equal(o.data, slices.Concat(cs...)) || o.p.ContentType != "application/octet-stream" {
		t.Errorf("stored %q: %v, %d bytes of type %q; want the parts", name, ok, len(o.data), o.p.ContentType)
	}
	if n, _ := f.state(); n != 0 {
		t.Errorf("%d uploads open after completion", n)
	}
}

// TestUppyOwnership: every call on an upload proves that its caller
// started it, for that key: another principal, a key changed, an
// uploadId forged or without its proof are all 403, and change nothing.
func TestUppyOwnership(t *testing.T) {
	f := newFakeDirect("")
	h := newUppy(t, f, handler.UppyOptions{})
	alice, bob := &browser{t: t, h: h, user: "alice"}, &browser{t: t, h: h, user: "bob"}
	var a, bb created
	status, raw := alice.create("a.bin", "")
	alice.must(status, raw, &a)
	status, raw = bob.create("b.bin", "")
	bob.must(status, raw, &bb)
	parts := sendParts(t, alice, f, a, 1, []byte("mine"))
	_, s3id, _ := strings.Cut(strings.SplitN(a.UploadID, ".", 4)[3], "")
	forged := []created{
		a,                                   // as bob
		{Key: bb.Key, UploadID: a.UploadID}, // bob's key, alice's id
		{Key: strings.Replace(a.Key, "a.bin", "x.bin", 1), UploadID: a.UploadID}, // the key tampered
		{Key: a.Key, UploadID: s3id}, // S3's id without the proof
		{Key: a.Key, UploadID: strings.Replace(a.UploadID, s3id, bb.UploadID[len(bb.UploadID)-len(s3id):], 1)},
		{Key: a.Key, UploadID: flip(a.UploadID, 10)}, // the MAC tampered
	}
	for i, c := range forged {
		caller := alice
		if i < 2 {
			caller = bob
		}
		for _, call := range []func() (int, json.RawMessage){
			func() (int, json.RawMessage) { return caller.call("GET", partPath(c.UploadID, c.Key, 1), nil) },
			func() (int, json.RawMessage) { return caller.listParts(c) },
			func() (int, json.RawMessage) { return caller.complete(c, parts) },
			func() (int, json.RawMessage) { return caller.abort(c) },
		} {
			if status, raw := call(); status != http.StatusForbidden || errorOf(t, raw) != handler.CodeForbidden {
				t.Errorf("forged call %d (%+v) = %d %s, want 403 forbidden", i, c, status, raw)
			}
		}
	}
	if n, names := f.state(); n != 2 || len(names) != 0 {
		t.Errorf("after forged calls: %d uploads open, %q stored; want both open, nothing stored", n, names)
	}
	if status, raw := alice.complete(a, parts); status != http.StatusOK {
		t.Errorf("alice's own completion = %d %s", status, raw)
	}
}

// TestUppyLimits: parts over the limits are refused before completion,
// and the upload is aborted: nothing stays.
func TestUppyLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   handler.UppyOptions
		sizes  []int
		status int
		code   string
	}{
		{"total over MaxFileSize", handler.UppyOptions{MaxFileSize: 12 * mib}, []int{5 * mib, 5 * mib, 2*mib + 1}, 413, handler.CodeFileTooLarge},
		{"at MaxFileSize", handler.UppyOptions{MaxFileSize: 12 * mib}, []int{5 * mib, 5 * mib, 2 * mib}, 200, ""},
		{"3 parts of 1 MiB", handler.UppyOptions{}, []int{mib, mib, mib}, 400, handler.CodePartTooSmall},
		{"one small part", handler.UppyOptions{}, []int{mib}, 200, ""},
		{"too many parts", handler.UppyOptions{MaxParts: 2}, []int{5 * mib, 5 * mib, 1}, 400, handler.CodeMalformed}, // part 3 is not even signed
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDirect("")
			b := &browser{t: t, h: newUppy(t, f, tc.opts), user: "alice"}
			var c created
			status, raw := b.create("f.bin", "")
			b.must(status, raw, &c)
			var parts []upart
			for i, chunk := range chunks(tc.sizes...) {
				status, raw := b.call("GET", partPath(c.UploadID, c.Key, i+1), nil)
				if status != 200 {
					if status != tc.status || errorOf(t, raw) != tc.code {
						t.Fatalf("signPart %d = %d %s, want %d %s", i+1, status, raw, tc.status, tc.code)
					}
					return
				}
				var a struct{ URL string }
				json.Unmarshal(raw, &a)
				etag, _ := f.send(a.URL, chunk, "")
				parts = append(parts, upart{i + 1, strings.Trim(etag, `"`)})
			}
			status, raw = b.complete(c, parts)
			if status != tc.status || tc.code != "" && errorOf(t, raw) != tc.code {
				t.Fatalf("complete = %d %s, want %d %s", status, raw, tc.status, tc.code)
			}
			open, names := f.state()
			if tc.status != 200 && (open != 0 || len(names) != 0) {
				t.Errorf("after a refusal: %d uploads open, %q stored; want nothing", open, names)
			}
		})
	}
}

// TestUppyTooManyPartsNamed: a completion naming more parts than allowed
// is refused and the upload aborted.
func TestUppyTooManyPartsNamed(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{MaxParts: 2}), user: "alice"}
	var c created
	status, raw := b.create("f.bin", "")
	b.must(status, raw, &c)
	parts := sendParts(t, b, f, c, 1, chunks(5*mib, 1)...)
	parts = append(parts, upart{3, "whatever"})
	if status, raw := b.complete(c, parts); status != 413 || errorOf(t, raw) != handler.CodeTooManyParts {
		t.Errorf("complete with 3 parts of 2 = %d %s, want 413 %s", status, raw, handler.CodeTooManyParts)
	}
	if open, _ := f.state(); open != 0 {
		t.Errorf("%d uploads open after the refusal", open)
	}
}

// TestUppyBadParts: parts that were not uploaded, or not with that ETag,
// or named twice, are the client's mistake: 400, and the upload stays
// for it to correct.
func TestUppyBadParts(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	var c created
	status, raw := b.create("f.bin", "")
	b.must(status, raw, &c)
	parts := sendParts(t, b, f, c, 1, chunks(5*mib, 10)...)
	for _, bad := range [][]upart{
		nil,
		{parts[0], {2, "0123"}},
		{parts[0], parts[1], {3, parts[1].ETag}},
		{parts[0], parts[0], parts[1]},
	} {
		if status, raw := b.complete(c, bad); status != 400 || errorOf(t, raw) != handler.CodeInvalidPart {
			t.Errorf("complete(%v) = %d %s, want 400 %s", bad, status, raw, handler.CodeInvalidPart)
		}
	}
	for _, body := range []string{`{"parts": "x"}`, `[`, `{"parts": [{"PartNumber": "1", "ETag": 2}]}`} {
		status, raw := b.call("POST", uploadPath(c.UploadID, c.Key, "/complete"), json.RawMessage(body))
		if status != 400 || errorOf(t, raw) != handler.CodeMalformed {
			t.Errorf("complete with %s = %d %s, want 400 %s", body, status, raw, handler.CodeMalformed)
		}
	}
	if status, raw := b.complete(c, []upart{parts[1], parts[0]}); status != 200 {
		t.Errorf("complete, parts in any order = %d %s", status, raw)
	}
}

// TestUppyTypes: the declared type is checked before anything is sent,
// the bytes once stored; a file whose bytes a browser would run while it
// is stored to be shown inline is deleted.
func TestUppyTypes(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	png := append(slices.Clone(pngBytes), make([]byte, 100)...)
	for _, tc := range []struct {
		name, filename, ctype string
		opts                  handler.UppyOptions
		data                  []byte
		createStatus, status  int
		code, disposition     string
	}{
		{"png", "cat.png", "image/png", handler.UppyOptions{}, png, 200, 200, "", ""},
		{"html declared as png", "cat.png", "image/png", handler.UppyOptions{}, html, 200, 415, handler.CodeTypeMismatch, ""},
		{"html as html: an attachment", "page.html", "text/html", handler.UppyOptions{}, html, 200, 200, "", "attachment"},
		{"html inline if allowed", "page.html", "text/html", handler.UppyOptions{InlineTypes: []string{"text/html"}}, html, 200, 200, "", ""},
		{"refused declared type", "a.pdf", "application/pdf", handler.UppyOptions{AllowedTypes: []string{"image/*"}}, png, 415, 0, handler.CodeTypeNotAllowed, ""},
		{"refused sniffed type", "cat.png", "image/png", handler.UppyOptions{AllowedTypes: []string{"image/png"}}, []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"), 200, 415, handler.CodeTypeNotAllowed, ""},
		{"octet-stream takes the extension's type", "cat.png", "application/octet-stream", handler.UppyOptions{AllowedTypes: []string{"image/*"}}, png, 200, 200, "", ""},
		{"denied", "x.svg", "image/svg+xml", handler.UppyOptions{DeniedTypes: []string{"image/svg+xml"}}, html, 415, 0, handler.CodeTypeNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDirect("")
			b := &browser{t: t, h: newUppy(t, f, tc.opts), user: "alice"}
			var c created
			status, raw := b.create(tc.filename, tc.ctype)
			if status != tc.createStatus {
				t.Fatalf("create = %d %s, want %d", status, raw, tc.createStatus)
			}
			if status != 200 {
				if errorOf(t, raw) != tc.code || len(f.ops) != 0 {
					t.Errorf("create = %s, S3 calls %q; want %s and none", raw, f.ops, tc.code)
				}
				return
			}
			b.must(status, raw, &c)
			status, raw = b.complete(c, sendParts(t, b, f, c, 1, tc.data))
			if status != tc.status || tc.code != "" && errorOf(t, raw) != tc.code {
				t.Fatalf("complete = %d %s, want %d %s", status, raw, tc.status, tc.code)
			}
			_, names := f.state()
			if tc.status != 200 {
				if len(names) != 0 {
					t.Errorf("a refused file stays: %q", names)
				}
				return
			}
			o, _ := f.object(names[0])
			if !strings.HasPrefix(o.p.ContentDisposition, tc.disposition) || tc.disposition == "" && o.p.ContentDisposition != "" {
				t.Errorf("stored with Content-Disposition %q, want %q", o.p.ContentDisposition, tc.disposition)
			}
		})
	}
}

// TestUppyConflicts: a name taken when the upload starts is renamed (or
// refused with ConflictFail); one taken by another upload that completes
// first is 409 and the late upload aborted; ConflictOverwrite replaces.
func TestUppyConflicts(t *testing.T) {
	for _, tc := range []struct {
		conflict      storage.Conflict
		createStatus  int
		renamed       bool
		lateStatus    int
		lateOverwrote bool
	}{
		{storage.ConflictDefault, 200, true, 409, false},
		{storage.ConflictFail, 409, false, 409, false},
		{storage.ConflictOverwrite, 200, false, 200, true},
	} {
		t.Run(fmt.Sprint(tc.conflict), func(t *testing.T) {
			f := newFakeDirect("")
			b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{Conflict: tc.conflict}), user: "alice"}
			upload := func(c created, data []byte) (int, json.RawMessage) {
				return b.complete(c, sendParts(t, b, f, c, 1, data))
			}
			var early, late, again created
			s1, r1 := b.create("same.txt", "text/plain")
			s2, r2 := b.create("same.txt", "text/plain")
			b.must(s1, r1, &early)
			b.must(s2, r2, &late)
			if early.Key != late.Key {
				t.Fatalf("two uploads started together got %s and %s", early.Key, late.Key)
			}
			if status, raw := upload(early, []byte("first")); status != 200 {
				t.Fatalf("first completion = %d %s", status, raw)
			}
			if status, raw := upload(late, []byte("second")); status != tc.lateStatus {
				t.Errorf("second completion, same name = %d %s, want %d", status, raw, tc.lateStatus)
			}
			if o, _ := f.object(strings.TrimPrefix(early.Key, "")); (string(o.data) == "second") != tc.lateOverwrote {
				t.Errorf("the name holds %q", o.data)
			}
			if open, _ := f.state(); open != 0 {
				t.Errorf("%d uploads open", open)
			}
			status, raw := b.create("same.txt", "text/plain")
			if status != tc.createStatus {
				t.Fatalf("create of a taken name = %d %s, want %d", status, raw, tc.createStatus)
			}
			if status == 200 {
				b.must(status, raw, &again)
				if (again.Key != early.Key) != tc.renamed {
					t.Errorf("create of a taken name gave %s (taken: %s), renamed want %v", again.Key, early.Key, tc.renamed)
				}
			}
		})
	}
}

// TestUppyBatch: part URLs in batches, as Uppy 3 asked for them, within
// the caller's upload and 1000 at a time.
func TestUppyBatch(t *testing.T) {
	f := newFakeDirect("")
	h := newUppy(t, f, handler.UppyOptions{})
	b := &browser{t: t, h: h, user: "alice"}
	var c created
	status, raw := b.create("f.bin", "")
	b.must(status, raw, &c)
	var a struct{ PresignedUrls map[string]string }
	status, raw = b.call("GET", uploadPath(c.UploadID, c.Key, "/batch")+"&partNumbers=1,2,10000", nil)
	b.must(status, raw, &a)
	if len(a.PresignedUrls) != 3 || !strings.Contains(a.PresignedUrls["10000"], "partNumber=10000") {
		t.Errorf("batch = %s, want URLs of parts 1, 2 and 10000", raw)
	}
	many := strings.TrimSuffix(strings.Repeat("1,", 1001), ",")
	for _, tc := range []struct {
		user, parts string
		status      int
	}{{"alice", "1,x", 400}, {"alice", "0", 400}, {"alice", "10001", 400}, {"alice", many, 400}, {"alice", "", 400}, {"bob", "1", 403}} {
		if status, raw := (&browser{t: t, h: h, user: tc.user}).call("GET", uploadPath(c.UploadID, c.Key, "/batch")+"&partNumbers="+tc.parts, nil); status != tc.status {
			t.Errorf("batch of %.20q by %s = %d %s, want %d", tc.parts, tc.user, status, raw, tc.status)
		}
	}
}

// TestUppyBodyBounds: the JSON bodies are bounded; a completion may name
// 10,000 parts.
func TestUppyBodyBounds(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	status, raw := b.call("POST", "/s3/multipart", json.RawMessage(`{"filename": "a.bin", "metadata": {"x": "`+strings.Repeat("y", 64<<10)+`"}}`))
	if status != 413 || errorOf(t, raw) != handler.CodeRequestTooLarge {
		t.Errorf("create with 64 KiB of metadata = %d %s, want 413", status, raw)
	}
	var c created
	status, raw = b.create("f.bin", "")
	b.must(status, raw, &c)
	parts := make([]upart, 10000)
	for i := range parts {
		parts[i] = upart{i + 1, `"0123456789abcdef0123456789abcdef"`}
	}
	if status, raw := b.complete(c, parts); status != 400 || errorOf(t, raw) != handler.CodeInvalidPart {
		t.Errorf("completion naming 10,000 parts never sent = %d %.200s, want 400 %s (the body fits)", status, raw, handler.CodeInvalidPart)
	}
}

// TestUppyPartChecksum: part URLs sign a checksum only when the client
// gives the part's sha256 (Uppy does not: its URLs stay unsigned for
// it), and then answer the header to send, for one part, a batch and
// signRequest's PUT.
func TestUppyPartChecksum(t *testing.T) {
	f := newFakeDirect("")
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	var c created
	status, raw := b.create("f.bin", "")
	b.must(status, raw, &c)
	sum := sha256.Sum256([]byte("part"))
	want := base64.StdEncoding.EncodeToString(sum[:])
	var one struct {
		URL     string
		Headers map[string]string
	}
	status, raw = b.call("GET", uploadPath(c.UploadID, c.Key, "/1"), nil)
	b.must(status, raw, &one)
	if one.Headers != nil {
		t.Errorf("a part URL without sha256 answered headers %v", one.Headers)
	}
	status, raw = b.call("GET", uploadPath(c.UploadID, c.Key, "/1")+"&sha256="+hex.EncodeToString(sum[:]), nil)
	b.must(status, raw, &one)
	if one.Headers["X-Amz-Checksum-Sha256"] != want {
		t.Errorf("part URL with sha256: %s, want the header %s", raw, want)
	}
	var batch struct {
		PresignedUrls map[string]string
		Headers       map[string]map[string]string
	}
	q := "&partNumbers=1,2&sha256=" + hex.EncodeToString(sum[:]) + "&sha256=" + url.QueryEscape("sha-256=:"+want+":")
	status, raw = b.call("GET", uploadPath(c.UploadID, c.Key, "/batch")+q, nil)
	b.must(status, raw, &batch)
	if len(batch.PresignedUrls) != 2 || batch.Headers["1"]["X-Amz-Checksum-Sha256"] != want || batch.Headers["2"]["X-Amz-Checksum-Sha256"] != want {
		t.Errorf("batch with sha256s: %s", raw)
	}
	if status, raw := b.call("GET", uploadPath(c.UploadID, c.Key, "/batch")+"&partNumbers=1,2&sha256="+hex.EncodeToString(sum[:]), nil); status != 400 {
		t.Errorf("batch with fewer sha256s than parts: %d %s", status, raw)
	}
	if status, raw := b.call("GET", uploadPath(c.UploadID, c.Key, "/1")+"&sha256=nothex", nil); status != 400 {
		t.Errorf("part URL with a malformed sha256: %d %s", status, raw)
	}
}
