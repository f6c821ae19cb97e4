package s3local

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// The listings of multipart uploads: ListMultipartUploads, the open
// uploads of a bucket, and ListParts, the parts of one.

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

// listMultipartUploads serves ListMultipartUploads: the uploads by key,
// then initiation, after key-marker (and upload-id-marker), rolled up to
// common prefixes at the delimiter.
func (s *Server) listMultipartUploads(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	q := rc.q
	p, err := parseListParams(q, "max-uploads")
	if err != nil {
		return err
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	if keyMarker == "" {
		idMarker = ""
	}
	us, serr := s.idx.uploadList(rc.bucket, false)
	if serr != nil {
		return s.storeError(rc, serr)
	}
	res := listMultipartUploadsResult{
		NS: s3NS, Bucket: rc.bucket, KeyMarker: p.encode(keyMarker), UploadIDMarker: idMarker,
		Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter), EncodingType: p.encoding, MaxUploads: p.max,
	}
	p.marker = keyMarker
	res.IsTruncated = rollUp(uploadsAfter(us, keyMarker, idMarker), p, func(u *UploadInfo, prefix string) {
		if prefix != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: p.encode(prefix)})
			res.NextKeyMarker, res.NextUploadIDMarker = p.encode(prefix), ""
			return
		}
		res.Uploads = append(res.Uploads, uploadEntry{
			Key: p.encode(u.Key), UploadID: u.ID, Initiator: theOwner, Owner: theOwner,
			StorageClass: u.StorageClass, Initiated: xmlTime(u.Initiated),
			ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
		})
		res.NextKeyMarker, res.NextUploadIDMarker = p.encode(u.Key), u.ID
	})
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return rc.writeXML(res)
}

// uploadsAfter returns the uploads that follow the markers: after key, or
// after the upload id of key.
func uploadsAfter(us []UploadInfo, key, id string) []UploadInfo {
	if key == "" {
		return us
	}
	for i, u := range us {
		if u.Key > key {
			return us[i:]
		}
		if u.Key == key && id != "" && u.ID == id {
			return us[i+1:]
		}
	}
	return nil
}

// rollUp calls emit with the uploads of us under p.prefix, or, once, with
// the common prefix at p.delimiter that an upload's key falls under (and
// that does not sort before p.marker), at most p.max times, and reports
// whether more remain.
func rollUp(us []UploadInfo, p listParams, emit func(u *UploadInfo, prefix string)) bool {
	last, count := "", 0
	for i := range us {
		u := &us[i]
		if !strings.HasPrefix(u.Key, p.prefix) {
			continue
		}
		prefix := ""
		if j := strings.Index(u.Key[len(p.prefix):], p.delimiter); p.delimiter != "" && j >= 0 {
			prefix = u.Key[:len(p.prefix)+j+len(p.delimiter)]
			if prefix == last || prefix <= p.marker {
				continue
			}
		}
		if count == p.max {
			return true
		}
		emit(u, prefix)
		last = prefix
		count++
	}
	return false
}

type listPartsResult struct {
	XMLName              xml.Name    `xml:"ListPartsResult"`
	NS                   string      `xml:"xmlns,attr"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker,omitempty"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	Parts                []partEntry `xml:"Part"`
	Initiator            owner       `xml:"Initiator"`
	Owner                owner       `xml:"Owner"`
	StorageClass         string      `xml:"StorageClass"`
	ChecksumAlgorithm    string      `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string      `xml:"ChecksumType,omitempty"`
}

type partEntry struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	resultChecksums
}

// maxParts is the largest page of ListParts.
const maxParts = 1000

// listParts serves ListParts: the parts of an upload by number, after
// part-number-marker, max-parts at a time (1000 at most); each page gives
// the last part it lists as NextPartNumberMarker.
func (s *Server) listParts(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	q := rc.q
	limit, err := parseLimit(q.Get("max-parts"), "max-parts", maxParts)
	if err != nil {
		return newError("InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647").
			with("ArgumentName", "max-parts").with("ArgumentValue", q.Get("max-parts"))
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		n, aerr := strconv.Atoi(v)
		if aerr != nil || n < 0 {
			return newError("InvalidArgument", "Argument partNumberMarker must be an integer.").
				with("ArgumentName", "part-number-marker").with("ArgumentValue", v)
		}
		marker = n
	}
	u, err := s.findUploadParts(rc)
	if err != nil {
		return err
	}
	res := listPartsResult{NS: s3NS, Bucket: rc.bucket, Key: rc.key, UploadID: u.ID, PartNumberMarker: marker,
		MaxParts: limit, Initiator: theOwner, Owner: theOwner, StorageClass: u.StorageClass,
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType}
	for _, p := range u.Parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == limit {
			res.IsTruncated = true
			break
		}
		e := partEntry{PartNumber: p.Number, LastModified: xmlTime(p.LastModified), ETag: p.ETag, Size: p.Size}
		e.set(p.ChecksumAlgorithm, p.Checksum)
		res.Parts = append(res.Parts, e)
		res.NextPartNumberMarker = p.Number
	}
	return rc.writeXML(res)
}
