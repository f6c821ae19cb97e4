package s3local

import (
	"crypto/md5"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

const maxPartNumber = 10000

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (s *Server) createMultipartUpload(rc *reqCtx) *Error {
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
	h := rc.r.Header
	alg, typ := "", strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a := lookupChecksumAlg(v)
		if a == nil {
			return newError("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		alg = a.name
		switch typ {
		case "":
			typ = checksumComposite
			if !a.composite {
				typ = checksumFullObject
			}
		case checksumFullObject, checksumComposite:
		default:
			return newError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
		}
		if (typ == checksumFullObject && !a.fullObject) || (typ == checksumComposite && !a.composite) {
			return newError("InvalidRequest", "The "+typ+" checksum type cannot be used with the "+strings.ToLower(alg)+" checksum algorithm.")
		}
	} else if typ != "" {
		return newError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	}
	rc.drainBody()
	u := &upload{
		id:        randomUploadID(),
		key:       rc.key,
		initiated: s.now(),
		meta:      meta,
		alg:       alg,
		typ:       typ,
		parts:     make(map[int]*part),
	}
	s.mu.Lock()
	if err := s.liveBucket(b); err != nil {
		s.mu.Unlock()
		return err
	}
	b.uploads[u.id] = u
	s.mu.Unlock()
	if alg != "" {
		rc.w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		rc.w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	meta.writeSSE(rc.w.Header())
	return rc.writeXML(initiateMultipartUploadResult{NS: s3NS, Bucket: b.name, Key: rc.key, UploadID: u.id})
}

func randomUploadID() string {
	return randomHex(24)
}

func noSuchUpload(id string) *Error {
	return newError("NoSuchUpload", "").with("UploadId", id)
}

// findUpload returns rc's open upload; the caller holds s.mu.
func findUpload(b *bucket, rc *reqCtx) (*upload, *Error) {
	id := rc.q.Get("uploadId")
	u := b.uploads[id]
	if u == nil || u.key != rc.key {
		return nil, noSuchUpload(id)
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

// copyChecksums are the checksum elements of copy results.
type copyChecksums struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

func (c *copyChecksums) set(alg, value string) {
	switch alg {
	case algCRC32:
		c.ChecksumCRC32 = value
	case algCRC32C:
		c.ChecksumCRC32C = value
	case algCRC64NVME:
		c.ChecksumCRC64NVME = value
	case algSHA1:
		c.ChecksumSHA1 = value
	case algSHA256:
		c.ChecksumSHA256 = value
	}
}

// uploadPart serves UploadPart.
func (s *Server) uploadPart(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	n, err := parsePartNumber(rc.q.Get("partNumber"))
	if err != nil {
		return err
	}
	s.mu.RLock()
	u, err := findUpload(b, rc)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	p := &part{number: n, alg: u.alg}
	pl, err := rc.readPayload(bodyOptions{limit: s.maxObject, wantAlg: u.alg})
	if err != nil {
		return err
	}
	p.data, p.md5 = pl.data, pl.md5
	p.alg, p.checksum = pl.checksum.alg, pl.checksum.value
	p.etag = quotedMD5(p.md5)

	s.mu.Lock()
	if err := s.liveBucket(b); err != nil {
		s.mu.Unlock()
		return err
	}
	if b.uploads[u.id] != u {
		s.mu.Unlock()
		return noSuchUpload(u.id)
	}
	p.modified = s.now()
	u.parts[n] = p
	s.mu.Unlock()

	h := rc.w.Header()
	u.meta.writeSSE(h)
	h.Set("ETag", p.etag)
	if p.alg != "" && p.checksum != "" {
		h.Set(checksumHeader(p.alg), p.checksum)
	}
	return rc.writeStatus(http.StatusOK)
}

type completeMultipartUpload struct {
	Parts []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	copyChecksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

func (s *Server) completeMultipartUpload(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	cond, err := s.parseWriteCondition(rc.r.Header)
	if err != nil {
		return err
	}
	pl, err := rc.readPayload(bodyOptions{limit: 16 << 20, objectChecksum: true})
	if err != nil {
		return err
	}
	var req completeMultipartUpload
	if xml.Unmarshal(pl.data, &req) != nil || len(req.Parts) == 0 {
		return newError("MalformedXML", "")
	}

	// Validate the part list against the upload and take the parts.
	s.mu.RLock()
	u, err := findUpload(b, rc)
	if err != nil {
		s.mu.RUnlock()
		return err
	}
	if err := cond.check(b.objects[rc.key]); err != nil {
		s.mu.RUnlock()
		return err
	}
	parts := make([]*part, len(req.Parts))
	var perr *Error
	for i, rp := range req.Parts {
		if i > 0 && rp.PartNumber <= req.Parts[i-1].PartNumber {
			perr = newError("InvalidPartOrder", "")
			break
		}
		p := u.parts[rp.PartNumber]
		if p == nil || strings.Trim(rp.ETag, `" `) != strings.Trim(p.etag, `"`) {
			perr = newError("InvalidPart", "").with("UploadId", u.id).with("PartNumber", itoa(rp.PartNumber)).with("ETag", rp.ETag)
			break
		}
		given := map[string]string{algCRC32: rp.ChecksumCRC32, algCRC32C: rp.ChecksumCRC32C,
			algCRC64NVME: rp.ChecksumCRC64NVME, algSHA1: rp.ChecksumSHA1, algSHA256: rp.ChecksumSHA256}[p.alg]
		if given != "" && p.checksum != "" && given != p.checksum {
			perr = newError("InvalidPart", "").with("UploadId", u.id).with("PartNumber", itoa(rp.PartNumber)).with("ETag", rp.ETag)
			break
		}
		parts[i] = p
	}
	meta, alg, typ := u.meta, u.alg, u.typ
	s.mu.RUnlock()
	if perr != nil {
		return perr
	}
	for i, p := range parts[:len(parts)-1] {
		if int64(len(p.data)) < s.minPart {
			return newError("EntityTooSmall", "").
				with("ProposedSize", strconv.Itoa(len(p.data))).
				with("MinSizeAllowed", strconv.FormatInt(s.minPart, 10)).
				with("PartNumber", itoa(req.Parts[i].PartNumber)).
				with("ETag", p.etag)
		}
	}

	// Assemble the object outside the lock.
	var total int64
	for _, p := range parts {
		total += int64(len(p.data))
	}
	if v := rc.r.Header.Get("X-Amz-Mp-Object-Size"); v != "" && v != strconv.FormatInt(total, 10) {
		return newError("InvalidRequest", "The provided 'x-amz-mp-object-size' header value "+v+" does not match what was computed: "+strconv.FormatInt(total, 10))
	}
	data := make([]byte, 0, total)
	md5s := md5.New()
	infos := make([]partInfo, len(parts))
	sums := make([]string, len(parts))
	for i, p := range parts {
		data = append(data, p.data...)
		md5s.Write(p.md5)
		infos[i] = partInfo{size: int64(len(p.data)), checksum: p.checksum}
		sums[i] = p.checksum
	}
	etag := `"` + hexString(md5s.Sum(nil)) + "-" + itoa(len(parts)) + `"`
	var sum checksumInfo
	switch {
	case alg == "":
		a := lookupChecksumAlg(algCRC64NVME)
		sum = checksumInfo{alg: a.name, value: checksumOf(a, data), typ: checksumFullObject}
	case typ == checksumFullObject:
		a := lookupChecksumAlg(alg)
		if v := checksumOf(a, data); v != "" {
			sum = checksumInfo{alg: a.name, value: v, typ: checksumFullObject}
		}
	default:
		if v, ok := compositeChecksum(lookupChecksumAlg(alg), sums); ok {
			sum = checksumInfo{alg: alg, value: v, typ: checksumComposite}
		}
	}
	if sum.alg != "" {
		if v := rc.r.Header.Get(checksumHeader(sum.alg)); v != "" && v != sum.value && v+"-"+itoa(len(parts)) != sum.value {
			return newError("BadDigest", "The "+sum.alg+" you specified did not match the calculated checksum.")
		}
	}
	o := &object{key: rc.key, data: data, etag: etag, meta: meta, checksum: sum, parts: infos}

	s.mu.Lock()
	if err := s.liveBucket(b); err != nil {
		s.mu.Unlock()
		return err
	}
	if b.uploads[u.id] != u {
		s.mu.Unlock()
		return noSuchUpload(u.id)
	}
	if err := cond.check(b.objects[rc.key]); err != nil {
		s.mu.Unlock()
		return err
	}
	o.modified = s.now()
	b.put(o)
	delete(b.uploads, u.id)
	s.mu.Unlock()

	res := completeMultipartUploadResult{
		NS:       s3NS,
		Location: location(rc),
		Bucket:   b.name,
		Key:      rc.key,
		ETag:     etag,
	}
	if sum.alg != "" {
		res.set(sum.alg, sum.value)
		res.ChecksumType = sum.typ
	}
	meta.writeSSE(rc.w.Header())
	return rc.writeXML(res)
}

// location returns the URL of rc's object.
func location(rc *reqCtx) string {
	scheme := "http"
	if rc.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + rc.r.Host + rc.r.URL.EscapedPath()
}

func hexString(b []byte) string {
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
	return string(out)
}

func (s *Server) abortMultipartUpload(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	u, err := findUpload(b, rc)
	if err == nil {
		delete(b.uploads, u.id)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return rc.writeStatus(http.StatusNoContent)
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	NS                 string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string         `xml:"Prefix,omitempty"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadEntry struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

// sortedUploads returns the uploads of b ordered by key, then initiation
// time, then ID; the caller holds s.mu.
func sortedUploads(b *bucket) []*upload {
	us := make([]*upload, 0, len(b.uploads))
	for _, u := range b.uploads {
		us = append(us, u)
	}
	sort.Slice(us, func(i, j int) bool {
		a, c := us[i], us[j]
		if a.key != c.key {
			return a.key < c.key
		}
		if !a.initiated.Equal(c.initiated) {
			return a.initiated.Before(c.initiated)
		}
		return a.id < c.id
	})
	return us
}

func (s *Server) listMultipartUploads(rc *reqCtx) *Error {
	b, err := s.bucketFor(rc)
	if err != nil {
		return err
	}
	q := rc.q
	enc := q.Get("encoding-type")
	encode, err := encoder(enc)
	if err != nil {
		return err
	}
	max, err := parseMax(q.Get("max-uploads"), "max-uploads")
	if err != nil {
		return err
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	if keyMarker == "" {
		idMarker = ""
	}
	res := listMultipartUploadsResult{
		NS: s3NS, Bucket: b.name, KeyMarker: encode(keyMarker), UploadIDMarker: idMarker,
		Prefix: encode(prefix), Delimiter: encode(delim), EncodingType: enc, MaxUploads: max,
	}
	s.mu.RLock()
	us := sortedUploads(b)
	s.mu.RUnlock()

	// Skip up to the markers.
	start := 0
	if keyMarker != "" {
		start = len(us)
		for i, u := range us {
			if u.key > keyMarker {
				start = i
				break
			}
			if u.key == keyMarker && idMarker != "" && u.id == idMarker {
				start = i + 1
				break
			}
		}
	}
	lastPrefix := ""
	count := 0
	for i := start; i < len(us); i++ {
		u := us[i]
		if !strings.HasPrefix(u.key, prefix) {
			continue
		}
		if delim != "" {
			if j := strings.Index(u.key[len(prefix):], delim); j >= 0 {
				cp := u.key[:len(prefix)+j+len(delim)]
				if cp == lastPrefix || cp <= keyMarker {
					continue
				}
				if count == max {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: encode(cp)})
				lastPrefix = cp
				res.NextKeyMarker, res.NextUploadIDMarker = encode(cp), ""
				count++
				continue
			}
		}
		if count == max {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadEntry{
			Key: encode(u.key), UploadID: u.id, Initiator: theOwner, Owner: theOwner,
			StorageClass: u.meta.storageClass, Initiated: xmlTime(u.initiated),
			ChecksumAlgorithm: u.alg, ChecksumType: u.typ,
		})
		res.NextKeyMarker, res.NextUploadIDMarker = encode(u.key), u.id
		count++
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return rc.writeXML(res)
}
