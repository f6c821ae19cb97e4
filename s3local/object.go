package s3local

import (
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
// key is missing). It is a putOptions.check.
func (c writeCondition) check(cur *ObjectInfo) error {
	if c.ifNoneMatch && cur != nil {
		return newError("PreconditionFailed", "").with("Condition", "If-None-Match")
	}
	if c.ifMatch != "" && (cur == nil || !etagListMatches(c.ifMatch, cur.ETag)) {
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

// checkKey refuses the keys S3 refuses: longer than 1024 bytes, or not
// UTF-8 (which listings rely on: no key holds a 0xff byte).
func checkKey(key string) *Error {
	if len(key) > maxKeyLength {
		return newError("KeyTooLongError", "").with("Size", itoa(len(key))).with("MaxSizeAllowed", itoa(maxKeyLength))
	}
	if !utf8.ValidString(key) {
		return newError("InvalidArgument", "Object key is not valid UTF-8").with("ArgumentName", "key")
	}
	return nil
}

func quotedMD5(sum []byte) string {
	return `"` + hex.EncodeToString(sum) + `"`
}

func (s *Server) putObject(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
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
	if err := s.checkNow(rc, cond); err != nil {
		return err
	}
	blob, p, err := rc.readToBlob(bodyOptions{limit: s.maxObject, defaultAlg: algCRC64NVME})
	if err != nil {
		return err
	}
	info := ObjectInfo{
		Key:      rc.key,
		Size:     p.size,
		ETag:     quotedMD5(p.md5),
		Metadata: meta,
		Checksum: p.checksum,
	}
	if err := s.commit(rc, &info, blob, putOptions{check: cond.check}); err != nil {
		return err
	}
	h := rc.w.Header()
	h.Set("ETag", info.ETag)
	writeChecksumHeaders(h, info.Checksum)
	meta.writeSSE(h)
	return rc.writeStatus(http.StatusOK)
}

// checkNow evaluates a write condition against the object there now, so
// that a write bound to fail does not read its body. The store evaluates
// it again when the write commits.
func (s *Server) checkNow(rc *reqCtx, cond writeCondition) *Error {
	if cond == (writeCondition{}) {
		return nil
	}
	info, r, err := s.idx.open(rc.bucket, rc.key)
	var cur *ObjectInfo
	switch {
	case err == nil:
		r.Close()
		cur = &info
	case !errors.Is(err, ErrNoSuchKey):
		return s.storeError(rc, err)
	}
	if err := cond.check(cur); err != nil {
		return err.(*Error)
	}
	return nil
}

// commit stores a received object with opts, setting its modification
// time, and maps the store's errors.
func (s *Server) commit(rc *reqCtx, info *ObjectInfo, body blob, opts putOptions) *Error {
	info.LastModified = s.now()
	if err := s.idx.put(rc.bucket, *info, body, opts); err != nil {
		return s.storeError(rc, err)
	}
	return nil
}

// writeChecksumHeaders sets x-amz-checksum-<alg> and x-amz-checksum-type.
func writeChecksumHeaders(h http.Header, c Checksum) {
	if c.Algorithm == "" {
		return
	}
	h.Set(checksumHeader(c.Algorithm), c.Value)
	h.Set("X-Amz-Checksum-Type", c.Type)
}

// getObject serves GetObject and HeadObject.
func (s *Server) getObject(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	if v := rc.q.Get("versionId"); v != "" && v != "null" {
		return newError("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", v)
	}
	o, r, err := s.openObject(rc)
	if err != nil {
		return err
	}
	defer r.Close()
	if rc.auth.anonymous {
		for param := range responseOverrides {
			if rc.q.Has(param) {
				return newError("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.")
			}
		}
		// What anyone may read is served as its type, never sniffed.
		rc.w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	h := rc.w.Header()
	if status, cond := evalReadConditions(rc.r.Header, &o); status != 0 {
		h.Set("ETag", o.ETag)
		h.Set("Last-Modified", httpTime(o.LastModified))
		if status == http.StatusNotModified {
			return rc.writeStatus(status)
		}
		return newError("PreconditionFailed", "").with("Condition", cond)
	}
	sel, err := selectBytes(rc, &o)
	if err != nil {
		return err
	}
	writeObjectHeaders(rc, &o, sel)
	status := http.StatusOK
	if sel.partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(sel.start, 10)+"-"+strconv.FormatInt(sel.end, 10)+"/"+strconv.FormatInt(o.Size, 10))
	}
	rc.status = status
	rc.w.WriteHeader(status)
	if rc.r.Method != http.MethodHead && sel.length() > 0 {
		io.Copy(rc.w, io.NewSectionReader(r, sel.start, sel.length()))
	}
	return nil
}

// openObject opens rc's object for GetObject or HeadObject. An anonymous
// request, when credentials are configured, may read only an object whose
// ACL is public-read or public-read-write; it learns that a key is missing
// only when the bucket's ACL lets it list.
func (s *Server) openObject(rc *reqCtx) (ObjectInfo, objectReader, *Error) {
	o, r, err := s.idx.open(rc.bucket, rc.key)
	if rc.anonymousRefused() {
		switch {
		case err == nil && publicACL(o.ACL, false):
		case errors.Is(err, ErrNoSuchKey) && s.bucketPublic(rc.bucket, false):
		default:
			if err == nil {
				r.Close()
			}
			return ObjectInfo{}, nil, newError("AccessDenied", "")
		}
	}
	if err != nil {
		return ObjectInfo{}, nil, s.storeError(rc, err)
	}
	return o, r, nil
}

// selection is the bytes of an object a GET returns.
type selection struct {
	start, end   int64 // inclusive; end is -1 for an empty object
	partial      bool
	partsCount   int
	partChecksum string
}

func (sel selection) length() int64 { return sel.end - sel.start + 1 }

// selectBytes applies partNumber or Range to o.
func selectBytes(rc *reqCtx, o *ObjectInfo) (selection, *Error) {
	sel := selection{end: o.Size - 1}
	if pn := rc.q.Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > maxPartNumber {
			return sel, newError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").
				with("ArgumentName", "partNumber").with("ArgumentValue", pn)
		}
		if rc.r.Header.Get("Range") != "" {
			return sel, newError("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
		}
		sel.partial = true
		switch {
		case o.Parts == nil && n == 1:
			return sel, nil
		case o.Parts == nil || n > len(o.Parts):
			return sel, newError("InvalidPartNumber", "The requested partnumber is not satisfiable").
				with("PartNumberRequested", pn).with("ActualPartCount", itoa(max(1, len(o.Parts))))
		}
		sel.end = -1
		for i := range n {
			sel.start = sel.end + 1
			sel.end += o.Parts[i].Size
		}
		sel.partChecksum, sel.partsCount = o.Parts[n-1].Checksum, len(o.Parts)
		return sel, nil
	}
	if rng := rc.r.Header.Get("Range"); rng != "" {
		a, z, ok, satisfiable := parseRange(rng, o.Size)
		if ok && !satisfiable {
			rc.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(o.Size, 10))
			return sel, newError("InvalidRange", "").with("RangeRequested", rng).with("ActualObjectSize", strconv.FormatInt(o.Size, 10))
		}
		if ok {
			sel.start, sel.end, sel.partial = a, z, true
		}
	}
	return sel, nil
}

// writeObjectHeaders sets the response headers of a GET or HEAD of o.
func writeObjectHeaders(rc *reqCtx, o *ObjectInfo, sel selection) {
	h := rc.w.Header()
	h.Set("Last-Modified", httpTime(o.LastModified))
	h.Set("ETag", o.ETag)
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.Header {
		h[k] = v
	}
	if n, _ := countTags(o.Tagging); n > 0 {
		h.Set("X-Amz-Tagging-Count", itoa(n))
	}
	if sel.partsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", itoa(sel.partsCount))
	}
	if strings.EqualFold(rc.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && o.Checksum.Algorithm != "" {
		switch {
		case !sel.partial || (sel.start == 0 && sel.end == o.Size-1 && rc.q.Get("partNumber") == ""):
			writeChecksumHeaders(h, o.Checksum)
		case sel.partChecksum != "" && o.Checksum.Type == checksumComposite:
			writeChecksumHeaders(h, Checksum{Algorithm: o.Checksum.Algorithm, Value: sel.partChecksum, Type: checksumComposite})
		}
	}
	for param, header := range responseOverrides {
		if v := rc.q.Get(param); v != "" {
			h.Set(header, v)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(max(0, sel.length()), 10))
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
// and If-Modified-Since as RFC 7232 section 6 orders them; it returns 0,
// 304 or 412, and the header that decided it.
func evalReadConditions(h http.Header, o *ObjectInfo) (int, string) {
	mod := o.LastModified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !etagListMatches(im, o.ETag) {
			return http.StatusPreconditionFailed, "If-Match"
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && mod.After(t) {
			return http.StatusPreconditionFailed, "If-Unmodified-Since"
		}
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagListMatches(inm, o.ETag) {
			return http.StatusNotModified, "If-None-Match"
		}
	} else if ims := h.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !mod.After(t) {
			return http.StatusNotModified, "If-Modified-Since"
		}
	}
	return 0, ""
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
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	if v := rc.q.Get("versionId"); v != "" && v != "null" {
		return newError("InvalidArgument", "Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", v)
	}
	if err := s.idx.delete(rc.bucket, rc.key); err != nil {
		return s.storeError(rc, err)
	}
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
	if _, err := s.bucketFor(rc); err != nil {
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
	data, err := rc.readSmall(bodyOptions{limit: maxDeleteBody})
	if err != nil {
		return err
	}
	var req deleteRequest
	if xml.Unmarshal(data, &req) != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return newError("MalformedXML", "")
	}
	res := deleteResult{NS: s3NS}
	for _, o := range req.Objects {
		if o.VersionID != "" && o.VersionID != "null" {
			res.Errors = append(res.Errors, deleteErrItem{Key: o.Key, VersionID: o.VersionID, Code: "NoSuchVersion", Message: "The specified version does not exist."})
			continue
		}
		if len(o.Key) > maxKeyLength {
			res.Errors = append(res.Errors, deleteErrItem{Key: o.Key, Code: "KeyTooLongError", Message: "Your key is too long"})
			continue
		}
		if err := s.idx.delete(rc.bucket, o.Key); err != nil {
			e := s.storeError(rc, err)
			res.Errors = append(res.Errors, deleteErrItem{Key: o.Key, Code: e.code(), Message: e.message()})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return rc.writeXML(res)
}
