package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// multipartETag computes the ETag S3 gives a multipart object.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + itoa(int32(len(parts))) + `"`
}

func TestUploaderMultipart(t *testing.T) {
	tests := []struct {
		style    string
		size     int
		download bool
	}{
		{"path", 16 << 20, true},
		{"virtual-host", 11 << 20, false}, // smaller: keeps the race-enabled run fast
	}
	for _, tt := range tests {
		t.Run(tt.style, func(t *testing.T) {
			f := start(t, s3local.Options{MinPartSize: 1 << 20})
			c := f.client(t)
			if tt.style == "virtual-host" {
				c = f.vhostClient(t)
			}
			ctx := context.Background()
			data := randomBytes(tt.size, 1)
			var chunks [][]byte
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 5<<20)
				chunks, rest = append(chunks, rest[:n]), rest[n:]
			}
			up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 3 })
			out, err := up.Upload(ctx, &s3.PutObjectInput{
				Bucket: aws.String(testBucket), Key: aws.String("big/object.bin"), Body: bytes.NewReader(data),
				ContentType: aws.String("application/x-test"), Metadata: map[string]string{"Origin": "uploader"},
			})
			if err != nil {
				t.Fatalf("Upload = %v", err)
			}
			want := multipartETag(chunks...)
			if aws.ToString(out.ETag) != want {
				t.Errorf("Upload ETag = %q, want %q", aws.ToString(out.ETag), want)
			}
			suffix := "-" + itoa(int32(len(chunks)))
			if out.ChecksumType != types.ChecksumTypeComposite || !strings.HasSuffix(aws.ToString(out.ChecksumCRC32), suffix) {
				t.Errorf("Upload checksum = %q %q, want COMPOSITE CRC32 ending in %s", out.ChecksumType, aws.ToString(out.ChecksumCRC32), suffix)
			}
			o, ok := f.srv.Object(testBucket, "big/object.bin")
			if !ok || !bytes.Equal(o.Body, data) || len(o.Parts) != len(chunks) || o.UserMetadata()["origin"] != "uploader" || o.Header.Get("Content-Type") != "application/x-test" {
				t.Errorf("Object() = %d bytes, %d parts, meta %v, type %q", len(o.Body), len(o.Parts), o.UserMetadata(), o.Header.Get("Content-Type"))
			}
			if us, _ := f.srv.Uploads(testBucket); len(us) != 0 {
				t.Errorf("Uploads() = %d open uploads, want 0", len(us))
			}
			if tt.download {
				// Read it back with the downloader (ranged GETs).
				buf := manager.NewWriteAtBuffer(nil)
				n, err := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 3 << 20 }).Download(ctx, buf,
					&s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("big/object.bin")})
				if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
					t.Errorf("Download = %d, %v; want %d identical bytes", n, err, len(data))
				}
			}
			// A whole-object GET validates nothing (composite checksum) but
			// returns it.
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("big/object.bin"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject = %v", err)
			}
			io.Copy(io.Discard, g.Body)
			g.Body.Close()
			if aws.ToString(g.ChecksumCRC32) != aws.ToString(out.ChecksumCRC32) || g.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("GetObject checksum = %q %q, want %q COMPOSITE", aws.ToString(g.ChecksumCRC32), g.ChecksumType, aws.ToString(out.ChecksumCRC32))
			}
		})
	}
}

func TestUploaderFailureAborts(t *testing.T) {
	var failed bool
	f := start(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpUploadPart && r.URL.Query().Get("partNumber") == "2" {
			failed = true
			return &s3local.Error{Code: "InternalError"}
		}
		return nil
	}})
	up := manager.NewUploader(f.client(t), func(u *manager.Uploader) { u.Concurrency = 1 })
	_, err := up.Upload(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 12<<20))})
	if !failed {
		t.Fatal("part 2 was never uploaded")
	}
	wantError(t, "Upload", err, "InternalError", 500)
	if objs, _ := f.srv.Objects(testBucket); len(objs) != 0 {
		t.Errorf("Objects() = %d, want none", len(objs))
	}
	if us, _ := f.srv.Uploads(testBucket); len(us) != 0 {
		t.Errorf("Uploads() = %d, want the upload aborted", len(us))
	}
}

func TestMultipartErrors(t *testing.T) {
	ctx := context.Background()
	f := start(t, s3local.Options{}) // default 5 MiB minimum part size
	c := f.client(t)
	small := []byte("small part")
	big := randomBytes(5<<20, 2)
	newUpload := func(t *testing.T, bodies ...[]byte) (*string, []types.CompletedPart) {
		t.Helper()
		cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m")})
		if err != nil {
			t.Fatalf("CreateMultipartUpload = %v", err)
		}
		var parts []types.CompletedPart
		for i, b := range bodies {
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: cu.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(b)})
			if err != nil {
				t.Fatalf("UploadPart(%d) = %v", i+1, err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
		}
		return cu.UploadId, parts
	}
	complete := func(id *string, parts []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m"),
			UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	tests := []struct {
		name   string
		bodies [][]byte
		edit   func(parts []types.CompletedPart) []types.CompletedPart
		code   string
		status int
	}{
		{"ok", [][]byte{big, small}, nil, "", 0},
		{"single small part", [][]byte{small}, nil, "", 0},
		{"small non-last part", [][]byte{small, big}, nil, "EntityTooSmall", 400},
		{"descending order", [][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart { return []types.CompletedPart{p[1], p[0]} }, "InvalidPartOrder", 400},
		{"duplicate part", [][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart { return []types.CompletedPart{p[0], p[0]} }, "InvalidPartOrder", 400},
		{"wrong etag", [][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			p[1].ETag = aws.String(`"00000000000000000000000000000000"`)
			return p
		}, "InvalidPart", 400},
		{"unknown part", [][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			p[1].PartNumber = aws.Int32(7)
			return p
		}, "InvalidPart", 400},
		{"wrong part checksum", [][]byte{big, small}, func(p []types.CompletedPart) []types.CompletedPart {
			p[1].ChecksumCRC32 = aws.String("AAAAAA==")
			return p
		}, "InvalidPart", 400},
		{"subset of parts", [][]byte{big, small, small}, func(p []types.CompletedPart) []types.CompletedPart { return p[:2] }, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, parts := newUpload(t, tt.bodies...)
			if tt.edit != nil {
				parts = tt.edit(parts)
			}
			err := complete(id, parts)
			us, _ := f.srv.Uploads(testBucket)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CompleteMultipartUpload = %v", err)
				}
				if len(us) != 0 {
					t.Errorf("Uploads() = %d after completion, want 0", len(us))
				}
				return
			}
			wantError(t, "CompleteMultipartUpload", err, tt.code, tt.status)
			if len(us) != 1 {
				t.Errorf("Uploads() = %d after a failed completion, want 1", len(us))
			}
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: id}); err != nil {
				t.Errorf("AbortMultipartUpload = %v", err)
			}
		})
	}
	t.Run("unknown upload", func(t *testing.T) {
		_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: aws.String("nope")})
		wantError(t, "AbortMultipartUpload", err, "NoSuchUpload", 404)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: aws.String("nope"), PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		wantError(t, "UploadPart", err, "NoSuchUpload", 404)
		err = complete(aws.String("nope"), []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}})
		wantError(t, "CompleteMultipartUpload", err, "NoSuchUpload", 404)
	})
	t.Run("bad part number", func(t *testing.T) {
		id, _ := newUpload(t)
		for _, n := range []string{"0", "10001", "x"} {
			resp, body := do(t, http.MethodPut, f.objectURL("m")+"?partNumber="+n+"&uploadId="+*id, []byte("x"), nil)
			if resp.StatusCode != 400 || !strings.Contains(string(body), "InvalidArgument") {
				t.Errorf("UploadPart(partNumber=%s) = %d %s, want 400 InvalidArgument", n, resp.StatusCode, body)
			}
		}
		c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: id})
	})
}

func TestMultipartListings(t *testing.T) {
	ctx := context.Background()
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	keys := []string{"a/1", "a/2", "b", "a/1"}
	ids := map[string][]string{}
	for _, k := range keys {
		cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(k),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256, StorageClass: types.StorageClassStandardIa})
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = append(ids[k], *cu.UploadId)
	}
	// Parts of the first a/1 upload.
	id := ids["a/1"][0]
	var parts []types.CompletedPart
	for _, n := range []int32{1, 2, 3} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("a/1"), UploadId: &id,
			PartNumber: aws.Int32(n), Body: strings.NewReader(strings.Repeat("p", int(n))), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256})
	}

	var got []string
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), MaxUploads: aws.Int32(1)}
	for {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatalf("ListMultipartUploads = %v", err)
		}
		for _, u := range out.Uploads {
			got = append(got, *u.Key+" "+*u.UploadId)
			if u.StorageClass != types.StorageClassStandardIa {
				t.Errorf("upload %s storage class = %q", *u.Key, u.StorageClass)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	want := []string{"a/1 " + ids["a/1"][0], "a/1 " + ids["a/1"][1], "a/2 " + ids["a/2"][0], "b " + ids["b"][0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ListMultipartUploads pages = %v, want %v", got, want)
	}
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), Delimiter: aws.String("/")})
	if err != nil || len(out.CommonPrefixes) != 1 || *out.CommonPrefixes[0].Prefix != "a/" || len(out.Uploads) != 1 {
		t.Errorf("ListMultipartUploads(delimiter) = %+v, %v; want prefix a/ and upload b", out, err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), Prefix: aws.String("a/2")})
	if err != nil || len(out.Uploads) != 1 {
		t.Errorf("ListMultipartUploads(prefix a/2) = %+v, %v", out, err)
	}
	// Completing with SHA256 gives a COMPOSITE checksum.
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("a/1"), UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil || !strings.HasSuffix(aws.ToString(done.ChecksumSHA256), "-3") {
		t.Errorf("CompleteMultipartUpload = %+v, %v; want a SHA256 -3 checksum", done, err)
	}
}

func TestMultipartFullObjectChecksum(t *testing.T) {
	ctx := context.Background()
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme} {
		t.Run(string(alg), func(t *testing.T) {
			key := "full-" + string(alg)
			cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(key),
				ChecksumAlgorithm: alg, ChecksumType: types.ChecksumTypeFullObject})
			if err != nil {
				t.Fatalf("CreateMultipartUpload = %v", err)
			}
			data := randomBytes(3000, 3)
			var parts []types.CompletedPart
			for i := 0; i < 3; i++ {
				up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String(key), UploadId: cu.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data[i*1000 : (i+1)*1000]), ChecksumAlgorithm: alg})
				if err != nil {
					t.Fatalf("UploadPart = %v", err)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag,
					ChecksumCRC32: up.ChecksumCRC32, ChecksumCRC32C: up.ChecksumCRC32C, ChecksumCRC64NVME: up.ChecksumCRC64NVME})
			}
			if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String(key),
				UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
				t.Fatalf("CompleteMultipartUpload = %v", err)
			}
			// The SDK validates a FULL_OBJECT checksum on GET.
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject = %v", err)
			}
			b, err := io.ReadAll(g.Body)
			g.Body.Close()
			if err != nil || !bytes.Equal(b, data) || g.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("GetObject = %d bytes, %v, type %q; want %d bytes FULL_OBJECT", len(b), err, g.ChecksumType, len(data))
			}
		})
	}
}

// TestListParts pages the parts of an upload by part-number-marker, with
// their checksums, as resumable uploads read them.
func TestListParts(t *testing.T) {
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	ctx := context.Background()
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, StorageClass: types.StorageClassStandardIa})
	if err != nil {
		t.Fatal(err)
	}
	sent := map[int32]*s3.UploadPartOutput{}
	for _, n := range []int32{1, 2, 3, 5} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId,
			PartNumber: aws.Int32(n), Body: strings.NewReader(strings.Repeat("p", int(n))), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		sent[n] = out
	}
	var got []int32
	in := &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId, MaxParts: aws.Int32(2)}
	for page := 0; ; page++ {
		out, err := c.ListParts(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 || out.StorageClass != types.StorageClassStandardIa ||
			out.Initiator == nil || aws.ToString(out.UploadId) != aws.ToString(cu.UploadId) || aws.ToInt32(out.MaxParts) != 2 {
			t.Errorf("page %d: algorithm %q, class %q, initiator %v, upload %q, max %d", page, out.ChecksumAlgorithm, out.StorageClass,
				out.Initiator, aws.ToString(out.UploadId), aws.ToInt32(out.MaxParts))
		}
		for _, p := range out.Parts {
			n := aws.ToInt32(p.PartNumber)
			got = append(got, n)
			if s := sent[n]; s == nil || aws.ToString(p.ETag) != aws.ToString(s.ETag) || aws.ToInt64(p.Size) != int64(n) ||
				aws.ToString(p.ChecksumCRC32) == "" || aws.ToString(p.ChecksumCRC32) != aws.ToString(s.ChecksumCRC32) || p.LastModified == nil {
				t.Errorf("part %d = %+v, want what UploadPart answered", n, p)
			}
		}
		wantMore := page == 0
		if aws.ToBool(out.IsTruncated) != wantMore || len(out.Parts) > 0 && aws.ToString(out.NextPartNumberMarker) != itoa(aws.ToInt32(out.Parts[len(out.Parts)-1].PartNumber)) {
			t.Errorf("page %d: IsTruncated %v, NextPartNumberMarker %q", page, aws.ToBool(out.IsTruncated), aws.ToString(out.NextPartNumberMarker))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
	if fmt.Sprint(got) != "[1 2 3 5]" {
		t.Errorf("listed parts %v, want [1 2 3 5]", got)
	}
	out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId, PartNumberMarker: aws.String("5")})
	if err != nil || len(out.Parts) != 0 || aws.ToBool(out.IsTruncated) || aws.ToInt32(out.MaxParts) != 1000 {
		t.Errorf("ListParts after the last part = %d parts, truncated %v, max %d, %v", len(out.Parts), aws.ToBool(out.IsTruncated), aws.ToInt32(out.MaxParts), err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("other"), UploadId: cu.UploadId})
	wantError(t, "ListParts(another key)", err, "NoSuchUpload", 404)
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: aws.String("nope")})
	wantError(t, "ListParts(unknown upload)", err, "NoSuchUpload", 404)
	for _, q := range []string{"max-parts=-1", "max-parts=x", "part-number-marker=x"} {
		resp, body := do(t, http.MethodGet, f.objectURL("mp")+"?uploadId="+aws.ToString(cu.UploadId)+"&"+q, nil, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidArgument</Code>") {
			t.Errorf("ListParts?%s = %d %s, want 400 InvalidArgument", q, resp.StatusCode, body)
		}
	}
}
