package s3local

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
)

// payload describes a request body read in full: its size and digests.
type payload struct {
	size int64
	md5  []byte
	// checksum is the verified (or computed) checksum of the body; its
	// Algorithm is "" when none was asked for and none is computed by
	// default.
	checksum Checksum
}

// bodyOptions tune readPayload.
type bodyOptions struct {
	limit int64
	// defaultAlg is the checksum algorithm computed when the request names
	// none ("" for none).
	defaultAlg string
	// wantAlg, when set, is the only checksum algorithm the request may use
	// (the algorithm of a multipart upload).
	wantAlg string
	// objectChecksum marks requests (CompleteMultipartUpload) whose
	// x-amz-checksum-* headers describe the object, not the body.
	objectChecksum bool
}

// readPayload copies the request body to the writer dst returns, decoding
// aws-chunked framing, and verifies x-amz-content-sha256, Content-MD5 and
// x-amz-checksum-* (header or trailer). dst is called once the size is
// known and checked against o.limit, before the first byte is read. The
// body is streamed: it is never held in memory by readPayload.
func (rc *reqCtx) readPayload(dst func(size int64) (io.Writer, *Error), o bodyOptions) (*payload, *Error) {
	r := rc.r
	h := r.Header
	contentSHA := h.Get("X-Amz-Content-Sha256")
	streaming := strings.HasPrefix(contentSHA, "STREAMING-") || hasAWSChunked(h.Values("Content-Encoding"))

	var size int64
	var src io.Reader = r.Body
	var chunked *chunkedReader
	if streaming {
		dl := h.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return nil, newError("MissingContentLength", "You must provide the x-amz-decoded-content-length HTTP header.")
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, newError("InvalidArgument", "Invalid x-amz-decoded-content-length").with("ArgumentName", "x-amz-decoded-content-length").with("ArgumentValue", dl)
		}
		size = n
		var verify *authInfo
		if rc.auth != nil && !rc.auth.anonymous && (contentSHA == streamingSigned || contentSHA == streamingSignedTrail) {
			if rc.auth.presigned {
				return nil, newError("InvalidRequest", "Presigned requests cannot use signed aws-chunked payloads")
			}
			verify = rc.auth
		}
		chunked = newChunkedReader(r.Body, verify, contentSHA == streamingSignedTrail)
		src = chunked
	} else {
		if r.ContentLength < 0 {
			return nil, newError("MissingContentLength", "")
		}
		size = r.ContentLength
	}
	if size > o.limit {
		return nil, newError("EntityTooLarge", "").
			with("ProposedSize", strconv.FormatInt(size, 10)).
			with("MaxSizeAllowed", strconv.FormatInt(o.limit, 10))
	}

	// Which checksum to verify or compute.
	var alg *checksumAlg
	var expected, expectedFrom string
	trailerName := ""
	if !o.objectChecksum {
		for name, vs := range h {
			a := algFromChecksumHeader(name)
			if a == nil || len(vs) == 0 {
				continue
			}
			if alg != nil {
				return nil, newError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			alg, expected, expectedFrom = a, vs[0], strings.ToLower(name)
		}
		if t := strings.TrimSpace(h.Get("X-Amz-Trailer")); t != "" {
			if !streaming {
				return nil, newError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
			}
			a := algFromChecksumHeader(t)
			if a == nil {
				return nil, newError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
			}
			if alg != nil && alg != a {
				return nil, newError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			alg, trailerName = a, strings.ToLower(t)
		}
		if alg == nil {
			if v := h.Get("X-Amz-Sdk-Checksum-Algorithm"); v != "" {
				if alg = lookupChecksumAlg(v); alg == nil {
					return nil, newError("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
				}
			}
		}
		if expected != "" && !alg.validValue(expected) {
			return nil, newError("InvalidRequest", "Value for "+expectedFrom+" header is invalid.")
		}
	}
	if o.wantAlg != "" && alg != nil && alg.name != o.wantAlg {
		return nil, newError("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: "+
			strings.ToLower(o.wantAlg)+", actual checksum Type: "+strings.ToLower(alg.name))
	}
	if alg == nil {
		if o.wantAlg != "" {
			alg = lookupChecksumAlg(o.wantAlg)
		} else if o.defaultAlg != "" {
			alg = lookupChecksumAlg(o.defaultAlg)
		}
	}

	var md5Want []byte
	if v := h.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return nil, newError("InvalidDigest", "")
		}
		md5Want = b
	}

	out, err := dst(size)
	if err != nil {
		return nil, err
	}
	dw := &errWriter{w: out}
	hashers := []io.Writer{dw}
	md5h := md5.New()
	hashers = append(hashers, md5h)
	var shaH hash.Hash
	if !streaming && isHexSHA256(contentSHA) {
		shaH = sha256.New()
		hashers = append(hashers, shaH)
	}
	var sumH hash.Hash
	if alg != nil && alg.new != nil {
		sumH = alg.new()
		hashers = append(hashers, sumH)
	}
	n, cerr := io.CopyN(io.MultiWriter(hashers...), src, size)
	switch {
	case dw.err != nil:
		return nil, rc.s.internal(rc, dw.err)
	case cerr != nil && cerr != io.EOF:
		return nil, asError(cerr)
	case n < size:
		return nil, newError("IncompleteBody", "")
	}
	if chunked != nil {
		// The decoded body must end here; this also reads the final chunk
		// and the trailers.
		var one [1]byte
		n, err := io.ReadFull(chunked, one[:])
		if n > 0 {
			return nil, newError("InvalidRequest", "The decoded body is longer than x-amz-decoded-content-length")
		}
		if err != io.EOF {
			return nil, asError(err)
		}
	}
	p := &payload{size: size, md5: md5h.Sum(nil)}

	if shaH != nil {
		if got := hex.EncodeToString(shaH.Sum(nil)); got != contentSHA {
			return nil, newError("XAmzContentSHA256Mismatch", "").
				with("ClientComputedContentSHA256", contentSHA).
				with("S3ComputedContentSHA256", got)
		}
	}
	if md5Want != nil && string(md5Want) != string(p.md5) {
		return nil, newError("BadDigest", "").
			with("ExpectedDigest", hex.EncodeToString(md5Want)).
			with("CalculatedDigest", base64.StdEncoding.EncodeToString(p.md5))
	}
	if trailerName != "" {
		expected = chunked.trailers.Get(trailerName)
		if expected == "" {
			return nil, newError("InvalidRequest", "The "+trailerName+" trailer was declared but not sent")
		}
		if !alg.validValue(expected) {
			return nil, newError("InvalidRequest", "Value for "+trailerName+" trailing header is invalid.")
		}
	}
	if alg != nil {
		p.checksum = Checksum{Algorithm: alg.name, Value: expected, Type: checksumFullObject}
		if sumH != nil {
			got := base64.StdEncoding.EncodeToString(sumH.Sum(nil))
			if expected != "" && got != expected {
				return nil, newError("BadDigest", "The "+alg.name+" you specified did not match the calculated checksum.")
			}
			p.checksum.Value = got
		}
		if p.checksum.Value == "" {
			p.checksum = Checksum{}
		}
	}
	return p, nil
}

// readSmall reads a small request body (an XML document) into memory,
// verified as readPayload does.
func (rc *reqCtx) readSmall(o bodyOptions) ([]byte, *Error) {
	var buf bytes.Buffer
	_, err := rc.readPayload(func(size int64) (io.Writer, *Error) {
		buf.Grow(int(size))
		return &buf, nil
	}, o)
	return buf.Bytes(), err
}

// readToBlob reads the request body into a new Blob of the store, as
// readPayload does. On success the caller owns the blob; on failure it is
// discarded.
func (rc *reqCtx) readToBlob(o bodyOptions) (Blob, *payload, *Error) {
	var blob Blob
	p, err := rc.readPayload(func(size int64) (io.Writer, *Error) {
		b, err := rc.s.store.NewBlob(rc.bucket, size)
		if err != nil {
			return nil, rc.s.storeError(rc, err)
		}
		blob = b
		return b, nil
	}, o)
	if err != nil {
		if blob != nil {
			blob.Discard()
		}
		return nil, nil, err
	}
	return blob, p, nil
}

// errWriter remembers the first error of w, so that a failing destination
// (a full disk) is told apart from a failing request body.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
