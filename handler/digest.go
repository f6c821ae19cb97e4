package handler

// The digests a client sends (RFC 9530): a Content-Digest or Repr-Digest
// of the whole request, and one per file (a form field or a part header),
// each checked before what it covers counts.

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
)

// DigestFieldSuffix ends the name of the form field that carries the
// digest of the files of a file field: "avatar.digest" for the field
// "avatar". See # Digests in the package documentation.
const DigestFieldSuffix = ".digest"

var (
	errDigestMismatch = newError(http.StatusBadRequest, CodeDigestMismatch, "the content does not match its digest")
	errFileDigest     = newError(http.StatusBadRequest, CodeDigestMismatch, "a file does not match its digest")
	errDigestSyntax   = newError(http.StatusBadRequest, CodeInvalidDigest, "a digest is not an RFC 9530 sha-256 digest (sha-256=:base64:) or 64 hex digits")
	errDigestAlg      = newError(http.StatusBadRequest, CodeInvalidDigest, "no digest algorithm the server checks (sha-256, sha-512 for the request; sha-256 for a file)")
	errDigestOrphan   = newError(http.StatusBadRequest, CodeInvalidDigest, "a digest field has no file after it: send each digest field before its file")
)

// wantDigest is the Want-Content-Digest and Want-Repr-Digest of an answer
// to a digest the handler cannot check.
const wantDigest = "sha-256=10, sha-512=3"

// parseDictionary reads an RFC 9530 digest field (an RFC 8941 dictionary
// of byte sequences: `sha-256=:base64:, sha-512=:base64:`), lower-casing
// the keys and ignoring parameters. Later members replace earlier ones.
func parseDictionary(v string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, member := range strings.Split(v, ",") {
		member = strings.TrimSpace(member)
		if member == "" {
			return nil, errDigestSyntax
		}
		key, val, ok := strings.Cut(member, "=")
		val, _, _ = strings.Cut(val, ";") // parameters
		if !ok || !validKey(key) || len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			return nil, errDigestSyntax
		}
		b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
		if err != nil {
			return nil, errDigestSyntax
		}
		out[key] = b
	}
	return out, nil
}

// validKey reports whether k is an RFC 8941 key: lower case letters,
// digits, "_", "-", "." and "*", starting with a letter or "*".
func validKey(k string) bool {
	for i, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c == '*':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return k != ""
}

// fileDigest reads the digest of a file: an RFC 9530 dictionary with a
// sha-256 member, or the 64 hex digits sha256sum prints.
func fileDigest(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if len(v) == 2*sha256.Size && !strings.ContainsAny(v, "=:") {
		b, err := hex.DecodeString(v)
		if err != nil {
			return nil, errDigestSyntax
		}
		return b, nil
	}
	d, err := parseDictionary(v)
	if err != nil {
		return nil, err
	}
	b, ok := d["sha-256"]
	switch {
	case !ok:
		return nil, errDigestAlg
	case len(b) != sha256.Size:
		return nil, errDigestSyntax
	}
	return b, nil
}

// partDigest is the sha-256 of a part's own Content-Digest or
// Repr-Digest header, if it has one; they must agree.
func partDigest(p *multipart.Part) ([]byte, error) {
	var sum []byte
	for _, h := range []string{"Content-Digest", "Repr-Digest"} {
		v := p.Header.Get(h)
		if v == "" {
			continue
		}
		b, err := fileDigest(v)
		if err != nil {
			return nil, err
		}
		if sum != nil && !bytes.Equal(sum, b) {
			return nil, errFileDigest
		}
		sum = b
	}
	return sum, nil
}

// requestDigest checks the digests of a request's body as it is read.
// The body is sent without content coding, so its Content-Digest and its
// Repr-Digest cover the same bytes: both are checked.
type requestDigest struct {
	sums []digestSum
	done bool
}

type digestSum struct {
	h    hash.Hash
	want []byte
}

// newRequestDigest reads the Content-Digest and Repr-Digest of r; nil
// when it has neither.
func newRequestDigest(r *http.Request) (*requestDigest, error) {
	d := &requestDigest{}
	seen := false
	for _, name := range []string{"Content-Digest", "Repr-Digest"} {
		vs := r.Header.Values(name)
		if len(vs) == 0 {
			continue
		}
		seen = true
		members, err := parseDictionary(strings.Join(vs, ","))
		if err != nil {
			return nil, err
		}
		for alg, want := range members {
			switch {
			case alg == "sha-256" && len(want) == sha256.Size:
				d.sums = append(d.sums, digestSum{sha256.New(), want})
			case alg == "sha-512" && len(want) == sha512.Size:
				d.sums = append(d.sums, digestSum{sha512.New(), want})
			case alg == "sha-256" || alg == "sha-512":
				return nil, errDigestSyntax
			}
		}
	}
	switch {
	case !seen:
		return nil, nil
	case len(d.sums) == 0:
		return nil, errDigestAlg
	}
	return d, nil
}

func (d *requestDigest) write(p []byte) {
	for _, s := range d.sums {
		s.h.Write(p)
	}
}

// verify reads the rest of the body (its epilogue) and checks the
// digests, once.
func (d *requestDigest) verify(rest io.Reader) error {
	if d == nil || d.done {
		return nil
	}
	if _, err := io.Copy(io.Discard, rest); err != nil {
		return partError(err)
	}
	d.done = true
	for _, s := range d.sums {
		if !bytes.Equal(s.h.Sum(nil), s.want) {
			return errDigestMismatch
		}
	}
	return nil
}
