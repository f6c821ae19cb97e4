package storage_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// do sends a presigned request as a browser would: the body, no
// Content-Type unless given, no checksum.
func do(t *testing.T, pr *storage.PresignedRequest, body []byte, ctype string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(pr.Method, pr.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func presign(t *testing.T, st *storage.Storage, op storage.DirectOp, name string, opts *storage.DirectOptions) *storage.PresignedRequest {
	t.Helper()
	pr, err := st.PresignDirect(context.Background(), op, name, opts)
	if err != nil {
		t.Fatalf("PresignDirect(%v, %q) = %v", op, name, err)
	}
	return pr
}

// TestDirectUpload: an upload created here, its parts sent with presigned
// URLs that sign no content type, completed here: the object is the
// parts, with the parameters given at creation and S3's multipart ETag.
func TestDirectUpload(t *testing.T) {
	ctx := context.Background()
	st, _ := memStorage(t, s3local.Options{}, storage.Options{Location: "media"})
	up, err := st.CreateUpload(ctx, "a/b c.png", &storage.UploadOptions{Params: storage.ObjectParameters{ContentType: "image/png"}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "a/b c.png" || up.Key != "media/a/b c.png" || up.ID == "" {
		t.Fatalf("CreateUpload = %+v", up)
	}
	first, last := bytes.Repeat([]byte("x"), storage.MinPartSize), []byte("the end")
	var parts []storage.Part
	for i, body := range [][]byte{first, last} {
		resp := do(t, presign(t, st, storage.DirectUploadPart, up.Name, &storage.DirectOptions{UploadID: up.ID, PartNumber: int32(i + 1)}), body, "")
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
			t.Fatalf("PUT part %d = %d, ETag %q", i+1, resp.StatusCode, resp.Header.Get("ETag"))
		}
		parts = append(parts, storage.Part{Number: int32(i + 1), ETag: resp.Header.Get("ETag"), Size: int64(len(body))})
	}
	info, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, &storage.CompleteOptions{IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := storage.MultipartETag(parts)
	if info.ETag != want || info.Size != int64(len(first)+len(last)) {
		t.Errorf("CompleteUpload = ETag %s, size %d; want %s, %d", info.ETag, info.Size, want, len(first)+len(last))
	}
	// The answer was lost, say: completing again finds the object these
	// parts made, and succeeds.
	again, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, &storage.CompleteOptions{IfNoneMatch: true})
	if err != nil || again.ETag != want {
		t.Errorf("CompleteUpload again = %q, %v; want %s, nil", again.ETag, err, want)
	}
	got, head, err := st.ReadHead(ctx, up.Name, 4)
	if err != nil || string(head) != "xxxx" || got.Size != info.Size || got.ContentType != "image/png" || got.ETag != want {
		t.Errorf("ReadHead = %+v, %q, %v", got, head, err)
	}
}

// TestDirectConflicts: a taken name is renamed, refused or overwritten at
// creation as asked; a conditional completion on a name taken since
// fails with ErrExist and leaves the upload open.
func TestDirectConflicts(t *testing.T) {
	ctx := context.Background()
	st, _ := memStorage(t, s3local.Options{}, storage.Options{})
	if _, err := st.Save(ctx, "taken.txt", strings.NewReader("old"), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    storage.Conflict
		same bool
		err  error
	}{{storage.ConflictRename, false, nil}, {storage.ConflictOverwrite, true, nil}, {storage.ConflictFail, false, storage.ErrExist}} {
		up, err := st.CreateUpload(ctx, "taken.txt", &storage.UploadOptions{Conflict: tc.c})
		if !errors.Is(err, tc.err) || err == nil && (up.Name == "taken.txt") != tc.same {
			t.Errorf("CreateUpload(taken, %v) = %q, %v", tc.c, up.Name, err)
		}
		if err == nil {
			st.AbortUpload(ctx, up.Name, up.ID)
		}
	}
	up, err := st.CreateUpload(ctx, "free.txt", &storage.UploadOptions{Conflict: storage.ConflictRename})
	if err != nil {
		t.Fatal(err)
	}
	resp := do(t, presign(t, st, storage.DirectUploadPart, up.Name, &storage.DirectOptions{UploadID: up.ID, PartNumber: 1}), []byte("mine"), "")
	parts := []storage.Part{{Number: 1, ETag: resp.Header.Get("ETag"), Size: 4}}
	if _, err := st.Save(ctx, "free.txt", strings.NewReader("theirs"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, &storage.CompleteOptions{IfNoneMatch: true}); !errors.Is(err, storage.ErrExist) {
		t.Errorf("conditional CompleteUpload on a name taken since = %v, want ErrExist", err)
	}
	if err := st.AbortUpload(ctx, up.Name, up.ID); err != nil {
		t.Errorf("AbortUpload after the refused completion = %v", err)
	}
	if err := st.AbortUpload(ctx, up.Name, up.ID); err != nil {
		t.Errorf("AbortUpload of an upload gone already = %v, want nil", err)
	}
}

// TestPresignDirectRequests: every operation a browser makes in Uppy's
// signRequest mode works with its presigned URL alone, with the
// Content-Type the browser sends.
func TestPresignDirectRequests(t *testing.T) {
	st, _ := memStorage(t, s3local.Options{}, storage.Options{Location: "loc"})
	if resp := do(t, presign(t, st, storage.DirectPutObject, "small.txt", nil), []byte("hi"), "text/plain"); resp.StatusCode != 200 {
		t.Fatalf("presigned PutObject = %d", resp.StatusCode)
	}
	resp := do(t, presign(t, st, storage.DirectCreateUpload, "big.bin", nil), nil, "application/octet-stream")
	var created struct{ UploadId string }
	if err := xml.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 200 || created.UploadId == "" {
		t.Fatalf("presigned CreateMultipartUpload = %d, %+v, %v", resp.StatusCode, created, err)
	}
	id := &storage.DirectOptions{UploadID: created.UploadId}
	part := do(t, presign(t, st, storage.DirectUploadPart, "big.bin", &storage.DirectOptions{UploadID: created.UploadId, PartNumber: 1}), []byte("part"), "")
	etag := part.Header.Get("ETag")
	body := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag + "</ETag></Part></CompleteMultipartUpload>"
	if resp := do(t, presign(t, st, storage.DirectCompleteUpload, "big.bin", id), []byte(body), "application/xml"); resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("presigned CompleteMultipartUpload = %d %s", resp.StatusCode, b)
	}
	for _, name := range []string{"small.txt", "big.bin"} {
		if _, head, err := st.ReadHead(context.Background(), name, 10); err != nil || len(head) == 0 {
			t.Errorf("ReadHead(%q) = %q, %v", name, head, err)
		}
	}
	if resp := do(t, presign(t, st, storage.DirectAbortUpload, "big.bin", id), nil, ""); resp.StatusCode/100 != 2 && resp.StatusCode != 404 {
		t.Errorf("presigned AbortMultipartUpload of a completed upload = %d", resp.StatusCode)
	}
}

// TestPresignDirectRefuses: only the table's operations, with the ids
// each needs.
func TestPresignDirectRefuses(t *testing.T) {
	st, _ := memStorage(t, s3local.Options{}, storage.Options{})
	for _, tc := range []struct {
		op   storage.DirectOp
		name string
		opts *storage.DirectOptions
	}{
		{0, "a", nil},
		{storage.DirectAbortUpload + 1, "a", &storage.DirectOptions{UploadID: "x"}},
		{storage.DirectPutObject, "a", &storage.DirectOptions{UploadID: "x"}},
		{storage.DirectUploadPart, "a", &storage.DirectOptions{UploadID: "x"}},
		{storage.DirectUploadPart, "a", &storage.DirectOptions{UploadID: "x", PartNumber: storage.MaxParts + 1}},
		{storage.DirectListParts, "a", nil},
		{storage.DirectListParts, "a", &storage.DirectOptions{UploadID: "x", PartNumber: 2}},
		{storage.DirectPutObject, "../a", nil},
		{storage.DirectPutObject, "a", &storage.DirectOptions{Expire: 8 * 24 * 3600e9}},
	} {
		if pr, err := st.PresignDirect(context.Background(), tc.op, tc.name, tc.opts); err == nil {
			t.Errorf("PresignDirect(%v, %q, %+v) = %s, want an error", tc.op, tc.name, tc.opts, pr.URL)
		}
	}
}

// TestPresignDirectLikeSDK: an UploadPart URL has the SDK's host, path
// and query parameters (but x-id), and signs only the host.
func TestPresignDirectLikeSDK(t *testing.T) {
	for _, style := range []string{"path", "virtual"} {
		t.Run(style, func(t *testing.T) {
			st, _ := memStorage(t, s3local.Options{}, storage.Options{AddressingStyle: style, Location: "l o"})
			mine := presign(t, st, storage.DirectUploadPart, "d/ü+x.bin", &storage.DirectOptions{UploadID: "u/1=", PartNumber: 7})
			sdk, err := s3.NewPresignClient(st.Client().(*s3.Client)).PresignUploadPart(context.Background(), &s3.UploadPartInput{
				Bucket: aws.String(st.Bucket()), Key: aws.String("l o/d/ü+x.bin"), UploadId: aws.String("u/1="), PartNumber: aws.Int32(7),
			}, func(o *s3.PresignOptions) {
				o.ClientOptions = append(o.ClientOptions, func(so *s3.Options) { so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired })
			})
			if err != nil {
				t.Fatal(err)
			}
			m, _ := url.Parse(mine.URL)
			s, _ := url.Parse(sdk.URL)
			if m.Host != s.Host || m.EscapedPath() != s.EscapedPath() {
				t.Errorf("PresignDirect URL = %s%s, SDK's %s%s", m.Host, m.EscapedPath(), s.Host, s.EscapedPath())
			}
			mq, sq := m.Query(), s.Query()
			sq.Del("x-id")
			for k := range sq {
				if mq.Get(k) == "" {
					t.Errorf("PresignDirect URL lacks %s (SDK's: %s)", k, sdk.URL)
				}
			}
			if mq.Get("X-Amz-SignedHeaders") != "host" || mine.Method != "PUT" {
				t.Errorf("PresignDirect = %s signing %q, want PUT signing host only", mine.Method, mq.Get("X-Amz-SignedHeaders"))
			}
		})
	}
}

// TestCreateUploadName: CreateUpload bounds the name by MaxLength as Put
// does (it was ignored but for the renamed names), and asks
// ObjectParametersFunc about the name it chose, not the one asked for.
func TestCreateUploadName(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var asked []string
	st, _ := memStorage(t, s3local.Options{}, storage.Options{
		ObjectParametersFunc: func(name, key, ct string) (storage.ObjectParameters, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, name)
			return storage.ObjectParameters{}, nil
		}})
	for _, c := range []storage.Conflict{storage.ConflictOverwrite, storage.ConflictRename, storage.ConflictFail} {
		up, err := st.CreateUpload(ctx, "dir/a-rather-long-name.bin", &storage.UploadOptions{Conflict: c, MaxLength: 18})
		if err != nil {
			t.Fatalf("CreateUpload(%v) = %v", c, err)
		}
		if n := utf8.RuneCountInString(up.Name); n > 18 || !strings.HasPrefix(up.Name, "dir/a") || !strings.HasSuffix(up.Name, ".bin") {
			t.Errorf("CreateUpload(%v, MaxLength 18) = %q (%d runes), want at most 18", c, up.Name, n)
		}
		st.AbortUpload(ctx, up.Name, up.ID)
	}
	if _, err := st.Save(ctx, "taken.txt", strings.NewReader("old"), &storage.SaveOptions{Params: storage.ObjectParameters{ContentType: "text/plain"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	asked = nil
	mu.Unlock()
	up, err := st.CreateUpload(ctx, "taken.txt", &storage.UploadOptions{Conflict: storage.ConflictRename})
	if err != nil || up.Name == "taken.txt" {
		t.Fatalf("CreateUpload(taken, rename) = %q, %v", up.Name, err)
	}
	st.AbortUpload(ctx, up.Name, up.ID)
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0] != up.Name {
		t.Errorf("ObjectParametersFunc asked about %q, want only the final name %q", asked, up.Name)
	}
}
