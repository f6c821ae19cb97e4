package storage_test

import (
	"crypto/sha256"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"testing"

	minio "github.com/minio/crc64nvme"
)

// BenchmarkChecksum measures, per byte, the hashes a Put may compute in
// its one pass over the body: CRC-64/NVME as s3kit computes it
// (github.com/minio/crc64nvme) and as the SDK would (hash/crc64 with the
// NVME polynomial, what its checksum middleware uses), CRC-32C and
// SHA-256. bench/run prints the MB/s of each.
func BenchmarkChecksum(b *testing.B) {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for _, c := range []struct {
		name string
		h    func() hash.Hash
	}{
		{"crc64nvme-s3kit", func() hash.Hash { return minio.New() }},
		{"crc64nvme-sdk", func() hash.Hash { return crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5)) }},
		{"crc32c", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
		{"sha256", sha256.New},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.h()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				h.Write(buf)
			}
		})
	}
}
