package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The checksum probes: each algorithm S3 offers on a PUT, and as the
// full-object checksum of a multipart upload. Each sends the value it
// computed itself (so the SDK adds no checksum of its own), then a wrong
// one, which the service must refuse.

// crc64NVME is CRC-64/NVME in hash/crc64's reversed form.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksum returns the base64 checksum alg of b.
func checksum(alg string, b []byte) string {
	var h hash.Hash
	switch alg {
	case "CRC32":
		h = crc32.NewIEEE()
	case "CRC32C":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		h = crc64.New(crc64NVME)
	case "SHA1":
		h = sha1.New()
	default:
		h = sha256.New()
	}
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// checksumFields points at the fields of one algorithm in the SDK's
// inputs, which have a field per algorithm.
type checksumFields struct {
	crc32, crc32c, crc64nvme, sha1, sha256 **string
}

func (f checksumFields) set(alg, v string) {
	p := map[string]**string{"CRC32": f.crc32, "CRC32C": f.crc32c, "CRC64NVME": f.crc64nvme, "SHA1": f.sha1, "SHA256": f.sha256}[alg]
	if p != nil {
		*p = aws.String(v)
	}
}

func putChecksum(in *s3.PutObjectInput) checksumFields {
	return checksumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

func partChecksum(in *s3.UploadPartInput) checksumFields {
	return checksumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

func completeChecksum(in *s3.CompleteMultipartUploadInput) checksumFields {
	return checksumFields{&in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256}
}

// probeChecksum probes a PUT carrying the checksum alg.
func probeChecksum(alg string) func(context.Context, *doctor) Result {
	return func(ctx context.Context, d *doctor) Result {
		name := "checksum-" + strings.ToLower(alg)
		body := []byte("s3kit doctor: checksum " + alg + "\n")
		_, err := d.put(ctx, name, body, func(in *s3.PutObjectInput) { putChecksum(in).set(alg, checksum(alg, body)) })
		if err != nil {
			return refusal(err, "a PUT with its "+alg)
		}
		other := checksum(alg, []byte("other bytes"))
		_, err = d.put(ctx, name, body, func(in *s3.PutObjectInput) { putChecksum(in).set(alg, other) })
		if err == nil {
			return Result{Verdict: wrong, Detail: "a PUT whose " + alg + " does not match its body was stored: the service does not verify " +
				"checksums, so a body corrupted on its way would be kept"}
		}
		return Result{Verdict: supported}
	}
}

// probeFullObject probes a multipart upload with a FULL_OBJECT checksum
// alg, as Put sends large bodies with it.
func probeFullObject(alg string) func(context.Context, *doctor) Result {
	return func(ctx context.Context, d *doctor) Result {
		name := "full-object-" + strings.ToLower(alg)
		body := []byte("s3kit doctor: full-object " + alg + "\n")
		upload := func(objectSum string) error {
			return d.multipart(ctx, name, body,
				func(in *s3.CreateMultipartUploadInput) {
					in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithm(alg), types.ChecksumTypeFullObject
				},
				func(in *s3.CompleteMultipartUploadInput) {
					in.ChecksumType = types.ChecksumTypeFullObject
					completeChecksum(in).set(alg, objectSum)
				},
				func(in *s3.UploadPartInput) { partChecksum(in).set(alg, checksum(alg, body)) })
		}
		if err := upload(checksum(alg, body)); err != nil {
			return refusal(err, "a multipart upload with a full-object "+alg)
		}
		if err := upload(checksum(alg, []byte("other bytes"))); err == nil {
			return Result{Verdict: wrong, Detail: "a multipart upload whose full-object " + alg + " does not match was completed: " +
				"the service does not verify it"}
		}
		return Result{Verdict: supported}
	}
}
