package s3local

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"
)

// unsupportedChecksumAlg is the answer to a checksum algorithm S3 does
// not know.
func unsupportedChecksumAlg() *Error {
	return newError("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
}

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xAD93D23594C93659 in the
// reversed (LSB-first) form that hash/crc64 expects. hash/crc64 already uses
// an all-ones initial value and final XOR, so MakeTable with this polynomial
// yields exactly CRC-64/NVME (check value of "123456789": 0xAE8B14860A799888).
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)
)

// Checksum algorithm names, as S3 spells them.
const (
	algCRC32     = "CRC32"
	algCRC32C    = "CRC32C"
	algCRC64NVME = "CRC64NVME"
	algSHA1      = "SHA1"
	algSHA256    = "SHA256"
	algSHA512    = "SHA512"
	algMD5       = "MD5"
	algXXHASH64  = "XXHASH64"
	algXXHASH3   = "XXHASH3"
	algXXHASH128 = "XXHASH128"
)

// Checksum types of an object's checksum.
const (
	checksumFullObject = "FULL_OBJECT"
	checksumComposite  = "COMPOSITE"
)

// checksumAlg describes one x-amz-checksum-* algorithm.
type checksumAlg struct {
	name string
	size int              // digest size in bytes
	new  func() hash.Hash // nil when the algorithm is accepted but not verified
	// fullObject and composite tell which multipart checksum types S3
	// allows for the algorithm.
	fullObject, composite bool
}

var checksumAlgs = []checksumAlg{
	{algCRC32, 4, func() hash.Hash { return crc32.NewIEEE() }, true, true},
	{algCRC32C, 4, func() hash.Hash { return crc32.New(crc32cTable) }, true, true},
	{algCRC64NVME, 8, func() hash.Hash { return crc64.New(crc64NVMETable) }, true, false},
	{algSHA1, 20, sha1.New, false, true},
	{algSHA256, 32, sha256.New, false, true},
	{algSHA512, 64, sha512.New, false, true},
	{algMD5, 16, md5.New, false, true},
	{algXXHASH64, 8, nil, false, false},
	{algXXHASH3, 8, nil, false, false},
	{algXXHASH128, 16, nil, false, false},
}

// lookupChecksumAlg returns the algorithm named name (any case).
func lookupChecksumAlg(name string) *checksumAlg {
	for i := range checksumAlgs {
		if strings.EqualFold(checksumAlgs[i].name, name) {
			return &checksumAlgs[i]
		}
	}
	return nil
}

// checksumHeader returns the x-amz-checksum-* header name of an algorithm.
func checksumHeader(alg string) string {
	return "x-amz-checksum-" + strings.ToLower(alg)
}

// algFromChecksumHeader returns the algorithm of an x-amz-checksum-* header
// name, or nil.
func algFromChecksumHeader(name string) *checksumAlg {
	rest, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
	if !ok {
		return nil
	}
	return lookupChecksumAlg(rest)
}

// validChecksumValue reports whether v is the base64 form of a digest of the
// algorithm's size.
func (a *checksumAlg) validValue(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == a.size
}

// checksumOf returns the base64 checksum of data, or "" when the algorithm
// cannot be computed here.
func checksumOf(alg *checksumAlg, data []byte) string {
	if alg == nil || alg.new == nil {
		return ""
	}
	h := alg.new()
	h.Write(data)
	return b64(h.Sum(nil))
}

// b64 returns the standard base64 form of a digest.
func b64(sum []byte) string {
	return base64.StdEncoding.EncodeToString(sum)
}

// compositeChecksum returns the checksum of the concatenated raw part
// checksums followed by "-N", as S3 computes COMPOSITE checksums; ok is false
// when a part lacks a valid checksum or the algorithm cannot be computed.
func compositeChecksum(alg *checksumAlg, parts []string) (string, bool) {
	if alg == nil || alg.new == nil {
		return "", false
	}
	h := alg.new()
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(raw) != alg.size {
			return "", false
		}
		h.Write(raw)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + itoa(len(parts)), true
}
