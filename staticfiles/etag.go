package staticfiles

import (
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
)

// etagHasher computes, in one pass over a body, the ETags S3 gives it:
// the MD5 of a single PutObject and the MD5 of the part MD5s with the
// part count ("<md5>-<n>") of a multipart upload in parts of partSize.
type etagHasher struct {
	partSize int64
	whole    hash.Hash
	part     hash.Hash
	inPart   int64
	parts    []byte // the part MD5s, concatenated
	size     int64
}

func newETagHasher(partSize int64) *etagHasher {
	return &etagHasher{partSize: partSize, whole: md5.New(), part: md5.New()}
}

func (h *etagHasher) Write(p []byte) (int, error) {
	n := len(p)
	h.whole.Write(p)
	h.size += int64(n)
	for len(p) > 0 {
		k := min(int64(len(p)), h.partSize-h.inPart)
		h.part.Write(p[:k])
		h.inPart += k
		p = p[k:]
		if h.inPart == h.partSize {
			h.endPart()
		}
	}
	return n, nil
}

func (h *etagHasher) endPart() {
	h.parts = h.part.Sum(h.parts)
	h.part.Reset()
	h.inPart = 0
}

// single returns the ETag of a single PutObject, unquoted.
func (h *etagHasher) single() string { return hex.EncodeToString(h.whole.Sum(nil)) }

// multipart returns the ETag of a multipart upload, unquoted.
func (h *etagHasher) multipart() string {
	parts := h.parts
	if h.inPart > 0 || len(parts) == 0 {
		parts = h.part.Sum(parts[:len(parts):len(parts)])
	}
	sum := md5.Sum(parts)
	return hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(parts)/md5.Size)
}

// matches reports whether the body hashed has the size and ETag given
// (as S3 lists them: quoted, multipart or not).
func (h *etagHasher) matches(size int64, etag string) bool {
	if size != h.size {
		return false
	}
	etag = strings.ToLower(strings.Trim(etag, `"`))
	if strings.Contains(etag, "-") {
		return etag == h.multipart()
	}
	return etag == h.single()
}

// hashBody hashes what r holds, gzip-compressed first when gz is set,
// exactly as storage's Put compresses (compress/gzip's default level, a
// header with no name and a zero time, so that equal input gives equal
// output).
func hashBody(r io.Reader, gz bool, partSize int64) (*etagHasher, error) {
	h := newETagHasher(partSize)
	if !gz {
		if _, err := io.Copy(h, r); err != nil {
			return nil, err
		}
		return h, nil
	}
	zw := gzip.NewWriter(h)
	if _, err := io.Copy(zw, r); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return h, nil
}
