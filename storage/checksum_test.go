package storage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// crc64nvme is the standard library's CRC-64/NVME, independent of the
// implementation the storage uses.
func crc64nvme(p []byte) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], crc64.Checksum(p, crc64.MakeTable(0x9a6c9329ac4bc9b5)))
	return base64.StdEncoding.EncodeToString(b[:])
}

func crc32c(p []byte) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	return base64.StdEncoding.EncodeToString(b[:])
}

// sent records the checksum headers of the writes a server receives.
type sent struct {
	mu   sync.Mutex
	reqs []sentReq
}

type sentReq struct {
	op string
	h  http.Header // the x-amz-checksum-*, x-amz-sdk-checksum-algorithm, x-amz-trailer and x-amz-mp-object-size headers
}

func (s *sent) intercept(op string, r *http.Request) *s3local.Error {
	h := http.Header{}
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-checksum") || lk == "x-amz-sdk-checksum-algorithm" || lk == "x-amz-trailer" || lk == "x-amz-mp-object-size" {
			h[k] = v
		}
	}
	if n := r.URL.Query().Get("partNumber"); n != "" {
		h.Set("Part-Number", n)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, sentReq{op, h})
	s.mu.Unlock()
	return nil
}

func (s *sent) of(op string) []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hs []http.Header
	for _, r := range s.reqs {
		if r.op == op {
			hs = append(hs, r.h)
		}
	}
	return hs
}

// seekable hides nothing; stream hides the io.ReaderAt of a reader.
func seekable(p []byte) io.Reader { return bytes.NewReader(p) }
func stream(p []byte) io.Reader   { return struct{ io.Reader }{bytes.NewReader(p)} }

// TestChecksumOfEveryWrite: by default every body goes with the
// CRC64NVME of its bytes, computed here: a single PutObject in its header,
// a multipart upload (streamed, or by the manager) as a FULL_OBJECT
// checksum, each part with its own CRC and the completion with the CRC of
// the whole object and its size. Info returns the checksum S3 confirmed,
// which equals the standard library's CRC-64/NVME of the bytes.
func TestChecksumOfEveryWrite(t *testing.T) {
	small := make([]byte, 100<<10)
	large := make([]byte, 13<<20)
	rand.Read(small)
	rand.Read(large)
	for _, c := range []struct {
		name      string
		data      []byte
		r         func([]byte) io.Reader
		multipart bool
	}{
		{"small stream", small, stream, false},
		{"small seekable", small, seekable, false},
		{"empty", nil, stream, false},
		{"large stream", large, stream, true},
		{"large seekable", large, seekable, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &sent{}
			st, srv := memStorage(t, s3local.Options{Intercept: rec.intercept}, storage.Options{
				Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}})
			info, err := st.Put(context.Background(), "f.bin", c.r(c.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := crc64nvme(c.data)
			if info.ChecksumAlgorithm != "CRC64NVME" || info.Checksum != want || info.ChecksumType != "FULL_OBJECT" {
				t.Errorf("Info checksum = %s %s %s, want CRC64NVME %s FULL_OBJECT", info.ChecksumAlgorithm, info.Checksum, info.ChecksumType, want)
			}
			if o, _ := srv.Object(testBucket, "f.bin"); o.Checksum.Value != want {
				t.Errorf("the server keeps %+v, want %s", o.Checksum, want)
			}
			if !c.multipart {
				puts := rec.of(s3local.OpPutObject)
				if len(puts) != 1 || puts[0].Get("X-Amz-Checksum-Crc64nvme") != want {
					t.Errorf("PutObject headers %v, want x-amz-checksum-crc64nvme %s", puts, want)
				}
				return
			}
			create := rec.of(s3local.OpCreateMultipartUpload)
			if len(create) != 1 || create[0].Get("X-Amz-Checksum-Algorithm") != "CRC64NVME" || create[0].Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
				t.Errorf("CreateMultipartUpload headers %v, want CRC64NVME FULL_OBJECT", create)
			}
			parts := rec.of(s3local.OpUploadPart)
			slices.SortFunc(parts, func(a, b http.Header) int {
				x, _ := strconv.Atoi(a.Get("Part-Number"))
				y, _ := strconv.Atoi(b.Get("Part-Number"))
				return x - y
			})
			var off int
			for i, h := range parts {
				n := min(storage.MinPartSize, len(c.data)-off)
				if got := h.Get("X-Amz-Checksum-Crc64nvme"); got != crc64nvme(c.data[off:off+n]) {
					t.Errorf("part %d: x-amz-checksum-crc64nvme %q, want the part's CRC", i+1, got)
				}
				off += n
			}
			if off != len(c.data) {
				t.Errorf("%d parts cover %d bytes, want %d", len(parts), off, len(c.data))
			}
			complete := rec.of(s3local.OpCompleteMultipartUpload)
			if len(complete) != 1 || complete[0].Get("X-Amz-Checksum-Crc64nvme") != want ||
				complete[0].Get("X-Amz-Checksum-Type") != "FULL_OBJECT" || complete[0].Get("X-Amz-Mp-Object-Size") != "13631488" {
				t.Errorf("CompleteMultipartUpload headers %v, want the whole object's CRC, FULL_OBJECT and its size", complete)
			}
		})
	}
}

// TestSHA256OfContent: SaveOptions.SHA256 returns the SHA-256 of the
// bytes given, on every path, and of the original bytes of a compressed
// object, whose S3 checksum covers the compressed bytes it stores.
func TestSHA256OfContent(t *testing.T) {
	data := make([]byte, 11<<20+5)
	rand.Read(data)
	css := bytes.Repeat([]byte("body { color: red }\n"), 1<<16)
	for _, c := range []struct {
		name string
		data []byte
		r    func([]byte) io.Reader
		key  string
	}{
		{"small stream", data[:1000], stream, "a.bin"},
		{"small seekable", data[:1000], seekable, "a.bin"},
		{"large stream", data, stream, "a.bin"},
		{"large seekable", data, seekable, "a.bin"},
		{"gzip", css, seekable, "a.css"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, srv := memStorage(t, s3local.Options{}, storage.Options{Gzip: storage.Bool(true),
				Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}})
			info, err := st.Put(context.Background(), c.key, c.r(c.data), &storage.SaveOptions{SHA256: true})
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(c.data); info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %s, want %x", info.SHA256, sum)
			}
			o, _ := srv.Object(testBucket, c.key)
			if info.Checksum != crc64nvme(o.Body) {
				t.Errorf("the checksum %s is not the CRC of the stored bytes", info.Checksum)
			}
			if c.key == "a.css" {
				zr, err := gzip.NewReader(bytes.NewReader(o.Body))
				if err != nil || info.ContentEncoding != "gzip" {
					t.Fatalf("not stored compressed: %v, %q", err, info.ContentEncoding)
				}
				if back, _ := io.ReadAll(zr); !bytes.Equal(back, css) {
					t.Error("the stored bytes do not decompress to the content")
				}
			}
		})
	}
}

// TestExpectSHA256: a content that does not have the SHA-256 expected is
// not stored, on every path: a small body is never sent, a multipart
// upload is aborted, never completed. One that has it is stored, and a
// single PutObject carries it as its SHA256 checksum, for S3 to check.
func TestExpectSHA256(t *testing.T) {
	data := make([]byte, 11<<20)
	rand.Read(data)
	for _, c := range []struct {
		name string
		n    int
		r    func([]byte) io.Reader
	}{{"small stream", 1000, stream}, {"small seekable", 1000, seekable}, {"large stream", len(data), stream}, {"large seekable", len(data), seekable}} {
		t.Run(c.name, func(t *testing.T) {
			rec := &sent{}
			st, srv := memStorage(t, s3local.Options{Intercept: rec.intercept}, storage.Options{FileOverwrite: storage.Bool(false),
				Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}})
			right := sha256.Sum256(data[:c.n])
			wrong := right
			wrong[0] ^= 1
			_, err := st.Put(context.Background(), "d.bin", c.r(data[:c.n]), &storage.SaveOptions{ExpectSHA256: wrong[:]})
			if !errors.Is(err, storage.ErrDigestMismatch) {
				t.Fatalf("Put with a wrong digest: %v, want ErrDigestMismatch", err)
			}
			objs, _ := srv.Objects(testBucket)
			ups, _ := srv.Uploads(testBucket)
			if len(objs) != 0 || len(ups) != 0 {
				t.Fatalf("after a wrong digest: %d objects, %d open uploads", len(objs), len(ups))
			}
			if c.n < storage.MinPartSize && len(rec.of(s3local.OpPutObject)) != 0 {
				t.Error("a small body with a wrong digest was sent")
			}
			if n := len(rec.of(s3local.OpCompleteMultipartUpload)); n != 0 {
				t.Errorf("%d completions for a wrong digest", n)
			}
			info, err := st.Put(context.Background(), "d.bin", c.r(data[:c.n]), &storage.SaveOptions{ExpectSHA256: right[:]})
			if err != nil || info.SHA256 != hex.EncodeToString(right[:]) {
				t.Fatalf("Put with the right digest: %v, SHA256 %s", err, info.SHA256)
			}
			if c.n < storage.MinPartSize {
				puts := rec.of(s3local.OpPutObject)
				if got := puts[len(puts)-1].Get("X-Amz-Checksum-Sha256"); got != base64.StdEncoding.EncodeToString(right[:]) || info.ChecksumAlgorithm != "SHA256" {
					t.Errorf("a single PutObject carried x-amz-checksum-sha256 %q (Info %s), want the digest expected", got, info.ChecksumAlgorithm)
				}
			}
		})
	}
}

// TestChecksumAlgorithms: each algorithm of checksum_algorithm is sent;
// a multipart upload with SHA1 or SHA256 gets a COMPOSITE checksum (S3
// has no full-object one for them), with a CRC a FULL_OBJECT one.
func TestChecksumAlgorithms(t *testing.T) {
	data := make([]byte, 6<<20)
	rand.Read(data)
	for _, c := range []struct{ alg, typ string }{{"CRC32", "FULL_OBJECT"}, {"crc32c", "FULL_OBJECT"}, {"SHA1", "COMPOSITE"}, {"SHA256", "COMPOSITE"}} {
		for _, r := range []func([]byte) io.Reader{stream, seekable} {
			st, srv := memStorage(t, s3local.Options{}, storage.Options{ChecksumAlgorithm: c.alg,
				Transfer: storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}})
			big, err := st.Put(context.Background(), "big", r(data), nil)
			if err != nil {
				t.Fatalf("%s: %v", c.alg, err)
			}
			alg := strings.ToUpper(c.alg)
			if big.ChecksumAlgorithm != alg || big.ChecksumType != c.typ {
				t.Errorf("%s multipart: %s %s, want %s %s", c.alg, big.ChecksumAlgorithm, big.ChecksumType, alg, c.typ)
			}
			if c.alg == "crc32c" && big.Checksum != crc32c(data) {
				t.Errorf("CRC32C of the object %s, want %s", big.Checksum, crc32c(data))
			}
			small, err := st.Put(context.Background(), "small", r(data[:100]), nil)
			if err != nil || small.ChecksumAlgorithm != alg || small.ChecksumType != "FULL_OBJECT" {
				t.Errorf("%s single: %+v, %v", c.alg, small, err)
			}
			if o, _ := srv.Object(testBucket, "small"); o.Checksum.Value != small.Checksum {
				t.Errorf("%s: the server keeps %s, Info says %s", c.alg, o.Checksum.Value, small.Checksum)
			}
		}
	}
}

// refuseChecksums answers any request that carries a checksum as a
// server without them does (as B2 or GCS did): 400 InvalidArgument.
func refuseChecksums(op string, r *http.Request) *s3local.Error {
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-checksum-") || lk == "x-amz-sdk-checksum-algorithm" || lk == "x-amz-trailer" {
			return &s3local.Error{StatusCode: http.StatusBadRequest, Code: "InvalidArgument", Message: "Unsupported header '" + lk + "' received for this API call."}
		}
	}
	return nil
}

// TestChecksumsRefused: against a server that refuses checksum headers,
// the default fails with the server's error, and checksum_algorithm none
// (or when_required, whose default it is) stores everything, on every
// path, sending no checksum at all; a SHA-256 asked for is still
// computed, and one expected still checked.
func TestChecksumsRefused(t *testing.T) {
	data := make([]byte, 11<<20)
	rand.Read(data)
	transfer := storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize}
	st, srv := memStorage(t, s3local.Options{Intercept: refuseChecksums}, storage.Options{Transfer: transfer})
	if _, err := st.Put(context.Background(), "x", stream(data[:10]), nil); err == nil {
		t.Fatal("a server that refuses checksums took the default")
	}
	for _, o := range []storage.Options{
		{ChecksumAlgorithm: "none", Transfer: transfer},
		{ClientConfig: storage.ClientConfig{RequestChecksumCalculation: "when_required"}, Transfer: transfer},
	} {
		st, srv = memStorage(t, s3local.Options{Intercept: refuseChecksums}, o)
		for i, r := range []io.Reader{stream(data[:10]), seekable(data[:10]), stream(data), seekable(data)} {
			n := map[int]int{0: 10, 1: 10, 2: len(data), 3: len(data)}[i]
			sum := sha256.Sum256(data[:n])
			info, err := st.Put(context.Background(), "x", r, &storage.SaveOptions{ExpectSHA256: sum[:]})
			if err != nil || info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("%+v, body %d: %v (SHA256 %s)", o, i, err, info.SHA256)
			}
			if obj, _ := srv.Object(testBucket, "x"); !bytes.Equal(obj.Body, data[:n]) {
				t.Fatalf("body %d stored wrong", i)
			}
		}
		wrong := [32]byte{1}
		if _, err := st.Put(context.Background(), "y", stream(data), &storage.SaveOptions{ExpectSHA256: wrong[:]}); !errors.Is(err, storage.ErrDigestMismatch) {
			t.Errorf("a wrong digest without checksums: %v", err)
		}
	}
}

// TestPresignChecksum: a presigned PUT signs the x-amz-checksum-sha256
// the browser computed (the client must send it, S3 checks the bytes);
// a POST policy pins it with the checksum algorithm, each an exact
// condition. Only a SHA-256's 32 bytes are accepted.
func TestPresignChecksum(t *testing.T) {
	st := offlineStorage(t, storage.Options{})
	sum := sha256.Sum256([]byte("file"))
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	put, err := st.PresignPut(context.Background(), "a.bin", &storage.PutURLOptions{ChecksumSHA256: sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	if got := put.Header["X-Amz-Checksum-Sha256"]; got != b64 || !strings.Contains(put.URL, "x-amz-checksum-sha256") {
		t.Errorf("presigned PUT: header %q, URL %s; want x-amz-checksum-sha256 %s signed", got, put.URL, b64)
	}
	if _, err := st.PresignPut(context.Background(), "a.bin", &storage.PutURLOptions{ChecksumSHA256: sum[:20]}); err == nil {
		t.Error("PresignPut took a 20-byte SHA-256")
	}
	post, err := st.PresignPost(context.Background(), "a.bin", &storage.PostOptions{ChecksumSHA256: sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	if post.Fields["x-amz-checksum-algorithm"] != "SHA256" || post.Fields["x-amz-checksum-sha256"] != b64 {
		t.Errorf("POST fields %v lack the checksum", post.Fields)
	}
	conds := strings.Join(policyConditions(t, post), " ")
	for _, want := range []string{`{"x-amz-checksum-algorithm":"SHA256"}`, `{"x-amz-checksum-sha256":"` + b64 + `"}`} {
		if !strings.Contains(conds, want) {
			t.Errorf("policy conditions %s lack %s", conds, want)
		}
	}
	if _, err := st.PresignPost(context.Background(), "a.bin", &storage.PostOptions{ChecksumSHA256: sum[:4]}); err == nil {
		t.Error("PresignPost took a 4-byte SHA-256")
	}
}

// TestChecksumAlgorithmSetting: checksum_algorithm is read from Go, the
// environment and a config file in any case, spelled as S3 does, and a
// wrong value names the setting.
func TestChecksumAlgorithmSetting(t *testing.T) {
	for _, c := range []struct {
		opts storage.Options
		env  []string
		want string
	}{
		{storage.Options{}, nil, "CRC64NVME"},
		{storage.Options{ChecksumAlgorithm: "crc32c"}, nil, "CRC32C"},
		{storage.Options{}, []string{"AWS_S3_CHECKSUM_ALGORITHM", "None"}, "none"},
		{storage.Options{ClientConfig: storage.ClientConfig{RequestChecksumCalculation: "when_required"}}, nil, "none"},
		{storage.Options{ChecksumAlgorithm: "SHA256", ClientConfig: storage.ClientConfig{RequestChecksumCalculation: "when_required"}}, nil, "SHA256"},
	} {
		c.opts.LookupEnv = env(c.env...)
		c.opts.EndpointURL, c.opts.AccessKey, c.opts.SecretKey = "http://127.0.0.1:9", "AKID", "SECRET"
		c.opts.BucketName = "b"
		st, err := storage.New(context.Background(), c.opts)
		if err != nil {
			t.Fatalf("%+v %v: %v", c.opts.ChecksumAlgorithm, c.env, err)
		}
		if got := st.ChecksumAlgorithm(); got != c.want {
			t.Errorf("%q %v: %s, want %s", c.opts.ChecksumAlgorithm, c.env, got, c.want)
		}
	}
	_, err := storage.New(context.Background(), storage.Options{BucketName: "b", LookupEnv: env("AWS_S3_CHECKSUM_ALGORITHM", "md5")})
	if err == nil || !strings.Contains(err.Error(), "AWS_S3_CHECKSUM_ALGORITHM") {
		t.Errorf("a wrong checksum_algorithm: %v, want an error naming AWS_S3_CHECKSUM_ALGORITHM", err)
	}
	_, err = storage.New(context.Background(), storage.Options{BucketName: "b", LookupEnv: env(), ObjectParameters: storage.ObjectParameters{ChecksumAlgorithm: "xx"}})
	if err == nil || !strings.Contains(err.Error(), "ChecksumAlgorithm") {
		t.Errorf("a wrong object parameter ChecksumAlgorithm: %v", err)
	}
}
