package s3local

import (
	"crypto/md5"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The server-side copies: CopyObject (PUT of an object with
// x-amz-copy-source) and UploadPartCopy (the same on a part of an upload,
// optionally of a byte range). Both read the source's bytes into a new
// blob, hashing them, then commit as PutObject and UploadPart do.

// copySource is a parsed x-amz-copy-source: "bucket/key" or
// "/bucket/key", URL-encoded, optionally with "?versionId=null".
type copySource struct {
	bucket, key string
	versionNull bool // versionId=null was given
}

func parseCopySource(v string) (copySource, *Error) {
	bad := newError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
		with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", v)
	path, query, _ := strings.Cut(v, "?")
	dec, err := url.PathUnescape(path)
	if err != nil {
		return copySource{}, bad
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if bucket == "" || key == "" {
		return copySource{}, bad
	}
	src := copySource{bucket: bucket, key: key}
	if query != "" {
		q, err := url.ParseQuery(query)
		if version := q.Get("versionId"); err != nil || version != "null" {
			return copySource{}, newError("InvalidArgument", "Invalid version id specified").
				with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", v)
		}
		src.versionNull = true
	}
	if e := checkKey(key); e != nil {
		return copySource{}, e
	}
	return src, nil
}

// openSource opens the source of a copy, after checking that rc may read
// it: an anonymous request, when credentials are configured, only an
// object whose ACL lets anyone read it.
func (s *Server) openSource(rc *reqCtx) (copySource, ObjectInfo, objectReader, *Error) {
	src, e := parseCopySource(rc.r.Header.Get("X-Amz-Copy-Source"))
	if e != nil {
		return src, ObjectInfo{}, nil, e
	}
	o, r, err := s.idx.open(src.bucket, src.key)
	if rc.anonymousRefused() && (err != nil || !publicACL(o.ACL, false)) {
		if err == nil {
			r.Close()
		}
		return src, ObjectInfo{}, nil, newError("AccessDenied", "")
	}
	switch {
	case errors.Is(err, ErrNoSuchBucket):
		return src, ObjectInfo{}, nil, noSuchBucket(src.bucket)
	case errors.Is(err, ErrNoSuchKey):
		return src, ObjectInfo{}, nil, noSuchKey(src.key)
	case err != nil:
		return src, ObjectInfo{}, nil, s.storeError(rc, err)
	}
	if e := copyConditions(rc.r.Header, &o); e != nil {
		r.Close()
		return src, ObjectInfo{}, nil, e
	}
	if src.versionNull {
		rc.w.Header().Set("X-Amz-Copy-Source-Version-Id", "null")
	}
	return src, o, r, nil
}

// copyConditions evaluates the x-amz-copy-source-if-* headers against the
// source, as GetObject evaluates If-*: any that fails is a 412
// PreconditionFailed (where a GET would answer 304 too).
func copyConditions(h http.Header, o *ObjectInfo) *Error {
	cond := http.Header{}
	for _, name := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if v := h.Get("X-Amz-Copy-Source-" + name); v != "" {
			cond.Set(name, v)
		}
	}
	if status, failed := evalReadConditions(cond, o); status != 0 {
		return newError("PreconditionFailed", "").with("Condition", "x-amz-copy-source-"+failed)
	}
	return nil
}

// copiedMetadata returns what the copy stores: with the COPY metadata
// directive (the default), the source's representation headers and user
// metadata; with REPLACE, the request's. The ACL, storage class, website
// redirect and encryption headers always come from the request, and the
// tags from the source unless the tagging directive is REPLACE.
func copiedMetadata(h http.Header, src Metadata) (m Metadata, replaced bool, err *Error) {
	directive := func(name, header string) (bool, *Error) {
		switch v := h.Get(header); v {
		case "", "COPY":
			return false, nil
		case "REPLACE":
			return true, nil
		default:
			return false, newError("InvalidArgument", "Unknown "+name+" directive.").
				with("ArgumentName", strings.ToLower(header)).with("ArgumentValue", v)
		}
	}
	replaced, err = directive("metadata", "X-Amz-Metadata-Directive")
	if err != nil {
		return m, false, err
	}
	replaceTags, err := directive("tagging", "X-Amz-Tagging-Directive")
	if err != nil {
		return m, false, err
	}
	if m, err = metaFromRequest(h); err != nil {
		return m, false, err
	}
	if !replaced {
		for name := range m.Header {
			if representation(name) {
				delete(m.Header, name)
			}
		}
		for name, v := range src.Header {
			if representation(name) {
				m.Header[name] = v
			}
		}
	}
	if !replaceTags {
		m.Tagging = src.Tagging
	}
	return m, replaced, nil
}

// representation reports whether a stored header describes the bytes
// (Content-Type, Cache-Control, ..., x-amz-meta-*), which COPY copies.
func representation(name string) bool {
	return strings.HasPrefix(name, "x-amz-meta-") || !strings.HasPrefix(name, "X-Amz-")
}

// changesObject reports whether a copy of an object onto itself changes
// it, as S3 requires: new metadata, storage class, website redirect or
// encryption.
func changesObject(h http.Header, replaced bool) bool {
	for _, name := range append([]string{"X-Amz-Storage-Class", "X-Amz-Website-Redirect-Location"}, sseHeaders...) {
		if h.Get(name) != "" {
			return true
		}
	}
	return replaced
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	resultChecksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// copyObject serves CopyObject: the source's bytes, as they are when it
// is opened, become the object of rc, with the metadata copiedMetadata
// gives and a checksum of x-amz-checksum-algorithm, else of the source's
// algorithm, else CRC64NVME, under the write conditions of the
// destination (If-None-Match, If-Match).
func (s *Server) copyObject(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	if err := checkKey(rc.key); err != nil {
		return err
	}
	cond, err := s.parseWriteCondition(rc.r.Header)
	if err != nil {
		return err
	}
	src, o, r, err := s.openSource(rc)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := s.checkCopySize(o.Size); err != nil {
		return err
	}
	meta, replaced, err := copiedMetadata(rc.r.Header, o.Metadata)
	if err != nil {
		return err
	}
	if src.bucket == rc.bucket && src.key == rc.key && !changesObject(rc.r.Header, replaced) {
		return newError("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if err := s.checkNow(rc, cond); err != nil {
		return err
	}
	alg, err := copyChecksumAlg(rc.r.Header, o.Checksum.Algorithm)
	if err != nil {
		return err
	}
	body, info, err := s.copyBytes(rc, r, 0, o.Size, alg)
	if err != nil {
		return err
	}
	info.Key, info.Metadata = rc.key, meta
	if err := s.commit(rc, &info, body, putOptions{check: cond.check}); err != nil {
		return err
	}
	res := copyObjectResult{NS: s3NS, LastModified: xmlTime(info.LastModified), ETag: info.ETag, ChecksumType: info.Checksum.Type}
	res.set(info.Checksum.Algorithm, info.Checksum.Value)
	meta.writeSSE(rc.w.Header())
	return rc.writeXML(res)
}

// checkCopySize refuses a copy of more than Options.MaxObjectSize bytes.
func (s *Server) checkCopySize(n int64) *Error {
	if n > s.maxObject {
		return newError("InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: "+strconv.FormatInt(s.maxObject, 10))
	}
	return nil
}

// copyChecksumAlg returns the algorithm of a copy's checksum: the
// requested one, else the source's when this server computes it, else
// CRC64NVME.
func copyChecksumAlg(h http.Header, source string) (*checksumAlg, *Error) {
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a := lookupChecksumAlg(v)
		if a == nil || a.new == nil {
			return nil, unsupportedChecksumAlg()
		}
		return a, nil
	}
	if a := lookupChecksumAlg(source); a != nil && a.new != nil {
		return a, nil
	}
	return lookupChecksumAlg(algCRC64NVME), nil
}

// copyBytes copies n bytes of r from off into a new blob, and describes
// them: size, ETag and a FULL_OBJECT checksum of alg (none when alg is
// nil).
func (s *Server) copyBytes(rc *reqCtx, r objectReader, off, n int64, alg *checksumAlg) (blob, ObjectInfo, *Error) {
	body, err := s.idx.newBlob(n)
	if err != nil {
		return nil, ObjectInfo{}, s.storeError(rc, err)
	}
	md5h := md5.New()
	w := io.MultiWriter(body, md5h)
	var sum interface{ Sum([]byte) []byte }
	if alg != nil && alg.new != nil {
		h := alg.new()
		w, sum = io.MultiWriter(body, md5h, h), h
	}
	if _, err := io.Copy(w, io.NewSectionReader(r, off, n)); err != nil {
		body.discard()
		return nil, ObjectInfo{}, s.internal(rc, err)
	}
	info := ObjectInfo{Size: n, ETag: quotedMD5(md5h.Sum(nil))}
	if sum != nil {
		info.Checksum = Checksum{Algorithm: alg.name, Value: b64(sum.Sum(nil)), Type: checksumFullObject}
	}
	return body, info, nil
}

// parseCopyRange parses x-amz-copy-source-range, "bytes=first-last",
// against a source of size bytes; no header is the whole source.
func parseCopyRange(v string, size int64) (off, n int64, err *Error) {
	if v == "" {
		return 0, size, nil
	}
	spec, ok := strings.CutPrefix(v, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	a, errA := strconv.ParseInt(first, 10, 64)
	z, errZ := strconv.ParseInt(last, 10, 64)
	if !ok || !ok2 || errA != nil || errZ != nil || a < 0 || z < a {
		return 0, 0, newError("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
			with("ArgumentName", "x-amz-copy-source-range").with("ArgumentValue", v)
	}
	if z >= size {
		return 0, 0, newError("InvalidArgument", "Range specified is not valid for source object of size: "+strconv.FormatInt(size, 10)).
			with("ArgumentName", "x-amz-copy-source-range").with("ArgumentValue", v)
	}
	return a, z - a + 1, nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	resultChecksums
}

// uploadPartCopy serves UploadPartCopy: the source's bytes, or the range
// x-amz-copy-source-range names, become a part of the upload, with a
// checksum of the upload's algorithm.
func (s *Server) uploadPartCopy(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	n, err := parsePartNumber(rc.q.Get("partNumber"))
	if err != nil {
		return err
	}
	u, err := s.findUpload(rc)
	if err != nil {
		return err
	}
	_, o, r, err := s.openSource(rc)
	if err != nil {
		return err
	}
	defer r.Close()
	off, size, err := parseCopyRange(rc.r.Header.Get("X-Amz-Copy-Source-Range"), o.Size)
	if err != nil {
		return err
	}
	if err := s.checkCopySize(size); err != nil {
		return err
	}
	body, info, err := s.copyBytes(rc, r, off, size, lookupChecksumAlg(u.ChecksumAlgorithm))
	if err != nil {
		return err
	}
	p := PartInfo{Number: n, Size: size, ETag: info.ETag, LastModified: s.now(),
		ChecksumAlgorithm: info.Checksum.Algorithm, Checksum: info.Checksum.Value}
	if err := s.idx.putPart(rc.bucket, u.ID, p, body); err != nil {
		if errors.Is(err, ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return s.storeError(rc, err)
	}
	res := copyPartResult{NS: s3NS, LastModified: xmlTime(p.LastModified), ETag: p.ETag}
	res.set(p.ChecksumAlgorithm, p.Checksum)
	u.writeSSE(rc.w.Header())
	return rc.writeXML(res)
}
