package storage

// The checksums of writes: the algorithms S3 offers, the sums computed in
// the pass that reads a body, and the combination of part CRCs into the
// CRC of a whole object (what S3 itself does for a FULL_OBJECT multipart
// checksum).

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
)

// algorithm is a checksum algorithm of S3's, or none.
type algorithm uint8

const (
	algNone algorithm = iota
	algCRC32
	algCRC32C
	algCRC64NVME
	algSHA1
	algSHA256
)

// Checksum algorithms, as checksum_algorithm and Info.ChecksumAlgorithm
// spell them.
const (
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumCRC32     = "CRC32"
	ChecksumCRC32C    = "CRC32C"
	ChecksumSHA1      = "SHA1"
	ChecksumSHA256    = "SHA256"
	ChecksumNone      = "none"
)

var algNames = [...]string{algNone: ChecksumNone, algCRC32: ChecksumCRC32, algCRC32C: ChecksumCRC32C,
	algCRC64NVME: ChecksumCRC64NVME, algSHA1: ChecksumSHA1, algSHA256: ChecksumSHA256}

// parseAlgorithm reads a checksum_algorithm value, in any case.
func parseAlgorithm(v string) (algorithm, error) {
	for a, name := range algNames {
		if strings.EqualFold(v, name) {
			return algorithm(a), nil
		}
	}
	return algNone, fmt.Errorf("must be one of CRC64NVME, CRC32, CRC32C, SHA1, SHA256 or none, got %q", v)
}

func (a algorithm) String() string { return algNames[a] }

// sdk is the algorithm as the SDK's inputs name it; "" for none.
func (a algorithm) sdk() types.ChecksumAlgorithm {
	if a == algNone {
		return ""
	}
	return types.ChecksumAlgorithm(a.String())
}

// crc reports whether the algorithm is a CRC, whose part checksums S3
// combines into a FULL_OBJECT checksum of a multipart object. SHA1 and
// SHA256 have no full-object multipart type: S3 gives such an object a
// COMPOSITE checksum, a checksum of the part checksums.
func (a algorithm) crc() bool { return a == algCRC32 || a == algCRC32C || a == algCRC64NVME }

// multipartType is the checksum type of a multipart upload.
func (a algorithm) multipartType() types.ChecksumType {
	switch {
	case a.crc():
		return types.ChecksumTypeFullObject
	case a != algNone:
		return types.ChecksumTypeComposite
	}
	return ""
}

// size is the size of a digest in bytes.
func (a algorithm) size() int {
	return [...]int{algNone: 0, algCRC32: 4, algCRC32C: 4, algCRC64NVME: 8, algSHA1: 20, algSHA256: 32}[a]
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sum is a running checksum of one algorithm over n bytes. The zero sum
// of an algorithm is its sum of no bytes.
type sum struct {
	alg algorithm
	crc uint64    // the CRCs
	h   hash.Hash // SHA1, SHA256; nil until the first write
	n   int64
}

func newSum(a algorithm) sum { return sum{alg: a} }

func (s *sum) write(p []byte) {
	s.n += int64(len(p))
	switch s.alg {
	case algCRC32:
		s.crc = uint64(crc32.Update(uint32(s.crc), crc32.IEEETable, p))
	case algCRC32C:
		s.crc = uint64(crc32.Update(uint32(s.crc), castagnoli, p))
	case algCRC64NVME:
		s.crc = crc64nvme.Update(s.crc, p)
	case algSHA1, algSHA256:
		if s.h == nil {
			s.h = newHash(s.alg)
		}
		s.h.Write(p)
	}
}

func newHash(a algorithm) hash.Hash {
	if a == algSHA1 {
		return sha1.New()
	}
	return sha256.New()
}

// digest is the raw checksum: a CRC big-endian, as S3 encodes it.
func (s *sum) digest() []byte {
	switch {
	case s.alg == algNone:
		return nil
	case s.alg.crc():
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], s.crc)
		return b[8-s.alg.size():]
	case s.h == nil:
		return newHash(s.alg).Sum(nil)
	}
	return s.h.Sum(nil)
}

// value is the checksum as S3's headers carry it: base64.
func (s *sum) value() string {
	if s.alg == algNone {
		return ""
	}
	return base64.StdEncoding.EncodeToString(s.digest())
}

// then appends the sum of the bytes that follow the bytes of s: the CRC
// of both, computed from the two CRCs (zlib's crc32_combine). Only CRCs
// combine; then panics on another algorithm.
func (s sum) then(next sum) sum {
	if !s.alg.crc() || next.alg != s.alg {
		panic("storage: only CRCs of one algorithm combine")
	}
	s.crc = crcCombine(crcPolys[s.alg], s.alg.size()*8, s.crc, next.crc, next.n)
	s.n += next.n
	return s
}

// crcPolys are the reflected polynomials of the CRCs.
var crcPolys = map[algorithm]uint64{algCRC32: 0xedb88320, algCRC32C: 0x82f63b78, algCRC64NVME: crc64nvme.NVME}

// crcCombine returns the CRC of A followed by B from crc1 = CRC(A), crc2 =
// CRC(B) and len2 = len(B), for a reflected CRC of width bits whose
// initial value and final XOR are all ones (CRC-32, CRC-32C,
// CRC-64/NVME): crc1 is shifted through len2 zero bytes with the
// operator squared for each bit of len2, as zlib does.
func crcCombine(poly uint64, width int, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [64]uint64 // operators for 2^k zero bits
	odd[0] = poly
	for n, row := 1, uint64(1); n < width; n, row = n+1, row<<1 {
		odd[n] = row
	}
	gf2Square(even[:width], odd[:width]) // 2 zero bits
	gf2Square(odd[:width], even[:width]) // 4 zero bits
	for {
		gf2Square(even[:width], odd[:width]) // the first time: 8 bits, one zero byte
		if len2&1 != 0 {
			crc1 = gf2Times(even[:width], crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(odd[:width], even[:width])
		if len2&1 != 0 {
			crc1 = gf2Times(odd[:width], crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var s uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			s ^= mat[i]
		}
	}
	return s
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
