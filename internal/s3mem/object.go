package s3mem

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxKeyLength is S3's limit on key length, in bytes.
const maxKeyLength = 1024

// writeCondition is a parsed If-None-Match / If-Match of a write.
type writeCondition struct {
	ifNoneMatch bool   // If-None-Match: *
	ifMatch     string // If-Match value, "" when absent
}

// parseWriteCondition reads the conditional-write headers according to the
// server's ConditionalWrites mode.
func (s *Server) parseWriteCondition(h http.Header) (writeCondition, *Error) {
	inm, im := strings.TrimSpace(h.Get("If-None-Match")), strings.TrimSpace(h.Get("If-Match"))
	if inm == "" && im == "" {
		return writeCondition{}, nil
	}
	switch s.opts.ConditionalWrites {
	case ConditionalWritesIgnored:
		return writeCondition{}, nil
	case ConditionalWritesNotImplemented:
		name := "If-None-Match"
		if inm == "" {
			name = "If-Match"
		}
		return writeCondition{}, newError("NotImplemented", "").with("Header", name)
	}
	if inm != "" && inm != "*" {
		return writeCondition{}, newError("NotImplemented", "").with("Header", "If-None-Match")
	}
	return writeCondition{ifNoneMatch: inm == "*", ifMatch: im}, nil
}

// check evaluates the condition against the current object (nil when the
// key is missing).
func (c writeCondition) check(cur *object) *Error {
	if c.ifNoneMatch && cur != nil {
		return newError("PreconditionFailed", "").with("Condition", "If-None-Match")
	}
	if c.ifMatch != "" && (cur == nil || !etagListMatches(c.ifMatch, cur.etag)) {
		return newError("PreconditionFailed", "").with("Condition", "If-Match")
	}
	return nil
}

// etagListMatches reports whether a comma-separated If-Match / If-None-Match
// list names etag (or is "*"). S3 ETags are strong; weak prefixes are
// ignored.
func etagListMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "*" {
			return true
		}
		v = strings.TrimPrefix(v, "W/")
		if strings.Trim(v, `"`) == want {
			return true
		}
	}
	return false
}

func checkKey(key string) *Error {
	if len(key) > maxKeyLength {
		return newError("KeyTooLongError", "").with("Size", itoa(len(key))).with("MaxSizeAllowed", itoa(maxKeyLength))
	}
	return nil
}

func quotedMD5(sum []byte) string {
	return `"` + hex.EncodeToString(sum) + `"`
}

func (s *Server) putObject(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	if err := checkKey(rc.key); err != nil {
		return err
	}
	meta, err := metaFromRequest(rc.r.Header)
	if err != nil {
		return err
	}
	cond, err := s.parseWriteCondition(rc.r.Header)
	if err != nil {
		return err
	}
	// Fail early, before reading the body, when the condition already fails.
	s.mu.RLock()
	err = cond.check(b.objects[rc.key])
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	p, err := rc.readPayload(bodyOptions{limit: s.maxObject, defaultAlg: algCRC64NVME})
	if err != nil {
		return err
	}
	o := &object{
		key:      rc.key,
		data:     p.data,
		etag:     quotedMD5(p.md5),
		meta:     meta,
		checksum: p.checksum,
	}
	if err := s.store(b, cond, o); err != nil {
		return err
	}

	h := rc.w.Header()
	h.Set("ETag", o.etag)
	writeChecksumHeaders(h, o.checksum)
	meta.writeSSE(h)
	return rc.writeStatus(http.StatusOK)
}

// writeChecksumHeaders sets x-amz-checksum-<alg> and x-amz-checksum-type.
func writeChecksumHeaders(h http.Header, c checksumInfo) {
	if c.alg == "" {
		return
	}
	h.Set(checksumHeader(c.alg), c.value)
	h.Set("X-Amz-Checksum-Type", c.typ)
}

// getObject serves GetObject and HeadObject.
func (s *Server) getObject(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	head := rc.r.Method == http.MethodHead
	if v := rc.q.Get("versionId"); v != "" && v != "null" {
		return newError("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", v)
	}
	s.mu.RLock()
	o := b.objects[rc.key]
	s.mu.RUnlock()
	if rc.auth != nil && rc.auth.publicOnly && o != nil && o.meta.acl != "public-read" && o.meta.acl != "public-read-write" {
		return newError("AccessDenied", "")
	}
	if o == nil {
		if rc.auth != nil && rc.auth.publicOnly {
			return newError("AccessDenied", "") // as S3: an anonymous caller cannot tell what is missing
		}
		return noSuchKey(rc.key)
	}
	h := rc.w.Header()
	if status := evalReadConditions(rc.r.Header, o); status != 0 {
		h.Set("ETag", o.etag)
		h.Set("Last-Modified", httpTime(o.modified))
		if status == http.StatusNotModified {
			return rc.writeStatus(status)
		}
		cond := "If-Match"
		if rc.r.Header.Get("If-Match") == "" {
			cond = "If-Unmodified-Since"
		}
		return newError("PreconditionFailed", "").with("Condition", cond)
	}

	size := int64(len(o.data))
	start, end := int64(0), size-1 // inclusive
	partial := false
	partsCount := 0
	var partChecksum string
	if pn := rc.q.Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > 10000 {
			return newError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").
				with("ArgumentName", "partNumber").with("ArgumentValue", pn)
		}
		if rc.r.Header.Get("Range") != "" {
			return newError("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
		}
		if o.parts == nil {
			if n != 1 {
				return newError("InvalidPartNumber", "The requested partnumber is not satisfiable").with("PartNumberRequested", pn).with("ActualPartCount", "1")
			}
		} else {
			if n > len(o.parts) {
				return newError("InvalidPartNumber", "The requested partnumber is not satisfiable").
					with("PartNumberRequested", pn).with("ActualPartCount", itoa(len(o.parts)))
			}
			for i := 0; i < n-1; i++ {
				start += o.parts[i].size
			}
			end = start + o.parts[n-1].size - 1
			partChecksum = o.parts[n-1].checksum
			partsCount = len(o.parts)
		}
		partial = true
	} else if rng := rc.r.Header.Get("Range"); rng != "" {
		a, z, ok, satisfiable := parseRange(rng, size)
		if ok && !satisfiable {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			return newError("InvalidRange", "").with("RangeRequested", rng).with("ActualObjectSize", strconv.FormatInt(size, 10))
		}
		if ok {
			start, end, partial = a, z, true
		}
	}

	h.Set("Last-Modified", httpTime(o.modified))
	h.Set("ETag", o.etag)
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.meta.header {
		h[k] = v
	}
	if o.meta.tagCount > 0 {
		h.Set("X-Amz-Tagging-Count", itoa(o.meta.tagCount))
	}
	if partsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", itoa(partsCount))
	}
	if strings.EqualFold(rc.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && o.checksum.alg != "" {
		switch {
		case !partial || (start == 0 && end == size-1 && rc.q.Get("partNumber") == ""):
			writeChecksumHeaders(h, o.checksum)
		case partChecksum != "" && o.checksum.typ == checksumComposite:
			writeChecksumHeaders(h, checksumInfo{alg: o.checksum.alg, value: partChecksum, typ: checksumComposite})
		}
	}
	for param, header := range responseOverrides {
		if v := rc.q.Get(param); v != "" {
			h.Set(header, v)
		}
	}
	length := end - start + 1
	if size == 0 {
		length = 0
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(end, 10)+"/"+strconv.FormatInt(size, 10))
	}
	rc.status = status
	rc.w.WriteHeader(status)
	if !head && length > 0 {
		rc.w.Write(o.data[start : end+1])
	}
	return nil
}

// responseOverrides maps the response-* query parameters to the headers
// they override.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

// evalReadConditions evaluates If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since as RFC 7232 section 6 orders them; it returns 0, 304
// or 412.
func evalReadConditions(h http.Header, o *object) int {
	mod := o.modified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !etagListMatches(im, o.etag) {
			return http.StatusPreconditionFailed
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && mod.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagListMatches(inm, o.etag) {
			return http.StatusNotModified
		}
	} else if ims := h.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !mod.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// parseRange parses a Range header against an object of size bytes. ok is
// false when the header is to be ignored (not a single, well-formed byte
// range); satisfiable is false when it names no byte of the object.
func parseRange(v string, size int64) (start, end int64, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, false
		}
		if n == 0 || size == 0 {
			return 0, 0, true, false
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, true, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, 0, false, false
	}
	z := size - 1
	if last != "" {
		z, err = strconv.ParseInt(last, 10, 64)
		if err != nil || z < a {
			return 0, 0, false, false
		}
		if z > size-1 {
			z = size - 1
		}
	}
	if a >= size {
		return 0, 0, true, false
	}
	return a, z, true, true
}

func (s *Server) deleteObject(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	if v := rc.q.Get("versionId"); v != "" && v != "null" {
		return newError("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", v)
	}
	s.mu.Lock()
	if err := s.liveBucket(b); err != nil {
		s.mu.Unlock()
		return err
	}
	b.remove(rc.key)
	s.mu.Unlock()
	return rc.writeStatus(http.StatusNoContent)
}

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	NS      string          `xml:"xmlns,attr"`
	Deleted []deletedEntry  `xml:"Deleted"`
	Errors  []deleteErrItem `xml:"Error"`
}

type deletedEntry struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type deleteErrItem struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

func (s *Server) deleteObjects(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	hasSum := rc.r.Header.Get("Content-Md5") != "" || rc.r.Header.Get("X-Amz-Trailer") != ""
	for name := range rc.r.Header {
		if algFromChecksumHeader(name) != nil {
			hasSum = true
		}
	}
	if !hasSum {
		return newError("InvalidRequest", "Missing required header for this request: Content-MD5")
	}
	p, err := rc.readPayload(bodyOptions{limit: 2 << 20})
	if err != nil {
		return err
	}
	var req deleteRequest
	if xml.Unmarshal(p.data, &req) != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return newError("MalformedXML", "")
	}
	res := deleteResult{NS: s3NS}
	s.mu.Lock()
	if err := s.liveBucket(b); err != nil {
		s.mu.Unlock()
		return err
	}
	for _, o := range req.Objects {
		if o.VersionID != "" && o.VersionID != "null" {
			res.Errors = append(res.Errors, deleteErrItem{Key: o.Key, VersionID: o.VersionID, Code: "NoSuchVersion", Message: "The specified version does not exist."})
			continue
		}
		if len(o.Key) > maxKeyLength {
			res.Errors = append(res.Errors, deleteErrItem{Key: o.Key, Code: "KeyTooLongError", Message: "Your key is too long"})
			continue
		}
		b.remove(o.Key)
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry{Key: o.Key, VersionID: o.VersionID})
		}
	}
	s.mu.Unlock()
	return rc.writeXML(res)
}

// copySource parses x-amz-copy-source, finds the source object and
// evaluates the x-amz-copy-source-if-* conditions. It also returns the
// source bucket and key.
func (s *Server) copySource(rc *reqCtx) (o *object, srcBucket, srcKey string, err *Error) {
	src := rc.r.Header.Get("X-Amz-Copy-Source")
	src, _, _ = strings.Cut(src, "?") // ?versionId= is ignored: no versioning
	dec, perr := url.PathUnescape(src)
	if perr != nil {
		return nil, "", "", newError("InvalidArgument", "Invalid copy source encoding").with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", src)
	}
	dec = strings.TrimPrefix(dec, "/")
	sb, sk, _ := strings.Cut(dec, "/")
	if sb == "" || sk == "" {
		return nil, "", "", newError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
			with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", src)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.buckets[sb]
	if b == nil {
		return nil, sb, sk, noSuchBucket(sb)
	}
	o = b.objects[sk]
	if o == nil {
		return nil, sb, sk, noSuchKey(sk)
	}
	if status := evalCopyConditions(rc.r.Header, o); status != 0 {
		return nil, sb, sk, newError("PreconditionFailed", "").with("Condition", "x-amz-copy-source-If-*")
	}
	return o, sb, sk, nil
}

// evalCopyConditions evaluates the x-amz-copy-source-if-* headers, which
// all fail with 412.
func evalCopyConditions(h http.Header, o *object) int {
	mod := o.modified.Truncate(time.Second)
	if v := h.Get("X-Amz-Copy-Source-If-Match"); v != "" && !etagListMatches(v, o.etag) {
		return http.StatusPreconditionFailed
	}
	if v := h.Get("X-Amz-Copy-Source-If-None-Match"); v != "" && etagListMatches(v, o.etag) {
		return http.StatusPreconditionFailed
	}
	if v := h.Get("X-Amz-Copy-Source-If-Unmodified-Since"); v != "" && h.Get("X-Amz-Copy-Source-If-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if v := h.Get("X-Amz-Copy-Source-If-Modified-Since"); v != "" && h.Get("X-Amz-Copy-Source-If-None-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	return 0
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	ChecksumType string   `xml:"ChecksumType,omitempty"`
	copyChecksums
}

func (s *Server) copyObject(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	if err := checkKey(rc.key); err != nil {
		return err
	}
	src, srcBucket, srcKey, err := s.copySource(rc)
	if err != nil {
		return err
	}
	h := rc.r.Header
	directive := strings.ToUpper(h.Get("X-Amz-Metadata-Directive"))
	if directive == "" {
		directive = "COPY"
	}
	if directive != "COPY" && directive != "REPLACE" {
		return newError("InvalidArgument", "Unknown metadata directive.").with("ArgumentName", "x-amz-metadata-directive").with("ArgumentValue", directive)
	}
	tagDirective := strings.ToUpper(h.Get("X-Amz-Tagging-Directive"))
	if tagDirective == "" {
		tagDirective = "COPY"
	}
	if tagDirective != "COPY" && tagDirective != "REPLACE" {
		return newError("InvalidArgument", "Unknown tagging directive.").with("ArgumentName", "x-amz-tagging-directive").with("ArgumentValue", tagDirective)
	}
	reqMeta, err := metaFromRequest(h)
	if err != nil {
		return err
	}
	meta := src.meta.clone()
	if directive == "REPLACE" {
		meta.header = reqMeta.header
	} else {
		// Encryption may change on a COPY.
		for _, name := range sseHeaders {
			if v := reqMeta.header.Get(name); v != "" {
				meta.header.Set(name, v)
			}
		}
	}
	// The storage class is the requested one, or the source's.
	if h.Get("X-Amz-Storage-Class") != "" {
		meta.storageClass = reqMeta.storageClass
	}
	meta.header.Del("X-Amz-Storage-Class")
	if meta.storageClass != "STANDARD" {
		meta.header.Set("X-Amz-Storage-Class", meta.storageClass)
	}
	meta.acl = reqMeta.acl // ACLs are not copied
	if tagDirective == "REPLACE" {
		meta.tagging, meta.tagCount = reqMeta.tagging, reqMeta.tagCount
	}
	cond, err := s.parseWriteCondition(h)
	if err != nil {
		return err
	}
	if srcBucket == rc.bucket && srcKey == rc.key && directive == "COPY" &&
		h.Get("X-Amz-Storage-Class") == "" && h.Get("X-Amz-Server-Side-Encryption") == "" &&
		h.Get("X-Amz-Website-Redirect-Location") == "" && h.Get("X-Amz-Checksum-Algorithm") == "" {
		return newError("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	rc.drainBody()

	alg := lookupChecksumAlg(src.checksum.alg)
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		if alg = lookupChecksumAlg(v); alg == nil {
			return newError("InvalidRequest", "Checksum algorithm provided is unsupported.")
		}
	}
	if alg == nil || alg.new == nil {
		alg = lookupChecksumAlg(algCRC64NVME)
	}
	sum := md5.Sum(src.data)
	o := &object{
		key:      rc.key,
		data:     src.data, // objects are immutable: share the bytes
		etag:     quotedMD5(sum[:]),
		meta:     meta,
		checksum: checksumInfo{alg: alg.name, value: checksumOf(alg, src.data), typ: checksumFullObject},
	}
	if err := s.store(b, cond, o); err != nil {
		return err
	}

	res := copyObjectResult{NS: s3NS, ETag: o.etag, LastModified: xmlTime(o.modified), ChecksumType: o.checksum.typ}
	res.set(o.checksum.alg, o.checksum.value)
	meta.writeSSE(rc.w.Header())
	return rc.writeXML(res)
}

// store puts o in b, under the lock, unless the bucket is gone or the
// write condition fails against the object it would replace.
func (s *Server) store(b *bucket, cond writeCondition, o *object) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.liveBucket(b); err != nil {
		return err
	}
	if err := cond.check(b.objects[o.key]); err != nil {
		return err
	}
	o.modified = s.now()
	b.put(o)
	return nil
}
