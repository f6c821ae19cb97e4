package s3local

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"hash/crc64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxPostFields bounds the fields that precede the file of a POST upload,
// as S3 does: 20 KiB.
const maxPostFields = 20 << 10

// postForm is the form of a POST upload, read up to its file.
type postForm struct {
	fields   map[string]string // by lower-case name
	names    []string          // as sent, in order
	file     *multipart.Part
	filename string
}

// postObject serves a browser-based upload: a multipart/form-data POST to
// the bucket, authorized by the policy it carries. The policy is checked
// (signature, expiry, every condition, every field covered) before a byte
// of the file is read, and the file is streamed to the store, within the
// policy's content-length-range.
func (s *Server) postObject(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	limit := s.maxObject + 2*maxPostFields // the file, the fields and the multipart framing
	if rc.r.ContentLength > limit {
		return newError("EntityTooLarge", "").with("MaxSizeAllowed", strconv.FormatInt(s.maxObject, 10))
	}
	rc.r.Body = http.MaxBytesReader(rc.w, rc.r.Body, limit)
	f, err := readPostForm(rc.r)
	if err != nil {
		return err
	}
	key, ok := f.fields["key"]
	if !ok {
		return newError("InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").
			with("ArgumentName", "key").with("ArgumentValue", "")
	}
	minSize, maxSize, err := s.checkPostPolicy(rc, f)
	if err != nil {
		return err
	}
	rc.key = strings.ReplaceAll(key, "${filename}", f.filename)
	if rc.key == "" {
		return newError("InvalidArgument", "User key must have a length greater than 0.").with("ArgumentName", "key").with("ArgumentValue", key)
	}
	if err := checkKey(rc.key); err != nil {
		return err
	}
	meta, err := metaFromRequest(f.header())
	if err != nil {
		return err
	}
	info, blob, err := s.receiveFile(rc, f.file, minSize, min(maxSize, s.maxObject))
	if err != nil {
		return err
	}
	info.Metadata = meta
	if err := s.commit(rc, &info, blob, putOptions{}); err != nil {
		return err
	}
	return postResponse(rc, f, info.ETag)
}

// readPostForm reads the fields of a POST upload up to its file, which
// is left unread.
func readPostForm(r *http.Request) (*postForm, *Error) {
	malformed := newError("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, malformed
	}
	f := &postForm{fields: map[string]string{}}
	used := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, newError("InvalidArgument", "POST requires exactly one file upload per request.").
				with("ArgumentName", "file").with("ArgumentValue", "0")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, newError("EntityTooLarge", "")
			}
			return nil, malformed
		}
		name := part.FormName()
		if strings.EqualFold(name, "file") {
			f.file, f.filename = part, part.FileName()
			return f, nil
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(maxPostFields-used+1)))
		used += len(name) + len(v)
		if used > maxPostFields {
			return nil, newError("MaxPOSTPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large.")
		}
		if err != nil {
			return nil, malformed
		}
		lower := strings.ToLower(name)
		if _, dup := f.fields[lower]; dup || name == "" {
			return nil, newError("InvalidArgument", "Form fields must be named once.").with("ArgumentName", name)
		}
		f.fields[lower] = string(v)
		f.names = append(f.names, name)
	}
}

// postHeaders maps the form fields that describe the object to the
// request headers metaFromRequest reads.
var postHeaders = map[string]string{
	"acl": "X-Amz-Acl", "cache-control": "Cache-Control", "content-disposition": "Content-Disposition",
	"content-encoding": "Content-Encoding", "content-language": "Content-Language", "content-type": "Content-Type",
	"expires": "Expires", "x-amz-storage-class": "X-Amz-Storage-Class",
	"x-amz-website-redirect-location": "X-Amz-Website-Redirect-Location",
}

// header returns the object's headers as fields of f give them.
func (f *postForm) header() http.Header {
	h := http.Header{}
	for name, v := range f.fields {
		switch canon, ok := postHeaders[name]; {
		case ok:
			h.Set(canon, v)
		case strings.HasPrefix(name, "x-amz-meta-"), strings.HasPrefix(name, "x-amz-server-side-encryption"):
			h.Set(name, v)
		}
	}
	return h
}

// receiveFile streams the file of a POST upload to a new blob, and
// describes it.
func (s *Server) receiveFile(rc *reqCtx, file io.Reader, minSize, maxSize int64) (ObjectInfo, blob, *Error) {
	blob, err := s.idx.newBlob(-1)
	if err != nil {
		return ObjectInfo{}, nil, s.storeError(rc, err)
	}
	md5h, crc := md5.New(), crc64.New(crc64NVMETable)
	dw := &errWriter{w: blob}
	n, cerr := io.Copy(io.MultiWriter(dw, md5h, crc), io.LimitReader(file, maxSize+1))
	var e *Error
	switch {
	case dw.err != nil:
		e = s.internal(rc, dw.err)
	case cerr != nil:
		e = asError(cerr)
	case n > maxSize:
		e = newError("EntityTooLarge", "").with("MaxSizeAllowed", strconv.FormatInt(maxSize, 10))
	case n < minSize:
		e = newError("EntityTooSmall", "").with("ProposedSize", strconv.FormatInt(n, 10)).with("MinSizeAllowed", strconv.FormatInt(minSize, 10))
	}
	if e != nil {
		blob.discard()
		return ObjectInfo{}, nil, e
	}
	return ObjectInfo{
		Key:      rc.key,
		Size:     n,
		ETag:     quotedMD5(md5h.Sum(nil)),
		Checksum: Checksum{Algorithm: algCRC64NVME, Value: b64(crc.Sum(nil)), Type: checksumFullObject},
	}, blob, nil
}

type postResponseXML struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postResponse answers a stored POST upload as its form asks:
// success_action_redirect (303 to it, with bucket, key and etag), else
// success_action_status 200, 201 (an XML document) or 204 (the default).
func postResponse(rc *reqCtx, f *postForm, etag string) *Error {
	h := rc.w.Header()
	loc := objectLocation(rc)
	h.Set("ETag", etag)
	h.Set("Location", loc)
	redirect := f.fields["success_action_redirect"]
	if redirect == "" {
		redirect = f.fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		q := u.Query()
		q.Set("bucket", rc.bucket)
		q.Set("key", rc.key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		h.Set("Location", u.String())
		return rc.writeStatus(http.StatusSeeOther)
	}
	switch f.fields["success_action_status"] {
	case "200":
		return rc.writeStatus(http.StatusOK)
	case "201":
		return rc.writeXMLStatus(http.StatusCreated, postResponseXML{Location: loc, Bucket: rc.bucket, Key: rc.key, ETag: etag})
	}
	return rc.writeStatus(http.StatusNoContent)
}

// objectLocation returns the URL of rc's object after a POST to its
// bucket (path-style or virtual-hosted, as the POST was).
func objectLocation(rc *reqCtx) string {
	scheme := "http"
	if rc.r.TLS != nil {
		scheme = "https"
	}
	base := strings.TrimSuffix(rc.r.URL.EscapedPath(), "/")
	return scheme + "://" + rc.r.Host + base + "/" + (&url.URL{Path: rc.key}).EscapedPath()
}

// postPolicy is the JSON document of a POST policy.
type postPolicy struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

// postCondition is one condition of a policy: a field (lower case, without
// "$") that must equal or start with a value, or a size range.
type postCondition struct {
	op       string // "eq", "starts-with" or "content-length-range"
	field    string
	value    string
	min, max int64
	raw      string
}

// checkPostPolicy authorizes a POST upload and returns the size range its
// policy allows. With credentials configured, the form must carry a
// policy signed with SigV4 by one of them (unless the bucket is
// public-read-write); a policy, when present, must not be expired, its
// conditions must hold and cover every field of the form but
// x-amz-signature, file, policy and x-ignore-*.
func (s *Server) checkPostPolicy(rc *reqCtx, f *postForm) (minSize, maxSize int64, err *Error) {
	maxSize = s.maxObject
	policy, ok := f.fields["policy"]
	if !ok {
		if len(s.opts.Credentials) == 0 || s.bucketPublic(rc.bucket, true) {
			return 0, maxSize, nil
		}
		return 0, 0, newError("AccessDenied", "Access Denied")
	}
	if len(s.opts.Credentials) > 0 {
		if err := s.verifyPostSignature(f, policy); err != nil {
			return 0, 0, err
		}
	}
	invalid := func(msg string) *Error { return newError("InvalidPolicyDocument", "Invalid Policy: "+msg) }
	raw, derr := base64.StdEncoding.DecodeString(policy)
	var p postPolicy
	if derr != nil || json.Unmarshal(raw, &p) != nil {
		return 0, 0, invalid("Invalid JSON.")
	}
	exp, perr := time.Parse(time.RFC3339Nano, p.Expiration)
	if perr != nil {
		return 0, 0, invalid("Invalid 'expiration' value: '" + p.Expiration + "'")
	}
	if !s.now().Before(exp) {
		return 0, 0, newError("AccessDenied", "Invalid according to Policy: Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		conds, ok := parsePostCondition(c)
		if !ok {
			return 0, 0, invalid("Invalid Policy condition: " + string(c))
		}
		for _, pc := range conds {
			if pc.op == "content-length-range" {
				minSize, maxSize = pc.min, pc.max
				continue
			}
			covered[pc.field] = true
			if !pc.holds(rc, f) {
				return 0, 0, newError("AccessDenied", "Invalid according to Policy: Policy Condition failed: "+pc.raw)
			}
		}
	}
	for _, name := range f.names {
		lower := strings.ToLower(name)
		if lower == "x-amz-signature" || lower == "policy" || strings.HasPrefix(lower, "x-ignore-") || covered[lower] {
			continue
		}
		return 0, 0, newError("AccessDenied", "Invalid according to Policy: Extra input fields: "+name)
	}
	return minSize, maxSize, nil
}

// parsePostCondition parses {"field": "value", ...}, ["eq" | "starts-with",
// "$field", "value"] or ["content-length-range", min, max].
func parsePostCondition(raw json.RawMessage) ([]postCondition, bool) {
	var obj map[string]string
	if json.Unmarshal(raw, &obj) == nil {
		var out []postCondition
		for k, v := range obj {
			out = append(out, postCondition{op: "eq", field: strings.ToLower(strings.TrimPrefix(k, "$")), value: v, raw: string(raw)})
		}
		return out, len(out) > 0
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil || len(arr) != 3 {
		return nil, false
	}
	var op string
	if json.Unmarshal(arr[0], &op) != nil {
		return nil, false
	}
	c := postCondition{op: strings.ToLower(op), raw: string(raw)}
	switch c.op {
	case "content-length-range":
		a, errA := jsonInt(arr[1])
		z, errZ := jsonInt(arr[2])
		c.min, c.max = a, z
		return []postCondition{c}, errA == nil && errZ == nil && a >= 0 && z >= a
	case "eq", "starts-with":
		var field string
		if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &c.value) != nil || !strings.HasPrefix(field, "$") {
			return nil, false
		}
		c.field = strings.ToLower(field[1:])
		return []postCondition{c}, true
	}
	return nil, false
}

// jsonInt reads a JSON number, or a string holding one.
func jsonInt(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		n = json.Number(s)
	}
	return n.Int64()
}

// holds evaluates c against the form (or the bucket, for "bucket").
// starts-with on Content-Type applies to each of a comma-separated list.
func (c postCondition) holds(rc *reqCtx, f *postForm) bool {
	v := f.fields[c.field]
	if c.field == "bucket" {
		v = rc.bucket
	}
	if c.op == "eq" {
		return v == c.value
	}
	if c.field == "content-type" {
		for t := range strings.SplitSeq(v, ",") {
			if !strings.HasPrefix(strings.TrimSpace(t), c.value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(v, c.value)
}

// verifyPostSignature checks the SigV4 signature of a POST policy: the
// HMAC of the base64 policy with the signing key of x-amz-credential.
func (s *Server) verifyPostSignature(f *postForm, policy string) *Error {
	arg := func(name string) *Error {
		return newError("InvalidArgument", "Invalid or missing "+name+" form field").with("ArgumentName", name).with("ArgumentValue", f.fields[strings.ToLower(name)])
	}
	if f.fields["x-amz-algorithm"] != sigAlgorithm {
		if _, v2 := f.fields["awsaccesskeyid"]; v2 {
			return newError("InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		}
		return arg("X-Amz-Algorithm")
	}
	sc, ok := parseCredential(f.fields["x-amz-credential"])
	if !ok {
		return arg("X-Amz-Credential")
	}
	date := f.fields["x-amz-date"]
	if _, err := time.Parse(amzDateFormat, date); err != nil {
		return arg("X-Amz-Date")
	}
	c, e := s.knownCredential(sc.accessKey)
	if e != nil {
		return e
	}
	if e := s.checkScope(sc, date); e != nil {
		return e
	}
	if e := checkToken(c, f.fields["x-amz-security-token"]); e != nil {
		return e
	}
	want := hex.EncodeToString(hmacSHA256(signingKey(c.SecretAccessKey, sc), policy))
	if got := f.fields["x-amz-signature"]; !hmac.Equal([]byte(want), []byte(got)) {
		return newError("SignatureDoesNotMatch", "").with("AWSAccessKeyId", sc.accessKey).with("StringToSign", policy).with("SignatureProvided", got)
	}
	return nil
}
