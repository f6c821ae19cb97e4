package s3local

import (
	"encoding/base64"
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
)

// maxListKeys is the largest page S3 returns.
const maxListKeys = 1000

type listBucketResult struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	NS                    string   `xml:"xmlns,attr"`
	Name                  string   `xml:"Name"`
	Prefix                string   `xml:"Prefix"`
	ContinuationToken     string   `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string   `xml:"NextContinuationToken,omitempty"`
	KeyCount              int      `xml:"KeyCount"`
	StartAfter            string   `xml:"StartAfter,omitempty"`

	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

type listEntry struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	Owner             *owner `xml:"Owner,omitempty"`
	StorageClass      string `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listParams are the common parameters of the List operations.
type listParams struct {
	prefix, delimiter, marker string
	max                       int
	encoding                  string              // "" or "url"
	encode                    func(string) string // how names are written
}

// parseListParams reads prefix, delimiter, encoding-type and the page
// size, named maxName.
func parseListParams(q url.Values, maxName string) (listParams, *Error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), encoding: q.Get("encoding-type")}
	var err *Error
	if p.encode, err = encoder(p.encoding); err != nil {
		return p, err
	}
	if p.max, err = parseLimit(q.Get(maxName), maxName, maxListKeys); err != nil {
		return p, newError("InvalidArgument", "Provided "+maxName+" not an integer or within integer range").
			with("ArgumentName", maxName).with("ArgumentValue", q.Get(maxName))
	}
	return p, nil
}

// parseLimit parses a page size: limit when empty, at most limit.
func parseLimit(v, name string, limit int) (int, *Error) {
	if v == "" {
		return limit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, newError("InvalidArgument", "Provided "+name+" not an integer or within integer range")
	}
	return min(n, limit), nil
}

// walk lists the objects of bucket after p.marker under p.prefix, rolling
// keys up to common prefixes at p.delimiter. It calls emit for each object
// (info not nil) or common prefix (info nil), at most p.max times, and
// reports whether more entries remain and the last one emitted. After a
// common prefix it lists again from past the prefix's last key, so that a
// large "directory" costs one lookup, not a scan.
func (s *Server) walk(bucket string, p listParams, emit func(name string, info *ObjectInfo)) (truncated bool, last string, err error) {
	if p.max == 0 {
		return false, "", nil
	}
	after, count := p.marker, 0
	for {
		skip := "" // a common prefix met: list again past it
		err := s.idx.list(bucket, p.prefix, after, func(o ObjectInfo) bool {
			name, info := o.Key, &o
			if p.delimiter != "" {
				if j := strings.Index(o.Key[len(p.prefix):], p.delimiter); j >= 0 {
					name, info, skip = o.Key[:len(p.prefix)+j+len(p.delimiter)], nil, o.Key[:len(p.prefix)+j+len(p.delimiter)]
					if name <= p.marker {
						return false // a group the previous page ended in
					}
				}
			}
			if count == p.max {
				truncated = true
				return false
			}
			emit(name, info)
			count++
			last = name
			return info != nil
		})
		if err != nil || truncated || skip == "" {
			return truncated, last, err
		}
		// Keys are valid UTF-8, where no byte is 0xff: past every key that
		// starts with skip.
		after = skip + "\xff"
	}
}

// page is one page of an object listing, whichever its version.
type page struct {
	contents  []listEntry
	prefixes  []commonPrefix
	truncated bool
	last      string // the last key or common prefix listed
}

// listPage lists a page of rc's bucket; owner asks for the owner of each
// object.
func (s *Server) listPage(rc *reqCtx, p listParams, owner bool) (page, *Error) {
	var pg page
	var err error
	pg.truncated, pg.last, err = s.walk(rc.bucket, p, func(name string, o *ObjectInfo) {
		if o == nil {
			pg.prefixes = append(pg.prefixes, commonPrefix{Prefix: p.encode(name)})
			return
		}
		e := listEntry{Key: p.encode(name), LastModified: xmlTime(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: o.StorageClass}
		if o.Checksum.Algorithm != "" {
			e.ChecksumAlgorithm, e.ChecksumType = o.Checksum.Algorithm, o.Checksum.Type
		}
		if owner {
			e.Owner = &theOwner
		}
		pg.contents = append(pg.contents, e)
	})
	if err != nil {
		return pg, s.storeError(rc, err)
	}
	return pg, nil
}

// listObjectsV2 serves ListObjectsV2.
func (s *Server) listObjectsV2(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	q := rc.q
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return err
	}
	res := listBucketResult{NS: s3NS, Name: rc.bucket, Prefix: p.encode(p.prefix), MaxKeys: p.max,
		Delimiter: p.encode(p.delimiter), EncodingType: p.encoding, StartAfter: p.encode(q.Get("start-after"))}
	p.marker = q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		m, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(m) == 0 {
			return newError("InvalidArgument", "The continuation token provided is incorrect").
				with("ArgumentName", "continuation-token").with("ArgumentValue", tok)
		}
		p.marker, res.ContinuationToken = string(m), tok
	}
	pg, err := s.listPage(rc, p, q.Get("fetch-owner") == "true")
	if err != nil {
		return err
	}
	res.Contents, res.CommonPrefixes, res.IsTruncated = pg.contents, pg.prefixes, pg.truncated
	res.KeyCount = len(res.Contents) + len(res.CommonPrefixes)
	if pg.truncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(pg.last))
	}
	return rc.writeXML(res)
}

type listObjectsResult struct {
	XMLName        xml.Name       `xml:"ListBucketResult"`
	NS             string         `xml:"xmlns,attr"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// listObjectsV1 serves ListObjects (version 1): pages after marker, each
// object with its owner. NextMarker, the last key or common prefix of a
// truncated page, is given only when a delimiter is, as S3 does: without
// one, clients continue from the last key.
func (s *Server) listObjectsV1(rc *reqCtx) *Error {
	if _, err := s.bucketFor(rc); err != nil {
		return err
	}
	p, err := parseListParams(rc.q, "max-keys")
	if err != nil {
		return err
	}
	p.marker = rc.q.Get("marker")
	pg, err := s.listPage(rc, p, true)
	if err != nil {
		return err
	}
	res := listObjectsResult{NS: s3NS, Name: rc.bucket, Prefix: p.encode(p.prefix), Marker: p.encode(p.marker),
		MaxKeys: p.max, Delimiter: p.encode(p.delimiter), EncodingType: p.encoding, IsTruncated: pg.truncated,
		Contents: pg.contents, CommonPrefixes: pg.prefixes}
	if pg.truncated && p.delimiter != "" {
		res.NextMarker = p.encode(pg.last)
	}
	return rc.writeXML(res)
}

// s3URLEncode encodes a name as S3 does for encoding-type=url: like a URL
// query value (space as '+'), except that '/' and '*' stay as they are.
func s3URLEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '/', c == '*':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// encoder returns how keys are written in a listing: as they are, or
// URL-encoded for encoding-type=url; any other encoding is an error.
func encoder(enc string) (func(string) string, *Error) {
	switch enc {
	case "":
		return func(s string) string { return s }, nil
	case "url":
		return s3URLEncode, nil
	}
	return nil, newError("InvalidArgument", "Invalid Encoding Method specified in Request").
		with("ArgumentName", "encoding-type").with("ArgumentValue", enc)
}
