package s3local

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
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
	src, chunked, size, err := rc.bodySource(o.limit)
	if err != nil {
		return nil, err
	}
	chk, err := bodyChecks(rc.r.Header, chunked != nil, o)
	if err != nil {
		return nil, err
	}
	out, err := dst(size)
	if err != nil {
		return nil, err
	}
	return rc.copyBody(out, src, chunked, size, chk)
}

// bodySource returns the reader of the request body (decoding aws-chunked
// framing, and checking its chunk signatures when the request is signed
// so) and the body's size, at most limit.
func (rc *reqCtx) bodySource(limit int64) (io.Reader, *chunkedReader, int64, *Error) {
	r, h := rc.r, rc.r.Header
	contentSHA := h.Get("X-Amz-Content-Sha256")
	var src io.Reader = r.Body
	var chunked *chunkedReader
	size := r.ContentLength
	if strings.HasPrefix(contentSHA, "STREAMING-") || hasAWSChunked(h.Values("Content-Encoding")) {
		dl := h.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return nil, nil, 0, newError("MissingContentLength", "You must provide the x-amz-decoded-content-length HTTP header.")
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, 0, newError("InvalidArgument", "Invalid x-amz-decoded-content-length").with("ArgumentName", "x-amz-decoded-content-length").with("ArgumentValue", dl)
		}
		size = n
		var verify *authInfo
		if rc.auth != nil && rc.auth.signingKey != nil && (contentSHA == streamingSigned || contentSHA == streamingSignedTrail) {
			if rc.auth.presigned {
				return nil, nil, 0, newError("InvalidRequest", "Presigned requests cannot use signed aws-chunked payloads")
			}
			verify = rc.auth
		}
		chunked = newChunkedReader(r.Body, verify, contentSHA == streamingSignedTrail)
		src = chunked
	} else if size < 0 {
		return nil, nil, 0, newError("MissingContentLength", "")
	}
	if size > limit {
		return nil, nil, 0, newError("EntityTooLarge", "").
			with("ProposedSize", strconv.FormatInt(size, 10)).
			with("MaxSizeAllowed", strconv.FormatInt(limit, 10))
	}
	return src, chunked, size, nil
}

// bodyCheck is what readPayload verifies or computes about a body.
type bodyCheck struct {
	alg      *checksumAlg // the x-amz-checksum-* algorithm, or nil
	expected string       // its value, from a header, or ""
	trailer  string       // the trailer that carries its value, or ""
	md5      []byte       // Content-MD5, or nil
	sha256   string       // the hex x-amz-content-sha256 of a plain body, or ""
	trailers http.Header  // the trailers of an aws-chunked body, once read
}

// bodyChecks reads from the request headers which digests of the body to
// verify, and which checksum to compute.
func bodyChecks(h http.Header, streaming bool, o bodyOptions) (bodyCheck, *Error) {
	var c bodyCheck
	multiple := newError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	if !o.objectChecksum {
		expectedFrom := ""
		for name, vs := range h {
			if a := algFromChecksumHeader(name); a != nil && len(vs) > 0 {
				if c.alg != nil {
					return c, multiple
				}
				c.alg, c.expected, expectedFrom = a, vs[0], strings.ToLower(name)
			}
		}
		if t := strings.TrimSpace(h.Get("X-Amz-Trailer")); t != "" {
			a := algFromChecksumHeader(t)
			switch {
			case !streaming || a == nil:
				return c, newError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported")
			case c.alg != nil && c.alg != a:
				return c, multiple
			}
			c.alg, c.trailer = a, strings.ToLower(t)
		}
		if v := h.Get("X-Amz-Sdk-Checksum-Algorithm"); c.alg == nil && v != "" {
			if c.alg = lookupChecksumAlg(v); c.alg == nil {
				return c, unsupportedChecksumAlg()
			}
		}
		if c.expected != "" && !c.alg.validValue(c.expected) {
			return c, newError("InvalidRequest", "Value for "+expectedFrom+" header is invalid.")
		}
	}
	if o.wantAlg != "" && c.alg != nil && c.alg.name != o.wantAlg {
		return c, newError("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: "+
			strings.ToLower(o.wantAlg)+", actual checksum Type: "+strings.ToLower(c.alg.name))
	}
	if c.alg == nil && o.wantAlg != "" {
		c.alg = lookupChecksumAlg(o.wantAlg)
	} else if c.alg == nil && o.defaultAlg != "" {
		c.alg = lookupChecksumAlg(o.defaultAlg)
	}
	if v := h.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return c, newError("InvalidDigest", "")
		}
		c.md5 = b
	}
	if v := h.Get("X-Amz-Content-Sha256"); !streaming && isHexSHA256(v) {
		c.sha256 = v
	}
	return c, nil
}

// digests are the hashes computed in the one pass that reads a body.
type digests struct {
	md5, sha256, sum hash.Hash // sha256 and sum are nil when not asked for
}

func (c bodyCheck) digests() digests {
	d := digests{md5: md5.New()}
	if c.sha256 != "" {
		d.sha256 = sha256.New()
	}
	if c.alg != nil && c.alg.new != nil {
		d.sum = c.alg.new()
	}
	return d
}

func (d digests) writer() io.Writer {
	ws := []io.Writer{d.md5}
	for _, h := range []hash.Hash{d.sha256, d.sum} {
		if h != nil {
			ws = append(ws, h)
		}
	}
	return io.MultiWriter(ws...)
}

// copyBody copies size bytes of src to out, hashing them, and verifies
// what c asks for.
func (rc *reqCtx) copyBody(out io.Writer, src io.Reader, chunked *chunkedReader, size int64, c bodyCheck) (*payload, *Error) {
	dw := &errWriter{w: out}
	d := c.digests()
	n, err := io.CopyN(io.MultiWriter(dw, d.writer()), src, size)
	switch {
	case dw.err != nil:
		return nil, rc.s.internal(rc, dw.err)
	case err != nil && err != io.EOF:
		return nil, asError(err)
	case n < size:
		return nil, newError("IncompleteBody", "")
	}
	if chunked != nil {
		// The decoded body must end here; this also reads the final chunk
		// and the trailers.
		var one [1]byte
		if n, err := io.ReadFull(chunked, one[:]); n > 0 {
			return nil, newError("InvalidRequest", "The decoded body is longer than x-amz-decoded-content-length")
		} else if err != io.EOF {
			return nil, asError(err)
		}
		c.trailers = chunked.trailers
	}
	return c.verify(size, d)
}

// verify compares the digests of a body with what the request gives, in
// the order S3 checks them, and returns the body's payload.
func (c bodyCheck) verify(size int64, d digests) (*payload, *Error) {
	p := &payload{size: size, md5: d.md5.Sum(nil)}
	if d.sha256 != nil {
		if got := hex.EncodeToString(d.sha256.Sum(nil)); got != c.sha256 {
			return nil, newError("XAmzContentSHA256Mismatch", "").
				with("ClientComputedContentSHA256", c.sha256).
				with("S3ComputedContentSHA256", got)
		}
	}
	if c.md5 != nil && string(c.md5) != string(p.md5) {
		return nil, newError("BadDigest", "").
			with("ExpectedDigest", hex.EncodeToString(c.md5)).
			with("CalculatedDigest", base64.StdEncoding.EncodeToString(p.md5))
	}
	if c.trailer != "" {
		if c.expected = c.trailers.Get(c.trailer); c.expected == "" {
			return nil, newError("InvalidRequest", "The "+c.trailer+" trailer was declared but not sent")
		}
		if !c.alg.validValue(c.expected) {
			return nil, newError("InvalidRequest", "Value for "+c.trailer+" trailing header is invalid.")
		}
	}
	if c.alg == nil {
		return p, nil
	}
	p.checksum = Checksum{Algorithm: c.alg.name, Value: c.expected, Type: checksumFullObject}
	if d.sum != nil {
		got := b64(d.sum.Sum(nil))
		if c.expected != "" && got != c.expected {
			return nil, newError("BadDigest", "The "+c.alg.name+" you specified did not match the calculated checksum.")
		}
		p.checksum.Value = got
	}
	if p.checksum.Value == "" {
		p.checksum = Checksum{}
	}
	return p, nil
}

// readSmall reads a small request body (an XML document) into memory,
// verified as readPayload does.
//
// The buffer grows as the bytes arrive, never ahead of them: a client
// that declares a large body and sends little makes the server hold
// little. o.limit bounds it.
func (rc *reqCtx) readSmall(o bodyOptions) ([]byte, *Error) {
	var buf bytes.Buffer
	_, err := rc.readPayload(func(int64) (io.Writer, *Error) { return &buf, nil }, o)
	if err != nil && err.Code == "EntityTooLarge" {
		err = newError("MaxMessageLengthExceeded", "").with("MaxMessageLengthBytes", strconv.FormatInt(o.limit, 10))
	}
	return buf.Bytes(), err
}

// readToBlob reads the request body into a new blob of the store, as
// readPayload does. On success the caller owns the blob; on failure it is
// discarded.
func (rc *reqCtx) readToBlob(o bodyOptions) (blob, *payload, *Error) {
	var body blob
	p, err := rc.readPayload(func(size int64) (io.Writer, *Error) {
		b, err := rc.s.idx.newBlob(size)
		if err != nil {
			return nil, rc.s.storeError(rc, err)
		}
		body = b
		return b, nil
	}, o)
	if err != nil {
		if body != nil {
			body.discard()
		}
		return nil, nil, err
	}
	return body, p, nil
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
