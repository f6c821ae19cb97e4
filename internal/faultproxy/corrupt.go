package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// flipper passes a body with the payload byte at offset at flipped (XOR
// 0x01). In an aws-chunked body it reads the chunk framing as it passes
// ("hex-size[;extensions]\r\n", the data, "\r\n", ..., a zero-size chunk
// and the trailer) and counts data bytes only.
type flipper struct {
	r       io.Reader
	at      int64       // payload offset of the byte to flip; -1 once flipped or out of reach
	payload int64       // payload bytes passed
	flipped atomic.Bool // read by the proxy while the transport may still be sending

	chunked bool
	state   chunkState
	left    int64  // data bytes left in the chunk (chunkData), or CRLF bytes (chunkEnd)
	line    []byte // the chunk header read so far (chunkHeader)
}

type chunkState uint8

const (
	chunkHeader chunkState = iota
	chunkData
	chunkEnd // the CRLF after a chunk's data
	chunkTrailer
)

// newFlipper flips the byte at after (0: the middle of length bytes of
// payload, negative: the first).
func newFlipper(r io.Reader, chunked bool, length, after int64) *flipper {
	at := after
	switch {
	case after == 0:
		at = length / 2
	case after < 0:
		at = 0
	}
	return &flipper{r: r, at: at, chunked: chunked}
}

// didFlip reports whether a byte was flipped; false for a nil flipper.
func (f *flipper) didFlip() bool { return f != nil && f.flipped.Load() }

func (f *flipper) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= 0 {
		f.scan(p[:n])
	}
	return n, err
}

// scan follows b through the body, flipping the byte at f.at.
func (f *flipper) scan(b []byte) {
	for len(b) > 0 && f.at >= 0 {
		if !f.chunked || f.state == chunkData {
			n := int64(len(b))
			if f.chunked {
				n = min(n, f.left)
			}
			if f.at < f.payload+n {
				b[f.at-f.payload] ^= 0x01
				f.at = -1
				f.flipped.Store(true)
				return
			}
			f.payload += n
			b = b[n:]
			if f.chunked {
				if f.left -= n; f.left == 0 {
					f.state, f.left = chunkEnd, 2
				}
			}
			continue
		}
		b = f.frame(b)
	}
}

// frame consumes the framing bytes at the start of b and returns the
// rest.
func (f *flipper) frame(b []byte) []byte {
	switch f.state {
	case chunkEnd:
		n := min(int64(len(b)), f.left)
		if f.left -= n; f.left == 0 {
			f.state = chunkHeader
		}
		return b[n:]
	case chunkHeader:
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			f.line = append(f.line, b...)
			return nil
		}
		f.line = append(f.line, b[:i]...)
		size, _, _ := strings.Cut(strings.TrimSpace(string(f.line)), ";")
		f.line = f.line[:0]
		n, err := strconv.ParseInt(size, 16, 64)
		switch {
		case err != nil || n == 0:
			f.state, f.at = chunkTrailer, -1 // the last chunk (or no framing understood): nothing to flip
		default:
			f.state, f.left = chunkData, n
		}
		return b[i+1:]
	}
	return nil
}

// requestPayload tells whether a request body is aws-chunked and how
// many payload bytes it holds.
func requestPayload(r *http.Request) (chunked bool, length int64) {
	chunked = strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	if !chunked {
		return false, r.ContentLength
	}
	length, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	if err != nil {
		length = 0
	}
	return true, length
}
