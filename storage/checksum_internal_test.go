package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	mrand "math/rand/v2"
	"testing"
)

// reference computes a checksum with the standard library, independently
// of sum (which uses minio/crc64nvme for CRC-64/NVME).
func reference(a algorithm, p []byte) []byte {
	var b [8]byte
	switch a {
	case algCRC32:
		binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE(p))
		return b[:4]
	case algCRC32C:
		binary.BigEndian.PutUint32(b[:], crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
		return b[:4]
	case algCRC64NVME:
		binary.BigEndian.PutUint64(b[:], crc64.Checksum(p, crc64.MakeTable(0x9a6c9329ac4bc9b5)))
		return b[:]
	}
	h := sha256.Sum256(p)
	return h[:]
}

// TestSumsAndCombine: each CRC written in pieces equals the standard
// library's CRC of the whole, and so do the CRCs of the pieces combined
// (what a FULL_OBJECT checksum of a multipart upload is), for empty and
// odd-sized pieces too.
func TestSumsAndCombine(t *testing.T) {
	data := make([]byte, 3<<20+7)
	rand.Read(data)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, a := range []algorithm{algCRC32, algCRC32C, algCRC64NVME} {
		for range 20 {
			cuts := []int{0, rng.IntN(len(data) + 1), rng.IntN(len(data) + 1), len(data)}
			if cuts[1] > cuts[2] {
				cuts[1], cuts[2] = cuts[2], cuts[1]
			}
			whole, combined := newSum(a), newSum(a)
			for i := range 3 {
				piece := data[cuts[i]:cuts[i+1]]
				whole.write(piece)
				p := newSum(a)
				p.write(piece)
				combined = combined.then(p)
			}
			want := reference(a, data)
			if string(whole.digest()) != string(want) || string(combined.digest()) != string(want) {
				t.Fatalf("%v over %v: written %x, combined %x, want %x", a, cuts, whole.digest(), combined.digest(), want)
			}
			if combined.n != int64(len(data)) {
				t.Fatalf("%v: combined length %d, want %d", a, combined.n, len(data))
			}
		}
		e := newSum(a)
		if got, want := e.digest(), reference(a, nil); string(got) != string(want) {
			t.Errorf("%v of nothing = %x, want %x", a, got, want)
		}
	}
	s := newSum(algSHA256)
	if got, want := s.digest(), reference(algSHA256, nil); string(got) != string(want) {
		t.Errorf("SHA256 of nothing = %x, want %x", got, want)
	}
}

func TestParseAlgorithm(t *testing.T) {
	for in, want := range map[string]algorithm{"crc64nvme": algCRC64NVME, "CRC32": algCRC32, "Crc32c": algCRC32C, "sha1": algSHA1, "SHA256": algSHA256, "NONE": algNone} {
		if got, err := parseAlgorithm(in); err != nil || got != want {
			t.Errorf("parseAlgorithm(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "md5", "CRC64", "sha-256"} {
		if _, err := parseAlgorithm(in); err == nil {
			t.Errorf("parseAlgorithm(%q) accepted", in)
		}
	}
}
