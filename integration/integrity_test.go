package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/internal/faultproxy"
	"github.com/s3kit/s3kit/storage"
)

// smallParts sends anything over 5 MiB in a multipart upload of 5 MiB
// parts.
var smallParts = storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}

// TestIntegrityFlippedByte: a byte flipped on its way to S3 is refused
// by S3's check of the checksum the storage computed, and the Put fails
// with ErrChecksum, leaving no object, no claim and no open upload: for a
// small object, a multipart seekable body (the manager's path) and a
// multipart stream. The proxy serves TLS so that the storage sends
// UNSIGNED-PAYLOAD, as with any real endpoint: the checksum, not the
// payload's signature, is what catches the byte. Over plain HTTP the
// signature catches it first (the last case).
func TestIntegrityFlippedByte(t *testing.T) {
	for _, c := range []struct {
		name      string
		kind      bodyKind
		size      int
		op        faultproxy.Op
		overwrite bool
		plain     bool
		codes     []string
	}{
		{"small", kindStream, 100 << 10, faultproxy.OpPutObject, true, false, []string{"BadDigest", "XAmzContentChecksumMismatch"}},
		{"multipart seekable", kindFile, 16 << 20, faultproxy.OpUploadPart, true, false, []string{"BadDigest", "XAmzContentChecksumMismatch"}},
		{"multipart stream", kindStream, 16 << 20, faultproxy.OpUploadPart, true, false, []string{"BadDigest", "XAmzContentChecksumMismatch"}},
		{"multipart stream, claimed name", kindStream, 16 << 20, faultproxy.OpUploadPart, false, false, []string{"BadDigest", "XAmzContentChecksumMismatch"}},
		{"small, over plain HTTP", kindBytes, 100 << 10, faultproxy.OpPutObject, true, true, []string{"XAmzContentSHA256Mismatch"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rig := newFaultRig(t, storage.Options{Transfer: smallParts, FileOverwrite: storage.Bool(c.overwrite)}, faultproxy.Options{
				// The first PutObject; the second part (after the claim, if any).
				TLS: !c.plain, Rules: []faultproxy.Rule{{Op: c.op, Nth: map[faultproxy.Op]int{faultproxy.OpPutObject: 1, faultproxy.OpUploadPart: 2}[c.op], Fault: faultproxy.Corrupt}}})
			if !c.plain && !strings.HasPrefix(rig.p.URL(), "https://") {
				t.Fatal("the proxy does not serve TLS")
			}
			data, _ := faultData(uint64(c.size), c.size)
			body, done := faultBody(t, c.kind, data)
			defer done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_, err := rig.st.Put(ctx, "f.bin", body, nil)
			var api smithy.APIError
			if !errors.Is(err, storage.ErrChecksum) || !errors.As(err, &api) || !slices.Contains(c.codes, api.ErrorCode()) {
				t.Fatalf("Put with a flipped byte: %v; want ErrChecksum from one of %v", err, c.codes)
			}
			if n := rig.p.Injected(c.op, faultproxy.Corrupt); n != 1 {
				t.Errorf("%d bytes flipped, want 1: %s", n, rig.p.Summary())
			}
			if objs := rig.objects(t); len(objs) != 0 {
				t.Errorf("stored after a refused byte: %v", objs)
			}
			if ups := rig.uploads(t); len(ups) != 0 {
				t.Errorf("uploads left open: %v", ups)
			}
		})
	}
}

// TestIntegritySHA256: the SHA-256 Put returns equals what sha256sum
// prints for the file, for 0 B, 1 B, 5 MiB and 64 MiB, from a file and
// from a stream; the checksum S3 confirmed is the one Stat reads back.
func TestIntegritySHA256(t *testing.T) {
	sha256sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Fatalf("sha256sum (coreutils) is needed: %v", err)
	}
	st := newStorage(t, storage.Options{})
	dir := t.TempDir()
	for _, size := range []int{0, 1, 5 << 20, 64 << 20} {
		data, _ := faultData(uint64(size)+7, size)
		path := filepath.Join(dir, fmt.Sprint(size))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sha256sum, path).Output()
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := strings.Cut(string(out), " ")
		for _, kind := range []bodyKind{kindFile, kindStream} {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = f
			if kind == kindStream {
				r = struct{ io.Reader }{f}
			}
			name := fmt.Sprintf("sha/%d-%s", size, kind)
			info, err := st.Put(context.Background(), name, r, &storage.SaveOptions{SHA256: true})
			f.Close()
			if err != nil {
				t.Fatalf("%d B from %s: %v", size, kind, err)
			}
			if info.SHA256 != want {
				t.Errorf("%d B from %s: SHA256 %s, sha256sum %s", size, kind, info.SHA256, want)
			}
			stat, err := st.Stat(context.Background(), name)
			if err != nil || info.Checksum == "" || stat.Checksum != info.Checksum || stat.ChecksumAlgorithm != "CRC64NVME" {
				t.Errorf("%d B from %s: Put confirmed %s %s %s, Stat reads %s %s %s (%v)", size, kind,
					info.ChecksumAlgorithm, info.Checksum, info.ChecksumType, stat.ChecksumAlgorithm, stat.Checksum, stat.ChecksumType, err)
			}
		}
	}
}

// TestIntegrityReadVerified: Open's full reads are checked against the
// object's checksum by the SDK, for a single PutObject's object and for a
// multipart object's FULL_OBJECT checksum: a byte flipped on its way back
// fails the read with ErrChecksum. What is not checked, as documented: a
// multipart object with a COMPOSITE checksum (SHA1, SHA256), whose
// checksum is of its parts, and ranged reads (ReadAt).
func TestIntegrityReadVerified(t *testing.T) {
	rig := newFaultRig(t, storage.Options{Transfer: smallParts}, faultproxy.Options{TLS: true,
		Rules: []faultproxy.Rule{{Op: faultproxy.OpGetObject, Key: "*/corrupt-*", Fault: faultproxy.CorruptResponse}}})
	composite := newStorageAt(t, rig.direct, storage.Options{Transfer: smallParts, ChecksumAlgorithm: "SHA256"})
	ctx := context.Background()
	data, _ := faultData(11, 12<<20)
	for _, c := range []struct {
		name    string
		st      *storage.Storage
		size    int
		checked bool
	}{{"corrupt-single", rig.direct, 100 << 10, true}, {"corrupt-full-object", rig.direct, len(data), true}, {"corrupt-composite", composite, len(data), false}} {
		info, err := c.st.Put(ctx, c.name, bytes.NewReader(data[:c.size]), nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := rig.st.Open(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		switch {
		case c.checked && !errors.Is(err, storage.ErrChecksum):
			t.Errorf("%s (%s %s): a read with a flipped byte gave %v (equal: %v), want ErrChecksum", c.name, info.ChecksumAlgorithm, info.ChecksumType, err, bytes.Equal(got, data[:c.size]))
		case !c.checked && (err != nil || bytes.Equal(got, data[:c.size])):
			t.Errorf("%s (%s): %v, equal %v; the documented behaviour is an unchecked read", c.name, info.ChecksumType, err, bytes.Equal(got, data[:c.size]))
		}
	}
	f, err := rig.st.Open(ctx, "corrupt-single")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part := make([]byte, 1000)
	if _, err := f.ReadAt(part, 5000); err != nil || bytes.Equal(part, data[5000:6000]) {
		t.Errorf("ReadAt: %v, equal %v; the documented behaviour is an unchecked ranged read", err, bytes.Equal(part, data[5000:6000]))
	}
}

// newStorageAt is a storage of the same bucket and location as st, with
// opts.
func newStorageAt(t *testing.T, st *storage.Storage, opts storage.Options) *storage.Storage {
	t.Helper()
	opts.BucketName, opts.Location = st.Bucket(), st.Location()
	s, err := storage.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIntegrityHandlerDigest: a wrong Content-Digest of the request, or a
// wrong digest field of a file, is 400 digest_mismatch at the handler and
// nothing is stored, in both modes, for a small file and a multipart one;
// the right ones store the file, answered with its sha256.
func TestIntegrityHandlerDigest(t *testing.T) {
	data, _ := faultData(5, 7<<20)
	for _, mode := range uploadModes {
		for _, size := range []int{1000, len(data)} {
			for _, how := range []string{"request", "field"} {
				t.Run(fmt.Sprintf("%s/%d/%s", mode, size, how), func(t *testing.T) {
					u := newUploadServer(t, storage.Options{Transfer: smallParts}, handler.Options{Mode: mode})
					status, code, _ := postDigest(t, u, data[:size], how, false)
					if status != 400 || code != handler.CodeDigestMismatch {
						t.Fatalf("a wrong %s digest: %d %q, want 400 digest_mismatch", how, status, code)
					}
					u.assertEmpty(t)
					status, code, sum := postDigest(t, u, data[:size], how, true)
					if want := sha256.Sum256(data[:size]); status != 201 || how == "field" && sum != fmt.Sprintf("%x", want) {
						t.Fatalf("the right %s digest: %d %q, sha256 %q", how, status, code, sum)
					}
				})
			}
		}
	}
}

// postDigest posts data as one file with a digest of the request or of
// the file (right or wrong); it returns the status, the error code and
// the file's sha256 in the answer.
func postDigest(t *testing.T, u *uploadServer, data []byte, how string, right bool) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	sum := sha256.Sum256(data)
	if !right {
		sum[0] ^= 1
	}
	if how == "field" {
		mw.WriteField("f.digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	}
	fw, _ := mw.CreateFormFile("f", "d.bin")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL, bytes.NewReader(b.Bytes()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if how == "request" {
		whole := sha256.Sum256(b.Bytes())
		if !right {
			whole[0] ^= 1
		}
		req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(whole[:])+":")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Files []struct {
			SHA256 string `json:"sha256"`
		} `json:"files"`
		Error struct{ Code string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatalf("answer %d: %v", resp.StatusCode, err)
	}
	sha := ""
	if len(ans.Files) == 1 {
		sha = ans.Files[0].SHA256
	}
	return resp.StatusCode, ans.Error.Code, sha
}

// TestIntegrityPresigned: a presigned PUT that pins the SHA-256 the
// browser computed stores those bytes and refuses others (400, nothing
// stored). A POST policy that pins it stores the right bytes; whether a
// server checks the POST's checksum fields is logged (S3 and SeaweedFS
// 4.53 do; s3local accepts the fields without checking them).
func TestIntegrityPresigned(t *testing.T) {
	st := newStorage(t, storage.Options{})
	ctx := context.Background()
	data, _ := faultData(21, 50000)
	other := append([]byte(nil), data...)
	other[100] ^= 1
	sum := sha256.Sum256(data)
	for i, body := range [][]byte{other, data} {
		put, err := st.PresignPut(ctx, "put.bin", &storage.PutURLOptions{ChecksumSHA256: sum[:], ContentLength: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, put.Method, put.URL, bytes.NewReader(body))
		for k, v := range put.Header {
			req.Header.Set(k, v)
		}
		req.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := []int{400, 200}[i]; resp.StatusCode != want {
			t.Fatalf("presigned PUT of the %s bytes: %d %s, want %d", []string{"wrong", "right"}[i], resp.StatusCode, msg, want)
		}
		if i == 0 && exists(t, st, "put.bin") {
			t.Fatal("the wrong bytes were stored")
		}
	}
	if info, err := st.Stat(ctx, "put.bin"); err != nil || info.ChecksumAlgorithm != "SHA256" || info.Checksum != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("the presigned PUT's object: %s %s (%v), want SHA256 %x", info.ChecksumAlgorithm, info.Checksum, err, sum)
	}
	for i, body := range [][]byte{data, other} {
		name := fmt.Sprintf("post-%d.bin", i)
		pol, err := st.PresignPost(ctx, name, &storage.PostOptions{ChecksumSHA256: sum[:], MaxSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		status, msg := postForm(t, pol.URL, pol.Fields, body)
		switch {
		case i == 0 && status != 204:
			t.Fatalf("POST of the right bytes with their checksum: %d %s", status, msg)
		case i == 1 && status == 204:
			t.Logf("this server does not check a POST's x-amz-checksum-sha256 (S3 does): the wrong bytes were stored")
		case i == 1:
			t.Logf("this server refused a POST's wrong bytes: %d", status)
		}
	}
}

// TestIntegrityDirectPartChecksum: a part URL signs the sha256 a client
// gives: the right bytes are taken, other bytes refused, and a part sent
// without one (as Uppy sends them) still goes through an unsigned URL.
// The part's checksum is listed and passed on at completion, and the
// object holds the bytes sent.
func TestIntegrityDirectPartChecksum(t *testing.T) {
	st := newStorage(t, storage.Options{})
	ctx := context.Background()
	up, err := st.CreateUpload(ctx, "direct.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := faultData(31, 6<<20)
	first, last := data[:5<<20], data[5<<20:]
	sum := sha256.Sum256(first)
	bad := append([]byte(nil), first...)
	bad[7] ^= 1
	send := func(n int32, body []byte, withSum bool) int {
		opts := &storage.DirectOptions{UploadID: up.ID, PartNumber: n}
		if withSum {
			opts.ChecksumSHA256 = sum[:]
		}
		pr, err := st.PresignDirect(ctx, storage.DirectUploadPart, up.Name, opts)
		if err != nil {
			t.Fatal(err)
		}
		if withSum != (pr.Header != nil) {
			t.Fatalf("headers %v with a checksum %v", pr.Header, withSum)
		}
		req, _ := http.NewRequestWithContext(ctx, pr.Method, pr.URL, bytes.NewReader(body))
		for k, v := range pr.Header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := send(1, bad, true); status != 400 {
		t.Fatalf("a part that does not match its signed sha256: %d, want 400", status)
	}
	if status := send(1, first, true); status != 200 {
		t.Fatalf("a part with its sha256: %d", status)
	}
	if status := send(2, last, false); status != 200 {
		t.Fatalf("a part without a checksum: %d", status)
	}
	parts, err := st.ListParts(ctx, up.Name, up.ID)
	if err != nil || len(parts) != 2 {
		t.Fatalf("ListParts: %v %v", parts, err)
	}
	if parts[0].ChecksumSHA256 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Logf("this server does not list a part's SHA-256 (%q)", parts[0].ChecksumSHA256)
	}
	if _, err := st.CompleteUpload(ctx, up.Name, up.ID, parts, nil); err != nil {
		t.Fatalf("CompleteUpload: %v", err)
	}
	f, err := st.Open(ctx, up.Name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the object holds %d bytes (%v), not the %d sent", len(got), err, len(data))
	}
}
