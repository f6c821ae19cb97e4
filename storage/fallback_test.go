package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// The storage against S3-compatible services that lack a feature
// (s3local's Lacks and ConditionalWrites switches): what it falls back
// to, tested rather than documented (issue 16 §4).

// fallbackTransfer makes bodies over 1 MiB go in parts (of 5 MiB).
var fallbackTransfer = storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2}

// bodyKinds are the three paths of Put: one request, a seekable body in
// parts, a stream in parts (which claims its name first).
var bodyKinds = []struct {
	name string
	body func() io.Reader
}{
	{"small", func() io.Reader { return strings.NewReader("ours") }},
	{"seekable", func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte("s"), 5<<20+1)) }}, // two parts: the manager sends one part with PutObject
	{"stream", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(bytes.Repeat([]byte("t"), 1<<20+1))} }},
}

// conditionCounter counts the writes that carry If-None-Match or
// If-Match.
type conditionCounter struct {
	mu    sync.Mutex
	count int
}

func (c *conditionCounter) intercept(op string, r *http.Request) *s3local.Error {
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != "" {
		c.mu.Lock()
		c.count++
		c.mu.Unlock()
	}
	return nil
}

func (c *conditionCounter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// takenThenSaved seeds "theirs" at name, then saves under it with
// ConflictRename and ConflictFail: the first gets a new name, the second
// ErrExist, and the seeded object stays.
func takenThenSaved(t *testing.T, st *storage.Storage, srv *s3local.Server, name string, body func() io.Reader) {
	t.Helper()
	if _, err := srv.PutObject(testBucket, name, []byte("theirs"), nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := st.Save(ctx, name, body(), &storage.SaveOptions{Conflict: storage.ConflictRename})
	if err != nil || got == name {
		t.Errorf("Save(%s, rename) = %q, %v; want a new name", name, got, err)
	}
	if _, err := st.Save(ctx, name, body(), &storage.SaveOptions{Conflict: storage.ConflictFail}); !errors.Is(err, storage.ErrExist) {
		t.Errorf("Save(%s, fail) = %v, want ErrExist", name, err)
	}
	if o, ok := srv.Object(testBucket, name); !ok || string(o.Body) != "theirs" {
		t.Errorf("%s holds %d bytes, want the other writer's", name, len(o.Body))
	}
	if objs, _ := srv.Objects(testBucket); len(objs) != 2 {
		t.Errorf("%d objects stored, want theirs and the renamed one (no claim left)", len(objs))
	}
	if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups))
	}
}

// TestFallbackCheckThenWrite: with conditional_writes off, on a server
// that ignores the headers, Put checks then writes, sending no condition,
// on each of its paths, and never overwrites a taken name (concurrent
// writers aside, which the fallback cannot exclude).
func TestFallbackCheckThenWrite(t *testing.T) {
	for _, kind := range bodyKinds {
		t.Run(kind.name, func(t *testing.T) {
			var conds conditionCounter
			st, srv := memStorage(t, s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored, Intercept: conds.intercept},
				storage.Options{ConditionalWrites: storage.Bool(false), Transfer: fallbackTransfer})
			takenThenSaved(t, st, srv, "f.bin", kind.body)
			if conds.n() != 0 {
				t.Errorf("%d writes carried a condition, want none with conditional_writes off", conds.n())
			}
		})
	}
}

// TestFallbackNotImplemented: a server that answers 501 to conditional
// writes makes the write that got it try again checked-then-written; once
// that works, the storage sends no more conditions. The upload refused
// at its completion is aborted, and no claim is left.
func TestFallbackNotImplemented(t *testing.T) {
	for _, kind := range bodyKinds {
		t.Run(kind.name, func(t *testing.T) {
			var conds conditionCounter
			st, srv := memStorage(t, s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented, Intercept: conds.intercept},
				storage.Options{Transfer: fallbackTransfer})
			name, err := st.Save(context.Background(), "free.bin", kind.body(), &storage.SaveOptions{Conflict: storage.ConflictRename})
			if err != nil || name != "free.bin" {
				t.Fatalf("Save on a free name = %q, %v", name, err)
			}
			if conds.n() != 1 {
				t.Errorf("%d conditional writes sent, want the one refused", conds.n())
			}
			if err := st.Delete(context.Background(), name); err != nil {
				t.Fatal(err)
			}
			takenThenSaved(t, st, srv, "f.bin", kind.body)
			if conds.n() != 1 {
				t.Errorf("%d conditional writes sent in all, want none after the first 501", conds.n())
			}
		})
	}
}

// TestFallbackOther501: a 501 about something else than the condition (a
// canned ACL, refused as R2 does) fails the write with S3's error, and
// conditional writes stay on.
func TestFallbackOther501(t *testing.T) {
	var conds conditionCounter
	st, srv := memStorage(t, s3local.Options{Lacks: []s3local.Feature{s3local.FeatureACL}, Intercept: conds.intercept}, storage.Options{})
	ctx := context.Background()
	_, err := st.Save(ctx, "public.txt", strings.NewReader("x"), &storage.SaveOptions{Conflict: storage.ConflictRename,
		Params: storage.ObjectParameters{ACL: "public-read"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotImplemented" || !strings.Contains(ae.ErrorMessage(), "x-amz-acl") {
		t.Errorf("Save with a refused ACL = %v, want S3's NotImplemented about x-amz-acl", err)
	}
	if objs, _ := srv.Objects(testBucket); len(objs) != 0 {
		t.Errorf("%d objects stored by the refused write", len(objs))
	}
	before := conds.n()
	if _, err := st.Save(ctx, "private.txt", strings.NewReader("x"), &storage.SaveOptions{Conflict: storage.ConflictRename}); err != nil {
		t.Fatal(err)
	}
	if conds.n() != before+1 {
		t.Errorf("the next Save sent %d conditional writes, want 1: conditional writes must stay on", conds.n()-before)
	}
}

// TestFallbackIgnoredOverwrites pins what "s3kit doctor" reports as
// wrong: with conditional_writes on, a server that ignores If-None-Match
// lets Save overwrite a taken name and report success. The setting is
// the only fix.
func TestFallbackIgnoredOverwrites(t *testing.T) {
	st, srv := memStorage(t, s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored}, storage.Options{})
	if _, err := srv.PutObject(testBucket, "f.txt", []byte("theirs"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := st.Save(context.Background(), "f.txt", strings.NewReader("ours"), &storage.SaveOptions{Conflict: storage.ConflictFail})
	if o, _ := srv.Object(testBucket, "f.txt"); err != nil || string(o.Body) != "ours" {
		t.Errorf("Save(fail) on a server ignoring If-None-Match = %v, object %q; the storage cannot tell, and overwrites", err, o.Body)
	}
}

// TestFallbackPresignPostRefused: on a server without presigned POST (as
// R2), PresignPost still returns a policy (it makes no request), and the
// browser's POST gets S3's 501 NotImplemented; nothing is stored. A
// presigned PUT, the way round it, works.
func TestFallbackPresignPostRefused(t *testing.T) {
	st, srv := memStorage(t, s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePostObject}}, storage.Options{})
	ctx := context.Background()
	pp, err := st.PresignPost(ctx, "up/photo.jpg", &storage.PostOptions{MaxSize: 1 << 10})
	if err != nil {
		t.Fatalf("PresignPost = %v, want a policy: it sends nothing", err)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for k, v := range pp.Fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write([]byte("jpeg"))
	mw.Close()
	resp, err := http.Post(pp.URL, mw.FormDataContentType(), &form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "<Code>NotImplemented</Code>") ||
		!strings.Contains(string(body), "Presigned post requests are not yet implemented") {
		t.Errorf("the POST = %d %s, want 501 NotImplemented", resp.StatusCode, body)
	}
	if _, ok := srv.Object(testBucket, "up/photo.jpg"); ok {
		t.Error("the refused POST stored an object")
	}
	put, err := st.PresignPut(ctx, "up/photo.jpg", &storage.PutURLOptions{ContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("jpeg"))
	for k, v := range put.Header {
		req.Header.Set(k, v)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the presigned PUT: %v %v", resp, err)
	}
	if o, ok := srv.Object(testBucket, "up/photo.jpg"); !ok || string(o.Body) != "jpeg" {
		t.Errorf("after the presigned PUT, the object is %q, %v", o.Body, ok)
	}
}

// likeB2 lacks every checksum header, on writes and on reads, with
// Backblaze B2's answer.
var likeB2 = s3local.Options{Lacks: []s3local.Feature{s3local.FeatureChecksumCRC32, s3local.FeatureChecksumCRC32C,
	s3local.FeatureChecksumCRC64NVME, s3local.FeatureChecksumSHA1, s3local.FeatureChecksumSHA256, s3local.FeatureChecksumMode}}

// TestFallbackChecksumsRefused: on a server that refuses checksum headers
// (as B2), the default Put fails with the server's InvalidArgument and
// stores nothing; with checksums computed only when required (what
// checksum_algorithm none means), or with checksum_algorithm none and
// response checksums only when required (what s3kit doctor recommends),
// every path of Put and Open work.
func TestFallbackChecksumsRefused(t *testing.T) {
	st, srv := memStorage(t, likeB2, storage.Options{Transfer: fallbackTransfer})
	_, err := st.Put(context.Background(), "a.txt", strings.NewReader("x"), nil)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgument" || !strings.Contains(ae.ErrorMessage(), "Unsupported header 'x-amz-") {
		t.Errorf("the default Put = %v, want B2's InvalidArgument", err)
	}
	if objs, _ := srv.Objects(testBucket); len(objs) != 0 {
		t.Errorf("%d objects stored by the refused Put", len(objs))
	}
	for _, cfg := range []struct {
		name string
		opts storage.Options
	}{
		{"checksums only when required", storage.Options{Transfer: fallbackTransfer,
			ClientConfig: storage.ClientConfig{RequestChecksumCalculation: "when_required", ResponseChecksumValidation: "when_required"}}},
		{"checksum_algorithm none", storage.Options{Transfer: fallbackTransfer, ChecksumAlgorithm: "none",
			ClientConfig: storage.ClientConfig{ResponseChecksumValidation: "when_required"}}},
		// What s3kit doctor names for B2, which also refuses conditional
		// writes: check-then-write HEADs without x-amz-checksum-mode.
		{"the doctor's B2 settings", storage.Options{Transfer: fallbackTransfer, ChecksumAlgorithm: "none",
			ConditionalWrites: aws.Bool(false), FileOverwrite: aws.Bool(false),
			ClientConfig: storage.ClientConfig{ResponseChecksumValidation: "when_required"}}},
	} {
		t.Run(cfg.name, func(t *testing.T) { putOpenAll(t, likeB2, cfg.opts) })
	}
}

// putOpenAll puts every body kind through a storage on a server started
// with so, reads each back, and checks that no upload is left open.
func putOpenAll(t *testing.T, so s3local.Options, o storage.Options) {
	t.Helper()
	st, srv := memStorage(t, so, o)
	for _, kind := range bodyKinds {
		want, _ := io.ReadAll(kind.body())
		info, err := st.Put(context.Background(), kind.name, kind.body(), nil)
		if err == nil && o.FileOverwrite != nil && !*o.FileOverwrite { // the name is taken now: renamed
			info, err = st.Put(context.Background(), kind.name, kind.body(), nil)
			if err == nil && info.Name == kind.name {
				t.Errorf("Put(%s) again kept the taken name", kind.name)
			}
		}
		if err != nil {
			t.Errorf("Put(%s) without checksums: %v", kind.name, err)
			continue
		}
		f, err := st.Open(context.Background(), info.Name)
		if err != nil {
			t.Errorf("Open(%s): %v", kind.name, err)
			continue
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Open(%s) read %d bytes, %v; want %d", kind.name, len(got), err, len(want))
		}
	}
	if ups, _ := srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups))
	}
}

// directPart creates a direct upload of name and sends its one part with
// a presigned URL, as a browser would.
func directPart(t *testing.T, st *storage.Storage, name string) (storage.Upload, []storage.Part) {
	t.Helper()
	up, err := st.CreateUpload(context.Background(), name, &storage.UploadOptions{Conflict: storage.ConflictOverwrite})
	if err != nil {
		t.Fatal(err)
	}
	resp := do(t, presign(t, st, storage.DirectUploadPart, up.Name, &storage.DirectOptions{UploadID: up.ID, PartNumber: 1}), []byte("part"), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("UploadPart = %d", resp.StatusCode)
	}
	return up, []storage.Part{{Number: 1, ETag: resp.Header.Get("ETag"), Size: 4}}
}

// presignedPut sends body with a presigned PUT, its headers as given.
func presignedPut(t *testing.T, put *storage.PresignedPut, body string) int {
	t.Helper()
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader(body))
	for k, v := range put.Header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFallbackDirectUploads: CompleteUpload and PresignPut follow
// conditional_writes as Put does, on a server that answers 501 to
// If-None-Match (as B2): off, they check the name and send no condition;
// on, the first 501 makes the completion try again checked, and turns
// conditional writes off. Both failed before (501 NotImplemented).
func TestFallbackDirectUploads(t *testing.T) {
	ctx := context.Background()
	for _, setting := range []bool{false, true} {
		t.Run(fmt.Sprintf("conditional_writes=%v", setting), func(t *testing.T) {
			var conds conditionCounter
			st, srv := memStorage(t, s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented, Intercept: conds.intercept},
				storage.Options{ConditionalWrites: storage.Bool(setting)})
			want := 0
			if setting {
				want = 1 // the completion refused with 501, once
			}
			up, parts := directPart(t, st, "free.bin")
			if _, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, &storage.CompleteOptions{IfNoneMatch: true}); err != nil {
				t.Fatalf("conditional CompleteUpload on a free name = %v", err)
			}
			if o, ok := srv.Object(testBucket, "free.bin"); !ok || string(o.Body) != "part" {
				t.Errorf("free.bin = %q, %v; want the part", o.Body, ok)
			}
			if _, err := srv.PutObject(testBucket, "theirs.bin", []byte("theirs"), nil); err != nil {
				t.Fatal(err)
			}
			up, parts = directPart(t, st, "theirs.bin")
			if _, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, &storage.CompleteOptions{IfNoneMatch: true}); !errors.Is(err, storage.ErrExist) {
				t.Errorf("conditional CompleteUpload on a taken name = %v, want ErrExist", err)
			}
			if err := st.AbortUpload(ctx, up.Name, up.ID); err != nil {
				t.Errorf("the upload refused is not open: %v", err)
			}
			if o, _ := srv.Object(testBucket, "theirs.bin"); string(o.Body) != "theirs" {
				t.Errorf("theirs.bin = %q, overwritten", o.Body)
			}
			if _, err := st.PresignPut(ctx, "theirs.bin", &storage.PutURLOptions{IfNoneMatch: true}); !errors.Is(err, storage.ErrExist) {
				t.Errorf("PresignPut(IfNoneMatch) on a taken name = %v, want ErrExist", err)
			}
			put, err := st.PresignPut(ctx, "put.bin", &storage.PutURLOptions{IfNoneMatch: true})
			if err != nil {
				t.Fatal(err)
			}
			if code := presignedPut(t, put, "put"); code != http.StatusOK {
				t.Errorf("presigned conditional PUT = %d (headers %v), want 200", code, put.Header)
			}
			if conds.n() != want {
				t.Errorf("%d requests carried a condition, want %d", conds.n(), want)
			}
		})
	}
}
