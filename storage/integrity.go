package storage

// What a write checks besides its bytes: the checksum S3 verifies, the
// SHA-256 of the content when the caller asks for it or expects one, and
// how each is computed in the pass that reads the body anyway.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// checks is what one Put computes and checks.
type checks struct {
	alg    algorithm // the object's checksum, which S3 verifies and keeps
	sha    bool      // compute the SHA-256 of the content
	expect []byte    // the SHA-256 the content must have; nil: none
	// stored is true when the stored bytes are the content (no gzip), so
	// that the content's SHA-256 is also the stored bytes'.
	stored bool
}

// newChecks resolves the checks of a Put: the object's algorithm (the
// call's or the storage's ChecksumAlgorithm parameter, else the storage's
// setting), and the SHA-256 asked for or expected.
func (s *Storage) newChecks(p *ObjectParameters, opts *SaveOptions, compress bool) (checks, error) {
	c := checks{alg: s.alg, sha: opts.SHA256 || opts.ExpectSHA256 != nil, stored: !compress}
	if p.ChecksumAlgorithm != "" {
		a, err := parseAlgorithm(p.ChecksumAlgorithm)
		if err != nil {
			return c, fmt.Errorf("object parameter ChecksumAlgorithm %w", err)
		}
		c.alg = a
	}
	if opts.ExpectSHA256 != nil {
		if len(opts.ExpectSHA256) != sha256.Size {
			return c, fmt.Errorf("ExpectSHA256 holds %d bytes, not the %d of a SHA-256", len(opts.ExpectSHA256), sha256.Size)
		}
		c.expect = opts.ExpectSHA256
	}
	return c, nil
}

// verify checks the content's SHA-256 against the one expected.
func (c *checks) verify(content []byte) error {
	if c.expect == nil || bytes.Equal(content, c.expect) {
		return nil
	}
	return &kindError{kind: ErrDigestMismatch, msg: fmt.Sprintf("the content's SHA-256 is %x, not the %x expected", content, c.expect)}
}

// bodySums are the sums of the body of a single PutObject.
type bodySums struct {
	object  sum    // of the stored bytes, in the object's algorithm
	content []byte // SHA-256 of the content, when asked
}

// single returns the checksum a single PutObject carries: the expected
// SHA-256, pinned so that S3 checks it, when the stored bytes are the
// content; else the object's sum.
func (c *checks) single(b bodySums) (algorithm, string) {
	if c.expect != nil && c.stored && c.alg != algNone {
		return algSHA256, base64.StdEncoding.EncodeToString(c.expect)
	}
	return c.alg, b.object.value()
}

// payload returns the SHA-256 of the stored bytes of a single PutObject
// when it is known, the SigV4 payload hash the SDK would compute again.
func (c *checks) payload(b bodySums) []byte {
	switch {
	case b.object.alg == algSHA256:
		return b.object.digest()
	case c.stored && b.content != nil:
		return b.content
	}
	return nil
}

// pass reads r to its end once, computing its sum in alg and, with sha,
// its SHA-256. It is the pass over a seekable body (or a part of one)
// before it is sent, which the SDK would otherwise make itself to compute
// a checksum header, with a slower CRC-64.
func pass(ctx context.Context, r io.Reader, alg algorithm, sha hash.Hash) (sum, error) {
	s := newSum(alg)
	buf := bigSegments.Get().(*[segmentSize]byte) // the stream segments' pool
	defer bigSegments.Put(buf)
	for {
		if err := ctx.Err(); err != nil {
			return s, context.Cause(ctx)
		}
		n, err := io.ReadFull(r, buf[:])
		s.write(buf[:n])
		if sha != nil {
			sha.Write(buf[:n])
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return s, nil
		default:
			return s, err
		}
	}
}

// hashReader computes the SHA-256 of a stream as it is read: the content
// of a streamed or compressed body, before compression.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// sendOptions are the options of a PutObject or UploadPart that carries
// a checksum of alg computed here (or none): the SDK computes no checksum
// of its own then (when_required for none), and over HTTPS the payload is
// sent as UNSIGNED-PAYLOAD, the checksum (signed in its header) being what
// protects the bytes, as with the SDK's own trailer checksums. Over plain
// HTTP the SDK still signs the payload's SHA-256, taken from payload when
// it is known instead of computed again.
func sendOptions(alg algorithm, payload []byte) []func(*s3.Options) {
	m := &payloadHash{unsigned: alg != algNone, sha: payload}
	return []func(*s3.Options){func(o *s3.Options) {
		if alg == algNone {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			if _, ok := st.Finalize.Get(computePayloadHashID); !ok {
				return nil
			}
			return st.Finalize.Insert(m, computePayloadHashID, middleware.Before)
		})
	}}
}

// computePayloadHashID is the ID of the SDK's middleware that hashes the
// payload for SigV4.
const computePayloadHashID = "ComputePayloadSHA256"

// payloadHash sets the SigV4 payload hash of a request whose body is
// protected by a checksum header, or whose SHA-256 is known.
type payloadHash struct {
	unsigned bool
	sha      []byte
}

func (*payloadHash) ID() string { return "s3kit:PayloadHash" }

func (m *payloadHash) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	switch {
	case ok && m.unsigned && req.IsHTTPS():
		ctx = v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD")
	case m.sha != nil:
		ctx = v4.SetPayloadHash(ctx, hex.EncodeToString(m.sha))
	}
	return next.HandleFinalize(ctx, in)
}

// confirm sets the checksum S3 answered with (out is the SDK's output of
// the write) in info, and checks it against the one sent: another value
// of the same algorithm means S3 stored other bytes than those sent.
func (info *Info) confirm(out any, alg algorithm, sent string) error {
	a, v, t := confirmedChecksum(out, alg)
	if t == "" && v != "" {
		// A server that sends no type (SeaweedFS, for a PutObject): a
		// COMPOSITE value ends in "-N", a FULL_OBJECT one does not.
		t = string(types.ChecksumTypeFullObject)
		if strings.Contains(v, "-") {
			t = string(types.ChecksumTypeComposite)
		}
	}
	if a != algNone {
		info.ChecksumAlgorithm, info.Checksum, info.ChecksumType = a.String(), v, t
	}
	if sent != "" && a == alg && !strings.Contains(v, "-") && v != sent {
		return &kindError{kind: ErrChecksum, msg: fmt.Sprintf("S3 answered the %s checksum %s, not the %s sent", a, v, sent)}
	}
	return nil
}
