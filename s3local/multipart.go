package s3local

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const maxPartNumber = 10000

// Limits of the XML documents of requests: a CompleteMultipartUpload of
// 10000 parts with checksums takes under 2 MiB; a DeleteObjects of 1000
// keys of 1024 bytes, 1 MiB and its markup; a PutObjectTagging of 10
// tags at their longest (128 and 256 characters), every character written
// as a 10-byte character reference, under 40 KiB.
const (
	maxCompleteBody     = 4 << 20
	maxDeleteBody       = 2 << 20
	maxCreateBucketBody = 64 << 10
	maxTaggingBody      = 64 << 10
)

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (s *Server) createMultipartUpload(rc *reqCtx) *Error {
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
	alg, typ, err := uploadChecksum(rc.r.Header)
	if err != nil {
		return err
	}
	rc.drainBody()
	u := UploadInfo{ID: randomUploadID(), Key: rc.key, Initiated: s.now(), Metadata: meta, ChecksumAlgorithm: alg, ChecksumType: typ}
	if err := s.idx.createUpload(rc.bucket, u); err != nil {
		return s.storeError(rc, err)
	}
	if alg != "" {
		rc.w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		rc.w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	meta.writeSSE(rc.w.Header())
	return rc.writeXML(initiateMultipartUploadResult{NS: s3NS, Bucket: rc.bucket, Key: rc.key, UploadID: u.ID})
}

// uploadChecksum reads the checksum algorithm and type of a
// CreateMultipartUpload.
func uploadChecksum(h http.Header) (alg, typ string, err *Error) {
	typ = strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	v := h.Get("X-Amz-Checksum-Algorithm")
	if v == "" {
		if typ != "" {
			return "", "", newError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	a := lookupChecksumAlg(v)
	if a == nil {
		return "", "", unsupportedChecksumAlg()
	}
	switch typ {
	case "":
		typ = checksumComposite
		if !a.composite {
			typ = checksumFullObject
		}
	case checksumFullObject, checksumComposite:
	default:
		return "", "", newError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
	}
	if (typ == checksumFullObject && !a.fullObject) || (typ == checksumComposite && !a.composite) {
		return "", "", newError("InvalidRequest", "The "+typ+" checksum type cannot be used with the "+strings.ToLower(a.name)+" checksum algorithm.")
	}
	return a.name, typ, nil
}

func randomUploadID() string {
	return randomHex(24)
}

func noSuchUpload(id string) *Error {
	return newError("NoSuchUpload", "").with("UploadId", id)
}

// findUpload returns rc's open upload, which must be for rc's key,
// without its parts.
func (s *Server) findUpload(rc *reqCtx) (UploadInfo, *Error) {
	return s.lookUpUpload(rc, false)
}

// findUploadParts returns rc's open upload, as findUpload, with its parts
// by ascending number.
func (s *Server) findUploadParts(rc *reqCtx) (UploadInfo, *Error) {
	return s.lookUpUpload(rc, true)
}

func (s *Server) lookUpUpload(rc *reqCtx, withParts bool) (UploadInfo, *Error) {
	id := rc.q.Get("uploadId")
	u, err := s.idx.uploadInfo(rc.bucket, id, withParts)
	if errors.Is(err, ErrNoSuchUpload) || err == nil && u.Key != rc.key {
		return UploadInfo{}, noSuchUpload(id)
	}
	if err != nil {
		return UploadInfo{}, s.storeError(rc, err)
	}
	return u, nil
}

func parsePartNumber(v string) (int, *Error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, newError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive").
			with("ArgumentName", "partNumber").with("ArgumentValue", v)
	}
	return n, nil
}

// resultChecksums are the checksum elements of the results that describe
// an object or a part (CompleteMultipartUpload, CopyObject,
// UploadPartCopy, ListParts).
type resultChecksums struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumSHA512    string `xml:"ChecksumSHA512,omitempty"`
	ChecksumMD5       string `xml:"ChecksumMD5,omitempty"`
	ChecksumXXHASH64  string `xml:"ChecksumXXHASH64,omitempty"`
	ChecksumXXHASH3   string `xml:"ChecksumXXHASH3,omitempty"`
	ChecksumXXHASH128 string `xml:"ChecksumXXHASH128,omitempty"`
}

// set sets the element of algorithm alg.
func (c *resultChecksums) set(alg, value string) {
	if f := map[string]*string{algCRC32: &c.ChecksumCRC32, algCRC32C: &c.ChecksumCRC32C, algCRC64NVME: &c.ChecksumCRC64NVME,
		algSHA1: &c.ChecksumSHA1, algSHA256: &c.ChecksumSHA256, algSHA512: &c.ChecksumSHA512, algMD5: &c.ChecksumMD5,
		algXXHASH64: &c.ChecksumXXHASH64, algXXHASH3: &c.ChecksumXXHASH3, algXXHASH128: &c.ChecksumXXHASH128}[alg]; f != nil {
		*f = value
	}
}

func (s *Server) uploadPart(rc *reqCtx) *Error {
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
	blob, pl, err := rc.readToBlob(bodyOptions{limit: s.maxObject, wantAlg: u.ChecksumAlgorithm})
	if err != nil {
		return err
	}
	p := PartInfo{Number: n, Size: pl.size, ETag: quotedMD5(pl.md5), LastModified: s.now(),
		ChecksumAlgorithm: pl.checksum.Algorithm, Checksum: pl.checksum.Value}
	if err := s.idx.putPart(rc.bucket, u.ID, p, blob); err != nil {
		if errors.Is(err, ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return s.storeError(rc, err)
	}
	h := rc.w.Header()
	u.writeSSE(h)
	h.Set("ETag", p.ETag)
	if p.ChecksumAlgorithm != "" && p.Checksum != "" {
		h.Set(checksumHeader(p.ChecksumAlgorithm), p.Checksum)
	}
	return rc.writeStatus(http.StatusOK)
}

type completeMultipartUpload struct {
	Parts []completedPart `xml:"Part"`
}

type completedPart struct {
	PartNumber        int    `xml:"PartNumber"`
	ETag              string `xml:"ETag"`
	ChecksumCRC32     string `xml:"ChecksumCRC32"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
	ChecksumSHA1      string `xml:"ChecksumSHA1"`
	ChecksumSHA256    string `xml:"ChecksumSHA256"`
}

// checksum returns the checksum the client gives for a part of algorithm
// alg, or "".
func (c completedPart) checksum(alg string) string {
	return map[string]string{algCRC32: c.ChecksumCRC32, algCRC32C: c.ChecksumCRC32C,
		algCRC64NVME: c.ChecksumCRC64NVME, algSHA1: c.ChecksumSHA1, algSHA256: c.ChecksumSHA256}[alg]
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	resultChecksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// completeMultipartUpload checks the part list, copies the parts into one
// body (streamed, computing the object's checksum on the way), then
// stores it, under the write condition, ending the upload in the same
// step. A failed condition leaves the upload open.
func (s *Server) completeMultipartUpload(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	cond, err := s.parseWriteCondition(rc.r.Header)
	if err != nil {
		return err
	}
	// The upload is checked before its part list is read, as S3 does.
	if _, err := s.findUpload(rc); err != nil {
		return err
	}
	data, err := rc.readSmall(bodyOptions{limit: maxCompleteBody, objectChecksum: true})
	if err != nil {
		return err
	}
	var req completeMultipartUpload
	if xml.Unmarshal(data, &req) != nil || len(req.Parts) == 0 {
		return newError("MalformedXML", "")
	}
	u, err := s.findUploadParts(rc) // its parts as they are now
	if err != nil {
		return err
	}
	if err := s.checkNow(rc, cond); err != nil {
		return err
	}
	parts, err := s.checkParts(u, req.Parts)
	if err != nil {
		return err
	}
	var total int64
	for _, p := range parts {
		total += p.Size
	}
	if v := rc.r.Header.Get("X-Amz-Mp-Object-Size"); v != "" && v != strconv.FormatInt(total, 10) {
		return newError("InvalidRequest", "The provided 'x-amz-mp-object-size' header value "+v+" does not match what was computed: "+strconv.FormatInt(total, 10))
	}
	info, blob, err := s.assemble(rc, u, parts)
	if err != nil {
		return err
	}
	if err := s.commit(rc, &info, blob, putOptions{check: cond.check, uploadID: u.ID}); err != nil {
		return err
	}
	res := completeMultipartUploadResult{NS: s3NS, Location: location(rc), Bucket: rc.bucket, Key: rc.key, ETag: info.ETag}
	if info.Checksum.Algorithm != "" {
		res.set(info.Checksum.Algorithm, info.Checksum.Value)
		res.ChecksumType = info.Checksum.Type
	}
	u.writeSSE(rc.w.Header())
	return rc.writeXML(res)
}

// checkParts checks a CompleteMultipartUpload part list against the
// upload's parts: ascending numbers, matching ETags and checksums, every
// part but the last at least MinPartSize.
func (s *Server) checkParts(u UploadInfo, list []completedPart) ([]PartInfo, *Error) {
	byNumber := make(map[int]PartInfo, len(u.Parts))
	for _, p := range u.Parts {
		byNumber[p.Number] = p
	}
	parts := make([]PartInfo, len(list))
	for i, rp := range list {
		if i > 0 && rp.PartNumber <= list[i-1].PartNumber {
			return nil, newError("InvalidPartOrder", "")
		}
		p, ok := byNumber[rp.PartNumber]
		given := rp.checksum(p.ChecksumAlgorithm)
		if !ok || strings.Trim(rp.ETag, `" `) != strings.Trim(p.ETag, `"`) || given != "" && p.Checksum != "" && given != p.Checksum {
			return nil, newError("InvalidPart", "").with("UploadId", u.ID).with("PartNumber", itoa(rp.PartNumber)).with("ETag", rp.ETag)
		}
		parts[i] = p
	}
	for i, p := range parts[:len(parts)-1] {
		if p.Size < s.minPart {
			return nil, newError("EntityTooSmall", "").
				with("ProposedSize", strconv.FormatInt(p.Size, 10)).
				with("MinSizeAllowed", strconv.FormatInt(s.minPart, 10)).
				with("PartNumber", itoa(list[i].PartNumber)).
				with("ETag", p.ETag)
		}
	}
	return parts, nil
}

// assemble copies parts into a new blob, in order, and describes the
// object they make: the multipart ETag and the checksum of the upload's
// type (a CRC64NVME of the whole object when the upload names none).
func (s *Server) assemble(rc *reqCtx, u UploadInfo, parts []PartInfo) (ObjectInfo, blob, *Error) {
	var total int64
	for _, p := range parts {
		total += p.Size
	}
	full := lookupChecksumAlg(u.ChecksumAlgorithm)
	switch {
	case u.ChecksumAlgorithm == "":
		full = lookupChecksumAlg(algCRC64NVME)
	case u.ChecksumType != checksumFullObject:
		full = nil // COMPOSITE: from the part checksums
	}
	blob, err := s.idx.newBlob(total)
	if err != nil {
		return ObjectInfo{}, nil, s.storeError(rc, err)
	}
	var w io.Writer = blob
	var fullH interface{ Sum([]byte) []byte }
	if full != nil && full.new != nil {
		h := full.new()
		w, fullH = io.MultiWriter(blob, h), h
	}
	md5s := md5.New()
	info := ObjectInfo{Key: rc.key, Size: total, Metadata: u.Metadata, Parts: make([]ObjectPart, len(parts))}
	sums := make([]string, len(parts))
	for i, p := range parts {
		if err := s.copyPart(rc, u.ID, p, w); err != nil {
			blob.discard()
			return ObjectInfo{}, nil, err
		}
		sum, _ := hex.DecodeString(strings.Trim(p.ETag, `"`))
		md5s.Write(sum)
		info.Parts[i] = ObjectPart{Size: p.Size, Checksum: p.Checksum}
		sums[i] = p.Checksum
	}
	info.ETag = `"` + hex.EncodeToString(md5s.Sum(nil)) + "-" + itoa(len(parts)) + `"`
	switch {
	case fullH != nil:
		info.Checksum = Checksum{Algorithm: full.name, Value: b64(fullH.Sum(nil)), Type: checksumFullObject}
	case u.ChecksumType == checksumComposite:
		if v, ok := compositeChecksum(lookupChecksumAlg(u.ChecksumAlgorithm), sums); ok {
			info.Checksum = Checksum{Algorithm: u.ChecksumAlgorithm, Value: v, Type: checksumComposite}
		}
	}
	if c := info.Checksum; c.Algorithm != "" {
		if v := rc.r.Header.Get(checksumHeader(c.Algorithm)); v != "" && v != c.Value && v+"-"+itoa(len(parts)) != c.Value {
			blob.discard()
			return ObjectInfo{}, nil, newError("BadDigest", "The "+c.Algorithm+" you specified did not match the calculated checksum.")
		}
	}
	return info, blob, nil
}

// copyPart copies part p of an upload to w. A part replaced since the
// part list was checked is an InvalidPart.
func (s *Server) copyPart(rc *reqCtx, id string, p PartInfo, w io.Writer) *Error {
	got, r, err := s.idx.openPart(rc.bucket, id, p.Number)
	if errors.Is(err, ErrNoSuchUpload) {
		return noSuchUpload(id)
	}
	if err == nil && got.ETag != p.ETag {
		r.Close()
		err = ErrNoSuchKey
	}
	if errors.Is(err, ErrNoSuchKey) {
		return newError("InvalidPart", "").with("UploadId", id).with("PartNumber", itoa(p.Number)).with("ETag", p.ETag)
	}
	if err != nil {
		return s.storeError(rc, err)
	}
	defer r.Close()
	if _, err := io.Copy(w, io.NewSectionReader(r, 0, got.Size)); err != nil {
		return s.internal(rc, err)
	}
	return nil
}

// location returns the URL of rc's object.
func location(rc *reqCtx) string {
	scheme := "http"
	if rc.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + rc.r.Host + rc.r.URL.EscapedPath()
}

func (s *Server) abortMultipartUpload(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	u, err := s.findUpload(rc)
	if err != nil {
		return err
	}
	if err := s.idx.abortUpload(rc.bucket, u.ID); err != nil {
		if errors.Is(err, ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return s.storeError(rc, err)
	}
	return rc.writeStatus(http.StatusNoContent)
}
