package s3local

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Feature names an S3 feature that Options.Lacks or Options.Ignores turns
// off, so that the server answers as an S3-compatible service without it
// does: to test what a client does against such a service (storage's
// fallbacks, "s3kit doctor") without an account there. The answers are
// the ones those services give, as their documentation and their users'
// reports show them; each constant says which.
//
// Conditional writes are not a Feature: Options.ConditionalWrites ignores
// them or answers 501.
type Feature string

// The features Options.Lacks can refuse.
const (
	// FeaturePostObject: browser POST uploads (presigned POST policies)
	// answer 501 NotImplemented "Presigned post requests are not yet
	// implemented", as Cloudflare R2 does (piotrkulpinski/openads#14,
	// PostHog/posthog#102187); Backblaze B2's list of supported calls has
	// no POST Object either.
	FeaturePostObject Feature = "post-object"

	// FeaturePresignedURLs: requests authenticated in the query string
	// (presigned URLs, SigV4 or SigV2) answer 501 NotImplemented, as
	// services without presigned URLs do (runpod/docs#329).
	FeaturePresignedURLs Feature = "presigned-urls"

	// FeatureChecksumCRC32 and the four below: a request that names the
	// algorithm — an x-amz-checksum-<alg> header, an x-amz-trailer, or
	// x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm — answers
	// 400 InvalidArgument "Unsupported header 'x-amz-checksum-crc32'
	// received for this API call.", as Backblaze B2 does to the SDKs'
	// default checksums (stonith404/pingvin-share#798, diced/zipline#746,
	// home-assistant/core#143995). FeatureChecksumCRC64NVME alone is a
	// server that predates CRC-64/NVME (MinIO before minio/minio#20855).
	FeatureChecksumCRC32     Feature = "checksum-crc32"
	FeatureChecksumCRC32C    Feature = "checksum-crc32c"
	FeatureChecksumCRC64NVME Feature = "checksum-crc64nvme"
	FeatureChecksumSHA1      Feature = "checksum-sha1"
	FeatureChecksumSHA256    Feature = "checksum-sha256"

	// FeatureChecksumMode: a GET or HEAD with x-amz-checksum-mode answers
	// 400 InvalidArgument "Unsupported header 'x-amz-checksum-mode'
	// received for this API call.", as Backblaze B2 does
	// (diced/zipline#746).
	FeatureChecksumMode Feature = "checksum-mode"

	// FeatureFullObjectCRC32 and the two below: a CreateMultipartUpload
	// asking for a FULL_OBJECT checksum of the algorithm answers 400
	// InvalidRequest "The FULL_OBJECT checksum type cannot be used with the
	// crc32 checksum algorithm.", S3's answer for an algorithm without that
	// type. Cloudflare R2 has FULL_OBJECT for CRC64NVME only (its S3 API
	// compatibility page, "Checksum Types").
	FeatureFullObjectCRC32     Feature = "full-object-crc32"
	FeatureFullObjectCRC32C    Feature = "full-object-crc32c"
	FeatureFullObjectCRC64NVME Feature = "full-object-crc64nvme"

	// FeatureListObjectsV1: ListObjects (version 1) answers 501
	// NotImplemented.
	FeatureListObjectsV1 Feature = "list-objects-v1"

	// FeatureListParts: ListParts answers 501 NotImplemented.
	FeatureListParts Feature = "list-parts"

	// FeatureCopyObject: CopyObject and UploadPartCopy answer 501
	// NotImplemented.
	FeatureCopyObject Feature = "copy-object"

	// FeatureACL: a write with an x-amz-acl other than "private" answers
	// 501 NotImplemented "Header 'x-amz-acl' with value 'public-read' not
	// implemented", as Cloudflare R2 does (pixelfed/pixelfed#3775,
	// Chocobozzz/PeerTube#5333).
	FeatureACL Feature = "acl"

	// FeatureCORS: no origin may call the server from a browser: a
	// preflight request answers 403 AccessDenied "CORSResponse: CORS is
	// not enabled for this bucket.", as S3 does for a bucket without a
	// CORS configuration. Options.AllowedOrigins is not used.
	FeatureCORS Feature = "cors"

	// FeatureVirtualHost: every request is path-style: a Host of
	// "<bucket>.<Domain>" does not name a bucket, as on a server whose
	// domain is not configured (the request then addresses the bucket
	// named by the first segment of its path, usually a missing one).
	FeatureVirtualHost Feature = "virtual-host"
)

// The features Options.Ignores can accept without honouring them: the
// dangerous answers, where a client believes it got what it asked for.
const (
	// FeatureChecksums: the x-amz-checksum-* headers and trailers, and
	// the checksum algorithm of multipart uploads, are accepted and
	// neither verified nor kept: a wrong checksum is stored, as by a
	// server that does not know them (the local R2 of miniflare,
	// cloudflare/workers-sdk#16970).
	FeatureChecksums Feature = "checksums"

	// FeatureACL (ignored): x-amz-acl is accepted and the object stays
	// private, as on Backblaze B2, whose objects have their bucket's ACL:
	// an anonymous GET of a "public-read" object is refused.

	// FeatureEncodingType: encoding-type=url is accepted and keys are
	// listed as they are, not URL-encoded.
	FeatureEncodingType Feature = "encoding-type"
)

// refusable and ignorable are the features Lacks and Ignores accept.
var (
	refusable = []Feature{FeaturePostObject, FeaturePresignedURLs, FeatureChecksumCRC32, FeatureChecksumCRC32C,
		FeatureChecksumCRC64NVME, FeatureChecksumSHA1, FeatureChecksumSHA256, FeatureChecksumMode,
		FeatureFullObjectCRC32, FeatureFullObjectCRC32C, FeatureFullObjectCRC64NVME, FeatureListObjectsV1,
		FeatureListParts, FeatureCopyObject, FeatureACL, FeatureCORS, FeatureVirtualHost}
	ignorable = []Feature{FeatureChecksums, FeatureACL, FeatureEncodingType}
)

// features are the switches of Options.Lacks and Options.Ignores, checked.
type features struct {
	lacks, ignores map[Feature]bool
}

// newFeatures checks the switches; New panics on an unknown one, so that
// a misspelt feature never makes a test pass against a full server.
func newFeatures(lacks, ignores []Feature) features {
	f := features{lacks: map[Feature]bool{}, ignores: map[Feature]bool{}}
	for _, x := range lacks {
		if !slices.Contains(refusable, x) {
			panic(fmt.Sprintf("s3local: Options.Lacks: unknown feature %q", x))
		}
		f.lacks[x] = true
	}
	for _, x := range ignores {
		if !slices.Contains(ignorable, x) {
			panic(fmt.Sprintf("s3local: Options.Ignores: unknown feature %q", x))
		}
		if f.lacks[x] {
			panic(fmt.Sprintf("s3local: feature %q is both in Options.Lacks and Options.Ignores", x))
		}
		f.ignores[x] = true
	}
	return f
}

// refuse answers a request that needs a feature the server lacks, as the
// services without it answer. It runs once the request is routed and
// authenticated.
func (f features) refuse(rc *reqCtx) *Error {
	if len(f.lacks) == 0 {
		return nil
	}
	switch op := rc.op; {
	case f.lacks[FeaturePostObject] && op == OpPostObject:
		return newError("NotImplemented", "Presigned post requests are not yet implemented")
	case f.lacks[FeaturePresignedURLs] && rc.auth != nil && rc.auth.presigned:
		return newError("NotImplemented", "Presigned URLs are not implemented")
	case f.lacks[FeatureListObjectsV1] && op == OpListObjects,
		f.lacks[FeatureListParts] && op == OpListParts,
		f.lacks[FeatureCopyObject] && (op == OpCopyObject || op == OpUploadPartCopy):
		return notImplemented(op)
	}
	if e := f.refuseACL(rc.r.Header); e != nil {
		return e
	}
	if e := f.refuseChecksum(rc.r.Header); e != nil {
		return e
	}
	return f.refuseFullObject(rc.op, rc.r.Header)
}

// refuseACL answers a canned ACL other than private, when ACLs are lacking.
func (f features) refuseACL(h http.Header) *Error {
	acl := h.Get("X-Amz-Acl")
	if !f.lacks[FeatureACL] || acl == "" || acl == "private" {
		return nil
	}
	return newError("NotImplemented", "Header 'x-amz-acl' with value '"+acl+"' not implemented")
}

// checksumFeatures are the checksum algorithms Lacks can refuse.
var checksumFeatures = map[string]Feature{
	algCRC32: FeatureChecksumCRC32, algCRC32C: FeatureChecksumCRC32C, algCRC64NVME: FeatureChecksumCRC64NVME,
	algSHA1: FeatureChecksumSHA1, algSHA256: FeatureChecksumSHA256,
}

// refuseChecksum answers a request that names a lacking checksum
// algorithm, or asks for checksums on a read when they are lacking, with
// Backblaze B2's answer, which names the header.
func (f features) refuseChecksum(h http.Header) *Error {
	unsupported := func(header string) *Error {
		return newError("InvalidArgument", "Unsupported header '"+header+"' received for this API call.")
	}
	if f.lacks[FeatureChecksumMode] && h.Get("X-Amz-Checksum-Mode") != "" {
		return unsupported("x-amz-checksum-mode")
	}
	// The headers in a fixed order, the value header first, so that the
	// answer names the same header every time.
	var named []string
	for name := range h {
		if algFromChecksumHeader(name) != nil {
			named = append(named, strings.ToLower(name))
		}
	}
	slices.Sort(named)
	for _, name := range named {
		if alg := algFromChecksumHeader(name); f.lacks[checksumFeatures[alg.name]] {
			return unsupported(name)
		}
	}
	if t := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Trailer"))); t != "" {
		if alg := algFromChecksumHeader(t); alg != nil && f.lacks[checksumFeatures[alg.name]] {
			return unsupported(t)
		}
	}
	for _, name := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		if alg := lookupChecksumAlg(h.Get(name)); alg != nil && f.lacks[checksumFeatures[alg.name]] {
			return unsupported(strings.ToLower(name))
		}
	}
	return nil
}

// fullObjectFeatures are the algorithms whose FULL_OBJECT multipart
// checksums Lacks can refuse.
var fullObjectFeatures = map[string]Feature{
	algCRC32: FeatureFullObjectCRC32, algCRC32C: FeatureFullObjectCRC32C, algCRC64NVME: FeatureFullObjectCRC64NVME,
}

// refuseFullObject answers a CreateMultipartUpload that asks for a
// lacking FULL_OBJECT checksum, as S3 answers for an algorithm without
// that type. CRC64NVME has no other type: an upload naming it asks for a
// full-object checksum, with or without x-amz-checksum-type.
func (f features) refuseFullObject(op string, h http.Header) *Error {
	if op != OpCreateMultipartUpload {
		return nil
	}
	alg := lookupChecksumAlg(h.Get("X-Amz-Checksum-Algorithm"))
	if alg == nil {
		return nil
	}
	typ := strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	full := typ == checksumFullObject || typ == "" && !alg.composite
	if !full || !f.lacks[fullObjectFeatures[alg.name]] {
		return nil
	}
	return newError("InvalidRequest", "The FULL_OBJECT checksum type cannot be used with the "+strings.ToLower(alg.name)+" checksum algorithm.")
}

// checksumRequestHeaders are the request headers that ask for checksums,
// besides the x-amz-checksum-<alg> ones.
var checksumRequestHeaders = []string{"X-Amz-Trailer", "X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm",
	"X-Amz-Checksum-Type", "X-Amz-Checksum-Mode"}

// ignore drops what the request asks for that the server accepts
// without honouring, once the request is authenticated (so that the
// signature still covers what the client sent).
func (f features) ignore(rc *reqCtx) {
	if len(f.ignores) == 0 {
		return
	}
	h := rc.r.Header
	if f.ignores[FeatureACL] {
		h.Del("X-Amz-Acl")
	}
	if f.ignores[FeatureEncodingType] {
		rc.q.Del("encoding-type")
	}
	if f.ignores[FeatureChecksums] {
		for name := range h {
			if algFromChecksumHeader(name) != nil {
				delete(h, name)
			}
		}
		for _, name := range checksumRequestHeaders {
			h.Del(name)
		}
	}
}
